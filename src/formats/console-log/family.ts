import type { FieldValue } from '../../model/event.js';
import type { RowScratch } from '../../model/event-table.js';

/**
 * Classifies one cleaned line (no CR, escapes or NULs): returns the index of
 * one of the family's `types`, or -1, and fills the row's ts/cpu/sub/aux. It
 * must not allocate for lines it rejects: check the first bytes before any regex.
 */
export type LineMatcher = (line: string, row: RowScratch) => number;

/**
 * One family of console lines (Linux printk, Breenix logs, seL4 boot output…).
 * `create` returns a fresh matcher per indexing pass, so a family may keep
 * state across lines (e.g. a counter frequency seen earlier in the log).
 */
export interface LineFamily {
  id: string;
  types: readonly string[];
  create(): LineMatcher;
  /** Decoded fields for display (queries only). */
  fields(line: string, type: number): Record<string, FieldValue>;
}
