import type { FieldValue } from '../../model/event.js';
import { SubCache } from '../../util/sub-cache.js';

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

/**
 * One line for the parsers below, as bytes [s, e) of a buffer: the indexer
 * hands over its read buffer (the parsers read bytes, names come from a
 * SubCache, the text is made only when an unusual line needs a regex); a
 * decoder hands over a string, and every slice is then taken from the string.
 */
export class TraceLine {
  buf: Buffer = Buffer.alloc(0);
  s = 0;
  e = 0;
  private str: string | null = null;
  private fromString = false;

  constructor(private readonly names: SubCache | null = null) {}

  set(buf: Buffer, s: number, e: number): this {
    this.buf = buf;
    this.s = s;
    this.e = e;
    this.str = null;
    this.fromString = false;
    return this;
  }

  /** A line of text: one byte per UTF-16 unit (above 0xff as 0xff, which no grammar here uses), so positions index the string. */
  static of(line: string): TraceLine {
    const b = Buffer.allocUnsafe(line.length);
    for (let i = 0; i < line.length; i++) {
      const c = line.charCodeAt(i);
      b[i] = c < 256 ? c : 255;
    }
    const t = new TraceLine().set(b, 0, b.length);
    t.str = line;
    t.fromString = true;
    return t;
  }

  /** The whole line. */
  text(): string {
    return (this.str ??= this.buf.toString('latin1', this.s, this.e));
  }

  /** Bytes [a, b) (positions in the buffer) as text. */
  slice(a: number, b: number): string {
    return this.fromString ? (this.str as string).slice(a - this.s, b - this.s) : this.buf.toString('latin1', a, b);
  }

  /** slice() for a name that repeats (task, event, function): the same string for the same bytes. */
  name(a: number, b: number): string {
    return this.names !== null && !this.fromString ? this.names.get(this.buf, a, b) : this.slice(a, b);
  }
}

/** Where the parts of an event line are (positions in the line's buffer), for the indexer: nothing sliced but what it keeps. */
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

/** Number() of buf[s, e) (digits and dots), computed from the digits when there is at most one dot and they fit a double exactly. */
function decimal(buf: Buffer, s: number, e: number): number {
  let num = 0;
  let scale = 1;
  let digits = 0;
  let dot = false;
  for (let i = s; i < e; i++) {
    const c = buf[i];
    if (c === 46) {
      if (dot) return Number(buf.toString('latin1', s, e));
      dot = true;
    } else {
      num = num * 10 + (c - 48);
      digits++;
      if (dot) scale *= 10;
    }
  }
  if (digits === 0) return NaN;
  // One division of two exact integers rounds as parsing the text does.
  return digits <= 15 ? num / scale : Number(buf.toString('latin1', s, e));
}

/** buf[i] inside the line, -1 past its end (so no compare matches the next line's bytes). */
function byteAt(t: TraceLine, i: number): number {
  return i < t.e ? t.buf[i] : -1;
}

/**
 * The default column layout read by hand: trace files hold millions of
 * lines and the regex's backtracking over the comm dominates otherwise.
 * Returns false for anything unusual (a timestamp with two dots too); the
 * regex then decides.
 */
export function scanEventSpan(t: TraceLine, out: EventSpan): boolean {
  const buf = t.buf;
  const s = t.s;
  const n = t.e;
  let j = s;
  while (j < n && buf[j] !== 91) j++;
  while (j > s && j < n) {
    // `[ddd] ` with `-pid` (and maybe `(tgid)`) before it.
    let k = j + 1;
    let cpu = 0;
    while (k < n && isDigit(buf[k])) cpu = cpu * 10 + buf[k++] - 48;
    if (k > j + 1 && byteAt(t, k) === 93 && byteAt(t, k + 1) === 32) {
      let b = j - 1;
      while (b > s && buf[b] === 32) b--;
      let tgid: number | null = null;
      if (buf[b] === 41 /* ) */) {
        let open = b;
        while (open >= s && buf[open] !== 40) open--;
        if (open < s) return false;
        tgid = tgidOf(t, open + 1, b);
        b = open - 1;
        while (b > s && buf[b] === 32) b--;
      }
      const pidEnd = b + 1;
      while (b > s && isDigit(buf[b])) b--;
      if (b + 1 === pidEnd || buf[b] !== 45 /* - */) return false;
      let t0 = s;
      while (t0 < b && buf[t0] === 32) t0++;
      // Flags (no digit first), then the timestamp and ': '.
      let i = k + 2;
      while (i < n && buf[i] === 32) i++;
      let flagsStart = i;
      let flagsEnd = i;
      if (!isDigit(byteAt(t, i))) {
        let f = i;
        while (f < n && buf[f] !== 32) f++;
        if (f === n || f - i < 4 || f - i > 6) return false;
        flagsStart = i;
        flagsEnd = f;
        i = f;
        while (i < n && buf[i] === 32) i++;
      }
      const ts0 = i;
      let dots = 0;
      for (; i < n && (isDigit(buf[i]) || buf[i] === 46); i++) if (buf[i] === 46) dots++;
      if (i === ts0 || byteAt(t, i) !== 58 || byteAt(t, i + 1) !== 32 || dots > 1) return false;
      let pid = 0;
      for (let p = b + 1; p < pidEnd; p++) pid = pid * 10 + buf[p] - 48;
      out.taskStart = t0;
      out.dash = b;
      out.pidEnd = pidEnd;
      out.pid = pidEnd - b - 1 <= 15 ? pid : Number(buf.toString('latin1', b + 1, pidEnd));
      out.tgid = tgid;
      out.cpu = k - j - 1 <= 15 ? cpu : Number(buf.toString('latin1', j + 1, k));
      out.flagsStart = flagsStart;
      out.flagsEnd = flagsEnd;
      out.tsStart = ts0;
      out.tsEnd = i;
      out.ts = decimal(buf, ts0, i);
      out.bodyStart = i + 2;
      return true;
    }
    j++;
    while (j < n && buf[j] !== 91) j++;
  }
  return false;
}

/** Whitespace as a regex's `\s` sees it in latin1 text. */
const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13) || c === 160;

/** The tgid inside `(…)`: digits between blanks, null for `(-------)` or anything else. */
function tgidOf(t: TraceLine, a: number, b: number): number | null {
  const buf = t.buf;
  while (a < b && isSpace(buf[a])) a++;
  while (b > a && isSpace(buf[b - 1])) b--;
  if (a === b) return null;
  for (let i = a; i < b; i++) if (!isDigit(buf[i])) return null;
  return Number(buf.toString('latin1', a, b));
}

const span = newEventSpan();

export function parseEventLine(line: string): EventLine | null {
  if (scanEventSpan(TraceLine.of(line), span)) {
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
 * Where the name EVENT_BODY captures from the body at `start` ends (its `:`),
 * or -1 when it does not match; for the indexer, which needs only the name of
 * millions of event bodies and not a match array for each.
 */
export function eventNameEnd(t: TraceLine, start: number): number {
  const buf = t.buf;
  const n = t.e;
  if (n <= start || !isWordStart(buf[start])) return -1;
  let i = start + 1;
  while (i < n && (isWordStart(buf[i]) || isDigit(buf[i]))) i++;
  if (i >= n || buf[i] !== 58 /* : */) return -1;
  // `(.*)$`: no line terminator may follow (in latin1 text only CR and LF are ones).
  for (let k = i + 1; k < n; k++) if (buf[k] === 13 || buf[k] === 10) return -1;
  return i;
}

/** `func <-parent` (function tracer; `func+0x0/0x40` with sym-offset). */
export const FUNCTION_BODY = /^(\S+) <-(\S+)\s*$/;

/** Where FUNCTION_BODY's function (group 1) ends when the body at `start` matches it, else -1. */
export function functionEnd(t: TraceLine, start: number): number {
  const buf = t.buf;
  const n = t.e;
  let i = start;
  while (i < n && !isSpace(buf[i])) i++;
  const end = i;
  if (end === start || byteAt(t, i) !== 32 || byteAt(t, i + 1) !== 60 || byteAt(t, i + 2) !== 45) return -1;
  i += 3;
  const parent = i;
  while (i < n && !isSpace(buf[i])) i++;
  if (i === parent) return -1;
  while (i < n && isSpace(buf[i])) i++;
  return i === n ? end : -1;
}

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

/** ` 1) + 41.522 us   |      fn();` read by hand: the common layout (CPU and duration columns only). Where the code column starts, or -1. */
function fastGraphPrefix(t: TraceLine, g: { cpu: number; overhead: string; duration: number }): number {
  const buf = t.buf;
  const n = t.e;
  let i = t.s;
  while (i < n && buf[i] === 32) i++;
  const d0 = i;
  let cpu = 0;
  while (i < n && isDigit(buf[i])) cpu = cpu * 10 + buf[i++] - 48;
  if (i === d0 || byteAt(t, i) !== 41 /* ) */) return -1;
  i++;
  while (i < n && buf[i] === 32) i++;
  const c = byteAt(t, i);
  let overhead = '';
  // + ! # @ * $: the duration is above 10 µs, 100 µs, 1 ms, 10 ms, 100 ms, 1 s.
  if ((c === 43 || c === 33 || c === 35 || c === 64 || c === 42 || c === 36) && byteAt(t, i + 1) === 32) {
    overhead = String.fromCharCode(c);
    i += 2;
    while (i < n && buf[i] === 32) i++;
  }
  let duration = NaN;
  if (isDigit(byteAt(t, i))) {
    const s0 = i;
    while (i < n && (isDigit(buf[i]) || buf[i] === 46)) i++;
    duration = decimal(buf, s0, i);
    if (byteAt(t, i) !== 32 || byteAt(t, i + 1) !== 117 || byteAt(t, i + 2) !== 115) return -1;
    i += 3;
    while (i < n && buf[i] === 32) i++;
  }
  if (byteAt(t, i) !== 124 || byteAt(t, i + 1) !== 32 || byteAt(t, i + 2) !== 32) return -1;
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
  return parseGraphInto(TraceLine.of(line), g) ? g : null;
}

/** parseGraphLine into a reused record: the indexer parses millions of these. */
export function parseGraphInto(t: TraceLine, g: GraphLine): boolean {
  g.ts = NaN;
  g.proc = '';
  g.name = '';
  g.retval = '';
  g.code = Code.OTHER;
  let at = fastGraphPrefix(t, g);
  if (at < 0) {
    const line = t.text();
    // The regex backtracks a long way on other lines (event lines, in a function_graph trace); it needs `|  `.
    if (line.indexOf('|  ') < 0) return false;
    const m = GRAPH_LINE.exec(line);
    if (!m) return false;
    g.ts = m[1] !== undefined ? Number(m[1]) : NaN;
    g.cpu = m[2] !== undefined ? Number(m[2]) : -1;
    g.proc = m[3]?.trim() ?? '';
    g.overhead = m[4] ?? '';
    g.duration = m[5] !== undefined ? Number(m[5]) : NaN;
    at = t.s + line.length - m[6].length;
  }
  graphBody(t, at, g);
  return true;
}

/** True when the line ends with the ASCII text `tail`. */
function endsWith(t: TraceLine, tail: string): boolean {
  const at = t.e - tail.length;
  if (at < t.s) return false;
  for (let k = 0; k < tail.length; k++) if (t.buf[at + k] !== tail.charCodeAt(k)) return false;
  return true;
}

function graphBody(t: TraceLine, at: number, g: GraphLine): void {
  const buf = t.buf;
  const n = t.e;
  let i = at;
  while (i < n && buf[i] === 32) i++;
  g.depth = (i - at) >> 1;
  // The usual shapes without a regex or a copy of the line: `fn() {`, `fn();`, `}`.
  if (n - i > 4 && endsWith(t, '() {') && plainName(buf, i, n - 4)) {
    g.code = Code.ENTRY;
    g.name = t.name(i, n - 4);
    return;
  }
  if (n - i > 3 && endsWith(t, '();') && plainName(buf, i, n - 3)) {
    g.code = Code.LEAF;
    g.name = t.name(i, n - 3);
    return;
  }
  if (n - i === 1 && buf[i] === 125 /* } */) {
    g.code = Code.EXIT;
    return;
  }
  const code = t.slice(i, n);
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

/** A function name: no blank, bracket, brace or semicolon in buf[start, end). */
function plainName(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = buf[i];
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
