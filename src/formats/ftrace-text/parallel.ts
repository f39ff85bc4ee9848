import type { BuildContext } from '../../model/format.js';
import { scanTwoParts, scanWith, type PartReader, type TwoPartsRead } from '../../model/two-parts.js';
import { preferredSplit } from '../../util/file-source.js';
import { ftraceExtra, scanFtrace, type FtracePart, type FtraceState, type FtraceSummaryExtra } from './build.js';
import { newEventSpan, scanEventSpan, TraceLine } from './parse.js';
import { T, TYPE_NAMES } from './types.js';

/** Where a second part starts and how a part is read: shared with the worker. */
export const FTRACE_PARTS: PartReader<FtraceState, FtracePart> = {
  worker: new URL('./worker.js', import.meta.url),
  lines: (p) => p.lines,
  // An event line or a graph line at depth 0, else any line of its own (the second half is then likely read again).
  split: (p, pos) => preferredSplit(p, pos, goodStart, ownLine),
  // Open calls and stack traces are not guessed: the second part is read as if none were open.
  scan: scanWith(TYPE_NAMES, scanFtrace, (head) => ({ ...head, stacks: [], stackOpen: false })),
};

/** Inputs this large are read in two parts (measured: a 135 MB trace gains nothing yet, 270 MB ≈ 1.3×, 540 MB 1.6×). */
export const TWO_PARTS_MIN_BYTES = 128 << 20;

const FRAME = Buffer.from(' => ', 'latin1');

const probe = new TraceLine();
const span = newEventSpan();

/** Any line but a frame or a comment, when no event or graph line is near. */
function ownLine(head: Buffer): boolean {
  return head[0] !== 35 /* # */ && !head.subarray(0, 4).equals(FRAME);
}
const BAR = Buffer.from('|  ', 'latin1');

/**
 * A line the second half may start at: an event line (not a stack frame
 * ` => fn` or a comment, which go with the lines before them), or a
 * function_graph line at depth 0, where a trace of one CPU has no call open.
 */
function goodStart(head: Buffer): boolean {
  if (!ownLine(head)) return false;
  // No `|`: an event line, which goes with no line before it (it ends a stack trace's frames, unlike a separator).
  // An irq arrow (` 0)   ==========> |`) is inside a call.
  if (!head.includes(124)) return scanEventSpan(probe.set(head, 0, head.length), span);
  const bar = head.lastIndexOf(BAR);
  const c = bar < 0 ? undefined : head[bar + 3];
  return c !== undefined && c !== 32 && c !== 125 /* } */;
}

/**
 * An ftrace text file, on two cores when it is large (see scanTwoParts): the
 * second half starts in the state the file's head shows; where the first
 * half ends in another (function_graph calls still open on some CPU, graph
 * lines first seen after the head), it is read again from that state.
 */
export function scanFtraceFile(path: string, ctx: BuildContext, minBytes = TWO_PARTS_MIN_BYTES): Omit<TwoPartsRead<unknown>, 'parts'> & { extra: FtraceSummaryExtra; dumpInside: boolean } {
  const { parts, pieces, lineBases, redone } = scanTwoParts<FtraceState, FtracePart>(path, ctx, {
    ...FTRACE_PARTS,
    minBytes,
    redoFrom: (first, second) => {
      const a = first.end;
      const b = second.start;
      // Frames at the second part's start extend the first part's last event: one pass only.
      if (a.stackOpen && second.usedStartStack) return 'whole';
      const same = a.graphFirst === b.graphFirst && a.tracerSeen === b.tracerSeen && a.stacks.length === 0 && b.stacks.length === 0;
      return same ? null : a;
    },
  });
  let events = 0;
  let untraced = 0;
  for (const p of pieces) {
    events += p.events;
    untraced += p.counts[T.LINE] + p.counts[T.LOST_EVENTS];
  }
  const extra = ftraceExtra(parts, lineBases, { events, untraced }, ctx.diagnostics, ctx.name);
  return { pieces, lineBases, redone, extra, dumpInside: parts.some((p) => p.dumpInside) };
}
