import type { DiagnosticLog } from '../../model/diagnostics.js';
import type { FieldValue } from '../../model/event.js';
import { EventTableBuilder, finishTable, newScratch, type RowDecoder, type TableInfo } from '../../model/event-table.js';
import { ColumnWriter, type Column, type ColumnInfo } from '../../model/bundle.js';
import { breenixCategory, breenixEventName, breenixEventType, breenixPackedNames, breenixTypeHex, BREENIX_UNKNOWN_NAME, breenixNumber, breenixPerCpuValues } from '../../model/breenix-names.js';
import { FormatError } from '../../util/errors.js';
import { FileSource } from '../../util/file-source.js';
import { forEachLine } from '../../util/lines.js';
import { TYPE_NAMES, T_COUNTER, T_DIAG, T_ENABLE, T_EVENT, T_EVENT_TYPE, T_META, T_PROVIDER, T_TEARDOWN, T_UNPARSED } from './types.js';

/*
 * The kernel's `/proc/trace/*` files (breenix.md §1.8, `fs/procfs/trace.rs`):
 * `buffer`, `counters`, `providers`, `events`, `enable` and `teardown/<pid>`.
 * Plain LF text, one file kind per input, told apart by its first line.
 */

export type ProcKind = 'proc-buffer' | 'proc-counters' | 'proc-providers' | 'proc-events' | 'proc-enable' | 'proc-teardown';

const BUF_HEADER = /^# Trace buffer dump \(tracing (enabled|disabled)\)$/;
const BUF_FORMAT = '# Format: cpu index timestamp type name payload';
const BUF_CPU = /^# CPU (\d+) \((\d+) events\)$/;
const BUF_NONE = '# (no trace events recorded)';
const CNT_HEADER = /^# (\d+) registered counters$/;
const CNT_NONE = '# (no counters registered)';
const COUNTER = /^([A-Za-z0-9_]+): (\d+)(?: \((cpu\d+=\d+(?:, cpu\d+=\d+)*)\))?$/;
const DIAG = /^([A-Za-z0-9_.]+): (.*)$/;
const PROV_HEADER = /^# (\d+) registered providers$/;
const PROV_NONE = '# (no providers registered)';
const PROVIDER = /^(\S+): id=0x([0-9a-f]+) enabled=0x([0-9a-f]+)$/;
const EVENT_TYPE = /^0x([0-9a-f]{4}) ([A-Z0-9_]+) - (.*)$/;
const TEARDOWN = /^([a-z_][a-z0-9_]*): (.*)$/;
const TEARDOWN_KEYS = ['defer', 'reclaim', 'quarantine', 'sgi_sent', 'kick_observed'];

/** The kind of `/proc/trace` file a head of text is, with a confidence; null when it is none. */
export function procKind(head: string, name: string): { kind: ProcKind; score: number } | null {
  const lines = head.split('\n');
  // The last piece may be cut by the 4 KiB head.
  if (lines.length > 1) lines.pop();
  const first = lines[0] ?? '';
  if (BUF_HEADER.test(first) || lines.includes(BUF_FORMAT)) return { kind: 'proc-buffer', score: 0.95 };
  if (CNT_HEADER.test(first)) return { kind: 'proc-counters', score: 0.95 };
  if (PROV_HEADER.test(first)) return { kind: 'proc-providers', score: 0.95 };
  const nonBlank = lines.filter((l) => l !== '');
  if (nonBlank.length && EVENT_TYPE.test(first) && nonBlank.every((l) => EVENT_TYPE.test(l))) return { kind: 'proc-events', score: 0.9 };
  // `0\n` or `1\n` is anybody's: only a file named like the procfs entry.
  if ((head === '0\n' || head === '1\n') && /(^|[/\\_.-])enable$/.test(name)) return { kind: 'proc-enable', score: 0.9 };
  if (nonBlank.length && nonBlank.every((l) => TEARDOWN.test(l))) {
    const keys = new Set(nonBlank.map((l) => l.slice(0, l.indexOf(':'))));
    if (keys.has('pid') && TEARDOWN_KEYS.some((k) => keys.has(k))) return { kind: 'proc-teardown', score: 0.85 };
    if (keys.size === 1 && keys.has('unavailable') && /teardown/i.test(name)) return { kind: 'proc-teardown', score: 0.9 };
  }
  return null;
}

/** Positions of one `/proc/trace/buffer` row; reused. */
interface RowScan {
  cpu: number;
  slot: number;
  ticks: number;
  id: number;
  nameStart: number;
  nameEnd: number;
  payload: number;
}

function digits(line: string, p: number, max: number, out: { v: number; p: number }): boolean {
  let v = 0;
  const s = p;
  while (p < line.length) {
    const c = line.charCodeAt(p);
    if (c < 48 || c > 57) break;
    v = v * 10 + c - 48;
    p++;
  }
  if (p === s || p - s > max) return false;
  out.v = v;
  out.p = p;
  return true;
}

/** `<cpu> <idx> <ts> 0x%04x <NAME> <payload>`, scanned by hand so rows allocate nothing. */
function scanRow(line: string, s: RowScan, num: { v: number; p: number }): boolean {
  if (!digits(line, 0, 3, num) || num.v > 255 || line.charCodeAt(num.p) !== 32) return false;
  s.cpu = num.v;
  if (!digits(line, num.p + 1, 4, num) || num.v > 1023 || line.charCodeAt(num.p) !== 32) return false;
  s.slot = num.v;
  if (!digits(line, num.p + 1, 20, num) || !line.startsWith(' 0x', num.p)) return false;
  s.ticks = num.v;
  let p = num.p + 3;
  let id = 0;
  for (let k = 0; k < 4; k++, p++) {
    const c = line.charCodeAt(p);
    const h = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (h < 0) return false;
    id = id * 16 + h;
  }
  s.id = id;
  if (line.charCodeAt(p++) !== 32) return false;
  s.nameStart = p;
  while (p < line.length) {
    const c = line.charCodeAt(p);
    if (!((c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95)) break;
    p++;
  }
  s.nameEnd = p;
  if (p === s.nameStart || line.charCodeAt(p) !== 32) return false;
  if (!digits(line, p + 1, 10, num) || num.p !== line.length || num.v > 0xffffffff) return false;
  s.payload = num.v;
  return true;
}

interface BufferBlock {
  cpu: number;
  header_events: number;
  parsed: number;
  /** Line of the `# CPU n (k events)` header, or of the first row when there was none. */
  line: number;
}

export interface ProcData {
  kind: ProcKind;
  table: TableInfo;
}

/** Builds the event table of one `/proc/trace` file of a known kind. */
export function buildProc(path: string, name: string, kind: ProcKind, dir: string, diags: DiagnosticLog): { data: ProcData; columns: Record<string, Column>; segmented: Record<string, ColumnInfo> } {
  const b = new EventTableBuilder(TYPE_NAMES, new ColumnWriter(dir, 0));
  const row = newScratch();
  const scan: RowScan = { cpu: 0, slot: 0, ticks: 0, id: 0, nameStart: 0, nameEnd: 0, payload: 0 };
  const num = { v: 0, p: 0 };
  const blocks: BufferBlock[] = [];
  const perId = new Map<number, number>();
  const counters: Record<string, { total: number | string; per_cpu: Record<string, number | string> }> = {};
  const diagValues: Record<string, string> = {};
  const providers: Record<string, { id: number; enabled: string }> = {};
  const eventTable: Record<string, { name: string; description: string }> = {};
  const teardown: Record<string, number | string> = {};
  let registered: number | null = null;
  let enabled: boolean | null = null;
  let counterLines = 0;
  let unparsed = 0;
  // procfs text always ends with a newline: a last line without one was cut, and a cut row can still parse (fewer payload digits).
  const src = new FileSource(path);
  const size = src.size;
  const cut = size > 0 && src.read(size - 1, 1)[0] !== 10;
  src.close();
  forEachLine(path, (buf, s, e, lineNo, off, piece) => {
    if (s === e || piece > 1) return;
    const line = buf.toString('latin1', s, e);
    if (cut && off + (e - s) >= size) {
      unparsed++;
      diags.add({ code: 'TRUNCATED', severity: 'warning', file: name, line: lineNo, offset: off, unit: 'byte', message: 'the file ends inside this line (no final newline): it is cut short, so the line is not read' });
      row.type = T_UNPARSED;
      row.ts = NaN;
      row.cpu = -1;
      row.sub = '';
      row.aux = NaN;
      b.add(lineNo, off, e - s, row);
      return;
    }
    row.ts = NaN;
    row.cpu = -1;
    row.sub = '';
    row.aux = NaN;
    let t = T_UNPARSED;
    switch (kind) {
      case 'proc-buffer': {
        if (scanRow(line, scan, num)) {
          t = T_EVENT;
          row.cpu = scan.cpu;
          row.ts = scan.ticks;
          row.aux = scan.id;
          row.sub = breenixCategory(scan.id) ?? '';
          perId.set(scan.id, (perId.get(scan.id) ?? 0) + 1);
          const blk = blocks[blocks.length - 1];
          if (blk && blk.cpu === scan.cpu) blk.parsed++;
          else blocks.push({ cpu: scan.cpu, header_events: -1, parsed: 1, line: lineNo });
          break;
        }
        const h = BUF_HEADER.exec(line);
        const c = h ? null : BUF_CPU.exec(line);
        if (h) enabled = h[1] === 'enabled';
        if (c) blocks.push({ cpu: Number(c[1]), header_events: Number(c[2]), parsed: 0, line: lineNo });
        if (h || c || line === BUF_FORMAT || line === BUF_NONE) t = T_META;
        break;
      }
      case 'proc-counters': {
        const h = CNT_HEADER.exec(line);
        if (h || line === CNT_NONE) {
          if (h) registered = Number(h[1]);
          t = T_META;
          break;
        }
        const m = registered === null || counterLines < registered ? COUNTER.exec(line) : null;
        if (m) {
          counterLines++;
          counters[m[1]] = { total: breenixNumber(m[2]), per_cpu: breenixPerCpuValues(m[3]) };
          row.aux = Number(m[2]);
          t = T_COUNTER;
          break;
        }
        // aarch64 appends diagnostic `KEY: value` lines after the registered counters.
        const d = DIAG.exec(line);
        if (d) {
          diagValues[d[1]] = d[2];
          const v = Number(d[2]);
          if (Number.isFinite(v)) row.aux = v;
          row.sub = d[1].split('_')[0];
          t = T_DIAG;
        }
        break;
      }
      case 'proc-providers': {
        const h = PROV_HEADER.exec(line);
        if (h || line === PROV_NONE) {
          if (h) registered = Number(h[1]);
          t = T_META;
          break;
        }
        const m = PROVIDER.exec(line);
        if (m) {
          providers[m[1]] = { id: parseInt(m[2], 16), enabled: `0x${m[3]}` };
          row.aux = parseInt(m[2], 16);
          row.sub = m[1];
          t = T_PROVIDER;
        }
        break;
      }
      case 'proc-events': {
        const m = EVENT_TYPE.exec(line);
        if (m) {
          eventTable[`0x${m[1]}`] = { name: m[2], description: m[3] };
          row.aux = parseInt(m[1], 16);
          t = T_EVENT_TYPE;
        }
        break;
      }
      case 'proc-enable':
        if (line === '0' || line === '1') {
          enabled = line === '1';
          row.aux = Number(line);
          t = T_ENABLE;
        }
        break;
      case 'proc-teardown': {
        const m = TEARDOWN.exec(line);
        if (m) {
          teardown[m[1]] = breenixNumber(m[2]);
          const v = Number(m[2]);
          if (Number.isFinite(v)) row.aux = v;
          row.sub = m[1];
          t = T_TEARDOWN;
        }
        break;
      }
    }
    if (t === T_UNPARSED) {
      unparsed++;
      diags.add({ code: 'UNPARSED_LINE', severity: 'warning', file: name, line: lineNo, message: `not a ${kind.slice(5)} line of /proc/trace; kept as an UNPARSED event` });
    }
    row.type = t;
    b.add(lineNo, off, e - s, row);
  });
  if (b.size === 0) throw new FormatError({ file: name, line: 1 }, `expected /proc/trace/${kind.slice(5)} text; the file holds no lines`);
  const notes: { code: string; message: string }[] = [];
  const extra: Record<string, unknown> = { input_kind: kind };
  if (kind === 'proc-buffer') {
    extra.ts_unit = 'ticks';
    extra.tracing_enabled = enabled;
    const perCpu: Record<string, { events: number; header_events: number | null }> = {};
    for (const blk of blocks) {
      const k = String(blk.cpu);
      const was = perCpu[k] ?? { events: 0, header_events: null };
      perCpu[k] = { events: was.events + blk.parsed, header_events: blk.header_events >= 0 ? (was.header_events ?? 0) + blk.header_events : was.header_events };
      if (blk.header_events >= 0 && blk.parsed !== blk.header_events) {
        diags.add({ code: 'CPU_COUNT_DISAGREES', severity: 'warning', file: name, line: blk.line, message: `CPU ${blk.cpu}: header says ${blk.header_events} events, ${blk.parsed} rows follow it` });
      }
      if (blk.header_events < 0) diags.add({ code: 'ROWS_WITHOUT_HEADER', severity: 'warning', file: name, line: blk.line, message: `CPU ${blk.cpu}: ${blk.parsed} rows without a "# CPU ${blk.cpu} (N events)" header before them` });
    }
    extra.per_cpu = perCpu;
    const types: Record<string, number> = {};
    const ids: Record<string, number> = {};
    for (const [id, n] of [...perId].sort((x, y) => y[1] - x[1])) {
      types[breenixEventName(id)] = (types[breenixEventName(id)] ?? 0) + n;
      ids[breenixTypeHex(id)] = n;
    }
    extra.event_types = types;
    extra.event_ids = ids;
    notes.push({ code: 'TRACE_TS_TICKS', message: '/proc/trace/buffer carries no counter frequency: ts is in raw ticks' });
  }
  if (kind === 'proc-counters') {
    Object.assign(extra, { registered_counters: registered, counter_lines: counterLines, counters, diag_values: diagValues });
    if (registered !== null && counterLines !== registered) {
      diags.add({ code: 'COUNTERS_DISAGREE', severity: 'warning', file: name, line: 1, message: `header says ${registered} registered counters, ${counterLines} counter lines follow` });
    }
  }
  if (kind === 'proc-providers') {
    Object.assign(extra, { registered_providers: registered, providers });
    if (registered !== null && Object.keys(providers).length !== registered) {
      diags.add({ code: 'PROVIDERS_DISAGREE', severity: 'warning', file: name, line: 1, message: `header says ${registered} registered providers, ${Object.keys(providers).length} provider lines follow` });
    }
  }
  if (kind === 'proc-events') {
    extra.event_table = eventTable;
    // The kernel's table against the superset: ids it names differently are worth knowing.
    const differ = Object.entries(eventTable).filter(([hex, v]) => {
      const k = breenixEventType(parseInt(hex, 16));
      return k && k.name !== v.name && v.name !== BREENIX_UNKNOWN_NAME;
    });
    if (differ.length) notes.push({ code: 'EVENT_NAMES_DIFFER', message: `${differ.length} ids are named differently from kscope's table: ${differ.slice(0, 6).map(([h, v]) => `${h} ${v.name} (kscope: ${breenixEventType(parseInt(h, 16))?.name})`).join(', ')}` });
  }
  if (kind === 'proc-enable') extra.tracing_enabled = enabled;
  if (kind === 'proc-teardown') {
    extra.teardown = teardown;
    extra.unavailable = teardown.unavailable === 1;
  }
  if (unparsed) extra.unparsed_lines = unparsed;
  if (notes.length) extra.notes = notes;
  const tsUnit = kind === 'proc-buffer' ? 'ticks' : null;
  const t = finishTable([b.finish()], [0], dir, 't0.', { label: name, typeNames: TYPE_NAMES, tsUnit, format: 'breenix-trace', warnings: diags.list(), extra });
  return { data: { kind, table: t.info }, columns: t.columns, segmented: t.segmented };
}

/** Fields of one line of a `/proc/trace` file (queries only). */
export function procFields(kind: ProcKind, line: string, type: number): Record<string, FieldValue> {
  if (type === T_EVENT) {
    const s: RowScan = { cpu: 0, slot: 0, ticks: 0, id: 0, nameStart: 0, nameEnd: 0, payload: 0 };
    if (!scanRow(line, s, { v: 0, p: 0 })) return { message: line };
    const known = breenixEventType(s.id);
    const printed = line.slice(s.nameStart, s.nameEnd);
    const ticksText = line.split(' ')[2];
    const out: Record<string, FieldValue> = { cpu: s.cpu, slot: s.slot, ticks: breenixNumber(ticksText), type_id: breenixTypeHex(s.id) };
    out.name = known ? known.name : printed === BREENIX_UNKNOWN_NAME ? breenixEventName(s.id) : printed;
    if (printed !== out.name) out.printed_name = printed;
    out.category = breenixCategory(s.id);
    out.label = known?.label ?? 'payload';
    out.payload = s.payload;
    const packed = breenixPackedNames(known?.label ?? null);
    if (packed) {
      out.val1 = s.payload >>> 16;
      out.val2 = s.payload & 0xffff;
      out.val1_name = packed[0];
      out.val2_name = packed[1];
    }
    return out;
  }
  if (type === T_META) {
    const h = BUF_HEADER.exec(line);
    if (h) return { kind: 'header', tracing_enabled: h[1] === 'enabled' };
    const c = BUF_CPU.exec(line);
    if (c) return { kind: 'cpu_header', cpu: Number(c[1]), events: Number(c[2]) };
    const r = CNT_HEADER.exec(line) ?? PROV_HEADER.exec(line);
    if (r) return { kind: kind === 'proc-counters' ? 'registered_counters' : 'registered_providers', count: Number(r[1]) };
    return { kind: 'comment', message: line };
  }
  if (type === T_COUNTER) {
    const m = COUNTER.exec(line);
    return m ? { counter: m[1], total: breenixNumber(m[2]), ...breenixPerCpuValues(m[3]) } : { message: line };
  }
  if (type === T_DIAG) {
    const m = DIAG.exec(line);
    return m ? { key: m[1], value: m[2] } : { message: line };
  }
  if (type === T_PROVIDER) {
    const m = PROVIDER.exec(line);
    return m ? { provider: m[1], provider_id: parseInt(m[2], 16), enabled: `0x${m[3]}`, all_probes: /^f{16}$/.test(m[3]) } : { message: line };
  }
  if (type === T_EVENT_TYPE) {
    const m = EVENT_TYPE.exec(line);
    if (!m) return { message: line };
    const known = breenixEventType(parseInt(m[1], 16));
    const out: Record<string, FieldValue> = { type_id: `0x${m[1]}`, name: m[2], description: m[3] };
    if (known && known.name !== m[2]) out.superset_name = known.name;
    return out;
  }
  if (type === T_ENABLE) return { enabled: line === '1' };
  if (type === T_TEARDOWN) {
    const m = TEARDOWN.exec(line);
    return m ? { key: m[1], value: breenixNumber(m[2]) } : { message: line };
  }
  return { message: line };
}

export function procDecoder(kind: ProcKind): RowDecoder {
  return {
    decode(raw, type, row) {
      const line = raw.toString('latin1').replace(/\r?\n$/, '');
      return { fields: procFields(kind, line, type), text: `${row.line}: ${line}` };
    },
  };
}
