import { DiagnosticLog, type Diagnostic } from './diagnostics.js';
import type { TablePiece } from './event-table.js';
import type { BuildContext } from './format.js';
import { statInput } from '../util/file-source.js';
import { startWorker } from '../util/worker.js';

/** One byte range of a text file, read into segment `segment` of the bundle in `dir`; `state` as the reader defines it (absent: its guess). */
export interface PartTask<S> {
  path: string;
  name: string;
  dir: string;
  segment: number;
  start: number;
  end: number;
  state?: S;
}

/** What a reader's pass over one part gives: its own findings, the table piece and the warnings (lines from the part's start). */
export interface PartResult<P> {
  part: P;
  piece: TablePiece;
  diagnostics: Diagnostic[];
}

export interface TwoParts<S, P> {
  /** The worker module: it serves `scan` on a PartTask. */
  worker: URL;
  /** Smaller inputs are read in one part: below this a worker's start and the shared memory bus cost more than it saves. */
  minBytes: number;
  /** Where the second part starts: a line start after `pos` (see splitPoint); -1 to read the file in one part. */
  split(path: string, pos: number): number;
  scan(task: PartTask<S>, diags: DiagnosticLog, progress?: (done: number, total: number) => void): PartResult<P>;
  lines(part: P): number;
  /**
   * The state the first part ended in, when the second part, read from the
   * state it started in, is not what one pass gives after the first (it is
   * then read again from this state); null when it is.
   */
  redoFrom(first: P, second: P): S | null;
  /** Warnings only the seam shows (a counter jump across it), lines counted in the whole file. */
  seam?(first: P, second: P, lineBase: number): Diagnostic[];
}

/** The parts as read (one or two), their table pieces, the line each starts after, and whether the second was read again. */
export interface TwoPartsRead<P> {
  parts: P[];
  pieces: TablePiece[];
  lineBases: number[];
  redone: boolean;
}

/**
 * Reads a text file on two cores when it is large: a worker reads the
 * second half from the line `split` picks while this thread reads the
 * first (its warnings straight into the build's). The reader decides from
 * both parts whether the second needs reading again from the state the first
 * ended in, so the result is always what one pass gives.
 */
export function scanTwoParts<S, P>(path: string, ctx: BuildContext, r: TwoParts<S, P>): TwoPartsRead<P> {
  const size = statInput(path).size;
  const at = size < r.minBytes ? -1 : r.split(path, Math.floor(size / 2));
  const mid = at < 0 ? size : at;
  const second: PartTask<S> = { path, name: ctx.name, dir: ctx.dir, segment: 1, start: mid, end: size };
  const pending = mid < size ? startWorker(r.worker, second) : null;
  const first = r.scan({ ...second, segment: 0, start: 0, end: mid }, ctx.diagnostics, ctx.progress);
  if (!pending) return { parts: [first.part], pieces: [first.piece], lineBases: [0], redone: false };
  let next = pending.wait() as PartResult<P>;
  const state = r.redoFrom(first.part, next.part);
  if (state !== null) next = r.scan({ ...second, state }, new DiagnosticLog());
  const base = r.lines(first.part);
  for (const d of r.seam?.(first.part, next.part, base) ?? []) ctx.diagnostics.add(d);
  ctx.diagnostics.absorb(next.diagnostics.map((d) => (d.line !== undefined ? { ...d, line: d.line + base } : d)));
  return { parts: [first.part, next.part], pieces: [first.piece, next.piece], lineBases: [0, base], redone: state !== null };
}
