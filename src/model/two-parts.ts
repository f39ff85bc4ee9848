import { ColumnWriter, MemoryColumns } from './bundle.js';
import { DiagnosticLog, type Diagnostic } from './diagnostics.js';
import { EventTableBuilder, type TablePiece } from './event-table.js';
import type { BuildContext } from './format.js';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { statInput } from '../util/file-source.js';
import { Handoff, startWorker } from '../util/worker.js';

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

/** How a reader's line scanner is told what to read: a byte range from a line start, the state to begin in, and (the first part's) how far it may go (see Handoff). */
export interface ScanOptions<S> {
  progress?: (done: number, total: number) => void;
  /** Read size; tests shrink it so lines and records straddle reads. */
  chunkBytes?: number;
  range?: { start: number; end: number };
  start?: S;
  claim?: (end: number) => number;
}

/** A reader's line scanner (scanFtrace, scanQemu): one part of a file into `table`, ending in state `end`. */
export type LineScan<S, P extends { end: S }> = (path: string, name: string, diags: DiagnosticLog, table: EventTableBuilder, opts: ScanOptions<S>) => P;

/** Bytes at the file's start read to guess the state a later part starts in. */
const HEAD_BYTES = 256 << 10;

/**
 * PartReader.scan for a line scanner: each part into its own segment; a part
 * starting past the file's head with no state given starts in the state the
 * head leaves, kept to what a head can tell (`guess`).
 */
export function scanWith<S, P extends { end: S }>(typeNames: readonly string[], scanLines: LineScan<S, P>, guess: (head: S) => S): PartReader<S, P>['scan'] {
  const headState = (path: string, limit: number) => guess(scanLines(path, '', new DiagnosticLog(), new EventTableBuilder(typeNames, new MemoryColumns()), { range: { start: 0, end: Math.min(HEAD_BYTES, limit) } }).end);
  return (task, diags, progress, claim) => {
    const table = new EventTableBuilder(typeNames, new ColumnWriter(task.dir, task.segment));
    const start = task.state ?? (task.start === 0 ? undefined : headState(task.path, task.start));
    const part = scanLines(task.path, task.name, diags, table, { progress, range: { start: task.start, end: task.end }, start, claim });
    return { part, piece: table.finish(), diagnostics: diags.list() };
  };
}

/** How a reader reads a file in parts: what the worker and this thread share. */
export interface PartReader<S, P> {
  /** The worker module: it serves readSecondPart with this reader. */
  worker: URL;
  /** Where a second part may start: a line start after `pos` (see splitPoint); -1 when none is near. */
  split(path: string, pos: number): number;
  /** Reads one part; `claim` (the first part's) says how far it may read (see Handoff). */
  scan(task: PartTask<S>, diags: DiagnosticLog, progress?: (done: number, total: number) => void, claim?: (end: number) => number): PartResult<P>;
  /** Lines a part read. */
  lines(part: P): number;
}

export interface TwoParts<S, P> extends PartReader<S, P> {
  /** Smaller inputs are read in one part: below this a worker's start and the shared memory bus cost more than it saves. */
  minBytes: number;
  /**
   * The state the first part ended in, when the second part, read from the
   * state it started in, is not what one pass gives after the first (it is
   * then read again from this state); null when it is; 'whole' when only one
   * pass over the whole file can give it (the second part's first lines
   * belong to the first part's last event).
   */
  redoFrom(first: P, second: P): S | null | 'whole';
  /** Warnings only the seam shows (a counter jump across it), lines counted in the whole file. */
  seam?(first: P, second: P, lineBase: number): Diagnostic[];
  /**
   * A part read from any line start gives what one pass gives (redoFrom is
   * always null, no seam): this thread, done first, may then read the end of
   * the worker's part itself, as a third part (see scanTwoParts).
   */
  steal?: boolean;
}

/** The parts as read (one to three, in file order), their table pieces, the line each starts after, and whether the second was read again. */
export interface TwoPartsRead<P> {
  parts: P[];
  pieces: TablePiece[];
  lineBases: number[];
  redone: boolean;
}

/** What the worker gets: the second part's task (its start still to pick) and the handoff cells. */
interface SecondTask<S> {
  task: PartTask<S>;
  cells: BigInt64Array;
  /** With `steal`: the cells of the worker's own claims, this thread the one that may stop them. */
  back?: BigInt64Array;
}

/** Less than this left of the worker's part is not worth a third part. */
const MIN_STEAL_BYTES = 2 << 20;

/**
 * Reads a text file on two cores when it is large. This thread reads from
 * the start, claiming a read at a time; the worker, once started, stops the
 * claims and starts at the place `split` finds halfway through what is left,
 * so the two finish together however long the worker took to start (and,
 * with `steal`, when this thread is done first it reads the end of the
 * worker's part, which the worker claims a read at a time too). The reader
 * decides from both parts whether the second needs reading again from the
 * state the first ended in, so the result is always what one pass gives.
 */
export function scanTwoParts<S, P>(path: string, ctx: BuildContext, r: TwoParts<S, P>): TwoPartsRead<P> {
  const size = statInput(path).size;
  const task: PartTask<S> = { path, name: ctx.name, dir: ctx.dir, segment: 0, start: 0, end: size };
  const single = (p: PartResult<P>): TwoPartsRead<P> => ({ parts: [p.part], pieces: [p.piece], lineBases: [0], redone: false });
  if (size < r.minBytes) return single(r.scan(task, ctx.diagnostics, ctx.progress));
  const handoff = new Handoff();
  const back = r.steal ? new Handoff() : null;
  const second: PartTask<S> = { ...task, segment: 1 };
  const pending = startWorker(r.worker, { task: second, cells: handoff.cells, back: back?.cells } satisfies SecondTask<S>);
  handoff.alive = pending.alive;
  // The first part's warnings go to the build once it is known to stand.
  const firstDiags = new DiagnosticLog();
  const first = r.scan(task, firstDiags, ctx.progress, (end) => handoff.claim(end));
  // Done first (the worker started late, or its core is the slower one): read the second half of what the worker
  // has not yet claimed here, so neither thread waits long for the other.
  let third: PartResult<P> | null = null;
  let secondEnd = size;
  const at = handoff.picked();
  if (back && at >= 0 && at < size) {
    const claimed = Math.max(back.stop(), at);
    const t = size - claimed >= 2 * MIN_STEAL_BYTES ? r.split(path, Math.floor((claimed + size) / 2)) : -1;
    if (t >= claimed && t < size) secondEnd = t;
    back.pick(secondEnd);
    if (secondEnd < size) third = r.scan({ ...second, segment: 2, start: secondEnd }, new DiagnosticLog());
  }
  let next: PartResult<P> | null;
  try {
    next = pending.wait() as PartResult<P> | null;
  } catch {
    // The worker failed: this thread reads the part it had picked, if it picked one.
    next = at >= 0 && at < size ? r.scan({ ...second, start: at, end: secondEnd }, new DiagnosticLog()) : null;
  }
  const state = next === null ? null : r.redoFrom(first.part, next.part);
  if (state === 'whole') {
    for (const c of Object.values(next?.piece.columns ?? {})) if (c.segment.file) rmSync(join(ctx.dir, c.segment.file), { force: true });
    return single(r.scan(task, ctx.diagnostics, ctx.progress));
  }
  ctx.diagnostics.absorb(firstDiags.list());
  // The worker started after this thread had read it all.
  if (next === null) return single(first);
  if (state !== null) next = r.scan({ ...second, start: handoff.picked(), state }, new DiagnosticLog());
  const base = r.lines(first.part);
  for (const d of r.seam?.(first.part, next.part, base) ?? []) ctx.diagnostics.add(d);
  const shifted = (ds: Diagnostic[], by: number) => ds.map((d) => (d.line !== undefined ? { ...d, line: d.line + by } : d));
  ctx.diagnostics.absorb(shifted(next.diagnostics, base));
  const read: TwoPartsRead<P> = { parts: [first.part, next.part], pieces: [first.piece, next.piece], lineBases: [0, base], redone: state !== null };
  if (third) {
    const base2 = base + r.lines(next.part);
    ctx.diagnostics.absorb(shifted(third.diagnostics, base2));
    read.parts.push(third.part);
    read.pieces.push(third.piece);
    read.lineBases.push(base2);
  }
  return read;
}

/**
 * The worker's side of scanTwoParts: picks where its part starts (halfway
 * through what the first thread has not claimed) and reads it; null when
 * nothing is left to take.
 */
export function readSecondPart<S, P>(r: PartReader<S, P>, data: unknown): PartResult<P> | null {
  const { task, cells, back } = data as SecondTask<S>;
  const handoff = new Handoff(cells);
  // With `back`, this part's reads are claimed too: the first thread may take the end of it (see scanTwoParts).
  const own = back ? new Handoff(back) : null;
  const end = task.end;
  let at = end;
  try {
    // The first thread reads on to what it had claimed (one read's worth) and waits there for the pick.
    const from = handoff.stop();
    const s = from >= end ? -1 : r.split(task.path, Math.floor((from + end) / 2));
    if (s >= from && s < end) at = s;
  } catch {
    // No place found (the file could not be read): the first thread reads it all.
  } finally {
    handoff.pick(at);
  }
  return at < end ? r.scan({ ...task, start: at }, new DiagnosticLog(), undefined, own ? (e) => own.claim(e) : undefined) : null;
}
