import type { Bundle, Column } from './bundle.js';
import type { Diagnostic } from './diagnostics.js';
import type { EventRecord, FieldValue } from './event.js';
import type { EventCursor, EventSource, Summary } from './source.js';
import type { BuildContext, FormatReader, ReaderOptions } from './format.js';
import { FileSource } from '../util/file-source.js';
import { UserError } from '../util/errors.js';
import { F64List, I16List, U32List, U8List } from '../util/growable.js';

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

/** An event table built over part of an input (by a worker), to be concatenated in order. */
export interface TablePart {
  line: Uint32Array;
  offset: Float64Array;
  length: Uint32Array;
  type: Uint8Array;
  ts: Float64Array;
  cpu: Int16Array;
  sub: Uint32Array;
  aux: Float64Array;
  subNames: string[];
}

/** Value a column holds when an event has none; a column of nothing else is not stored. */
const DEFAULTS: Record<string, number> = { ts: NaN, cpu: -1, sub: 0, aux: NaN };

/**
 * Builds a columnar event table: per event the 1-based line (0 for binary),
 * byte offset and length of its raw bytes in the input, type, timestamp,
 * CPU, subsystem (interned) and one auxiliary number. Per-type postings are
 * derived at the end. Fields are not stored: queries re-decode the event's
 * bytes, which keeps the bundle small and the format the single source of truth.
 */
export class EventTableBuilder {
  readonly line = new U32List(1 << 16);
  readonly offset = new F64List(1 << 16);
  readonly length = new U32List(1 << 16);
  readonly type = new U8List(1 << 16);
  readonly ts = new F64List(1 << 16);
  readonly cpu = new I16List(1 << 16);
  readonly sub = new U32List(1 << 16);
  readonly aux = new F64List(1 << 16);
  private readonly subIds = new Map<string, number>([['', 0]]);
  readonly subNames: string[] = [''];
  private lastSub = '';
  private lastSubId = 0;
  readonly counts: Float64Array;

  constructor(readonly typeNames: readonly string[]) {
    if (typeNames.length > 255) throw new Error('at most 255 event types per table');
    this.counts = new Float64Array(typeNames.length);
  }

  get size(): number {
    return this.type.length;
  }

  add(line: number, offset: number, length: number, row: RowScratch): void {
    this.line.push(line);
    this.offset.push(offset);
    this.length.push(length);
    this.type.push(row.type);
    this.ts.push(row.ts);
    this.cpu.push(row.cpu);
    // Neighbouring lines usually share a subsystem: skip the map lookup then.
    let id = this.lastSubId;
    if (row.sub !== this.lastSub) {
      const known = this.subIds.get(row.sub);
      if (known === undefined) {
        id = this.subNames.length;
        this.subIds.set(row.sub, id);
        this.subNames.push(row.sub);
      } else id = known;
      this.lastSub = row.sub;
      this.lastSubId = id;
    }
    this.sub.push(id);
    this.aux.push(row.aux);
    this.counts[row.type]++;
  }

  /** Extends the last event to cover more bytes and lines (a continuation line). */
  extendLast(endOffset: number): void {
    if (this.size === 0) return;
    this.length.setLast(endOffset - this.offset.last());
  }

  /** This table's columns, for transfer from a worker. */
  toPart(): TablePart {
    return {
      line: this.line.toArray(),
      offset: this.offset.toArray(),
      length: this.length.toArray(),
      type: this.type.toArray(),
      ts: this.ts.toArray(),
      cpu: this.cpu.toArray(),
      sub: this.sub.toArray(),
      aux: this.aux.toArray(),
      subNames: this.subNames,
    };
  }

  /** Appends a part built over the next range of the input; its lines are renumbered after `lineBase`. */
  append(part: TablePart, lineBase: number): void {
    const remap = part.subNames.map((name) => {
      let id = this.subIds.get(name);
      if (id === undefined) {
        id = this.subNames.length;
        this.subIds.set(name, id);
        this.subNames.push(name);
      }
      return id;
    });
    this.line.pushAll(part.line, lineBase);
    this.offset.pushAll(part.offset);
    this.length.pushAll(part.length);
    this.type.pushAll(part.type);
    this.ts.pushAll(part.ts);
    this.cpu.pushAll(part.cpu);
    this.aux.pushAll(part.aux);
    const identity = remap.every((id, k) => id === k);
    if (identity) this.sub.pushAll(part.sub);
    else for (let i = 0; i < part.sub.length; i++) this.sub.push(remap[part.sub[i]]);
    for (let i = 0; i < part.type.length; i++) this.counts[part.type[i]]++;
  }

  /** Columns for the bundle under `prefix`, plus per-type postings. Columns holding only their default are left out. */
  columns(prefix: string): Record<string, Column> {
    const all: Record<string, Column> = {
      line: this.line.toArray(),
      offset: this.offset.toArray(),
      length: this.length.toArray(),
      type: this.type.toArray(),
      ts: this.ts.toArray(),
      cpu: this.cpu.toArray(),
      sub: this.sub.toArray(),
      aux: this.aux.toArray(),
    };
    const out: Record<string, Column> = {};
    for (const [name, col] of Object.entries(all)) {
      const d = DEFAULTS[name];
      if (d !== undefined && onlyValue(col, d)) continue;
      out[`${prefix}${name}`] = col;
    }
    // Postings by counting sort: one u32 per event in all.
    const types = this.type.toArray();
    const start = new Uint32Array(this.typeNames.length + 1);
    for (let t = 0; t < this.typeNames.length; t++) start[t + 1] = start[t] + this.counts[t];
    const post = new Uint32Array(types.length);
    const fill = start.slice(0, this.typeNames.length);
    for (let i = 0; i < types.length; i++) post[fill[types[i]]++] = i;
    out[`${prefix}postings`] = post;
    out[`${prefix}postings.start`] = start;
    return out;
  }

  /** Counts per type name, per CPU, time span and top subsystems: the format-independent part of a summary. */
  summary(): { types: Record<string, number>; cpus: Record<string, number>; time: { first: number; last: number } | null; subsystems: Record<string, number> } {
    const types: Record<string, number> = {};
    this.typeNames.forEach((n, t) => {
      if (this.counts[t]) types[n] = this.counts[t];
    });
    const cpus: Record<string, number> = {};
    const cpu = this.cpu.toArray();
    const perCpu = new Map<number, number>();
    for (let i = 0; i < cpu.length; i++) if (cpu[i] >= 0) perCpu.set(cpu[i], (perCpu.get(cpu[i]) ?? 0) + 1);
    for (const [c, n] of [...perCpu].sort((a, b) => a[0] - b[0])) cpus[String(c)] = n;
    let first = Infinity;
    let last = -Infinity;
    const ts = this.ts.toArray();
    for (let i = 0; i < ts.length; i++) {
      const t = ts[i];
      if (t === t) {
        if (t < first) first = t;
        if (t > last) last = t;
      }
    }
    const subCounts = new Uint32Array(this.subNames.length);
    const sub = this.sub.toArray();
    for (let i = 0; i < sub.length; i++) subCounts[sub[i]]++;
    const subsystems: Record<string, number> = {};
    [...subCounts.keys()]
      .filter((k) => k > 0 && subCounts[k] > 0)
      .sort((a, b) => subCounts[b] - subCounts[a])
      .slice(0, 20)
      .forEach((k) => (subsystems[this.subNames[k]] = subCounts[k]));
    return { types, cpus, time: first <= last ? { first, last } : null, subsystems };
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
}

/** A format's decoder for one stored event: its raw bytes back to fields and a display line. */
export interface RowDecoder {
  decode(raw: Buffer, type: number, row: { line: number; ts: number; cpu: number; sub: string; aux: number }): { fields: Record<string, FieldValue>; text: string };
}

/**
 * Queries over an event table: every query reads only the column elements
 * and raw bytes of the events it returns.
 */
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
    const b = this.bundle;
    const p = this.p;
    const line = b.slice<Uint32Array>(`${p}line`, from, n);
    const off = b.slice<Float64Array>(`${p}offset`, from, n);
    const len = b.slice<Uint32Array>(`${p}length`, from, n);
    const type = b.slice<Uint8Array>(`${p}type`, from, n);
    const ts = b.has(`${p}ts`) ? b.slice<Float64Array>(`${p}ts`, from, n) : new Float64Array(n).fill(NaN);
    const cpu = b.has(`${p}cpu`) ? b.slice<Int16Array>(`${p}cpu`, from, n) : new Int16Array(n).fill(-1);
    const sub = b.has(`${p}sub`) ? b.slice<Uint32Array>(`${p}sub`, from, n) : new Uint32Array(n);
    const aux = b.has(`${p}aux`) ? b.slice<Float64Array>(`${p}aux`, from, n) : new Float64Array(n).fill(NaN);
    const out: EventRecord[] = [];
    for (let k = 0; k < line.length; k++) out.push(this.record(from + k, line[k], off[k], len[k], type[k], ts[k], cpu[k], sub[k], aux[k]));
    return out;
  }

  private record(index: number, line: number, off: number, len: number, type: number, ts: number, cpu: number, subId: number, aux: number): EventRecord {
    const raw = this.file.read(off, len);
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
    const start = this.bundle.slice<Uint32Array>(`${this.p}postings.start`, t, 2);
    let lo = start[0];
    let hi = start[1];
    // First posting >= from.
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.bundle.slice<Uint32Array>(`${this.p}postings`, mid, 1)[0] < from) lo = mid + 1;
      else hi = mid;
    }
    let left = limit < 0 ? Infinity : limit;
    const end = start[1];
    for (let p = lo; p < end && left > 0; p += 1024) {
      const idx = this.bundle.slice<Uint32Array>(`${this.p}postings`, p, Math.min(1024, end - p, left));
      for (const i of idx) {
        if (visit(this.rows(i, 1)[0]) === false) return;
        if (--left <= 0) return;
      }
    }
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
        cur.offset = line[k] > 0 ? -1 : off[k];
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

export function tableSummary(
  b: EventTableBuilder,
  format: string,
  source: string,
  warnings: Diagnostic[],
  extra: Record<string, unknown> = {},
): Summary {
  const s = b.summary();
  return { format, source, events: b.size, types: s.types, cpus: s.cpus, time: s.time, subsystems: s.subsystems, warnings, ...extra };
}


/** What a format gives to become a reader over one event table (see `tableReader`). */
export interface TableReaderDef {
  id: string;
  title: string;
  detect(head: Buffer, name: string): number;
  /** Build options that change the table (default: none). */
  optionsKey?(options: ReaderOptions, path: string): Record<string, string | null>;
  typeNames: readonly string[];
  /** One pass over the input: the table, the format's own summary fields and the time unit. */
  scan(path: string, ctx: BuildContext): { table: EventTableBuilder; extra: Record<string, unknown>; tsUnit: string | null };
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
      const { table, extra, tsUnit } = def.scan(path, ctx);
      const info: TableInfo = {
        id: 't0',
        label: ctx.name,
        events: table.size,
        typeNames: [...def.typeNames],
        subNames: table.subNames,
        tsUnit,
        summary: tableSummary(table, def.id, ctx.name, ctx.diagnostics.list(), extra),
      };
      return { data: { tables: [info] }, columns: table.columns('t0.') };
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
