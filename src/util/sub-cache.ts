/**
 * Strings for byte ranges that repeat (subsystem names, tags, task and
 * function names): the same bytes give the same string without decoding them
 * again, so a table builder's interning and a Map find it by identity and its
 * cached hash. Direct-mapped: a miss only costs the decode.
 */
export class SubCache {
  private readonly slots: (string | undefined)[] = new Array<string | undefined>(1024);
  /** Per slot, its string's id from `intern` (-1: not asked yet). */
  private readonly ids = new Int32Array(1024).fill(-1);
  /** The slot the last `get` used. */
  private slot = 0;

  /** `intern` gives a string its id in a table (EventTableBuilder.subId): `id` caches it with the string. */
  constructor(private readonly intern?: (name: string) => number) {}

  /** The id `intern` gives the string of bytes [s, e): no decode and no map lookup when the bytes were seen last in their slot. */
  id(buf: Buffer, s: number, e: number): number {
    const str = this.get(buf, s, e);
    const k = this.slot;
    let id = this.ids[k];
    if (id < 0 && this.intern) id = this.ids[k] = this.intern(str);
    return id;
  }

  get(buf: Buffer, s: number, e: number): string {
    let h = e - s;
    for (let i = s; i < e; i++) h = (Math.imul(h, 31) + buf[i]) | 0;
    const k = h & 1023;
    this.slot = k;
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
    this.ids[k] = -1;
    return str;
  }
}
