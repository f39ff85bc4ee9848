/**
 * Finds which of a few fixed strings occurs in a byte range, in one pass over
 * the bytes (Aho-Corasick): per line it costs a table step per byte and
 * allocates nothing, so analyses can afford it on every line of a large log.
 */
export class Needles {
  /** Transition table: state * 256 + byte → next state. */
  readonly next: Int32Array;
  /** For each state, the needle it completes (the shortest one), or -1: the per-byte test stays on a typed array. */
  readonly accept: Int32Array;
  /** For each state, every needle that ends there (itself and along failure links), for findAll. */
  readonly outputs: (readonly number[] | null)[];

  constructor(readonly needles: readonly string[]) {
    const gotoT: Map<number, number>[] = [new Map()];
    const acc: number[] = [-1];
    const outs: number[][] = [[]];
    needles.forEach((n, id) => {
      let st = 0;
      for (const byte of Buffer.from(n, 'utf8')) {
        let to = gotoT[st].get(byte);
        if (to === undefined) {
          to = gotoT.length;
          gotoT.push(new Map());
          acc.push(-1);
          outs.push([]);
          gotoT[st].set(byte, to);
        }
        st = to;
      }
      if (acc[st] < 0) acc[st] = id;
      outs[st].push(id);
    });
    const n = gotoT.length;
    this.next = new Int32Array(n * 256);
    this.accept = new Int32Array(n).fill(-1);
    const fail = new Int32Array(n);
    const queue: number[] = [];
    for (let b = 0; b < 256; b++) {
      const to = gotoT[0].get(b) ?? 0;
      this.next[b] = to;
      if (to !== 0) queue.push(to);
    }
    // Breadth-first, so a state's failure link is complete before its children use it.
    for (let qi = 0; qi < queue.length; qi++) {
      const st = queue[qi];
      this.accept[st] = acc[st] >= 0 ? acc[st] : this.accept[fail[st]];
      if (outs[fail[st]].length) outs[st] = [...outs[st], ...outs[fail[st]]];
      for (let b = 0; b < 256; b++) {
        const to = gotoT[st].get(b);
        if (to === undefined) this.next[st * 256 + b] = this.next[fail[st] * 256 + b];
        else {
          fail[to] = this.next[fail[st] * 256 + b];
          this.next[st * 256 + b] = to;
          queue.push(to);
        }
      }
    }
    this.outputs = outs.map((o) => (o.length ? o : null));
  }

  /**
   * Marks in `hits` (hits[id] = 1) every needle found in buf[start, end) and
   * returns how many distinct ones; `touched` receives their ids so the caller
   * can clear exactly those. Allocates nothing.
   */
  findAll(buf: Uint8Array, start: number, end: number, hits: Uint8Array, touched: Int32Array): number {
    if (this.needles.length === 0) return 0;
    const next = this.next;
    const outputs = this.outputs;
    let st = 0;
    let n = 0;
    const accept = this.accept;
    for (let i = start; i < end; i++) {
      st = next[(st << 8) | buf[i]];
      if (accept[st] < 0) continue;
      const o = outputs[st] as readonly number[];
      for (let k = 0; k < o.length; k++) {
        const id = o[k];
        if (hits[id] === 0) {
          hits[id] = 1;
          touched[n++] = id;
        }
      }
    }
    return n;
  }

  /** Index of a needle found in buf[start, end) (the first to complete), or -1. */
  find(buf: Uint8Array, start: number, end: number): number {
    if (this.needles.length === 0) return -1;
    const next = this.next;
    const accept = this.accept;
    let st = 0;
    for (let i = start; i < end; i++) {
      st = next[(st << 8) | buf[i]];
      const a = accept[st];
      if (a >= 0) return a;
    }
    return -1;
  }
}
