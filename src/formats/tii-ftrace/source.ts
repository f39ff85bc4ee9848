import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Bundle } from '../../model/bundle.js';
import type { EventRecord } from '../../model/event.js';
import type { EventCursor, EventSource, Summary } from '../../model/source.js';
import { FileSource } from '../../util/file-source.js';
import { UserError } from '../../util/errors.js';
import type { TiiStream } from './build.js';
import { decodeEvent, walkEvents, type FunctionNames } from './decode.js';
import { DumpWords } from './dump.js';
import { CHECKPOINT_EVERY } from './scanner.js';
import type { CompiledSpec } from './spec.js';

interface WordReader {
  read(start: number, count: number): Uint16Array;
}

/** Words of a raw ftrace.bin, read positionally. */
class FileWords implements WordReader {
  constructor(
    private readonly src: FileSource,
    private readonly words: number,
  ) {}
  read(start: number, count: number): Uint16Array {
    const n = Math.max(0, Math.min(count, this.words - start));
    const bytes = this.src.read(start * 2, n * 2);
    const out = new Uint16Array(bytes.length >> 1);
    new Uint8Array(out.buffer).set(bytes.subarray(0, out.length * 2));
    return out;
  }
}

/** How many postings are read per batch when streaming a long filter. */
const POSTING_BATCH = 4096;
/** Checkpoint intervals decoded per window when scanning for a dense type. */
const SCAN_WINDOW = 64;

/**
 * Queries over one indexed TII stream. Event N: one checkpoint (pread), one
 * small window of words, at most CHECKPOINT_EVERY events decoded. A sparse
 * type's filter reads its postings; a dense type is scanned from the
 * checkpoint before `from` (dense means a match every few hundred events).
 */
export class TiiSource implements EventSource {
  readonly count: number;
  readonly typeNames: readonly string[];
  private readonly words: WordReader;
  private readonly file: FileSource;
  private names?: FunctionNames;

  constructor(
    private readonly bundle: Bundle,
    private readonly spec: CompiledSpec,
    private readonly stream: TiiStream,
    inputPath: string,
  ) {
    this.count = stream.events;
    this.typeNames = spec.typeNames;
    this.file = new FileSource(inputPath);
    this.words =
      stream.origin.kind === 'bin'
        ? new FileWords(this.file, stream.words)
        : new DumpWords(this.file, bundle.column<Float64Array>(`${stream.id}.blocks`), stream.words);
  }

  private functionNames(): FunctionNames {
    if (this.names) return this.names;
    const file = this.stream.origin.kind === 'bin' ? 'functions.json' : `${this.stream.id}.functions.json`;
    let table: Record<string, [string, string | null]> = {};
    try {
      table = JSON.parse(readFileSync(join(this.bundle.dir, file), 'utf8')) as typeof table;
    } catch {
      table = {};
    }
    this.names = {
      address: (id) => (table[id] ? BigInt(table[id][0]) : undefined),
      symbol: (id) => table[id]?.[1] ?? undefined,
    };
    return this.names;
  }

  summary(): Summary {
    return this.stream.summary as unknown as Summary;
  }

  private checkRange(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n >= this.count) {
      throw new UserError(`event ${n} is out of range: ${this.stream.label} has ${this.count} events (0..${this.count - 1})`);
    }
  }

  /** The stream's skips (see walkEvents) that start inside words [start, start + n), relative to start. */
  private skipsIn(start: number, n: number): readonly number[] {
    const all = this.stream.skips;
    if (!all) return [];
    const out: number[] = [];
    for (let g = 0; g < all.length; g += 2) if (all[g] >= start && all[g] < start + n) out.push(all[g] - start, all[g + 1] - start);
    return out;
  }

  /** Word offsets of checkpoints k and k+1 (the end of the stream after the last). */
  private checkpointSpan(k: number, k2 = k + 1): { start: number; end: number; ctx: number } {
    const id = this.stream.id;
    const offs = this.bundle.slice<Uint32Array>(`${id}.cp.offset`, k, k2 - k + 1);
    const ctx = this.bundle.slice<Int16Array>(`${id}.cp.ctx`, k, 1)[0];
    const end = k2 < this.stream.checkpoints ? offs[k2 - k] : this.stream.words;
    return { start: offs[0], end, ctx };
  }

  /** Decodes events [from, to) (only those of type `only` when given) by walking from the checkpoint at or before `from`. */
  private walkRange(from: number, to: number, visit: (e: EventRecord) => boolean, only = -1): void {
    const names = this.functionNames();
    let k = Math.floor(from / CHECKPOINT_EVERY);
    const lastK = Math.floor((to - 1) / CHECKPOINT_EVERY);
    while (k <= lastK) {
      const k2 = Math.min(lastK + 1, k + SCAN_WINDOW);
      const span = this.checkpointSpan(k, k2);
      const words = this.words.read(span.start, span.end - span.start + this.spec.maxLen);
      let stop = false;
      // The read runs maxLen words past the window, so stop at its last event: the next window starts there.
      const windowEnd = Math.min(to, k2 * CHECKPOINT_EVERY);
      walkEvents(this.spec, words, 0, k * CHECKPOINT_EVERY, span.ctx, (i, t, index, vmid) => {
        if (index >= windowEnd) return false;
        if (index < from || (only >= 0 && t !== only)) return true;
        if (!visit(decodeEvent(this.spec, words, i, index, span.start + i, vmid, names))) {
          stop = true;
          return false;
        }
        return true;
      }, this.skipsIn(span.start, words.length));
      if (stop) return;
      k = k2;
    }
  }

  event(n: number): EventRecord {
    this.checkRange(n);
    let out: EventRecord | undefined;
    this.walkRange(n, n + 1, (e) => {
      out = e;
      return false;
    });
    if (!out) throw new UserError(`${this.stream.label}: event ${n} could not be decoded; the input changed since indexing — run kscope index again`);
    return out;
  }

  events(from: number, count: number): EventRecord[] {
    const lo = Math.max(0, from);
    const hi = Math.min(this.count, from + count);
    const out: EventRecord[] = [];
    if (hi > lo) this.walkRange(lo, hi, (e) => (out.push(e), true));
    return out;
  }

  resolveType(type: string): number {
    const want = type.toUpperCase();
    let t = this.spec.typeNames.indexOf(want);
    if (t < 0) {
      const m = this.spec.markers.findIndex((x) => x.label.toUpperCase() === want);
      if (m >= 0) t = m + 4;
    }
    if (t < 0) throw new UserError(`${this.stream.summary.source}: unknown event type ${type}; this stream has: ${this.spec.typeNames.join(', ')}`);
    return t;
  }

  filter(type: string, from: number, limit: number, visit: (e: EventRecord) => boolean | void): void {
    const t = this.resolveType(type);
    const name = this.spec.typeNames[t];
    if (limit === 0 || from >= this.count || (this.stream.summary.types[name] ?? 0) === 0) return;
    if (this.stream.postings.includes(name)) this.filterPostings(name, Math.max(0, from), limit, visit);
    else {
      let left = limit < 0 ? Infinity : limit;
      this.walkRange(
        Math.max(0, from),
        this.count,
        (e) => visit(e) !== false && --left > 0,
        t,
      );
    }
  }

  private filterPostings(name: string, from: number, limit: number, visit: (e: EventRecord) => boolean | void): void {
    const col = `${this.stream.id}.p.${name}`;
    const total = this.bundle.info(`${col}.index`).length;
    // First posting with index >= from: binary search over pread'd elements.
    let lo = 0;
    let hi = total;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.bundle.slice<Uint32Array>(`${col}.index`, mid, 1)[0] < from) lo = mid + 1;
      else hi = mid;
    }
    const names = this.functionNames();
    let left = limit < 0 ? Infinity : limit;
    for (let p = lo; p < total && left > 0; p += POSTING_BATCH) {
      const n = Math.min(POSTING_BATCH, total - p, left);
      const idx = this.bundle.slice<Uint32Array>(`${col}.index`, p, n);
      const off = this.bundle.slice<Uint32Array>(`${col}.offset`, p, n);
      const ctx = this.bundle.slice<Int16Array>(`${col}.ctx`, p, n);
      // One read covers the batch when it is compact; otherwise read per event.
      const span = off[n - 1] - off[0] + this.spec.maxLen;
      const batch = span <= 1 << 20 ? this.words.read(off[0], span) : null;
      for (let j = 0; j < n; j++) {
        const words = batch ?? this.words.read(off[j], this.spec.maxLen);
        const i = batch ? off[j] - off[0] : 0;
        if (visit(decodeEvent(this.spec, words, i, idx[j], off[j], ctx[j], names)) === false) return;
        left--;
      }
    }
  }

  scan(visit: (c: EventCursor) => boolean | void, from = 0): void {
    const spec = this.spec;
    const names = this.functionNames();
    let words: Uint16Array = new Uint16Array(0);
    let base = 0;
    let at = 0;
    const cur: EventCursor = {
      index: 0, type: 0, ts: NaN, cpu: -1, vmid: -1, line: 0, offset: -1, aux: NaN,
      record: () => decodeEvent(spec, words, at, cur.index, base + at, cur.vmid, names),
    };
    for (let k = Math.floor(Math.max(0, from) / CHECKPOINT_EVERY); k < this.stream.checkpoints; k += SCAN_WINDOW) {
      const k2 = Math.min(this.stream.checkpoints, k + SCAN_WINDOW);
      const span = this.checkpointSpan(k, k2);
      words = this.words.read(span.start, span.end - span.start + spec.maxLen);
      base = span.start;
      const last = k2 * CHECKPOINT_EVERY;
      let stop = false;
      walkEvents(spec, words, 0, k * CHECKPOINT_EVERY, span.ctx, (i, t, index, vmid) => {
        if (index >= last) return false;
        if (index < from) return true;
        at = i;
        cur.index = index;
        cur.type = t;
        cur.vmid = vmid;
        cur.offset = base + i;
        if (visit(cur) === false) {
          stop = true;
          return false;
        }
        return true;
      }, this.skipsIn(base, words.length));
      if (stop) return;
    }
  }

  close(): void {
    this.file.close();
    this.bundle.close();
  }
}
