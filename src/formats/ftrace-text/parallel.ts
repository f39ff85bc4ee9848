import { ColumnWriter, MemoryColumns } from '../../model/bundle.js';
import { DiagnosticLog, type Diagnostic } from '../../model/diagnostics.js';
import { EventTableBuilder, type TablePiece } from '../../model/event-table.js';
import type { BuildContext } from '../../model/format.js';
import { splitPoint, statInput } from '../../util/file-source.js';
import { PARALLEL_MIN_BYTES, startWorker } from '../../util/worker.js';
import { ftraceExtra, scanFtrace, type FtracePart, type FtraceState, type FtraceSummaryExtra } from './build.js';
import { T, TYPE_NAMES } from './types.js';

/** One byte range of a file, read into segment `segment` of the bundle in `dir`, starting in `state` (guessed from the file's head when absent). */
export interface PartTask {
  path: string;
  name: string;
  dir: string;
  segment: number;
  start: number;
  end: number;
  state?: FtraceState;
}

interface PartResult {
  part: FtracePart;
  piece: TablePiece;
  diagnostics: Diagnostic[];
}

export function scanPart(task: PartTask): PartResult {
  const diags = new DiagnosticLog();
  const table = new EventTableBuilder(TYPE_NAMES, new ColumnWriter(task.dir, task.segment));
  const start = task.state ?? guessState(task.path, task.start);
  const part = scanFtrace(task.path, task.name, diags, table, { range: { start: task.start, end: task.end }, start });
  return { part, piece: table.finish(), diagnostics: diags.list() };
}

/** Bytes at the file's start read to guess the state the second half starts in. */
const HEAD_BYTES = 256 << 10;

/**
 * The state reading is in after the file's head: a trace shows in its first
 * lines whether it is function_graph output and has a `# tracer:` line.
 * Open calls are not guessed: the second part is read as if none were open.
 */
function guessState(path: string, limit: number): FtraceState {
  const table = new EventTableBuilder(TYPE_NAMES, new MemoryColumns());
  const head = scanFtrace(path, '', new DiagnosticLog(), table, { range: { start: 0, end: Math.min(HEAD_BYTES, limit) } });
  return { ...head.end, stacks: [] };
}

function sameState(a: FtraceState, b: FtraceState): boolean {
  return a.graphFirst === b.graphFirst && a.tracerSeen === b.tracerSeen && a.stacks.length === 0 && b.stacks.length === 0;
}

/**
 * Reads an ftrace text file on two cores when it is large: a worker reads
 * the second half (from a line that is neither a stack frame nor a comment)
 * starting in the state the file's head suggests, while this thread reads
 * the first. Where the first half ends in another state (function_graph
 * calls still open, graph lines first seen after the head), this thread
 * reads the second half again from that state: the result is always what
 * one pass gives.
 */
export function scanFtraceFile(path: string, ctx: BuildContext): { pieces: TablePiece[]; lineBases: number[]; extra: FtraceSummaryExtra; dumpInside: boolean } {
  const size = statInput(path).size;
  const tasks: PartTask[] = [];
  const mid = size < PARALLEL_MIN_BYTES ? size : splitPoint(path, Math.floor(size / 2), goodStart);
  const first = new EventTableBuilder(TYPE_NAMES, new ColumnWriter(ctx.dir, 0));
  let pending: { wait(): unknown } | null = null;
  if (mid < size) {
    tasks.push({ path, name: ctx.name, dir: ctx.dir, segment: 1, start: mid, end: size });
    pending = startWorker(new URL('./worker.js', import.meta.url), tasks[0]);
  }
  const parts: FtracePart[] = [scanFtrace(path, ctx.name, ctx.diagnostics, first, { progress: ctx.progress, range: { start: 0, end: mid } })];
  const pieces = [first.finish()];
  const lineBases = [0];
  if (pending) {
    let second = pending.wait() as PartResult;
    if (!sameState(parts[0].end, second.part.start)) second = scanPart({ ...tasks[0], state: parts[0].end });
    ctx.diagnostics.absorb(second.diagnostics.map((d) => (d.line !== undefined ? { ...d, line: d.line + parts[0].lines } : d)));
    lineBases.push(parts[0].lines);
    parts.push(second.part);
    pieces.push(second.piece);
  }
  let events = 0;
  let untraced = 0;
  for (const p of pieces) {
    events += p.events;
    untraced += p.counts[T.LINE] + p.counts[T.LOST_EVENTS];
  }
  const extra = ftraceExtra(parts, lineBases, { events, untraced }, ctx.diagnostics, ctx.name);
  return { pieces, lineBases, extra, dumpInside: parts.some((p) => p.dumpInside) };
}

const FRAME = Buffer.from(' => ', 'latin1');
const BAR = Buffer.from('|  ', 'latin1');

/**
 * A line the second half may start at: not a stack frame (` => fn`) or a
 * comment, which go with the lines before them, and a function_graph line
 * only at depth 0, where a trace of one CPU has no call open.
 */
function goodStart(head: Buffer): boolean {
  if (head[0] === 35 /* # */ || head.subarray(0, 4).equals(FRAME)) return false;
  // No `|`: an event line. An irq arrow (` 0)   ==========> |`) is inside a call.
  if (!head.includes(124)) return true;
  const bar = head.lastIndexOf(BAR);
  const c = bar < 0 ? undefined : head[bar + 3];
  return c !== undefined && c !== 32 && c !== 125 /* } */;
}

