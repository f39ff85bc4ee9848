/**
 * Crash extraction: every panic, oops, BUG, fault, warning and hung-task
 * report in a console log as one record with a stable title.
 */
import { extractFromFile, type KnownRingLines } from './extract.js';
import type { CrashRecord } from './types.js';

export type { CrashFamily, CrashFrame, CrashKind, CrashRecord, DispatchEntry, EsrInfo } from './types.js';
export { extractFromText, type KnownRingLines } from './extract.js';
export { decodeEsr } from './esr.js';
export { maskMessage } from './title.js';

/** Crash records of a plain (already decompressed) text file, in line order, and its line count; `ring` as in extractFromFile. */
export function extractCrashes(path: string, ring?: KnownRingLines): { crashes: CrashRecord[]; lines: number } {
  return extractFromFile(path, undefined, ring);
}
