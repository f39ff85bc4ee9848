import type { FieldValue } from '../../model/event.js';

/**
 * Line shapes of the tracefs `trace` file (kernel/trace/trace_output.c and
 * trace_functions_graph.c), one parser each; the indexer and the decoder
 * share them.
 */

/**
 * `  <comm>-<pid> [(<tgid>)] [<cpu>] [<flags>] <ts>: <body>`. The comm is
 * right-aligned in 16 columns and may hold spaces and dashes, so the pid is
 * the last `-digits` before the blanks; `(tgid)` appears with the
 * record-tgid option, `(-------)` when unknown; the flags column
 * (irqs-off, need-resched, hardirq/softirq, preempt-depth,
 * migrate-disable: 4 or 5 characters) goes away with irq-info off;
 * timestamps are `secs.usecs` for nanosecond clocks, a plain counter otherwise.
 */
export const EVENT_LINE = /^\s*(.*?)-(\d+)\s+(?:\(\s*(\d+|-+)\)\s+)?\[(\d+)\]\s+(?:(\S{4,6})\s+)?(\d+(?:\.\d+)?):\s(.*)$/;

export interface EventLine {
  task: string;
  pid: number;
  tgid: number | null;
  cpu: number;
  flags: string;
  ts: number;
  /** The timestamp as printed (a counter clock has no decimal point). */
  tsText: string;
  body: string;
}

const isDigit = (c: number) => c >= 48 && c <= 57;

/** Where the parts of an event line are, for the indexer: nothing sliced but what it keeps. */
export interface EventSpan {
  taskStart: number;
  /** The `-` between task and pid. */
  dash: number;
  pidEnd: number;
  pid: number;
  tgid: number | null;
  cpu: number;
  flagsStart: number;
  flagsEnd: number;
  tsStart: number;
  tsEnd: number;
  ts: number;
  bodyStart: number;
}

export function newEventSpan(): EventSpan {
  return { taskStart: 0, dash: 0, pidEnd: 0, pid: 0, tgid: null, cpu: 0, flagsStart: 0, flagsEnd: 0, tsStart: 0, tsEnd: 0, ts: NaN, bodyStart: 0 };
}

/** Number(line.slice(s, e)) for digits and dots, without the slice when there is at most one dot and the digits fit a double exactly. */
function decimal(line: string, s: number, e: number): number {
  let num = 0;
  let scale = 1;
  let digits = 0;
  let dot = false;
  for (let i = s; i < e; i++) {
    const c = line.charCodeAt(i);
    if (c === 46) {
      if (dot) return Number(line.slice(s, e));
      dot = true;
    } else {
      num = num * 10 + (c - 48);
      digits++;
      if (dot) scale *= 10;
    }
  }
  if (digits === 0) return NaN;
  // One division of two exact integers rounds as parsing the text does.
  return digits <= 15 ? num / scale : Number(line.slice(s, e));
}

/**
 * The default column layout read by hand: trace files hold millions of
 * lines and the regex's backtracking over the comm dominates otherwise.
 * Returns false for anything unusual (a timestamp with two dots too); the
 * regex then decides.
 */
export function scanEventSpan(line: string, out: EventSpan): boolean {
  const n = line.length;
  let j = line.indexOf('[');
  while (j > 0) {
    // `[ddd] ` with `-pid` (and maybe `(tgid)`) before it.
    let k = j + 1;
    let cpu = 0;
    for (let c = line.charCodeAt(k); k < n && isDigit(c); c = line.charCodeAt(++k)) cpu = cpu * 10 + c - 48;
    if (k > j + 1 && line.charCodeAt(k) === 93 && line.charCodeAt(k + 1) === 32) {
      let b = j - 1;
      while (b > 0 && line.charCodeAt(b) === 32) b--;
      let tgid: number | null = null;
      if (line.charCodeAt(b) === 41 /* ) */) {
        const open = line.lastIndexOf('(', b);
        if (open < 0) return false;
        const t = line.slice(open + 1, b).trim();
        tgid = /^\d+$/.test(t) ? Number(t) : null;
        b = open - 1;
        while (b > 0 && line.charCodeAt(b) === 32) b--;
      }
      const pidEnd = b + 1;
      while (b > 0 && isDigit(line.charCodeAt(b))) b--;
      if (b + 1 === pidEnd || line.charCodeAt(b) !== 45 /* - */) return false;
      let t0 = 0;
      while (t0 < b && line.charCodeAt(t0) === 32) t0++;
      // Flags (no digit first), then the timestamp and ': '.
      let i = k + 2;
      while (i < n && line.charCodeAt(i) === 32) i++;
      let flagsStart = i;
      let flagsEnd = i;
      if (!isDigit(line.charCodeAt(i))) {
        const f = line.indexOf(' ', i);
        if (f < 0 || f - i < 4 || f - i > 6) return false;
        flagsStart = i;
        flagsEnd = f;
        i = f;
        while (i < n && line.charCodeAt(i) === 32) i++;
      }
      const ts0 = i;
      let dots = 0;
      for (let c = line.charCodeAt(i); i < n && (isDigit(c) || c === 46); c = line.charCodeAt(++i)) if (c === 46) dots++;
      if (i === ts0 || line.charCodeAt(i) !== 58 || line.charCodeAt(i + 1) !== 32 || dots > 1) return false;
      let pid = 0;
      for (let p = b + 1; p < pidEnd; p++) pid = pid * 10 + line.charCodeAt(p) - 48;
      out.taskStart = t0;
      out.dash = b;
      out.pidEnd = pidEnd;
      out.pid = pidEnd - b - 1 <= 15 ? pid : Number(line.slice(b + 1, pidEnd));
      out.tgid = tgid;
      out.cpu = k - j - 1 <= 15 ? cpu : Number(line.slice(j + 1, k));
      out.flagsStart = flagsStart;
      out.flagsEnd = flagsEnd;
      out.tsStart = ts0;
      out.tsEnd = i;
      out.ts = decimal(line, ts0, i);
      out.bodyStart = i + 2;
      return true;
    }
    j = line.indexOf('[', j + 1);
  }
  return false;
}

const span = newEventSpan();

export function parseEventLine(line: string): EventLine | null {
  if (scanEventSpan(line, span)) {
    const tsText = line.slice(span.tsStart, span.tsEnd);
    return { task: line.slice(span.taskStart, span.dash), pid: span.pid, tgid: span.tgid, cpu: span.cpu, flags: line.slice(span.flagsStart, span.flagsEnd), ts: span.ts, tsText, body: line.slice(span.bodyStart) };
  }
  const m = EVENT_LINE.exec(line);
  if (!m) return null;
  return {
    task: m[1],
    pid: Number(m[2]),
    tgid: m[3] === undefined || m[3].startsWith('-') ? null : Number(m[3]),
    cpu: Number(m[4]),
    flags: m[5] ?? '',
    ts: Number(m[6]),
    tsText: m[6],
    body: m[7],
  };
}

/** `name: rest` — a tracepoint (or trace_printk's `function: text`). */
export const EVENT_BODY = /^([A-Za-z_][\w]*): ?(.*)$/;

const isWordStart = (c: number) => ((c | 32) >= 97 && (c | 32) <= 122) || c === 95;

/**
 * The name EVENT_BODY captures from `body` (from `start`), or null when it does not match;
 * for the indexer, which needs only the name of millions of event bodies and
 * not a match array for each.
 */
export function eventName(body: string, start = 0): string | null {
  const n = body.length;
  if (n <= start || !isWordStart(body.charCodeAt(start))) return null;
  let i = start + 1;
  for (let c = body.charCodeAt(i); i < n && (isWordStart(c) || isDigit(c)); c = body.charCodeAt(++i));
  if (i >= n || body.charCodeAt(i) !== 58 /* : */) return null;
  // `(.*)$`: no line terminator may follow.
  if (body.indexOf('\n', i) >= 0 || body.indexOf('\r', i) >= 0 || body.indexOf('\u2028', i) >= 0 || body.indexOf('\u2029', i) >= 0) return null;
  return body.slice(start, i);
}
/** `func <-parent` (function tracer; `func+0x0/0x40` with sym-offset). */
export const FUNCTION_BODY = /^(\S+) <-(\S+)\s*$/;

/**
 * One function_graph line:
 * `[  123.456789 |  ] 1) [ task-pid  |  ] [overhead] [1.234 us] |  <indent><code>`.
 * The column after the last `|  ` is indented by 2 spaces per call depth.
 */
export const GRAPH_LINE = /^\s*(?:(\d+\.\d+)\s+\|\s+)?(?:(\d+)\)\s+)?(?:(\S.*?-\d+)\s+\|\s+)?(?:([!#@*$+])\s?)?\s*(?:(\d+(?:\.\d+)?)\s+us\s+)?\|  (.*)$/;
/** ` 1)    <idle>-0    =>    bash-1234  ` between two rows of dashes: the CPU switched tasks. */
export const GRAPH_SWITCH = /^\s*(\d+)\)\s+(.+?-\d+)\s+=>\s+(.+?-\d+)\s*$/;
/** ` 1)   ==========> |` / ` 1)   <========== |`: an interrupt entered / left in the middle of the graph. */
export const GRAPH_IRQ = /^\s*(?:(\d+\.\d+)\s+\|\s+)?(?:(\d+)\)\s+)?(?:(\S.*?-\d+)\s+\|\s+)?(==========>|<==========)/;
export const GRAPH_SEPARATOR = /^\s*-{10,}\s*$/;
/** `CPU:1 [LOST 123 EVENTS]`: the ring buffer overwrote events before they were read. */
export const LOST_EVENTS = /^CPU:(\d+) \[LOST (\d+) EVENTS\]/;

export const enum Code {
  ENTRY,
  EXIT,
  LEAF,
  COMMENT,
  OTHER,
}

export interface GraphLine {
  ts: number;
  cpu: number;
  /** `comm-pid` when the funcgraph-proc option is on. */
  proc: string;
  overhead: string;
  /** µs, NaN on entry lines. */
  duration: number;
  depth: number;
  code: Code;
  /** Function name (entry, leaf, or exit with funcgraph-tail), or the comment text. */
  name: string;
  /** `/* = 0x0 *\/` with funcgraph-retval. */
  retval: string;
}

const ENTRY = /^([^\s(){};]+)\(\)\s*\{(?:\s*\/\*.*\*\/)?\s*$/;
const LEAF = /^([^\s(){};]+)\(\);(?:\s*\/\*\s*=\s*(\S+?)\s*\*\/)?\s*$/;
const EXIT = /^\}(?:\s*\/\*\s*([^\s=*]*)\s*(?:=\s*(\S+?))?\s*\*\/)?\s*$/;
const COMMENT = /^\/\*\s?(.*?)\s?\*\/\s*$/;

/** ` 1) + 41.522 us   |      fn();` read by hand: the common layout (CPU and duration columns only). */
function fastGraphPrefix(line: string, g: { cpu: number; overhead: string; duration: number }): number {
  const n = line.length;
  let i = 0;
  while (i < n && line.charCodeAt(i) === 32) i++;
  const d0 = i;
  let cpu = 0;
  for (let c = line.charCodeAt(i); isDigit(c); c = line.charCodeAt(++i)) cpu = cpu * 10 + c - 48;
  if (i === d0 || line.charCodeAt(i) !== 41 /* ) */) return -1;
  i++;
  while (i < n && line.charCodeAt(i) === 32) i++;
  const c = line.charCodeAt(i);
  let overhead = '';
  // + ! # @ * $: the duration is above 10 µs, 100 µs, 1 ms, 10 ms, 100 ms, 1 s.
  if ((c === 43 || c === 33 || c === 35 || c === 64 || c === 42 || c === 36) && line.charCodeAt(i + 1) === 32) {
    overhead = line[i];
    i += 2;
    while (i < n && line.charCodeAt(i) === 32) i++;
  }
  let duration = NaN;
  if (isDigit(line.charCodeAt(i))) {
    const s0 = i;
    while (i < n && (isDigit(line.charCodeAt(i)) || line.charCodeAt(i) === 46)) i++;
    duration = decimal(line, s0, i);
    if (line.charCodeAt(i) !== 32 || line.charCodeAt(i + 1) !== 117 || line.charCodeAt(i + 2) !== 115) return -1;
    i += 3;
    while (i < n && line.charCodeAt(i) === 32) i++;
  }
  if (line.charCodeAt(i) !== 124 || line.charCodeAt(i + 1) !== 32 || line.charCodeAt(i + 2) !== 32) return -1;
  g.cpu = cpu;
  g.overhead = overhead;
  g.duration = duration;
  return i + 3;
}

export function newGraphLine(): GraphLine {
  return { ts: NaN, cpu: -1, proc: '', overhead: '', duration: NaN, depth: 0, code: Code.OTHER, name: '', retval: '' };
}

export function parseGraphLine(line: string): GraphLine | null {
  const g = newGraphLine();
  return parseGraphInto(line, g) ? g : null;
}

/** parseGraphLine into a reused record: the indexer parses millions of these. */
export function parseGraphInto(line: string, g: GraphLine): boolean {
  g.ts = NaN;
  g.proc = '';
  g.name = '';
  g.retval = '';
  g.code = Code.OTHER;
  let at = fastGraphPrefix(line, g);
  if (at < 0) {
    // The regex backtracks a long way on other lines (event lines, in a function_graph trace); it needs `|  `.
    if (line.indexOf('|  ') < 0) return false;
    const m = GRAPH_LINE.exec(line);
    if (!m) return false;
    g.ts = m[1] !== undefined ? Number(m[1]) : NaN;
    g.cpu = m[2] !== undefined ? Number(m[2]) : -1;
    g.proc = m[3]?.trim() ?? '';
    g.overhead = m[4] ?? '';
    g.duration = m[5] !== undefined ? Number(m[5]) : NaN;
    at = line.length - m[6].length;
  }
  graphBody(line, at, g);
  return true;
}

function graphBody(line: string, at: number, g: GraphLine): void {
  const n = line.length;
  let i = at;
  while (i < n && line.charCodeAt(i) === 32) i++;
  g.depth = (i - at) >> 1;
  // The usual shapes without a regex or a copy of the line: `fn() {`, `fn();`, `}`.
  if (n - i > 4 && line.endsWith('() {') && plainName(line, i, n - 4)) {
    g.code = Code.ENTRY;
    g.name = line.slice(i, n - 4);
    return;
  }
  if (n - i > 3 && line.endsWith('();') && plainName(line, i, n - 3)) {
    g.code = Code.LEAF;
    g.name = line.slice(i, n - 3);
    return;
  }
  if (n - i === 1 && line.charCodeAt(i) === 125 /* } */) {
    g.code = Code.EXIT;
    return;
  }
  const code = line.slice(i);
  let c: RegExpExecArray | null;
  if ((c = ENTRY.exec(code))) {
    g.code = Code.ENTRY;
    g.name = c[1];
  } else if ((c = LEAF.exec(code))) {
    g.code = Code.LEAF;
    g.name = c[1];
    g.retval = c[2] ?? '';
  } else if ((c = EXIT.exec(code))) {
    g.code = Code.EXIT;
    g.name = c[1] ?? '';
    g.retval = c[2] ?? '';
  } else if ((c = COMMENT.exec(code))) {
    g.code = Code.COMMENT;
    g.name = c[1];
    // Comments are indented one level deeper than the calls around them.
    g.depth = Math.max(0, g.depth - 1);
  } else g.name = code;
}

/** A function name: no blank, bracket, brace or semicolon in code[start, end). */
function plainName(code: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = code.charCodeAt(i);
    if (c === 32 || c === 40 || c === 41 || c === 123 || c === 125 || c === 59 || c === 9) return false;
  }
  return true;
}

/** `task-pid` split at the last dash. */
export function splitProc(proc: string): { task: string; pid: number } | null {
  const m = /^(.*)-(\d+)$/.exec(proc.trim());
  return m ? { task: m[1], pid: Number(m[2]) } : null;
}

/** Field names the event record itself uses; a tracepoint field of the same name is kept as `field_<name>`. */
export const RESERVED = new Set([
  'index',
  'type',
  'line',
  'offset',
  'cpu',
  'ts',
  'text',
  'vmid',
  'subsystem',
  'event',
  'task',
  'task_pid',
  'tgid',
  'flags',
  'irqs_off',
  'need_resched',
  'context',
  'preempt_depth',
  'message',
]);

const KEY = /(?:^|\s)([A-Za-z_][\w.]*)=/g;
const INT = /^-?\d{1,15}$/;

/**
 * `key=value` pairs of a tracepoint's text. A value runs to the blank before
 * the next key, so values with spaces (`comm=Web Content`) survive;
 * sched_switch's `==>` separator is dropped; decimal integers become numbers.
 */
export function keyValues(text: string, out: Record<string, FieldValue>): number {
  const keys: { name: string; start: number; value: number }[] = [];
  KEY.lastIndex = 0;
  for (let m = KEY.exec(text); m; m = KEY.exec(text)) {
    keys.push({ name: m[1], start: m.index + (m[0].length - m[1].length - 1), value: m.index + m[0].length });
  }
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    let v = text.slice(k.value, i + 1 < keys.length ? keys[i + 1].start : text.length).trim();
    if (v.endsWith('==>')) v = v.slice(0, -3).trimEnd();
    const name = RESERVED.has(k.name) || k.name in out ? `field_${k.name}` : k.name;
    out[name] = INT.test(v) ? Number(v) : v;
  }
  return keys.length;
}

/** raw_syscalls: `NR 33 (b, 1, …)` and `NR 33 = 1`, which have no `key=value` pairs. */
const SYS_ENTER = /^NR (-?\d+) \((.*)\)\s*$/;
const SYS_EXIT = /^NR (-?\d+) = (-?\d+)\s*$/;

export function syscallFields(text: string, out: Record<string, FieldValue>): boolean {
  let m = SYS_ENTER.exec(text);
  if (m) {
    out.nr = Number(m[1]);
    out.args = m[2];
    return true;
  }
  m = SYS_EXIT.exec(text);
  if (m) {
    out.nr = Number(m[1]);
    out.ret = Number(m[2]);
    return true;
  }
  return false;
}

/** The irq-info flags column decoded (trace_print_lat_fmt). */
export function flagFields(flags: string, out: Record<string, FieldValue>): void {
  if (flags.length < 4) return;
  out.flags = flags;
  out.irqs_off = flags[0] === 'd' || flags[0] === 'D';
  out.need_resched = flags[1] !== '.';
  const c = flags[2];
  out.context = c === 'Z' || c === 'z' ? 'nmi' : c === 'H' || c === 'h' ? 'hardirq' : c === 's' ? 'softirq' : 'normal';
  out.preempt_depth = flags[3] === '.' ? 0 : parseInt(flags[3], 16) || 0;
}
