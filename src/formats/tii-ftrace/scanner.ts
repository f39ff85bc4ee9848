import { I16List, U32List } from '../../util/growable.js';
import { FIRST_MARKER, FUNC_ENTER, FUNC_EXIT, UNKNOWN_MARKER, VMID, type CompiledSpec } from './spec.js';

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
  /** Events per type; function types are filled in by `finish` from `wordCounts`. */
  readonly counts: Float64Array;
  /** Function events counted per raw word value (the id and enter/exit follow from the word). */
  readonly wordCounts = new Uint32Array(65536);
  /** Word offset where each function word value was first seen. */
  readonly wordFirst = new Float64Array(65536);
  readonly cpOffset = new U32List(4096);
  readonly cpCtx = new I16List(4096);
  readonly postings: Postings[] = [];
  readonly histograms: Map<number, number>[][];
  readonly stats: FieldStats[][];
  readonly unknown = new Map<number, UnknownMarker>();

  constructor(readonly spec: CompiledSpec) {
    const n = spec.typeNames.length;
    this.counts = new Float64Array(n);
    for (let t = 0; t < n; t++) this.postings.push(new Postings());
    this.histograms = spec.markers.map((m) => m.fields.map(() => new Map<number, number>()));
    this.stats = spec.markers.map((m) =>
      m.fields.map(() => ({ count: 0, zero: 0, min: Infinity, max: -Infinity, sum: 0 })),
    );
  }

  /**
   * Scans words[start, end) whose first word is stream word `base + start`.
   * Returns the index of the first word not consumed (the start of an event
   * cut by the chunk end, or `end`). Function events (one word each, the
   * vast majority) take a fast path that only counts the word value.
   */
  scan(words: Uint16Array, start: number, end: number, base: number): number {
    const typeOf = this.spec.typeOf;
    const lenOf = this.spec.lenOf;
    const wordCounts = this.wordCounts;
    const wordFirst = this.wordFirst;
    let ev = this.events;
    let i = start;
    while (i < end) {
      const w = words[i];
      const t = typeOf[w];
      if (t < 2) {
        if ((ev & CP_MASK) === 0) this.checkpoint(base + i);
        if (wordCounts[w]++ === 0) wordFirst[w] = base + i;
        i++;
        ev++;
        continue;
      }
      const len = lenOf[w];
      if (i + len > end) break;
      if ((ev & CP_MASK) === 0) this.checkpoint(base + i);
      this.counts[t]++;
      this.sparse(t, w, words, i, base + i, ev);
      ev++;
      i += len;
    }
    this.events = ev;
    return i;
  }

  private checkpoint(offset: number): void {
    this.cpOffset.push(offset);
    this.cpCtx.push(this.vmid);
  }

  /** Fills in the function-event counts once the stream is done. */
  finish(): void {
    const typeOf = this.spec.typeOf;
    this.counts[FUNC_ENTER] = 0;
    this.counts[FUNC_EXIT] = 0;
    for (let w = 0; w < 65536; w++) {
      const n = this.wordCounts[w];
      if (n) this.counts[typeOf[w]] += n;
    }
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
      const v = fieldValue(words, i, fs.flat);
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

/** Value of a field (its flattened bit parts) for the marker at words[i]. */
export function fieldValue(words: Uint16Array, i: number, flat: Float64Array): number {
  let v = 0;
  for (let k = 0; k < flat.length; k += 4) v += ((words[i + flat[k]] >>> flat[k + 1]) & flat[k + 2]) * flat[k + 3];
  return v;
}
