import type { FieldValue } from '../../model/event.js';
import type { RowScratch } from '../../model/event-table.js';

/**
 * Classifies one cleaned line (no CR, escapes or NULs): returns the index of
 * one of the family's `types`, or -1, and fills the row's ts/cpu/sub/aux. It
 * must not allocate for lines it rejects: check the first bytes before any regex.
 */
export interface LineMatcher {
  (line: string, row: RowScratch): number;
  /**
   * What the matcher learned over its pass, as plain data (it may cross a
   * worker boundary when a log is indexed in parts); undefined when nothing.
   */
  state?(): unknown;
}

/** The stored row of an event, as a query hands it to `fields`. */
export interface DecodedRow {
  line: number;
  ts: number;
  cpu: number;
  sub: string;
  aux: number;
}

/**
 * One family of console lines (Linux printk, Breenix logs, seL4 boot output…).
 * `create` returns a fresh matcher per indexing pass, so a family may keep
 * state across lines (e.g. a counter frequency seen earlier in the log).
 */
export interface LineFamily {
  id: string;
  types: readonly string[];
  create(): LineMatcher;
  /** Lines whose head matches this are classified whole, not by their first bytes (the family checks them to the end). */
  fullLine?: RegExp;
  /** Decoded fields for display (queries only); `row` holds what indexing stored (ts may be converted). */
  fields(line: string, type: number, row?: DecodedRow): Record<string, FieldValue>;
  /**
   * Summary extras from the states of every pass's matcher, in input order
   * (one state per part of the log; undefined where a part had nothing).
   */
  summarize?(states: unknown[]): Record<string, unknown>;
}
