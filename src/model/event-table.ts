import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryColumns, type Bundle, type Column, type ColumnInfo, type ColumnSink, type Dtype, type SegmentInfo } from './bundle.js';
import type { Diagnostic } from './diagnostics.js';
import type { EventRecord, FieldValue } from './event.js';
import type { EventCursor, EventSource, Summary } from './source.js';
import type { BuildContext, FormatReader, ReaderOptions } from './format.js';
import { FileSource } from '../util/file-source.js';
import { UserError } from '../util/errors.js';

/**
 * Scratch record a classifier fills for one line or record; reused for
 * every line, so classifying allocates nothing per event.
 */
export interface RowScratch {
  type: number;
  /** Timestamp in the table's unit, NaN when the line has none. */
  ts: number;
  /** CPU (or vCPU), -1 when unknown. */
  cpu: number;
  /** Subsystem / prefix / target, '' when none. */
  sub: string;
  /** One numeric value the format wants filterable (pc, payload, irq…), NaN when none. */
  aux: number;
}

export function newScratch(): RowScratch {
  return { type: 0, ts: NaN, cpu: -1, sub: '', aux: NaN };
}

/** Rows given column by column (EventTableBuilder.addRows): row i is the bytes [starts[i], ends[i]) of one read, one line. */
export interface RowColumns {
  starts: Uint32Array;
  ends: Uint32Array;
  type: Uint8Array;
  ts: Float64Array;
  cpu: Float64Array;
  /** Subsystem ids, from subId. */
  sub: Int32Array;
  aux: Float64Array;
}

/** Events per block: the builder keeps one block per column in memory and appends full ones to the bundle. */
const BLOCK = 1 << 16;
/**
 * Events in the first block: few, so that flush first runs before `add` (and
 * the loops it is inlined into) is optimized; code compiled with no feedback
 * for the flush call deoptimizes at the first full block and is compiled again.
 */
const FIRST_BLOCK = 256;

/**
 * Smaller dtypes a column is stored in while its values fit (subsystem ids
 * under 65,536, CPUs under 128, aux values a float32 holds exactly: type
 * ids, levels, small counts); a segment falls back to the full dtype on the
 * first value that does not. About a quarter less bundle to write and read.
 */
const NARROW: Record<string, Dtype> = { sub: 'u16', cpu: 'i8', aux: 'f32' };

/** Value a column holds when an event has none; a column of nothing else is not stored. */
const DEFAULTS: Record<string, number> = { ts: NaN, cpu: -1, sub: 0, aux: NaN };

/**
 * What one builder wrote over one part of an input (one thread's range):
 * plain data, so it can cross a worker boundary; `finishTable` joins parts.
 */
export interface TablePiece {
  events: number;
  /** Offsets are stored as u32 from this base (null: as f64). */
  offsetBase: number | null;
  counts: number[];
  /** [cpu, events] pairs. */
  cpus: number[][];
  tsFirst: number;
  tsLast: number;
  subNames: string[];
  subCounts: number[];
  columns: ReturnType<ColumnSink['finish']>;
  /**
   * Per type, the indexes (in this piece) of its events while the type stayed
   * sparse here; null once it was too common to list (finishTable reads the
   * type column for it then, if it is sparse in the whole table).
   */
  postings?: (Uint32Array | null)[];
}

/**
 * Builds a columnar event table: per event the 1-based line (0 for binary),
 * byte offset and length of its raw bytes in the input, type, timestamp,
 * CPU, subsystem (interned) and one auxiliary number. Columns go to the
 * bundle a block at a time, so memory stays bounded whatever the input size.
 * Fields are not stored: queries re-decode the event's bytes, which keeps the
 * bundle small and the format the single source of truth.
 */
export class EventTableBuilder {
  private readonly line = new Uint32Array(BLOCK);
  /** Offsets, as numbers (when not kept from offsetBase in offset32). */
  private readonly offset: Float64Array;
  private readonly length = new Uint32Array(BLOCK);
  private readonly type = new Uint8Array(BLOCK);
  private readonly ts = new Float64Array(BLOCK);
  private readonly cpu = new Int16Array(BLOCK);
  private readonly sub = new Uint32Array(BLOCK);
  private readonly aux = new Float64Array(BLOCK);
  /** Events in the current block, and in flushed blocks before it. */
  private n = 0;
  /** Events in the current block when it is flushed (FIRST_BLOCK, then BLOCK). */
  private limit: number;
  private flushed = 0;
  private readonly subIds = new Map<string, number>([['', 0]]);
  readonly subNames: string[] = [''];
  // Room for the subsystems of most logs: growing it is a path optimized code has not seen.
  private subCounts = new Float64Array(1024);
  private lastSub = '';
  private lastSubId = 0;
  private readonly counts: Float64Array;
  /** Events per CPU, at CPU + 1 (index 0 counts events with none: see tally). */
  private readonly cpuCounts = new Float64Array((1 << 15) + 1);
  private tsFirst = Infinity;
  private tsLast = -Infinity;
  /** Columns that so far hold only their default value. */
  private readonly constant = new Map(Object.entries(DEFAULTS));
  private readonly offsetBase: number | null;
  private readonly offset32: Uint32Array | null;
  private readonly base: number;
  /** Per type, its events' indexes so far (see TablePiece.postings), and how many. */
  private readonly posts: (Uint32Array | null)[];
  private readonly postCounts: Uint32Array;

  /**
   * `layout` makes the bundle smaller where the input allows: with
   * `offsets: [start, end]` (the byte range this builder indexes, under
   * 4 GiB long) offsets are stored as u32 from `start`; with `lineEvents`
   * every event is exactly one line, so lengths are not stored (a query
   * reads the line up to its newline).
   */
  constructor(
    readonly typeNames: readonly string[],
    private readonly out: ColumnSink = new MemoryColumns(),
    private readonly prefix = 't0.',
    private readonly layout: { offsets?: [number, number]; lineEvents?: boolean } = {},
  ) {
    if (typeNames.length > 255) throw new Error('at most 255 event types per table');
    this.counts = new Float64Array(typeNames.length);
    this.posts = typeNames.map(() => new Uint32Array(256));
    this.postCounts = new Uint32Array(typeNames.length);
    const r = layout.offsets;
    this.offsetBase = r && r[1] - r[0] < 2 ** 32 ? r[0] : null;
    this.offset32 = this.offsetBase === null ? null : new Uint32Array(BLOCK);
    this.offset = new Float64Array(this.offset32 === null ? BLOCK : 0);
    this.base = this.offsetBase ?? 0;
    // Written twice now so V8 tracks `limit` as a field that changes: code compiled while it was
    // still constant would be deoptimized at the first flush.
    this.limit = BLOCK;
    this.limit = FIRST_BLOCK;
  }

  get size(): number {
    return this.flushed + this.n;
  }

  add(line: number, offset: number, length: number, row: RowScratch): void {
    // Neighbouring lines usually share a subsystem: skip the map lookup then.
    if (row.sub !== this.lastSub) {
      this.lastSubId = this.subId(row.sub);
      this.lastSub = row.sub;
    }
    this.room();
    const i = this.n++;
    this.line[i] = line;
    // Stored as the column is written: from offsetBase when the range allows.
    if (this.offset32 !== null) this.offset32[i] = offset - this.base;
    else this.offset[i] = offset;
    this.length[i] = length;
    this.type[i] = row.type;
    this.ts[i] = row.ts;
    this.cpu[i] = row.cpu;
    this.sub[i] = this.lastSubId;
    this.aux[i] = row.aux;
    this.counts[row.type]++;
  }

  /**
   * Adds rows [from, to) of `rows` as events: row i is line `line0 + i`, at
   * byte `offset0` of the input plus its start. The bulk `add`, for a scanner
   * that classified a run of lines at once (the console log's fast lane).
   */
  addRows(from: number, to: number, line0: number, offset0: number, rows: RowColumns): void {
    while (from < to) {
      this.room();
      const i0 = this.n;
      const k = Math.min(to - from, this.limit - i0);
      if (this.offset32 !== null) copyOffsets(rows.starts, from, k, i0, offset0 - this.base, this.offset32);
      else copyOffsets(rows.starts, from, k, i0, offset0, this.offset);
      // Lengths only where stored: a one-line event's is read from its line.
      if (!this.layout.lineEvents) copyLengths(rows, from, k, i0, this.length);
      copyRows(rows, from, k, i0, line0, this.line, this.type, this.ts, this.cpu, this.sub, this.aux, this.counts);
      this.n += k;
      from += k;
    }
  }

  /**
   * Makes room for an event in the block. The previous block is flushed only
   * now, so extendLast always finds its event in memory. One call site for
   * add and addRows: code that inlines it knows the flush call from either
   * (a scanner whose rows mostly come by addRows would otherwise meet its
   * first flush from `add` in optimized code, and deoptimize).
   */
  private room(): void {
    if (this.n === this.limit) this.flush();
  }

  /** The id of subsystem `name` in this table (interned on first sight). */
  subId(name: string): number {
    const known = this.subIds.get(name);
    if (known !== undefined) return known;
    const id = this.subNames.length;
    this.subIds.set(name, id);
    this.subNames.push(name);
    if (id === this.subCounts.length) {
      const next = new Float64Array(id * 2);
      next.set(this.subCounts);
      this.subCounts = next;
    }
    return id;
  }

  /** Type of the last event added (-1 when none). */
  lastType(): number {
    return this.n ? this.type[this.n - 1] : -1;
  }

  /** Sets the aux value of the last event (learned from a continuation line). */
  setLastAux(v: number): void {
    if (this.n) this.aux[this.n - 1] = v;
  }

  /** Events of one type so far. */
  count(type: number): number {
    return this.counts[type];
  }

  /** Extends the last event to cover more bytes and lines (a continuation line). */
  extendLast(endOffset: number): void {
    if (this.n === 0) return;
    const i = this.n - 1;
    this.length[i] = endOffset - (this.offset32 !== null ? this.offset32[i] + this.base : this.offset[i]);
  }

  /** Appends the current block to the bundle, gathering the summary's numbers on the way. */
  private flush(): void {
    const n = this.n;
    if (n === 0) return;
    const offset = this.offset32 !== null ? this.offset32.subarray(0, n) : this.offset.subarray(0, n);
    const cols: Record<string, Column> = {
      line: this.line.subarray(0, n),
      offset,
      ...(this.layout.lineEvents ? {} : { length: this.length.subarray(0, n) }),
      type: this.type.subarray(0, n),
      ts: this.ts.subarray(0, n),
      cpu: this.cpu.subarray(0, n),
      sub: this.sub.subarray(0, n),
      aux: this.aux.subarray(0, n),
    };
    for (const [name, d] of this.constant) if (!onlyValue(cols[name], d)) this.constant.delete(name);
    for (const [name, col] of Object.entries(cols)) this.out.append(`${this.prefix}${name}`, col, NARROW[name]);
    tally(this.cpu, this.sub, this.ts, n, this.cpuCounts, this.subCounts, SPAN);
    gather(this.type, n, this.flushed, this.posts, this.postCounts);
    if (SPAN[0] < this.tsFirst) this.tsFirst = SPAN[0];
    if (SPAN[1] > this.tsLast) this.tsLast = SPAN[1];
    this.flushed += n;
    this.n = 0;
    this.limit = BLOCK;
  }

  /** The columns so far, when this builder keeps them in memory (tests). */
  view(): Record<'line' | 'length' | 'sub', Uint32Array> & Record<'offset' | 'ts' | 'aux', Float64Array> & { type: Uint8Array; cpu: Int16Array } {
    if (!(this.out instanceof MemoryColumns)) throw new Error('view() needs a builder writing to memory');
    this.flush();
    const m = this.out;
    const c = <T extends Column>(name: string) => (this.size ? m.get(`${this.prefix}${name}`) : new Uint8Array(0)) as T;
    return {
      line: c('line'), offset: c('offset'), length: c('length'), type: c('type'),
      ts: c('ts'), cpu: c('cpu'), sub: c('sub'), aux: c('aux'),
    };
  }

  /** Counts per type, per CPU, time span and top subsystems so far. */
  summary(): TableCounts {
    this.flush();
    const cpus = this.cpuPairs();
    return tableCounts(this.typeNames, [...this.counts], cpus, this.tsFirst, this.tsLast, this.subNames, [...this.subCounts]);
  }

  /** [cpu, events] for each CPU with events. */
  private cpuPairs(): number[][] {
    const cpus: number[][] = [];
    for (let c = 0; c + 1 < this.cpuCounts.length; c++) if (this.cpuCounts[c + 1]) cpus.push([c, this.cpuCounts[c + 1]]);
    return cpus;
  }

  /** Writes what is left and closes this builder's files. */
  finish(): TablePiece {
    this.flush();
    const cpus = this.cpuPairs();
    const constant = new Map<string, number>();
    for (const [name, d] of this.constant) constant.set(`${this.prefix}${name}`, d);
    return {
      events: this.size,
      offsetBase: this.offsetBase,
      counts: [...this.counts],
      cpus,
      tsFirst: this.tsFirst,
      tsLast: this.tsLast,
      subNames: this.subNames,
      subCounts: [...this.subCounts.subarray(0, this.subNames.length)],
      columns: this.out.finish(constant),
      postings: this.posts.map((p, t) => (p ? p.slice(0, this.postCounts[t]) : null)),
    };
  }
}

/** The format-independent part of a table's summary. */
interface TableCounts {
  types: Record<string, number>;
  cpus: Record<string, number>;
  time: { first: number; last: number } | null;
  subsystems: Record<string, number>;
}

function tableCounts(typeNames: readonly string[], counts: number[], cpuPairs: number[][], first: number, last: number, subNames: string[], subCounts: number[]): TableCounts {
  const cpus: Record<string, number> = {};
  for (const [c, n] of [...cpuPairs].sort((a, b) => a[0] - b[0])) cpus[String(c)] = n;
  const types: Record<string, number> = {};
  typeNames.forEach((name, t) => {
    if (counts[t]) types[name] = counts[t];
  });
  const subsystems: Record<string, number> = {};
  [...subNames.keys()]
    .filter((k) => subNames[k] !== '' && subCounts[k] > 0)
    .sort((a, b) => subCounts[b] - subCounts[a])
    .slice(0, 20)
    .forEach((k) => (subsystems[subNames[k]] = subCounts[k]));
  return { types, cpus, time: first <= last ? { first, last } : null, subsystems };
}

/*
 * A block's loops, outside flush: flush runs once per block, so its own
 * loops would be optimized on stack (OSR) with no feedback yet for the code
 * after them, and leave optimized code at every block. For the same reason
 * the code after a loop here must have run before the loop is optimized:
 * V8 keeps a loop's OSR code and enters it at every call, so a tail it was
 * compiled without feedback for would deoptimize at every block. The first
 * block (FIRST_BLOCK) is small enough that each runs whole unoptimized first.
 */

/** addRows' copies of k rows from `from` into the block at i0: offsets (starts plus o), lengths, the rest. */
function copyOffsets(starts: Uint32Array, from: number, k: number, i0: number, o: number, out: Uint32Array | Float64Array): void {
  for (let j = 0; j < k; j++) out[i0 + j] = o + starts[from + j];
}

function copyLengths(rows: RowColumns, from: number, k: number, i0: number, length: Uint32Array): void {
  const { starts, ends } = rows;
  for (let j = 0; j < k; j++) length[i0 + j] = ends[from + j] - starts[from + j];
}

function copyRows(rows: RowColumns, from: number, k: number, i0: number, line0: number, line: Uint32Array, type: Uint8Array, ts: Float64Array, cpu: Int16Array, sub: Uint32Array, aux: Float64Array, counts: Float64Array): void {
  const rType = rows.type;
  const rTs = rows.ts;
  const rCpu = rows.cpu;
  const rSub = rows.sub;
  const rAux = rows.aux;
  for (let j = 0; j < k; j++) {
    const r = from + j;
    const i = i0 + j;
    line[i] = line0 + r;
    const t = rType[r];
    type[i] = t;
    counts[t]++;
    ts[i] = rTs[r];
    cpu[i] = rCpu[r];
    sub[i] = rSub[r];
    aux[i] = rAux[r];
  }
}

/** Counts of events per CPU (at CPU + 1: counted for every event, so code optimized on a block of none knows the count) and per subsystem id over [0, n), and the lowest and highest timestamp into span (Infinity, -Infinity when none). */
function tally(cpu: Int16Array, sub: Uint32Array, ts: Float64Array, n: number, cpuCounts: Float64Array, subCounts: Float64Array, span: Float64Array): void {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const c = cpu[i];
    cpuCounts[c + 1]++;
    subCounts[sub[i]]++;
    const t = ts[i];
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  span[0] = lo;
  span[1] = hi;
}

const SPAN = new Float64Array(2);

/**
 * Appends the indexes (from `base`) of a block's events to their type's list;
 * a list that must grow past 4096 while its type is over SPARSE_SHARE of the
 * events so far is dropped (null): dense types are found by scanning.
 */
function gather(type: Uint8Array, n: number, base: number, lists: (Uint32Array | null)[], counts: Uint32Array): void {
  for (let i = 0; i < n; i++) {
    const t = type[i];
    let list = lists[t];
    if (list === null) continue;
    const k = counts[t];
    if (k === list.length) {
      // Worked out at every growth (the first at 256): a first multiplication in optimized code would deoptimize it.
      const dense = k > (base + i) * SPARSE_SHARE;
      if (k >= 4096 && dense) {
        lists[t] = null;
        continue;
      }
      const grown = new Uint32Array(k * 2);
      grown.set(list);
      lists[t] = list = grown;
    }
    list[k] = base + i;
    counts[t] = k + 1;
  }
}

/** Bytes of one line a query decodes at most. */
const MAX_SHOWN = 4 << 20;

/** A type with at most this share of the events gets postings; denser types are found by scanning the type column. */
const SPARSE_SHARE = 1 / 16;

/** What joining the pieces of one table gives: its manifest entry and its columns. */
export interface FinishedTable {
  info: TableInfo;
  segmented: Record<string, ColumnInfo>;
  columns: Record<string, Column>;
}

/**
 * Joins the pieces built over consecutive parts of an input (in order; piece
 * k's lines count from 1 at its start, `lineBases[k]` lines into the input):
 * segments, summary counts, and postings for the sparse types.
 */
export function finishTable(
  pieces: TablePiece[],
  lineBases: number[],
  dir: string,
  prefix: string,
  meta: { label: string; typeNames: readonly string[]; tsUnit: string | null; format: string; warnings: Diagnostic[]; extra: Record<string, unknown> },
): FinishedTable {
  const subIds = new Map<string, number>();
  const subNames: string[] = [];
  const subCounts: number[] = [];
  const counts = new Array<number>(meta.typeNames.length).fill(0);
  const perCpu = new Map<number, number>();
  let first = Infinity;
  let last = -Infinity;
  let events = 0;
  const segmented: Record<string, ColumnInfo> = {};
  pieces.forEach((p, k) => {
    const map = p.subNames.map((name, id) => {
      let g = subIds.get(name);
      if (g === undefined) {
        g = subNames.length;
        subIds.set(name, g);
        subNames.push(name);
        subCounts.push(0);
      }
      subCounts[g] += p.subCounts[id];
      return g;
    });
    p.counts.forEach((c, t) => (counts[t] += c));
    for (const [c, n] of p.cpus) perCpu.set(c, (perCpu.get(c) ?? 0) + n);
    if (p.tsFirst < first) first = p.tsFirst;
    if (p.tsLast > last) last = p.tsLast;
    for (const [name, col] of Object.entries(p.columns)) {
      const seg = { ...col.segment };
      if (name === `${prefix}line` && lineBases[k]) seg.add = lineBases[k];
      let dtype = col.dtype;
      if (name === `${prefix}offset` && p.offsetBase !== null) {
        seg.dtype = col.dtype;
        dtype = 'f64';
        if (p.offsetBase) seg.add = p.offsetBase;
      }
      if (name === `${prefix}sub` && !map.every((g, id) => g === id)) seg.map = map;
      const info = (segmented[name] ??= { dtype, length: 0, segments: [] });
      info.length += seg.length;
      info.segments?.push(seg);
    }
    events += p.events;
  });
  // A column of nothing but its default in every piece is not stored at all.
  for (const [name, info] of Object.entries(segmented)) if (info.segments?.every((s) => s.file === null)) delete segmented[name];
  const dense: number[] = [];
  const isDense = new Uint8Array(counts.length);
  const start = new Uint32Array(counts.length + 1);
  for (let t = 0; t < counts.length; t++) {
    if (counts[t] > 4096 && counts[t] > events * SPARSE_SHARE) {
      isDense[t] = 1;
      dense.push(t);
    }
    start[t + 1] = start[t] + (isDense[t] ? 0 : counts[t]);
  }
  const post = new Uint32Array(start[counts.length]);
  const fill = start.slice(0, counts.length);
  let base = 0;
  for (const p of pieces) {
    // Each piece listed its sparse types' events as it went; a type it found too common is read from its type column.
    const listed = new Uint8Array(counts.length);
    let unlisted = false;
    for (let t = 0; t < counts.length; t++) {
      const list = p.postings?.[t];
      if (isDense[t] || !p.counts[t]) continue;
      if (!list) {
        unlisted = true;
        continue;
      }
      listed[t] = 1;
      for (let j = 0; j < list.length; j++) post[fill[t]++] = list[j] + base;
    }
    const seg = p.columns[`${prefix}type`]?.segment;
    if (unlisted && seg) {
      let index = base;
      forEachColumnChunk(dir, seg, (types) => {
        for (let i = 0; i < types.length; i++, index++) {
          const t = types[i];
          if (!isDense[t] && !listed[t]) post[fill[t]++] = index;
        }
      });
    }
    base += p.events;
  }
  const c = tableCounts(meta.typeNames, counts, [...perCpu], first, last, subNames, subCounts);
  const summary: Summary = { format: meta.format, source: meta.label, events, ...c, warnings: meta.warnings, ...meta.extra };
  const info: TableInfo = { id: prefix.replace(/\.$/, ''), label: meta.label, events, typeNames: [...meta.typeNames], subNames, tsUnit: meta.tsUnit, summary, dense };
  return { info, segmented, columns: { [`${prefix}postings`]: post, [`${prefix}postings.start`]: start } };
}

/**
 * Divides the ts of the first `count` events of `type` in a piece already
 * written to `dir` by `divisor`, and updates the piece's time span. For a
 * thread that started mid-log and stored those times in a provisional unit
 * (Breenix ticks before the part's own frequency line, when an earlier part
 * had one). Reads and rewrites the piece's ts column a block at a time.
 */
export function rescaleLeadingTs(dir: string, piece: TablePiece, prefix: string, type: number, count: number, divisor: number): TablePiece {
  const typeCol = piece.columns[`${prefix}type`];
  const tsCol = piece.columns[`${prefix}ts`];
  // A ts segment with no file holds only the default (NaN): nothing to rescale.
  if (count <= 0 || !typeCol || !tsCol || tsCol.dtype !== 'f64' || typeCol.segment.file === null || tsCol.segment.file === null) return piece;
  const n = tsCol.segment.length;
  const types = openSync(join(dir, typeCol.segment.file), 'r');
  const ts = openSync(join(dir, tsCol.segment.file), 'r+');
  const t = new Uint8Array(BLOCK);
  const v = new Float64Array(BLOCK);
  const vBytes = new Uint8Array(v.buffer);
  let left = count;
  let first = Infinity;
  let last = -Infinity;
  try {
    for (let at = 0; at < n; at += BLOCK) {
      const k = Math.min(BLOCK, n - at);
      readSync(ts, vBytes, 0, k * 8, at * 8);
      if (left > 0) {
        readSync(types, t, 0, k, at);
        for (let i = 0; i < k && left > 0; i++) {
          if (t[i] !== type) continue;
          v[i] /= divisor;
          left--;
        }
        writeSync(ts, vBytes, 0, k * 8, at * 8);
      }
      for (let i = 0; i < k; i++) {
        const x = v[i];
        if (x < first) first = x;
        if (x > last) last = x;
      }
    }
  } finally {
    closeSync(types);
    closeSync(ts);
  }
  return { ...piece, tsFirst: first, tsLast: last };
}

/** Reads a u8 segment of a column being built, a megabyte at a time. */
function forEachColumnChunk(dir: string, seg: SegmentInfo, visit: (chunk: Uint8Array) => void): void {
  if (seg.file === null) throw new Error('type column segments always have a file');
  const src = new FileSource(join(dir, seg.file));
  try {
    const CH = 1 << 20;
    for (let pos = 0; pos < seg.length; pos += CH) visit(src.read(pos, Math.min(CH, seg.length - pos)));
  } finally {
    src.close();
  }
}

function onlyValue(col: Column, v: number): boolean {
  if (v !== v) {
    for (let i = 0; i < col.length; i++) if (col[i] === col[i]) return false;
    return true;
  }
  for (let i = 0; i < col.length; i++) if (col[i] !== v) return false;
  return true;
}

/** What the manifest holds for one event table. */
export interface TableInfo {
  id: string;
  label: string;
  events: number;
  typeNames: string[];
  subNames: string[];
  tsUnit: string | null;
  summary: Summary;
  /** Types without postings (too frequent): filter finds them by scanning the type column. */
  dense?: number[];
}

/** A format's decoder for one stored event: its raw bytes back to fields and a display line. */
export interface RowDecoder {
  decode(raw: Buffer, type: number, row: { line: number; ts: number; cpu: number; sub: string; aux: number }): { fields: Record<string, FieldValue>; text: string };
}

/**
 * Queries over an event table: every query reads only the column elements
 * and raw bytes of the events it returns.
 */
/** Picked events closer than this many indexes are read together (one read per column). */
const PICK_SPAN = 4096;
/** …and their lines in one read of at most this many bytes. */
const PICK_BYTES = 1 << 20;

/** The line at `at` in `buf`, without its newline or CR; null when it runs past the buffer. */
function lineIn(buf: Buffer, at: number): Buffer | null {
  const end = buf.indexOf(10, at);
  if (end < 0) return null;
  return buf.subarray(at, end > at && buf[end - 1] === 13 ? end - 1 : end);
}

export class TableSource implements EventSource {
  readonly count: number;
  readonly typeNames: readonly string[];
  private readonly file: FileSource;
  private readonly p: string;

  constructor(
    private readonly bundle: Bundle,
    private readonly info: TableInfo,
    inputPath: string,
    private readonly decoder: RowDecoder,
  ) {
    this.count = info.events;
    this.typeNames = info.typeNames;
    this.file = new FileSource(inputPath);
    this.p = `${info.id}.`;
  }

  summary(): Summary {
    return this.info.summary;
  }

  private rows(from: number, n: number): EventRecord[] {
    return this.rowsIn(from, n, null);
  }

  /**
   * Events `picked` (ascending indexes), decoded from as few reads as their
   * spread allows: the columns over a run of close indexes in one read each,
   * and for one-line events the run's bytes in one file read.
   */
  private rowsAt(picked: readonly number[]): EventRecord[] {
    const out: EventRecord[] = [];
    for (let a = 0; a < picked.length; ) {
      let z = a + 1;
      while (z < picked.length && picked[z] - picked[a] < PICK_SPAN) z++;
      const from = picked[a];
      const keep = new Uint8Array(picked[z - 1] - from + 1);
      for (let k = a; k < z; k++) keep[picked[k] - from] = 1;
      out.push(...this.rowsIn(from, keep.length, keep));
      a = z;
    }
    return out;
  }

  /** Events [from, from+n), or only those with keep[k] set. */
  private rowsIn(from: number, n: number, keep: Uint8Array | null): EventRecord[] {
    const b = this.bundle;
    const p = this.p;
    const line = b.slice<Uint32Array>(`${p}line`, from, n);
    const off = b.slice<Float64Array>(`${p}offset`, from, n);
    const len = b.has(`${p}length`) ? b.slice<Uint32Array>(`${p}length`, from, n) : null;
    const type = b.slice<Uint8Array>(`${p}type`, from, n);
    const ts = b.has(`${p}ts`) ? b.slice<Float64Array>(`${p}ts`, from, n) : new Float64Array(n).fill(NaN);
    const cpu = b.has(`${p}cpu`) ? b.slice<Int16Array>(`${p}cpu`, from, n) : new Int16Array(n).fill(-1);
    const sub = b.has(`${p}sub`) ? b.slice<Uint32Array>(`${p}sub`, from, n) : new Uint32Array(n);
    const aux = b.has(`${p}aux`) ? b.slice<Float64Array>(`${p}aux`, from, n) : new Float64Array(n).fill(NaN);
    // Offsets are checked before any read: a damaged column must not send a read anywhere.
    for (let k = 0; k < line.length; k++) if (!(off[k] >= 0 && off[k] <= this.file.size)) throw this.damaged(`event ${from + k} has offset ${off[k]}, outside the input's ${this.file.size} bytes`);
    // One-line events of a short run: their bytes in one read, each line found in it.
    let span: Buffer | null = null;
    let spanStart = 0;
    if (!len && keep && line.length > 1) {
      spanStart = off[0];
      const bytes = off[line.length - 1] - spanStart + 4096;
      if (bytes <= PICK_BYTES) span = this.file.read(spanStart, bytes);
    }
    const out: EventRecord[] = [];
    for (let k = 0; k < line.length; k++) {
      if (keep && !keep[k]) continue;
      const raw = len ? this.file.read(off[k], len[k]) : span ? lineIn(span, off[k] - spanStart) : null;
      out.push(this.record(from + k, line[k], off[k], raw ?? this.lineAt(off[k]), type[k], ts[k], cpu[k], sub[k], aux[k]));
    }
    return out;
  }

  private record(index: number, line: number, off: number, raw: Buffer, type: number, ts: number, cpu: number, subId: number, aux: number): EventRecord {
    if (type >= this.info.typeNames.length) throw this.damaged(`event ${index} has type id ${type}, of ${this.info.typeNames.length} types`);
    const sub = this.info.subNames[subId] ?? '';
    const d = this.decoder.decode(raw, type, { line, ts, cpu, sub, aux });
    const e: EventRecord = { index, type: this.info.typeNames[type], fields: d.fields, text: d.text };
    if (line > 0) e.line = line;
    else e.offset = off;
    if (cpu >= 0) e.cpu = cpu;
    if (ts === ts) e.ts = ts;
    if (sub) e.fields.subsystem ??= sub;
    return e;
  }

  /** A bundle whose columns hold what no build writes (edited or damaged on disk, same size). */
  private damaged(what: string): UserError {
    return new UserError(`${this.bundle.dir}: bundle is damaged (${what}); rebuild it with kscope index --force`);
  }

  /** The line starting at `off`, without its newline (tables of one-line events store no lengths). */
  private lineAt(off: number): Buffer {
    for (let want = 4096; ; want *= 4) {
      const buf = this.file.read(off, want);
      let end = buf.indexOf(10);
      // Past MAX_SHOWN a line is shown cut: a multi-gigabyte line is junk, not a message.
      if (end < 0 && buf.length === want && want < MAX_SHOWN) continue;
      if (end < 0) end = buf.length;
      return buf.subarray(0, end > 0 && buf[end - 1] === 13 ? end - 1 : end);
    }
  }

  event(n: number): EventRecord {
    if (!Number.isInteger(n) || n < 0 || n >= this.count) {
      throw new UserError(`event ${n} is out of range: ${this.info.label} has ${this.count} events (0..${this.count - 1})`);
    }
    return this.rows(n, 1)[0];
  }

  events(from: number, count: number): EventRecord[] {
    const lo = Math.max(0, from);
    const hi = Math.min(this.count, from + count);
    return hi > lo ? this.rows(lo, hi - lo) : [];
  }

  resolveType(type: string): number {
    const t = this.info.typeNames.indexOf(type.toUpperCase());
    if (t < 0) throw new UserError(`unknown event type ${type}; this input has: ${this.info.typeNames.join(', ')}`);
    return t;
  }

  filter(type: string, from: number, limit: number, visit: (e: EventRecord) => boolean | void): void {
    const t = this.resolveType(type);
    let left = limit < 0 ? Infinity : limit;
    if (this.info.dense?.includes(t)) {
      // A dense type is found within a few events of any position.
      const BATCH = 1 << 14;
      for (let at = Math.max(0, from); at < this.count && left > 0; at += BATCH) {
        const types = this.bundle.slice<Uint8Array>(`${this.p}type`, at, BATCH);
        const hits: number[] = [];
        for (let k = 0; k < types.length && hits.length < left; k++) if (types[k] === t) hits.push(at + k);
        for (const e of this.rowsAt(hits)) {
          if (visit(e) === false) return;
          left--;
        }
      }
      return;
    }
    const start = this.bundle.slice<Uint32Array>(`${this.p}postings.start`, t, 2);
    let lo = start[0];
    let hi = start[1];
    // First posting >= from.
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.bundle.slice<Uint32Array>(`${this.p}postings`, mid, 1)[0] < from) lo = mid + 1;
      else hi = mid;
    }
    const end = start[1];
    for (let p = lo; p < end && left > 0; p += 1024) {
      const idx = this.bundle.slice<Uint32Array>(`${this.p}postings`, p, Math.min(1024, end - p, left));
      for (const e of this.rowsAt([...idx])) {
        if (visit(e) === false) return;
        if (--left <= 0) return;
      }
    }
  }

  lineTypes(): Uint8Array {
    const b = this.bundle;
    const p = this.p;
    const BATCH = 1 << 16;
    const lastLine = this.count ? b.slice<Uint32Array>(`${p}line`, this.count - 1, 1)[0] : 0;
    const out = new Uint8Array(lastLine + 1);
    for (let start = 0; start < this.count; start += BATCH) {
      const n = Math.min(BATCH, this.count - start);
      const line = b.slice<Uint32Array>(`${p}line`, start, n);
      const type = b.slice<Uint8Array>(`${p}type`, start, n);
      for (let k = 0; k < n; k++) out[line[k]] = type[k] + 1;
    }
    return out;
  }

  scan(visit: (c: EventCursor) => boolean | void, from = 0): void {
    const b = this.bundle;
    const p = this.p;
    const cur: EventCursor = {
      index: 0, type: 0, ts: NaN, cpu: -1, vmid: -1, line: 0, offset: -1, aux: NaN,
      record: () => this.rows(cur.index, 1)[0],
    };
    const BATCH = 1 << 16;
    for (let start = Math.max(0, from); start < this.count; start += BATCH) {
      const n = Math.min(BATCH, this.count - start);
      const line = b.slice<Uint32Array>(`${p}line`, start, n);
      const off = b.slice<Float64Array>(`${p}offset`, start, n);
      const type = b.slice<Uint8Array>(`${p}type`, start, n);
      const ts = b.has(`${p}ts`) ? b.slice<Float64Array>(`${p}ts`, start, n) : null;
      const cpu = b.has(`${p}cpu`) ? b.slice<Int16Array>(`${p}cpu`, start, n) : null;
      const aux = b.has(`${p}aux`) ? b.slice<Float64Array>(`${p}aux`, start, n) : null;
      for (let k = 0; k < n; k++) {
        cur.index = start + k;
        cur.type = type[k];
        cur.line = line[k];
        cur.offset = off[k];
        cur.ts = ts ? ts[k] : NaN;
        cur.cpu = cpu ? cpu[k] : -1;
        cur.aux = aux ? aux[k] : NaN;
        if (visit(cur) === false) return;
      }
    }
  }

  close(): void {
    this.file.close();
    this.bundle.close();
  }
}

/** What a format gives to become a reader over one event table (see `tableReader`). */
export interface TableReaderDef {
  id: string;
  title: string;
  detect(head: Buffer, name: string): number;
  /** Build options that change the table (default: none). */
  optionsKey?(options: ReaderOptions, path: string): Record<string, string | null>;
  typeNames: readonly string[];
  /**
   * One pass over the input: the finished table pieces (one per thread, in
   * input order, with the line each starts after), the format's own summary
   * fields and the time unit.
   */
  scan(path: string, ctx: BuildContext): { pieces: TablePiece[]; lineBases?: number[]; extra: Record<string, unknown>; tsUnit: string | null; better?: string };
  decoder: RowDecoder;
}

/**
 * A text reader whose input is one event table (console logs, QEMU -d logs,
 * ftrace text): the bundle holds table `t0`, queries go through TableSource.
 */
export function tableReader(def: TableReaderDef): FormatReader {
  return {
    id: def.id,
    title: def.title,
    kind: 'text',
    detect: (head, name) => def.detect(head, name),
    optionsKey: (options, path) => def.optionsKey?.(options, path) ?? {},
    build(path, _options, ctx) {
      const { pieces, lineBases, extra, tsUnit, better } = def.scan(path, ctx);
      const meta = { label: ctx.name, typeNames: def.typeNames, tsUnit, format: def.id, warnings: ctx.diagnostics.list(), extra };
      const t = finishTable(pieces, lineBases ?? [0], ctx.dir, 't0.', meta);
      return { data: { tables: [t.info] }, columns: t.columns, segmented: t.segmented, ...(better ? { better } : {}) };
    },
    streams(bundle) {
      return (bundle.manifest.data as { tables: TableInfo[] }).tables.map((t) => ({ id: t.id, label: t.label, events: t.events }));
    },
    open(bundle, path) {
      const info = (bundle.manifest.data as { tables: TableInfo[] }).tables[0];
      return new TableSource(bundle, info, path, def.decoder);
    },
  };
}
