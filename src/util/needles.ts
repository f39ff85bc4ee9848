/**
 * Finds which of a few fixed strings occurs in a byte range, in one pass over
 * the bytes (Aho-Corasick): per line it costs a table step per byte and
 * allocates nothing, so analyses can afford it on every line of a large log.
 *
 * The table is laid out for V8's per-byte loop: bytes that occur in no needle
 * share class 0, so a row has a column per distinct needle byte, not 256 (50
 * markers: ~400 states × 64 columns, ~100 KB, stays in cache); entries hold
 * the next state already multiplied by the row width, and accepting states
 * are numbered last, so a step is two loads and an add, and the test for a
 * match is one comparison.
 */
export class Needles {
  /** Byte → column of the table. */
  private readonly classes: Uint16Array;
  /** Row start of the next state, by (row start of this state) + classes[byte]. */
  private readonly next: Int32Array;
  /** Row starts from this one on belong to states that complete a needle. */
  private readonly acceptFrom: number;
  /** log2 of the row width: row start >> shift is the state number. */
  private readonly shift: number;
  /** Per state: the needle it completes first (the shortest one), or -1. */
  private readonly accept: Int32Array;
  /** Per state: every needle that ends there (itself and along failure links), for findAll. */
  private readonly outputs: (readonly number[] | null)[];

  constructor(readonly needles: readonly string[]) {
    const bytes = needles.map((n) => Buffer.from(n, 'utf8'));
    // Up to 256 distinct bytes: class 256 must not wrap to 0.
    const classes = new Uint16Array(256);
    let nClasses = 1;
    for (const b of bytes) for (const x of b) if (classes[x] === 0) classes[x] = nClasses++;
    let shift = 0;
    while (1 << shift < nClasses) shift++;
    const width = 1 << shift;

    const gotoT: Map<number, number>[] = [new Map()];
    const acc: number[] = [-1];
    const outs: number[][] = [[]];
    bytes.forEach((n, id) => {
      let st = 0;
      for (const byte of n) {
        const c = classes[byte];
        let to = gotoT[st].get(c);
        if (to === undefined) {
          to = gotoT.length;
          gotoT.push(new Map());
          acc.push(-1);
          outs.push([]);
          gotoT[st].set(c, to);
        }
        st = to;
      }
      if (acc[st] < 0) acc[st] = id;
      outs[st].push(id);
    });

    // Transitions by state number, breadth-first so a state's failure link is complete before its children use it.
    const n = gotoT.length;
    const delta = new Int32Array(n * width);
    const accept = new Int32Array(n).fill(-1);
    const fail = new Int32Array(n);
    const queue: number[] = [];
    for (let c = 0; c < width; c++) {
      const to = gotoT[0].get(c) ?? 0;
      delta[c] = to;
      if (to !== 0) queue.push(to);
    }
    for (let qi = 0; qi < queue.length; qi++) {
      const st = queue[qi];
      accept[st] = acc[st] >= 0 ? acc[st] : accept[fail[st]];
      if (outs[fail[st]].length) outs[st] = [...outs[st], ...outs[fail[st]]];
      for (let c = 0; c < width; c++) {
        const to = gotoT[st].get(c);
        if (to === undefined) delta[st * width + c] = delta[fail[st] * width + c];
        else {
          fail[to] = delta[fail[st] * width + c];
          delta[st * width + c] = to;
          queue.push(to);
        }
      }
    }

    // Renumber (accepting states last) and pre-multiply by the row width.
    const order = [...Array(n).keys()].sort((a, b) => Number(accept[a] >= 0) - Number(accept[b] >= 0) || a - b);
    const rank = new Int32Array(n);
    order.forEach((st, k) => (rank[st] = k));
    this.next = new Int32Array(n * width);
    for (let st = 0; st < n; st++) for (let c = 0; c < width; c++) this.next[rank[st] * width + c] = rank[delta[st * width + c]] * width;
    let first = order.findIndex((st) => accept[st] >= 0);
    if (first < 0) first = n;
    this.classes = classes;
    this.shift = shift;
    this.acceptFrom = first * width;
    this.accept = Int32Array.from(order, (st) => accept[st]);
    this.outputs = order.map((st) => (outs[st].length ? outs[st] : null));
  }

  /**
   * Marks in `hits` (hits[id] = 1) every needle found in buf[start, end) and
   * returns how many distinct ones; `touched` receives their ids so the caller
   * can clear exactly those. Allocates nothing.
   */
  findAll(buf: Uint8Array, start: number, end: number, hits: Uint8Array, touched: Int32Array): number {
    if (this.needles.length === 0) return 0;
    const next = this.next;
    const classes = this.classes;
    const acceptFrom = this.acceptFrom;
    let st = 0;
    let i = start;
    // Most lines hold no needle: nothing but the table step until the first match.
    for (; i < end; i++) {
      st = next[st + classes[buf[i]]];
      if (st >= acceptFrom) break;
    }
    if (i >= end) return 0;
    const outputs = this.outputs;
    const shift = this.shift;
    let n = 0;
    for (;;) {
      if (st >= acceptFrom) {
        const o = outputs[st >> shift] as readonly number[];
        for (let k = 0; k < o.length; k++) {
          const id = o[k];
          if (hits[id] === 0) {
            hits[id] = 1;
            touched[n++] = id;
          }
        }
      }
      if (++i >= end) return n;
      st = next[st + classes[buf[i]]];
    }
  }

  /** Index of a needle found in buf[start, end) (the first to complete), or -1. */
  find(buf: Uint8Array, start: number, end: number): number {
    if (this.needles.length === 0) return -1;
    const next = this.next;
    const classes = this.classes;
    const acceptFrom = this.acceptFrom;
    let st = 0;
    for (let i = start; i < end; i++) {
      st = next[st + classes[buf[i]]];
      if (st >= acceptFrom) return this.accept[st >> this.shift];
    }
    return -1;
  }
}
