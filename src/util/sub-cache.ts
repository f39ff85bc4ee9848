/**
 * Strings for byte ranges that repeat (subsystem names, tags, task and
 * function names): the same bytes give the same string without decoding them
 * again, so a table builder's interning and a Map find it by identity and its
 * cached hash. Direct-mapped: a miss only costs the decode.
 */
export class SubCache {
  // Filled, not holey: the first string stored then keeps the array's elements kind (a change would deoptimize its readers).
  private readonly slots: (string | undefined)[] = new Array<string | undefined>(1024).fill(undefined);

  get(buf: Buffer, s: number, e: number): string {
    let h = e - s;
    for (let i = s; i < e; i++) h = (Math.imul(h, 31) + buf[i]) | 0;
    const k = h & 1023;
    const hit = this.slots[k];
    if (hit !== undefined && hit.length === e - s) {
      let same = true;
      for (let i = 0; i < hit.length; i++) {
        if (hit.charCodeAt(i) !== buf[s + i]) {
          same = false;
          break;
        }
      }
      if (same) return hit;
    }
    const str = buf.toString('latin1', s, e);
    this.slots[k] = str;
    return str;
  }
}
