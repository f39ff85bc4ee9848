import type { DiagnosticLog } from '../../model/diagnostics.js';
import { EventTableBuilder, newScratch } from '../../model/event-table.js';
import type { ColumnSink } from '../../model/bundle.js';
import type { ScanOptions } from '../../model/two-parts.js';
import { statInput } from '../../util/file-source.js';
import { forEachLine, INDEX_READ_BYTES } from '../../util/lines.js';
import { Code, EVENT_BODY, eventNameEnd, functionEnd, GRAPH_IRQ, GRAPH_SEPARATOR, GRAPH_SWITCH, LOST_EVENTS, newEventSpan, newGraphLine, parseEventLine, parseGraphInto, scanEventSpan, TraceLine } from './parse.js';
import { SubCache } from '../../util/sub-cache.js';
import { T, TYPE_NAMES, tracepointType } from './types.js';
import { TII_DUMP_START_BYTES } from '../../model/format.js';

/** How many of the longest function_graph calls the summary lists. */
export const LONGEST_CALLS = 10;
/** How many tasks the summary lists, busiest first. */
export const TOP_TASKS = 20;

export interface LongCall {
  function: string;
  duration_us: number;
  line: number;
  cpu: number;
}

/** What an ftrace text summary adds to the common fields. */
export interface FtraceSummaryExtra {
  /** From `# tracer: …` (nop, function, function_graph, …); null without a header (trace_pipe output). */
  tracer: string | null;
  /** From `# entries-in-buffer/entries-written: 397/397   #P:2`. */
  header: { entries_in_buffer: number; entries_written: number; cpus: number } | null;
  lines: number;
  comment_lines: number;
  unparsed_lines: number;
  /** `s` for nanosecond clocks (`secs.usecs`), `counter` for counter clocks, null when lines carry no time. */
  ts_unit: 's' | 'counter' | null;
  /** Events per tracepoint name (trace_marker writes count as `tracing_mark_write`). */
  event_names: Record<string, number>;
  /** Events per `comm-pid`, the busiest TOP_TASKS. */
  tasks: Record<string, number>;
  /** Sum of `[LOST N EVENTS]`. */
  lost_events: number;
  /** function_graph facts: nesting depth, calls whose entry or exit is outside the trace, the longest calls. */
  graph: { max_depth: number; unmatched_exits: number; unclosed_entries: number; longest: LongCall[] } | null;
}

export interface FtraceBuild {
  table: EventTableBuilder;
  /** The file holds a TII dump's start mark. */
  dumpInside: boolean;
  extra: FtraceSummaryExtra;
}

/** Open function_graph entries kept per CPU; beyond this the oldest count as never closed. */
const MAX_OPEN = 4096;

interface OpenCall {
  name: string;
  depth: number;
}

/**
 * What reading a line depends on from the lines before it, beyond what the
 * parts of a file read apart can add up afterwards: a part read on its own
 * is exact when it starts in the state the part before it ended in.
 */
export interface FtraceState {
  /** Graph lines seen or announced: the graph parser goes first. */
  graphFirst: boolean;
  /** A `# tracer:` line was seen (only the first one counts). */
  tracerSeen: boolean;
  /** Open function_graph entries, per CPU. */
  stacks: [number, OpenCall[]][];
  /** The last event is a `<stack trace>` that ` => frame` lines still extend (graph lines and comments do not close it). */
  stackOpen: boolean;
}

export const START_STATE: FtraceState = { graphFirst: false, tracerSeen: false, stacks: [], stackOpen: false };

/** What one pass over a file, or a byte range of it, found (plain data: it may come from a worker). */
export interface FtracePart {
  /** Lines, counted from 1 at the range's start. */
  lines: number;
  dumpInside: boolean;
  tracer: string | null;
  header: FtraceSummaryExtra['header'];
  comments: number;
  unparsed: number;
  tsUnit: FtraceSummaryExtra['ts_unit'];
  lost: number;
  eventNames: Map<string, number>;
  tasks: Map<string, number>;
  graphLines: number;
  maxDepth: number;
  unmatchedExits: number;
  /** Entries left behind by an exit further out, or past MAX_OPEN (not those still open at the end). */
  unclosed: number;
  /** Line numbers count from the range's start. */
  longest: LongCall[];
  start: FtraceState;
  end: FtraceState;
  /** A ` => ` line came before the part's first event, so whether a stack trace was open before it mattered. */
  usedStartStack: boolean;
}

const HEADER_TRACER = /^# tracer: (\S+)/;
const HEADER_ENTRIES = /^# entries-in-buffer\/entries-written: (\d+)\/(\d+)\s+#P:(\d+)/;

/** True when the line holds the ASCII text `want` at byte `at`. */
function startsWith(t: TraceLine, at: number, want: string): boolean {
  if (at + want.length > t.e) return false;
  for (let k = 0; k < want.length; k++) if (t.buf[at + k] !== want.charCodeAt(k)) return false;
  return true;
}

/** Longest first; the earlier line first among equals. */
function byDuration(x: LongCall, y: LongCall): number {
  return y.duration_us - x.duration_us || x.line - y.line;
}

function bump(m: Map<string, number>, k: string): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}
function obj(m: Map<string, number>, limit = Infinity): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, limit)) out[k] = v;
  return out;
}

/**
 * One streaming pass over a tracefs `trace` file: every trace line one
 * event (ts in seconds, CPU, pid in `aux`, event or function name in
 * `sub`); `=>` stack frames extend their `<stack trace>` event;
 * function_graph lines become FUNC_ENTRY / FUNC_EXIT / FUNC_LEAF with the
 * duration (µs) in `aux`, exits named from a per-CPU stack of open entries.
 */
export function buildFtrace(
  path: string,
  name: string,
  diags: DiagnosticLog,
  progress?: (done: number, total: number) => void,
  /** Read size; tests shrink it so lines and records straddle chunk edges. */
  chunkBytes?: number,
  /** Where the columns go: the bundle being built, or memory (tests). */
  sink?: ColumnSink,
): FtraceBuild {
  const table = new EventTableBuilder(TYPE_NAMES, sink);
  const part = scanFtrace(path, name, diags, table, { progress, chunkBytes });
  const extra = ftraceExtra([part], [0], { events: table.size, untraced: table.count(T.LINE) + table.count(T.LOST_EVENTS) }, diags, name);
  return { table, dumpInside: part.dumpInside, extra };
}

/**
 * scanFtrace over bytes [range.start, range.end) of a file (from a line
 * start; with `claim`, to where it says: see Handoff), beginning in state
 * `start`; line numbers count from 1 there.
 */
export function scanFtrace(
  path: string,
  name: string,
  diags: DiagnosticLog,
  b: EventTableBuilder,
  opts: ScanOptions<FtraceState>,
): FtracePart {
  const { progress, chunkBytes, range, claim } = opts;
  const start = opts.start ?? START_STATE;
  const row = newScratch();
  const eventNames = new Map<string, number>();
  const tasks = new Map<string, number>();
  let tracer: string | null = null;
  let header: FtraceSummaryExtra['header'] = null;
  let comments = 0;
  let unparsed = 0;
  let tsUnit: FtraceSummaryExtra['ts_unit'] = null;
  let lost = 0;
  /** Whether the previous event was a `<stack trace>` that ` => frame` lines extend. */
  let stackOpen = start.stackOpen;
  /** Whether this part set stackOpen itself, and whether a ` => ` line came before it did (so the start value mattered). */
  let stackSet = false;
  let usedStartStack = false;
  const setStack = (open: boolean) => {
    stackOpen = open;
    stackSet = true;
  };
  /** Prefer the graph parser once the file says or shows it is function_graph output. */
  let graphFirst = start.graphFirst;
  let tracerSeen = start.tracerSeen;

  const stacks = new Map<number, OpenCall[]>(start.stacks.map(([cpu, open]) => [cpu, open.map((c) => ({ ...c }))]));
  const g = newGraphLine();
  const span = newEventSpan();
  // Tasks and names repeat on most lines: cached strings, whose hashes the Maps and the table builder keep.
  const t = new TraceLine(new SubCache());
  const taskNames = new SubCache();
  let graphLines = 0;
  let maxDepth = 0;
  let unmatchedExits = 0;
  let unclosed = 0;
  const longest: LongCall[] = [];

  const add = (type: number, line: number, off: number, end: number) => {
    row.type = type;
    b.add(line, off, end - off, row);
  };

  const noteLong = (fn: string, us: number, line: number, cpu: number) => {
    if (us !== us) return;
    if (longest.length === LONGEST_CALLS && us <= longest[longest.length - 1].duration_us) return;
    longest.push({ function: fn, duration_us: us, line, cpu });
    longest.sort(byDuration);
    if (longest.length > LONGEST_CALLS) longest.pop();
  };

  const stackOf = (cpu: number): OpenCall[] => {
    let s = stacks.get(cpu);
    if (!s) stacks.set(cpu, (s = []));
    return s;
  };

  /** A trace line (`task-pid [cpu] flags ts: body`); false when the line is not one. */
  const eventLine = (lineNo: number, off: number, end: number): boolean => {
    const buf = t.buf;
    let at: number;
    let task: string;
    // Positions from the hand scanner (nothing decoded but the task and the name); the regex for unusual lines.
    if (scanEventSpan(t, span)) {
      if (tsUnit === null) tsUnit = buf.subarray(span.tsStart, span.tsEnd).includes(46) ? 's' : 'counter';
      row.ts = span.ts;
      row.cpu = span.cpu;
      row.aux = span.pid;
      at = span.bodyStart;
      // `task-pid` as printed is the key, unless the pid is printed in a way the number does not give back.
      const digits = span.pidEnd - span.dash - 1;
      task = digits <= 15 && (digits === 1 || buf[span.dash + 1] !== 48) ? taskNames.get(buf, span.taskStart, span.pidEnd) : `${t.slice(span.taskStart, span.dash)}-${span.pid}`;
    } else {
      const line = t.text();
      const ev = parseEventLine(line);
      if (!ev) return false;
      if (tsUnit === null) tsUnit = ev.tsText.includes('.') ? 's' : 'counter';
      row.ts = ev.ts;
      row.cpu = ev.cpu;
      row.aux = ev.pid;
      at = t.s + line.length - ev.body.length;
      task = `${ev.task}-${ev.pid}`;
    }
    let type: number;
    setStack(false);
    let k: number;
    if (buf[at] === 60 /* < */ && (startsWith(t, at, '<stack trace>') || startsWith(t, at, '<user stack trace>'))) {
      type = T.STACK_TRACE;
      row.sub = buf[at + 1] === 117 /* u */ ? 'user_stack' : 'kernel_stack';
      bump(eventNames, row.sub);
      setStack(true);
    } else if ((k = eventNameEnd(t, at)) >= 0) {
      const name = t.name(at, k);
      type = tracepointType(name);
      row.sub = name;
      bump(eventNames, name);
    } else if ((k = functionEnd(t, at)) >= 0) {
      type = T.FUNCTION;
      let plus = at;
      while (plus < k && buf[plus] !== 43 /* + */) plus++;
      row.sub = t.name(at, plus > at ? plus : k);
    } else {
      type = T.TRACEPOINT;
      row.sub = '';
    }
    bump(tasks, task);
    add(type, lineNo, off, end);
    return true;
  };

  /** A function_graph line; false when the line is not one. */
  const graphLine = (lineNo: number, off: number, end: number): boolean => {
    // Context switches and irq arrows hold `=>` or `<=`, other graph lines `|`: without them (an
    // event line, in a function_graph trace) the line is no graph line, found without any text made.
    const buf = t.buf;
    let arrow = false;
    let bar = false;
    for (let i = t.s; i < t.e; i++) {
      const c = buf[i];
      if (c === 124) bar = true;
      else if ((c === 61 && buf[i + 1] === 62) || (c === 60 && buf[i + 1] === 61)) arrow = true;
    }
    if (!arrow && !bar) return false;
    const line = arrow ? t.text() : '';
    if (arrow && line.includes('=>')) {
      const m = GRAPH_SWITCH.exec(line);
      if (m) {
        row.ts = NaN;
        row.cpu = Number(m[1]);
        row.sub = '';
        row.aux = NaN;
        add(T.CONTEXT_SWITCH, lineNo, off, end);
        graphLines++;
        return true;
      }
    }
    if (arrow && (line.includes('==========>') || line.includes('<=========='))) {
      const m = GRAPH_IRQ.exec(line);
      if (m) {
        row.ts = m[1] !== undefined ? Number(m[1]) : NaN;
        row.cpu = m[2] !== undefined ? Number(m[2]) : -1;
        row.sub = '';
        row.aux = NaN;
        add(m[4].startsWith('=') ? T.GRAPH_IRQ_ENTRY : T.GRAPH_IRQ_EXIT, lineNo, off, end);
        graphLines++;
        return true;
      }
    }
    if (!bar || !parseGraphInto(t, g)) return false;
    graphLines++;
    if (g.ts === g.ts && tsUnit === null) tsUnit = 's';
    row.ts = g.ts;
    row.cpu = g.cpu;
    row.aux = NaN;
    const stack = stackOf(g.cpu);
    let type: number;
    switch (g.code) {
      case Code.ENTRY:
        // Entries are never dropped here: an interrupt's calls are printed at the depth of the
        // call they interrupted, and that call's exit still comes later.
        if (stack.length >= MAX_OPEN) {
          stack.shift();
          unclosed++;
        }
        stack.push({ name: g.name, depth: g.depth });
        if (g.depth > maxDepth) maxDepth = g.depth;
        type = T.FUNC_ENTRY;
        row.sub = g.name;
        break;
      case Code.LEAF:
        if (g.depth > maxDepth) maxDepth = g.depth;
        type = T.FUNC_LEAF;
        row.sub = g.name;
        row.aux = g.duration;
        noteLong(g.name, g.duration, lineNo, g.cpu);
        break;
      case Code.EXIT: {
        // The exit closes the latest open entry at its depth (by name when funcgraph-tail or the
        // kernel's own `/* fn */` note gives one); entries opened after it were never closed.
        let k = stack.length - 1;
        while (k >= 0 && (stack[k].depth !== g.depth || (g.name !== '' && stack[k].name !== g.name))) k--;
        let fn = g.name;
        if (k >= 0) {
          fn = stack[k].name;
          unclosed += stack.length - k - 1;
          stack.length = k;
        } else unmatchedExits++;
        type = T.FUNC_EXIT;
        row.sub = fn;
        row.aux = g.duration;
        noteLong(fn || '?', g.duration, lineNo, g.cpu);
        break;
      }
      case Code.COMMENT: {
        const m = EVENT_BODY.exec(g.name);
        const t = m ? tracepointType(m[1]) : T.GRAPH_COMMENT;
        // trace_marker and trace_printk text has no event name here; only known tracepoints are typed.
        type = t === T.TRACEPOINT ? T.GRAPH_COMMENT : t;
        row.sub = type === T.GRAPH_COMMENT ? '' : (m as RegExpExecArray)[1];
        if (type !== T.GRAPH_COMMENT) bump(eventNames, row.sub);
        break;
      }
      default:
        type = T.LINE;
        row.sub = '';
        unparsed++;
    }
    add(type, lineNo, off, end);
    return true;
  };

  const fileSize = statInput(path).size;
  const { lines, found: dumpInside } = forEachLine(path, (buf, s, e, lineNo, off, piece) => {
    const end = off + (e - s);
    if (piece > 1) {
      b.extendLast(end);
      return;
    }
    if (piece === 1) diags.add({ code: 'LONG_LINE', severity: 'warning', file: name, line: lineNo, message: 'line is longer than 1 MiB; indexed as one event, parsed from its first MiB' });
    // Now and then, not per line: the callback may redraw a terminal progress bar.
    if (progress && (lineNo & 0xffff) === 0) progress(off, fileSize);
    if (s === e) {
      setStack(false);
      return;
    }
    const c = buf[s];
    if (c === 35 /* # */) {
      comments++;
      if (buf[s + 1] === 32 && (buf[s + 2] === 116 || buf[s + 2] === 101)) {
        const text = buf.toString('latin1', s, e);
        let m = HEADER_TRACER.exec(text);
        if (m && !tracerSeen) {
          tracer = m[1];
          tracerSeen = true;
          graphFirst = tracer === 'function_graph';
        } else if ((m = HEADER_ENTRIES.exec(text)) && header === null) {
          header = { entries_in_buffer: Number(m[1]), entries_written: Number(m[2]), cpus: Number(m[3]) };
        }
      }
      return;
    }
    t.set(buf, s, e);
    if (!stackSet && c === 32 && startsWith(t, s, ' => ')) usedStartStack = true;
    if (stackOpen && c === 32 && startsWith(t, s, ' => ')) {
      b.extendLast(end);
      return;
    }
    if (graphFirst ? graphLine(lineNo, off, end) || eventLine(lineNo, off, end) : eventLine(lineNo, off, end) || graphLine(lineNo, off, end)) {
      if (!graphFirst && graphLines > 0 && b.lastType() >= T.FUNC_ENTRY && b.lastType() <= T.GRAPH_COMMENT) graphFirst = true;
      return;
    }
    const line = t.text();
    if (GRAPH_SEPARATOR.test(line)) return;
    const m = LOST_EVENTS.exec(line);
    if (m) {
      row.ts = NaN;
      row.cpu = Number(m[1]);
      row.sub = '';
      row.aux = Number(m[2]);
      lost += row.aux;
      setStack(false);
      add(T.LOST_EVENTS, lineNo, off, end);
      return;
    }
    unparsed++;
    setStack(false);
    diags.add({ code: 'UNPARSED_LINE', severity: 'warning', file: name, line: lineNo, message: 'not a trace line (expected `task-pid [cpu] … ts: event: fields` or a function_graph line); kept as a LINE event' });
    row.ts = NaN;
    row.cpu = -1;
    row.sub = '';
    row.aux = NaN;
    add(T.LINE, lineNo, off, end);
  }, chunkBytes ?? INDEX_READ_BYTES, range, { bytes: TII_DUMP_START_BYTES, found: false }, claim);

  // `header` and `tsUnit` are assigned inside the line callback, which TypeScript's narrowing does not see.
  return {
    lines,
    // A TII dump inside: tii-console reads this input better (see BuildResult.better).
    dumpInside,
    tracer,
    header: header as FtraceSummaryExtra['header'],
    comments,
    unparsed,
    tsUnit: tsUnit as FtraceSummaryExtra['ts_unit'],
    lost,
    eventNames,
    tasks,
    graphLines,
    maxDepth,
    unmatchedExits,
    unclosed,
    longest,
    start,
    end: { graphFirst, tracerSeen, stacks: [...stacks].filter(([, open]) => open.length > 0), stackOpen },
    usedStartStack,
  };
}

/**
 * The summary fields of a file read in parts (in file order; part k's lines
 * count from 1 after `lineBases[k]` lines), and the warnings only the whole
 * can tell. `counts`: events in all parts, and those that are no trace line.
 */
export function ftraceExtra(parts: FtracePart[], lineBases: number[], counts: { events: number; untraced: number }, diags: DiagnosticLog, name: string): FtraceSummaryExtra {
  const eventNames = new Map<string, number>();
  const tasks = new Map<string, number>();
  let longest: LongCall[] = [];
  const sum = { lines: 0, comments: 0, unparsed: 0, lost: 0, graphLines: 0, maxDepth: 0, unmatchedExits: 0, unclosed: 0 };
  parts.forEach((p, k) => {
    for (const [n, c] of p.eventNames) eventNames.set(n, (eventNames.get(n) ?? 0) + c);
    for (const [n, c] of p.tasks) tasks.set(n, (tasks.get(n) ?? 0) + c);
    longest.push(...p.longest.map((c) => ({ ...c, line: c.line + lineBases[k] })));
    sum.lines += p.lines;
    sum.comments += p.comments;
    sum.unparsed += p.unparsed;
    sum.lost += p.lost;
    sum.graphLines += p.graphLines;
    sum.maxDepth = Math.max(sum.maxDepth, p.maxDepth);
    sum.unmatchedExits += p.unmatchedExits;
    sum.unclosed += p.unclosed;
  });
  longest = longest.sort(byDuration).slice(0, LONGEST_CALLS);
  // Entries the last part left open were never closed.
  for (const [, open] of parts[parts.length - 1].end.stacks) sum.unclosed += open.length;
  // The first part that saw them has the file's own header lines (as one pass keeps the first).
  const header = parts.find((p) => p.header !== null)?.header ?? null;
  if (counts.events === 0) {
    diags.add({ code: 'NO_EVENTS', severity: 'error', file: name, line: 1, message: sum.lines === 0 ? 'file is empty' : 'no trace line in this file (only comments or nothing recognisable)' });
  }
  const total = header === null ? -1 : header.entries_in_buffer;
  const traced = counts.events - counts.untraced;
  if (total >= 0 && sum.graphLines === 0 && traced < total) {
    diags.add({
      code: 'ENTRIES_MISSING',
      severity: 'warning',
      file: name,
      line: sum.lines,
      message: `the header says ${total} entries are in the buffer but ${traced} trace lines were read (file cut short?)`,
    });
  }
  return {
    tracer: parts.find((p) => p.tracer !== null)?.tracer ?? null,
    header,
    lines: sum.lines,
    comment_lines: sum.comments,
    unparsed_lines: sum.unparsed,
    ts_unit: parts.find((p) => p.tsUnit !== null)?.tsUnit ?? null,
    event_names: obj(eventNames),
    tasks: obj(tasks, TOP_TASKS),
    lost_events: sum.lost,
    graph: sum.graphLines > 0 ? { max_depth: sum.maxDepth, unmatched_exits: sum.unmatchedExits, unclosed_entries: sum.unclosed, longest } : null,
  };
}
