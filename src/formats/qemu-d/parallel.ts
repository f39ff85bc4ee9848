import type { Diagnostic } from '../../model/diagnostics.js';
import type { BuildContext } from '../../model/format.js';
import { scanTwoParts, scanWith, type PartReader, type TwoPartsRead } from '../../model/two-parts.js';
import { preferredSplit } from '../../util/file-source.js';
import { qemuExtra, scanQemu, TYPE_NAMES, type QemuPart, type QemuState, type QemuSummaryExtra } from './build.js';
import { ARM_TAKING, CHECK_EXCEPTION, CPU_RESET, SERVICING, TRACE } from './lines.js';

/** Logs this large are read in two parts (measured: a 136 MB log gains nothing yet, 540 MB ≈ 1.3×). */
export const TWO_PARTS_MIN_BYTES = 128 << 20;

/**
 * Lines a part may start at: whole record starts that read the same
 * whatever came before (what was open or pending before them ends there),
 * and never an x86 record, which merges with an announcing line before it.
 */
const STARTS = [CHECK_EXCEPTION, SERVICING, CPU_RESET, ARM_TAKING, TRACE];

function recordStart(head: Buffer): boolean {
  const c = head[0];
  if (c !== 99 && c !== 83 && c !== 67 && c !== 84) return false;
  const text = head.toString('latin1');
  return STARTS.some((re) => re.test(text));
}

/** A record start that names its CPU (`Trace N:`, `Taking exception … on CPU N`): the events after it take that CPU, not one from before. */
function namesCpu(head: Buffer): boolean {
  const text = head.toString('latin1');
  return head[0] === 84 && (TRACE.test(text) || ARM_TAKING.exec(text)?.[3] !== undefined);
}

/** Where a second part starts and how a part is read: shared with the worker. */
export const QEMU_PARTS: PartReader<QemuState, QemuPart> = {
  worker: new URL('./worker.js', import.meta.url),
  lines: (p) => p.lines,
  // Better a record that names its CPU; no record start near the middle: one part.
  split: (p, pos) => preferredSplit(p, pos, namesCpu, recordStart),
  // The head tells whether the log has AArch64 records; the CPU and counter are not guessed.
  scan: scanWith(TYPE_NAMES, scanQemu, (head) => ({ lastCpu: -1, a64Log: head.a64Log, lastCounter: -1 })),
};

/**
 * A QEMU -d log, on two cores when it is large (see scanTwoParts): the
 * second half starts at a record start, in the state the head suggests; it
 * is read again from the first half's state when it used a CPU or AArch64
 * flag that differs, or when a counter gap at the seam would not come first
 * among its warnings.
 */
export function scanQemuFile(path: string, ctx: BuildContext, minBytes = TWO_PARTS_MIN_BYTES): Omit<TwoPartsRead<unknown>, 'parts'> & { extra: QemuSummaryExtra; dumpInside: boolean } {
  const gapAtSeam = (a: QemuState, second: QemuPart) => second.start.lastCounter < 0 && a.lastCounter >= 0 && second.firstCounter > a.lastCounter + 1;
  const { parts, pieces, lineBases, redone } = scanTwoParts<QemuState, QemuPart>(path, ctx, {
    ...QEMU_PARTS,
    minBytes,
    redoFrom: (first, second) => {
      const a = first.end;
      const b = second.start;
      const differs = (second.usedStartCpu && a.lastCpu !== b.lastCpu) || (second.usedStartA64 && a.a64Log !== b.a64Log) || (gapAtSeam(a, second) && second.firstWarningLine <= second.firstCounterLine);
      return differs ? a : null;
    },
    seam: (first, second, base): Diagnostic[] => {
      const a = first.end;
      if (!gapAtSeam(a, second)) return [];
      const n = second.firstCounter;
      return [{ code: 'RECORD_GAP', severity: 'warning', file: ctx.name, line: second.firstCounterLine + base, message: `QEMU's interrupt counter jumps from ${a.lastCounter} to ${n}: ${n - a.lastCounter - 1} record(s) missing here` }];
    },
  });
  const events = pieces.reduce((n, p) => n + p.events, 0);
  return { pieces, lineBases, redone, extra: qemuExtra(parts, lineBases, events, ctx.diagnostics, ctx.name), dumpInside: parts.some((p) => p.dumpInside) };
}
