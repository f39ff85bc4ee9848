import type { FieldValue } from '../../model/event.js';
import { EventTableBuilder, newScratch, rescaleLeadingTs, tableReader, type RowColumns, type RowDecoder, type RowScratch, type TablePiece } from '../../model/event-table.js';
import { ColumnWriter } from '../../model/bundle.js';
import { TII_DUMP_START_BYTES, type FormatReader } from '../../model/format.js';
import { statSync } from 'node:fs';
import { forEachLine, INDEX_READ_BYTES, MAX_LINE_BYTES } from '../../util/lines.js';
import { FileSource, lineStartAfter, splitPoint } from '../../util/file-source.js';
import { PARALLEL_MIN_BYTES } from '../../util/worker.js';
import { scanTwoParts, type PartReader } from '../../model/two-parts.js';
import { bytesIn } from '../../util/bytes.js';
import { isTextHead } from '../../util/head.js';
import type { DiagnosticLog } from '../../model/diagnostics.js';
import { HEAD_BYTES, LineView, Prefix, type LineFamily, type LineMatcher } from './family.js';
import { breenixLog } from './families/breenix-log.js';
import { breenixTrace, KNOWN_EVENT_TYPE } from './families/breenix-trace.js';
import { printk } from './families/printk.js';
import { sel4 } from './families/sel4.js';
import { FastLane } from './fast-lane.js';

/** Families in the order they are tried; the first match wins, LINE is the fallback. Breenix trace must stay first (scanRange's fast path). */
export const FAMILIES: readonly LineFamily[] = [breenixTrace, printk, breenixLog, sel4];

/** Global type table: LINE, then every family's types. */
const TYPE_NAMES: string[] = ['LINE'];
const FAMILY_BASE: number[] = [];
for (const f of FAMILIES) {
  FAMILY_BASE.push(TYPE_NAMES.length);
  TYPE_NAMES.push(...f.types);
}

/** Breenix trace's first global type (a constant: a table read in the lane's loop would be compiled without feedback when the first ring event comes late). */
const TRACE_BASE = FAMILY_BASE[0];

/** A marker may sit behind junk another CPU wrote into the same line (`T2T3[TEST:…]`). */
const JUNK_PREFIX_MAX = 16;

const CONTROL = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b[()*+][ -~]|\x1b[ -Z\\-~]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;

/** Removes terminal escape sequences and control bytes a serial capture picks up. */
export function cleanLine(line: string): string {
  return line.replace(CONTROL, '');
}

/** Bytes checked for control bytes (escape sequences, NULs, binary junk): they show at a line's start. */
const CONTROL_SCAN = 48;

function isControl(c: number): boolean {
  return c < 32 ? c !== 9 : c === 127;
}

/**
 * Whether the line's first CONTROL_SCAN bytes hold a control byte. Four bytes
 * at a time: a word with no byte below 0x20 and none equal to 0x7f (the
 * classic "has byte less than n" bit test) needs no byte look; only a word
 * that may hold one (a tab does too) is looked at byte by byte.
 */
function hasControl(v: LineView): boolean {
  const n = Math.min(v.e, v.s + CONTROL_SCAN);
  const w = v.words;
  let i = v.s;
  for (; i + 4 <= n; i += 4) {
    const x = w.getInt32(i, true);
    const y = x ^ 0x7f7f7f7f;
    if ((((x - 0x20202020) & ~x) | ((y - 0x01010101) & ~y)) & 0x80808080) {
      for (let k = i; k < i + 4; k++) if (isControl(v.buf[k])) return true;
    }
  }
  for (; i < n; i++) if (isControl(v.buf[i])) return true;
  return false;
}

function isBinaryJunk(v: LineView): boolean {
  const n = Math.min(v.e, v.s + HEAD_BYTES);
  let bad = 0;
  for (let i = v.s; i < n; i++) if (isControl(v.buf[i])) bad++;
  return bad >= 4 && bad * 10 >= n - v.s;
}

/** A classifier over all families: the global type of a line, 0 (LINE) when none matches. */
function classifier(matchers: LineMatcher[]): (line: LineView, row: RowScratch, from: number) => number {
  return (line, row, from) => {
    for (let f = from; f < matchers.length; f++) {
      const t = matchers[f](line, row);
      if (t >= 0) return FAMILY_BASE[f] + t;
    }
    return 0;
  };
}

function familyOf(type: number): [LineFamily, number] | null {
  for (let f = FAMILIES.length - 1; f >= 0; f--) if (type >= FAMILY_BASE[f]) return [FAMILIES[f], type - FAMILY_BASE[f]];
  return null;
}

/** Where a marker starts behind a junk prefix (`T2T3[TEST:…]`), or -1. */
function junkPrefixEnd(v: LineView): number {
  const n = Math.min(v.e, v.s + JUNK_PREFIX_MAX + 1);
  for (let i = v.s + 1; i < n; i++) if (v.buf[i] === 91) return i - v.s;
  return -1;
}

const decoder: RowDecoder = {
  decode(raw, type, row) {
    const line = cleanLine(raw.toString('utf8').replace(/\r?\n/g, ' '));
    let fields: Record<string, FieldValue> = { message: line };
    const fam = familyOf(type);
    if (fam) {
      // Re-find the marker behind a junk prefix, as indexing did.
      let at = 0;
      const v = LineView.of(line);
      if (fam[0].create()(v, newScratch()) < 0) {
        const k = junkPrefixEnd(v);
        if (k > 0) at = k;
      }
      fields = fam[0].fields(line.slice(at), fam[1], row);
      if (at > 0) fields.junk_prefix = line.slice(0, at);
    }
    return { fields, text: `${row.line}: ${line}` };
  },
};

/** The global type of each kind of line the fast lane classifies itself (see FastLane). */
function laneTypes(k: FastLane['kinds']): number[] {
  const out: number[] = [];
  out[k.EVENT] = TRACE_BASE + KNOWN_EVENT_TYPE;
  out[k.PRINTK] = FAMILY_BASE[FAMILIES.indexOf(printk)] + printk.types.indexOf('PRINTK');
  out[k.KLOG] = FAMILY_BASE[FAMILIES.indexOf(breenixLog)] + breenixLog.types.indexOf('KLOG');
  out[k.TEST] = FAMILY_BASE[FAMILIES.indexOf(breenixLog)] + breenixLog.types.indexOf('TEST_MARKER');
  out[k.TAGGED] = FAMILY_BASE[FAMILIES.indexOf(breenixLog)] + breenixLog.types.indexOf('TAGGED');
  out[k.LINE] = 0;
  return out;
}

/** What one thread found over a byte range of the log; line numbers count from 1 at the range start. */
export interface RangeResult {
  piece: TablePiece;
  lines: number;
  blank: number;
  junk: number;
  binary: number;
  dumps: number;
  /** The range holds a TII dump's start mark anywhere (what the tii-console reader starts a dump on). */
  dumpInside: boolean;
  longLines: number;
  lastLine: number;
  /** Each family's matcher state (`LineMatcher.state`), in FAMILIES order. */
  states: unknown[];
}

/** A TII dump's first line, counted (`tii_dumps`) where no family claims the line. */
const DUMP_START = TII_DUMP_START_BYTES;

/** Line starts that belong to a Breenix dump (ring, counters, providers, summary, panic dump). */
const DUMP_TAGS = ['[TRACE]', '[COUNTER]', '[PROVIDER]', '[SUMMARY]', '======'].map((t) => Buffer.from(t, 'latin1'));
/** Non-dump lines in a row that make a safe place to split the work. */
const QUIET_LINES = 8;

/**
 * Where the second thread starts: the first line start after `pos` that
 * follows QUIET_LINES lines outside any dump, so a ring dump (whose header
 * gives the CPU, slots and counts of the event lines after it) is read by
 * one thread whole.
 */
function quietSplit(path: string, pos: number): number {
  let quiet = 0;
  const at = splitPoint(path, pos, (head) => {
    const here = quiet >= QUIET_LINES;
    quiet = DUMP_TAGS.some((t) => head.subarray(0, 24).includes(t)) ? 0 : quiet + 1;
    return here;
  });
  // The middle itself when no such place is near: the ring read in two halves is still counted right.
  return at >= 0 ? at : lineStartAfter(path, pos);
}
const TRACE_CPU = new Prefix('[TRACE] CPU');

function lastByte(path: string): number {
  const src = new FileSource(path);
  try {
    return src.read(src.size - 1, 1)[0];
  } finally {
    src.close();
  }
}

/**
 * Classifies every line of bytes [start, end) (with `claim`, to where it
 * says: see Handoff) into this thread's segment of the bundle in `dir`: the
 * whole indexing work, run per thread.
 */
export function scanRange(path: string, name: string, start: number, end: number, dir: string, segment: number, diags: DiagnosticLog, progress?: (done: number, total: number) => void, claim?: (end: number) => number, fast = true): RangeResult {
  const b = new EventTableBuilder(TYPE_NAMES, new ColumnWriter(dir, segment), 't0.', { offsets: [start, end], lineEvents: true });
  const row = newScratch();
  const traceMatcher = breenixTrace.create();
  const matchers = [traceMatcher, ...FAMILIES.slice(1).map((f) => f.create())];
  const classify = classifier(matchers);
  const dumpMark = { bytes: DUMP_START, found: false };
  // Splits the lines and classifies the commonest itself: those skip the families.
  const lane = fast ? new FastLane(dumpMark) : null;
  lane?.types(laneTypes(lane.kinds));
  const subIds = new Int32Array(lane ? lane.starts.length : 0);
  const rows: RowColumns | null = lane && { starts: lane.starts, ends: lane.ends, type: lane.type, ts: lane.ts, cpu: lane.cpu, sub: subIds, aux: lane.aux };
  const view = new LineView();
  let blank = 0;
  let junk = 0;
  let binary = 0;
  let dumps = 0;
  let lastLine = 0;
  let longLines = 0;
  /** One line, classified by the families (a piece > 0 is part of a line longer than MAX_LINE_BYTES). */
  const line = (buf: Buffer, s: number, e: number, lineNo: number, off: number, piece: number): void => {
    if (s === e) {
      blank++;
      return;
    }
    if (piece > 1) {
      b.extendLast(off + (e - s));
      return;
    }
    if (piece === 1 || e - s > MAX_LINE_BYTES) {
      longLines++;
      diags.add({ code: 'LONG_LINE', severity: 'warning', file: name, line: lineNo, message: 'line is longer than 1 MiB; indexed as one event' });
    }
    row.ts = NaN;
    row.cpu = -1;
    row.sub = '';
    row.aux = NaN;
    view.set(buf, s, e);
    // Escapes and junk show at a line's start; scanning only there keeps this check cheap.
    // A trace event line is checked to its last byte by its family, so it skips this.
    const traceLine = view.has(TRACE_CPU);
    const cleaned = !traceLine && hasControl(view);
    if (cleaned) {
      if (isBinaryJunk(view)) {
        binary++;
        diags.add({ code: 'BINARY_JUNK', severity: 'warning', file: name, line: lineNo, message: 'binary data in a text log; kept as a LINE event' });
      }
      const clean = Buffer.from(cleanLine(view.full()), 'latin1');
      view.set(clean, 0, clean.length);
    }
    // Half the lines of a Breenix capture are ring events: their family is first, so asking it alone decides the same.
    const first = traceLine ? traceMatcher(view, row) : -1;
    let t = first >= 0 ? TRACE_BASE + first : classify(view, row, traceLine ? 1 : 0);
    if (t === 0) {
      // The mark opens its line, maybe behind spaces or another CPU's junk.
      // Only where the raw bytes hold the mark, or may once control bytes are stripped.
      if ((dumpMark.found || cleaned) && bytesIn(view.buf, view.s, Math.min(view.e, view.s + JUNK_PREFIX_MAX + 8 + DUMP_START.length), DUMP_START)) dumps++;
      const k = junkPrefixEnd(view);
      if (k > 0) {
        view.set(view.buf, view.s + k, view.e);
        t = classify(view, row, 0);
        if (t !== 0) junk++;
      }
    }
    row.type = t;
    b.add(lineNo, off, e - s, row);
    lastLine = lineNo;
    if ((lineNo & 0xffff) === 0) progress?.(off - start, end - start);
  };
  /** Rows [from, to) of a split, all lines the fast lane classified (`events` ring events among them): stored as it says, a run at a time. */
  const laneRun = (fl: FastLane, rows: RowColumns, from: number, to: number, events: number, lineNo: number, base: number): void => {
    const eventSub = events > 0 ? b.subId(traceMatcher.knownEvents(fl.kind, fl.kinds.EVENT, fl.cpu, fl.slot, fl.ts, fl.aux, from, to)) : 0;
    // A run of nothing but ring events (a dump's ring, the commonest run) has one subsystem.
    if (events === to - from) subIds.fill(eventSub, from, to);
    else fl.subIds(from, to, b, eventSub, subIds);
    b.addRows(from, to, lineNo + 1, base, rows);
    lastLine = lineNo + to;
    if ((lineNo + to) >>> 16 !== (lineNo + from) >>> 16) progress?.(base + fl.starts[to - 1] - start, end - start);
  };
  /** A split of the fast lane's: runs of the lines it classified, and its OTHER lines through `line`. */
  const batch = (buf: Buffer, n: number, lineNo: number, base: number): void => {
    if (lane === null || rows === null) return;
    const { other, others, eventsBefore, starts, ends } = lane;
    let from = 0;
    let seen = 0;
    for (let x = 0; x <= others; x++) {
      const k = x < others ? other[x] : n;
      const events = (x < others ? eventsBefore[x] : lane.events) - seen;
      if (k > from) laneRun(lane, rows, from, k, events, lineNo, base);
      if (k < n) line(buf, starts[k], ends[k], lineNo + k + 1, base + starts[k], 0);
      from = k + 1;
      seen += events;
    }
  };
  const { lines, found } = forEachLine(path, line, INDEX_READ_BYTES, { start, end }, dumpMark, claim, lane ? { splitter: lane, onBatch: batch } : undefined);
  return { piece: b.finish(), lines, blank, junk, binary, dumps, dumpInside: found, longLines, lastLine, states: matchers.map((m) => m.state?.()) };
}

/** Where a second thread starts and how a part is read: shared with the worker. */
export const CONSOLE_PARTS: PartReader<never, RangeResult> = {
  worker: new URL('./worker.js', import.meta.url),
  lines: (r) => r.lines,
  split: quietSplit,
  scan: (task, diags, progress, claim) => {
    const r = scanRange(task.path, task.name, task.start, task.end, task.dir, task.segment, diags, progress, claim);
    return { part: r, piece: r.piece, diagnostics: diags.list() };
  },
};

/**
 * Serial console logs: a line index in one streaming pass, every non-blank
 * line an event classified by family (Linux printk, Breenix, seL4, generic),
 * with timestamp, CPU, level (aux) and subsystem when the line has them.
 */
export const consoleLog: FormatReader = tableReader({
  id: 'console-log',
  title: 'serial console log (Linux printk, Breenix, seL4, generic)',
  detect(head) {
    // Mostly clean lines: a log, even with bursts of binary junk or NULs in it (UTF-8 is clean).
    return isTextHead(head) ? 0.3 : 0;
  },
  // The type table is part of what a bundle means: a new family renumbers the types.
  optionsKey: () => ({ types: TYPE_NAMES.join(',') }),
  typeNames: TYPE_NAMES,
  scan(path, ctx) {
    const size = statSync(path).size;
    const { parts, pieces, lineBases } = scanTwoParts(path, ctx, {
      ...CONSOLE_PARTS,
      minBytes: PARALLEL_MIN_BYTES,
      // Nothing a part reads depends on the lines before it; what a family learned is carried below.
      redoFrom: () => null,
      steal: true,
    });
    const stats = { lines: 0, blank: 0, junk: 0, binary: 0, dumps: 0, longLines: 0, lastLine: 0, events: 0 };
    parts.forEach((r, k) => {
      stats.blank += r.blank;
      stats.junk += r.junk;
      stats.binary += r.binary;
      stats.dumps += r.dumps;
      stats.longLines += r.longLines;
      stats.events += r.piece.events;
      if (r.lastLine) stats.lastLine = r.lastLine + lineBases[k];
      stats.lines = lineBases[k] + r.lines;
    });
    const extras: Record<string, unknown> = {};
    FAMILIES.forEach((f, k) => {
      let states = parts.map((r) => r.states[k]);
      if (f.carry && parts.length > 1) {
        const c = f.carry(states);
        states = c.states;
        for (const x of c.fixes) pieces[x.part] = rescaleLeadingTs(ctx.dir, pieces[x.part], 't0.', FAMILY_BASE[k] + x.type, x.count, x.divisor);
      }
      if (f.summarize) Object.assign(extras, f.summarize(states));
    });
    // A capture cut off mid-write: the last line is kept, and said to be incomplete.
    if (size > 0 && lastByte(path) !== 10) {
      ctx.diagnostics.add({ code: 'TRUNCATED_LINE', severity: 'warning', file: ctx.name, line: stats.lines, message: 'the file ends mid-line (no newline after the last line)' });
    }
    if (stats.events === 0) {
      ctx.diagnostics.add({ code: 'NO_EVENTS', severity: 'error', file: ctx.name, line: 1, message: stats.lines === 0 ? 'file is empty' : 'no non-blank line in this log' });
    }
    return {
      pieces,
      lineBases,
      extra: {
        lines: stats.lines,
        blank_lines: stats.blank,
        junk_prefixed_lines: stats.junk,
        binary_lines: stats.binary,
        long_lines: stats.longLines,
        last_event_line: stats.lastLine,
        tii_dumps: stats.dumps,
        ...extras,
      },
      tsUnit: 's',
      // The dump is what the user wants from such a log; detection reads only the head, so it is found here.
      better: parts.some((r) => r.dumpInside) ? 'tii-console' : undefined,
    };
  },
  decoder,
});
