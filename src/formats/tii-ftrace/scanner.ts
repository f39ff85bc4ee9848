import { I16List, U32List } from '../../util/growable.js';
import { FIRST_MARKER, UNKNOWN_MARKER, VMID, type CompiledSpec } from './spec.js';

/** Events between checkpoints: event N is at most this many events from a known position. */
export const CHECKPOINT_EVERY = 256;
const CP_MASK = CHECKPOINT_EVERY - 1;

/** Where every event of one type sits: event index, word offset, VMID context. */
export class Postings {
  readonly index = new U32List(256);
  readonly offset = new U32List(256);
  readonly ctx = new I16List(256);
}

export interface FieldStats {
  count: number;
  zero: number;
  min: number;
  max: number;
  sum: number;
}

export interface UnknownMarker {
  word: number;
  count: number;
  firstOffset: number;
}

/**
 * One streaming pass over a TII word stream. It records, per event, only
 * what the index needs: counts, a checkpoint every CHECKPOINT_EVERY events
 * (word offset + VMID context), positions of non-function events, and
 * per-function-id counts. `scan` stops before an event whose payload is not
 * fully in the chunk, so the caller re-feeds it with the next chunk.
 */
export class TiiScanner {
  events = 0;
  vmid = -1;
  readonly counts: Float64Array;
  /** Function enter counts at [id], exit counts at [fnIds + id]. */
  readonly fnCounts: Uint32Array;
  /** Word offset where each function id (enter or exit slot) was first seen. */
  readonly fnFirst: Float64Array;
  readonly fnIds: number;
  readonly cpOffset = new U32List(4096);
  readonly cpCtx = new I16List(4096);
  readonly postings: Postings[] = [];
  readonly histograms: Map<number, number>[][];
  readonly stats: FieldStats[][];
  readonly unknown = new Map<number, UnknownMarker>();

  constructor(readonly spec: CompiledSpec) {
    const n = spec.typeNames.length;
    this.counts = new Float64Array(n);
    this.fnIds = 65536 >>> spec.fnShift;
    this.fnCounts = new Uint32Array(2 * this.fnIds);
    this.fnFirst = new Float64Array(2 * this.fnIds).fill(-1);
    for (let t = 0; t < n; t++) this.postings.push(new Postings());
    this.histograms = spec.markers.map((m) => m.fields.map(() => new Map<number, number>()));
    this.stats = spec.markers.map((m) =>
      m.fields.map(() => ({ count: 0, zero: 0, min: Infinity, max: -Infinity, sum: 0 })),
    );
  }

  /**
   * Scans words[start, end) whose first word is stream word `base + start`.
   * Returns the index of the first word not consumed (the start of an event
   * cut by the chunk end, or `end`).
   */
  scan(words: Uint16Array, start: number, end: number, base: number): number {
    const typeOf = this.spec.typeOf;
    const lenOf = this.spec.lenOf;
    const counts = this.counts;
    const fnCounts = this.fnCounts;
    const fnShift = this.spec.fnShift;
    const fnIds = this.fnIds;
    let ev = this.events;
    let i = start;
    while (i < end) {
      const w = words[i];
      const len = lenOf[w];
      if (i + len > end) break;
      const t = typeOf[w];
      if ((ev & CP_MASK) === 0) {
        this.cpOffset.push(base + i);
        this.cpCtx.push(this.vmid);
      }
      counts[t]++;
      if (t <= 1) {
        const slot = t * fnIds + (w >>> fnShift);
        if (fnCounts[slot]++ === 0) this.fnFirst[slot] = base + i;
      } else {
        this.sparse(t, w, words, i, base + i, ev);
      }
      ev++;
      i += len;
    }
    this.events = ev;
    return i;
  }

  /** Non-function events: rare enough to afford a call and per-field work. */
  private sparse(t: number, w: number, words: Uint16Array, i: number, offset: number, ev: number): void {
    if (t === VMID) this.vmid = w >>> this.spec.vmidShift;
    const p = this.postings[t];
    p.index.push(ev);
    p.offset.push(offset);
    p.ctx.push(this.vmid);
    if (t === UNKNOWN_MARKER) {
      const u = this.unknown.get(w);
      if (u) u.count++;
      else this.unknown.set(w, { word: w, count: 1, firstOffset: offset });
      return;
    }
    if (t < FIRST_MARKER) return;
    const m = t - FIRST_MARKER;
    const fields = this.spec.markers[m].fields;
    for (let f = 0; f < fields.length; f++) {
      const fs = fields[f];
      if (!fs.histogram && !fs.stats) continue;
      const v = fieldValue(words, i, fs.parts);
      if (fs.histogram) {
        const h = this.histograms[m][f];
        h.set(v, (h.get(v) ?? 0) + 1);
      }
      if (fs.stats) {
        const s = this.stats[m][f];
        s.count++;
        if (v === 0) s.zero++;
        if (v < s.min) s.min = v;
        if (v > s.max) s.max = v;
        s.sum += v;
      }
    }
  }
}

/** Value of a field whose parts are bit ranges of payload words (word 0 follows the marker at `i`). */
export function fieldValue(words: Uint16Array, i: number, parts: { word: number; lo: number; width: number }[]): number {
  let v = 0;
  let scale = 1;
  for (let k = 0; k < parts.length; k++) {
    const p = parts[k];
    const bits = (words[i + 1 + p.word] >>> p.lo) & ((1 << p.width) - 1);
    v += bits * scale;
    scale *= 2 ** p.width;
  }
  return v;
}
