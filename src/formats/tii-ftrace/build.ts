import { openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import type { Column } from '../../model/bundle.js';
import type { Diagnostic, DiagnosticLog } from '../../model/diagnostics.js';
import type { BuildResult } from '../../model/format.js';
import { readElfSymbols, symbolize } from '../../util/elf-symbols.js';
import { hex } from './decode.js';
import { blocksToColumn, scanConsoleDumps, type DumpInfo } from './dump.js';
import type { TiiMeta } from './meta.js';
import { TiiScanner } from './scanner.js';
import { FIRST_MARKER, FUNC_ENTER, FUNC_EXIT, UNKNOWN_MARKER, VMID, type CompiledSpec } from './spec.js';

/** A type's postings are kept when it has at most this many events, or at most events/DENSE_RATIO. */
export const POSTINGS_ALWAYS = 65536;
export const DENSE_RATIO = 512;
/** Values listed per histogram field in a summary; the rest are summed as `other`. */
export const HISTOGRAM_TOP = 12;

const CHUNK_BYTES = 16 << 20;

export interface StreamOrigin {
  kind: 'bin' | 'dump';
  /** For dumps: its number in the log, version, lines and whether it ended properly. */
  dump?: number;
  version?: number;
  startLine?: number;
  endLine?: number;
  complete?: boolean;
}

/** What the manifest holds for each indexed word stream. */
export interface TiiStream {
  id: string;
  label: string;
  origin: StreamOrigin;
  words: number;
  events: number;
  checkpoints: number;
  /** Word ranges [from, to) pairs that walks jump over: an event cut by lost words, and the lost words. */
  skips?: number[];
  /** Types with a postings list in the bundle. */
  postings: string[];
  summary: TiiSummary;
}

export interface TiiSummary {
  format: string;
  source: string;
  events: number;
  words: number;
  types: Record<string, number>;
  vmids: Record<string, { switches: number; events: number }>;
  kernel: { entries: number; exits: number; difference: number };
  fields: Record<string, Record<string, unknown>>;
  never_fired: string[];
  unknown_markers: { word: string; count: number; first_offset: number }[];
  functions: { distinct: number; enters: number; exits: number; missing_from_dictionary: { id: number; first_offset: number; count: number }[]; missing_count: number };
  dictionary: { size: number; max_id: number | null; gaps: number; symbols: number | null };
  meta: Record<string, unknown> | null;
  /** Dumps only, when blocks did not decode: what is missing from this stream. */
  lost?: { blocks: number; words: number; list: { block: number; line: number; first_word: number; words: number }[] };
  notes: { code: string; message: string }[];
  warnings: Diagnostic[];
}

export interface TiiData {
  spec: CompiledSpec['source'];
  streams: TiiStream[];
  /** Dumps found in a console log, including unsupported or empty ones. */
  dumps?: { number: number; type: string; version: number; startLine: number; endLine: number; complete: boolean; words: number; stream: string | null }[];
}

/** Carries the words of an event cut by a block or chunk boundary over to the next piece. */
class Feeder {
  private buf = new Uint16Array(0);
  private carry = 0;
  base = 0;
  readonly skips: number[] = [];

  constructor(private readonly scanner: TiiScanner) {}

  /** Position just past the words fed so far. */
  get end(): number {
    return this.base + this.carry;
  }

  feed(words: Uint16Array): void {
    const need = this.carry + words.length;
    if (this.buf.length < need) {
      const next = new Uint16Array(Math.max(need, this.buf.length * 2));
      next.set(this.buf.subarray(0, this.carry));
      this.buf = next;
    }
    this.buf.set(words, this.carry);
    const stop = this.scanner.scan(this.buf, 0, need, this.base);
    this.carry = need - stop;
    this.buf.copyWithin(0, stop, need);
    this.base += stop;
  }

  /**
   * Lost words up to `at`: the event they cut is dropped (the caller reports
   * `leftover()` first), walks jump to `at`, and the VMID context is unknown
   * after them (a switch may have been lost).
   */
  skipTo(at: number): void {
    this.skips.push(this.base, at);
    this.scanner.vmid = -1;
    this.carry = 0;
    this.base = at;
  }

  /** Words left over at the end: an event cut off. */
  leftover(): Uint16Array {
    return this.buf.subarray(0, this.carry);
  }
}

function reportCutOff(spec: CompiledSpec, left: Uint16Array, at: number, file: string, diags: DiagnosticLog, what: string): void {
  if (left.length === 0) return;
  const w = left[0];
  const t = spec.typeOf[w];
  diags.add({
    code: 'MARKER_CUT_OFF',
    severity: 'warning',
    file,
    offset: at,
    unit: 'word',
    message: `${what}: ${spec.typeNames[t]} marker ${hex(w)} needs ${spec.lenOf[w]} words, only ${left.length} left at the end; dropped it`,
  });
}

export interface FunctionNaming {
  /** id → [address hex, symbol or null] */
  table: Record<string, [string, string | null]>;
  symbols: number | null;
}

export function nameFunctions(dictionary: Map<number, bigint>, elf: string | undefined): FunctionNaming {
  const syms = elf ? readElfSymbols(elf) : undefined;
  const table: Record<string, [string, string | null]> = {};
  let named = 0;
  for (const [id, addr] of dictionary) {
    const name = syms ? (symbolize(syms, addr) ?? null) : null;
    if (name) named++;
    table[id] = [`0x${addr.toString(16)}`, name];
  }
  return { table, symbols: syms ? named : null };
}

function dictionaryShape(dict: Map<number, bigint>, symbols: number | null): TiiSummary['dictionary'] {
  let max = -1;
  let min = Infinity;
  for (const id of dict.keys()) {
    if (id > max) max = id;
    if (id < min) min = id;
  }
  // Gaps between the first and last id: ids the kernel skipped (ids below the first are not gaps).
  return { size: dict.size, max_id: max < 0 ? null : max, gaps: max < 0 ? 0 : max - min + 1 - dict.size, symbols };
}

function summarize(
  spec: CompiledSpec,
  sc: TiiScanner,
  source: string,
  words: number,
  meta: TiiMeta,
  naming: FunctionNaming,
  warnings: Diagnostic[],
): TiiSummary {
  const types: Record<string, number> = {};
  spec.typeNames.forEach((n, t) => (types[n] = sc.counts[t]));
  const vmids: TiiSummary['vmids'] = {};
  const vmidPost = sc.postings[VMID];
  // Events per VM: from each switch to the next (the prefix before the first switch is "?").
  let prevIdx = 0;
  let prevVm = -1;
  const addVm = (vm: number, n: number, sw: number) => {
    const k = vm < 0 ? '?' : String(vm);
    const v = (vmids[k] ??= { switches: 0, events: 0 });
    v.events += n;
    v.switches += sw;
  };
  for (let k = 0; k < vmidPost.index.length; k++) {
    const idx = vmidPost.index.data[k];
    addVm(prevVm, idx - prevIdx, 0);
    prevVm = vmidPost.ctx.data[k];
    prevIdx = idx;
    addVm(prevVm, 0, 1);
  }
  addVm(prevVm, sc.events - prevIdx, 0);
  if (vmids['?'] && vmids['?'].events === 0) delete vmids['?'];

  const fields: TiiSummary['fields'] = {};
  spec.markers.forEach((m, mi) => {
    m.fields.forEach((f, fi) => {
      if (f.histogram) {
        // The most frequent values, so a field full of noise cannot bloat the summary.
        const all = [...sc.histograms[mi][fi]].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
        const h: Record<string, number> = {};
        for (const [v, n] of all.slice(0, HISTOGRAM_TOP)) h[f.enumNames?.get(v) ?? String(v)] = n;
        if (all.length > HISTOGRAM_TOP) h.other = all.slice(HISTOGRAM_TOP).reduce((a, [, n]) => a + n, 0);
        (fields[m.name] ??= {})[f.name] = h;
      }
      if (f.stats) {
        const s = sc.stats[mi][fi];
        (fields[m.name] ??= {})[f.name] = s.count
          ? { count: s.count, zero: s.zero, min: s.min, max: s.max, mean: s.sum / s.count }
          : { count: 0 };
      }
    });
  });

  // Per function id: enter + exit counts, and the first offset of either.
  const perId = new Map<number, { count: number; first: number }>();
  for (let w = 0; w < 65536; w++) {
    const n = sc.wordCounts[w];
    if (!n || spec.typeOf[w] > FUNC_EXIT) continue;
    const id = w >>> spec.fnShift;
    const e = perId.get(id);
    if (e) {
      e.count += n;
      e.first = Math.min(e.first, sc.wordFirst[w]);
    } else perId.set(id, { count: n, first: sc.wordFirst[w] });
  }
  const distinct = perId.size;
  const missing: TiiSummary['functions']['missing_from_dictionary'] = [];
  if (meta.dictionary.size > 0) {
    for (const [id, e] of perId) if (!meta.dictionary.has(id)) missing.push({ id, first_offset: e.first, count: e.count });
  }
  missing.sort((a, b) => a.first_offset - b.first_offset);

  const kentry = spec.typeNames.indexOf('KERNEL_ENTRY');
  const kexit = spec.typeNames.indexOf('KERNEL_EXIT');
  const entries = kentry >= 0 ? sc.counts[kentry] : 0;
  const exits = kexit >= 0 ? sc.counts[kexit] : 0;
  const notes: TiiSummary['notes'] = [];
  if (entries !== exits) {
    notes.push({
      code: exits > entries ? 'EXITS_EXCEED_ENTRIES' : 'ENTRIES_EXCEED_EXITS',
      message: exits > entries
        ? `${exits} KERNEL_EXIT vs ${entries} KERNEL_ENTRY: ${exits - entries} more exits than entries — some entry paths (e.g. the fastpath) are not hooked`
        : `${entries} KERNEL_ENTRY vs ${exits} KERNEL_EXIT: ${entries - exits} entries without an exit — some exit paths are not hooked, or the trace stopped inside the kernel`,
    });
  }
  const dur = (fields.KERNEL_EXIT?.duration ?? null) as { count: number; zero?: number } | null;
  if (dur && dur.count > 0 && dur.zero === dur.count) {
    notes.push({ code: 'ALL_DURATIONS_ZERO', message: `all ${dur.count} KERNEL_EXIT durations are 0 — timing is not configured (entry/exit timestamps are not captured)` });
  }
  const neverFired = spec.markers.map((m, i) => (sc.counts[FIRST_MARKER + i] === 0 ? m.name : null)).filter((x): x is string => x !== null);
  if (sc.events > 0 && neverFired.includes('INTERRUPT')) {
    notes.push({ code: 'NEVER_FIRED_INTERRUPT', message: 'no INTERRUPT events — the interrupt path is not hooked' });
  }
  if (sc.events > 0 && neverFired.length) {
    notes.push({ code: 'NEVER_FIRED', message: `event types that never fired: ${neverFired.join(', ')}` });
  }
  const unknown = [...sc.unknown.values()].sort((a, b) => a.firstOffset - b.firstOffset);
  if (unknown.length) {
    notes.push({ code: 'UNKNOWN_MARKERS', message: `${sc.counts[UNKNOWN_MARKER]} unknown marker word(s) of ${unknown.length} kind(s), first ${hex(unknown[0].word)} at word ${unknown[0].firstOffset}` });
  }
  if (missing.length) {
    notes.push({ code: 'FUNCTIONS_NOT_IN_DICTIONARY', message: `${missing.length} function id(s) are not in the dictionary, first id ${missing[0].id} at word ${missing[0].first_offset}` });
  }
  let metaOut: Record<string, unknown> | null = null;
  if (meta.entryCount !== undefined || meta.rawSize !== undefined || Object.keys(meta.header).length) {
    const claimed = meta.entryCount ?? (meta.rawSize !== undefined ? meta.rawSize / 2 : undefined)
      ?? (typeof meta.header.RAW_SIZE === 'number' ? meta.header.RAW_SIZE / 2 : undefined);
    metaOut = { header: meta.header, entry_count: claimed ?? null, words_found: words, agrees: claimed === undefined ? null : claimed === words, ...meta.extra };
    if (claimed !== undefined && claimed !== words) {
      notes.push({ code: 'META_DISAGREES', message: `the meta data says ${claimed} words (entry_count), the stream holds ${words}` });
    }
  }
  return {
    format: 'tii-ftrace',
    source,
    events: sc.events,
    words,
    types,
    vmids,
    kernel: { entries, exits, difference: exits - entries },
    fields,
    never_fired: neverFired,
    unknown_markers: unknown.slice(0, 50).map((u) => ({ word: hex(u.word), count: u.count, first_offset: u.firstOffset })),
    functions: {
      distinct,
      enters: sc.counts[FUNC_ENTER],
      exits: sc.counts[FUNC_EXIT],
      missing_from_dictionary: missing.slice(0, 50),
      missing_count: missing.length,
    },
    dictionary: dictionaryShape(meta.dictionary, naming.symbols),
    meta: metaOut,
    notes,
    warnings,
  };
}

/** Columns for one stream, prefixed `s<k>.`; dense types keep no postings (a scan from a checkpoint is as fast). */
function streamColumns(prefix: string, spec: CompiledSpec, sc: TiiScanner, columns: Record<string, Column>): string[] {
  columns[`${prefix}cp.offset`] = sc.cpOffset.toArray();
  columns[`${prefix}cp.ctx`] = sc.cpCtx.toArray();
  const kept: string[] = [];
  const limit = Math.max(POSTINGS_ALWAYS, sc.events / DENSE_RATIO);
  spec.typeNames.forEach((name, t) => {
    if (t === FUNC_ENTER || t === FUNC_EXIT) return;
    const p = sc.postings[t];
    if (p.index.length === 0 || p.index.length > limit) return;
    columns[`${prefix}p.${name}.index`] = p.index.toArray();
    columns[`${prefix}p.${name}.offset`] = p.offset.toArray();
    columns[`${prefix}p.${name}.ctx`] = p.ctx.toArray();
    kept.push(name);
  });
  return kept;
}

/** Indexes a raw `ftrace.bin`: one streaming pass in 16 MiB chunks. */
export function buildFromBin(
  path: string,
  name: string,
  spec: CompiledSpec,
  meta: TiiMeta,
  naming: FunctionNaming,
  diags: DiagnosticLog,
  progress?: (done: number, total: number) => void,
): BuildResult {
  const fd = openSync(path, 'r');
  const size = fstatSync(fd).size;
  const sc = new TiiScanner(spec);
  const buf = new Uint16Array((CHUNK_BYTES >> 1) + spec.maxLen);
  const bytes = new Uint8Array(buf.buffer);
  let carry = 0;
  let base = 0;
  let pos = 0;
  let crc = 0;
  const total = size - (size & 1);
  try {
    while (pos < total) {
      const want = Math.min(CHUNK_BYTES, total - pos);
      let got = 0;
      while (got < want) {
        const n = readSync(fd, bytes, carry * 2 + got, want - got, pos + got);
        if (n === 0) break;
        got += n;
      }
      if (got === 0) break;
      crc = crc32(bytes.subarray(carry * 2, carry * 2 + got), crc);
      pos += got;
      const avail = carry + (got >> 1);
      const stop = sc.scan(buf, 0, avail, base);
      carry = avail - stop;
      buf.copyWithin(0, stop, avail);
      base += stop;
      progress?.(pos, size);
    }
    if (size & 1) {
      const last = Buffer.alloc(1);
      readSync(fd, last, 0, 1, size - 1);
      crc = crc32(last, crc);
      diags.add({ code: 'ODD_LENGTH', severity: 'warning', file: name, offset: size - 1, unit: 'byte', message: `file has an odd length (${size} bytes); the last byte is not part of a 16-bit word and was ignored` });
    }
  } finally {
    closeSync(fd);
  }
  sc.finish();
  reportCutOff(spec, buf.subarray(0, carry), base, name, diags, 'end of file');
  const words = size >> 1;
  if (sc.events === 0) {
    diags.add({ code: 'NO_EVENTS', severity: 'error', file: name, offset: 0, unit: 'word', message: 'no complete event found' });
  }
  const columns: Record<string, Column> = {};
  const postings = streamColumns('s0.', spec, sc, columns);
  const warnings = diags.list();
  const stream: TiiStream = {
    id: 's0',
    label: name,
    origin: { kind: 'bin' },
    words,
    events: sc.events,
    checkpoints: sc.cpOffset.length,
    postings,
    summary: summarize(spec, sc, name, words, meta, naming, warnings),
  };
  const data: TiiData = { spec: spec.source, streams: [stream] };
  return { data, columns, files: { 'functions.json': JSON.stringify(naming.table) }, crc32: crc };
}

/** Indexes every BINARY TRANSFER dump of a console log; each becomes a stream `s<k>`. */
export function buildFromConsole(
  path: string,
  name: string,
  spec: CompiledSpec,
  elf: string | undefined,
  diags: DiagnosticLog,
): BuildResult {
  let scanner: TiiScanner | null = null;
  let feeder: Feeder | null = null;
  let current: DumpInfo | null = null;
  const finished: { dump: DumpInfo; sc: TiiScanner; feeder: Feeder }[] = [];
  const close = () => {
    if (current && scanner && feeder) {
      skipLost(current, feeder, current.words);
      (scanner as TiiScanner).finish();
      finished.push({ dump: current, sc: scanner, feeder });
    }
    current = null;
  };
  /** Lost words before `at` (or the dump's end): drop the event they cut, and resume at `at`. */
  const skipLost = (dump: DumpInfo, f: Feeder, at: number) => {
    if (at <= f.end) return;
    const lost = dump.lost.find((b) => b.wordStart >= f.end) as DumpInfo['lost'][number];
    reportCutOff(spec, f.leftover(), f.base, name, diags, `dump ${dump.number}: before the words lost with block ${lost.seq} (line ${lost.line})`);
    f.skipTo(at);
  };
  const { dumps } = scanConsoleDumps(path, name, diags, (dump, words, at) => {
    if (dump !== current) {
      close();
      current = dump;
      scanner = new TiiScanner(spec);
      feeder = new Feeder(scanner);
    }
    skipLost(dump, feeder as Feeder, at);
    (feeder as Feeder).feed(words);
  });
  close();
  if (dumps.length === 0) {
    diags.add({ code: 'NO_DUMP', severity: 'error', file: name, line: 1, message: `no "=== BINARY TRANSFER START ===" dump found in this console log` });
  }
  const columns: Record<string, Column> = {};
  const files: Record<string, string> = {};
  const streams: TiiStream[] = [];
  const dumpRows: NonNullable<TiiData['dumps']> = [];
  for (const d of dumps) {
    const f = finished.find((x) => x.dump === d);
    let id: string | null = null;
    if (f) {
      id = `s${streams.length}`;
      reportCutOff(spec, f.feeder.leftover(), f.feeder.base, name, diags, `dump ${d.number} (line ${d.startLine})`);
      const naming = nameFunctions(d.meta.dictionary, elf);
      files[`${id}.functions.json`] = JSON.stringify(naming.table);
      const prefix = `${id}.`;
      const postings = streamColumns(prefix, spec, f.sc, columns);
      columns[`${prefix}blocks`] = blocksToColumn(d.blocks);
      const all = diags.list();
      const warnings = all.filter((w) => w.line === undefined || (w.line >= d.startLine && w.line <= d.endLine));
      const lostWords = d.lost.reduce((n, b) => n + b.words, 0);
      if (d.checksum !== undefined && parseInt(d.checksum, 16) !== d.crc32 && d.complete && d.lost.length === 0) {
        warnings.push({ code: 'CHECKSUM_MISMATCH', severity: 'info', file: name, line: d.endLine, message: `dump ${d.number}: CHECKSUM ${d.checksum} is not the crc32 of the data (${d.crc32.toString(16)}); the kernel's algorithm is unpublished, so this is only a hint` });
      }
      const summary = summarize(spec, f.sc, `${name} dump ${d.number} (lines ${d.startLine}-${d.endLine})`, d.words - lostWords, d.meta, naming, warnings);
      if (d.lost.length) {
        summary.lost = { blocks: d.lost.length, words: lostWords, list: d.lost.map((b) => ({ block: b.seq, line: b.line, first_word: b.wordStart, words: b.words })) };
        summary.notes.push({
          code: 'BLOCKS_LOST',
          message: `${d.lost.length} of ${d.blocks.length + d.lost.length} data blocks did not decode (first: block ${d.lost[0].seq}, line ${d.lost[0].line}): ${lostWords} of ${d.words} words and their events are missing; offsets keep the dump's word positions, and up to ${spec.maxLen - 1} words after a gap may be the rest of an event begun in it, read as events of their own`,
        });
      }
      streams.push({
        id,
        label: `dump ${d.number} (lines ${d.startLine}-${d.endLine})`,
        origin: { kind: 'dump', dump: d.number, version: d.version, startLine: d.startLine, endLine: d.endLine, complete: d.complete },
        words: d.words,
        events: f.sc.events,
        checkpoints: f.sc.cpOffset.length,
        ...(f.feeder.skips.length ? { skips: f.feeder.skips } : {}),
        postings,
        summary,
      });
    }
    dumpRows.push({ number: d.number, type: d.type, version: d.version, startLine: d.startLine, endLine: d.endLine, complete: d.complete, words: d.words, stream: id });
  }
  if (dumps.length > 0 && streams.length === 0) {
    diags.add({ code: 'NO_EVENTS', severity: 'error', file: name, line: dumps[0].startLine, message: 'no dump in this log holds decodable FTRACE_STREAM data' });
  }
  return { data: { spec: spec.source, streams, dumps: dumpRows } satisfies TiiData, columns, files };
}

