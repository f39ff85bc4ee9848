import type { Diagnostic } from './diagnostics.js';
import type { EventRecord } from './event.js';

/** Summary record per PRODUCT.md: `events`, `types`, plus what the format knows. */
export interface Summary {
  format: string;
  source: string;
  events: number;
  types: Record<string, number>;
  warnings: Diagnostic[];
  [key: string]: unknown;
}

/**
 * A reused view of the current event during a scan. Fields are plain
 * numbers (NaN / -1 / 0 when unknown) so a full pass allocates nothing per
 * event; `record()` materialises the decoded event when an analysis needs it.
 */
export interface EventCursor {
  index: number;
  /** Index into the source's `typeNames`. */
  type: number;
  /** Timestamp in the source's unit, NaN when none. */
  ts: number;
  /** CPU, -1 when unknown. */
  cpu: number;
  /** VM / VMID context, -1 when unknown. */
  vmid: number;
  /** 1-based line for text sources, 0 otherwise. */
  line: number;
  /** Word or byte offset for binary sources, the byte offset of the line for text sources; -1 when unknown. */
  offset: number;
  /** The format's one filterable number (pc, level, irq…), NaN when none. */
  aux: number;
  record(): EventRecord;
}

/**
 * Queries over one indexed source. Implementations read only what a query
 * needs from the bundle and the input; nothing decodes the whole input.
 */
export interface EventSource {
  readonly count: number;
  readonly typeNames: readonly string[];
  summary(): Summary;
  /** Event n (0-based); throws UserError when out of range. */
  event(n: number): EventRecord;
  /** Events [from, from+count) clipped to the source. */
  events(from: number, count: number): EventRecord[];
  /** Events of `type` with index >= from, in order, at most `limit` (-1 = all); `visit` returns false to stop. */
  filter(type: string, from: number, limit: number, visit: (e: EventRecord) => boolean | void): void;
  /** Every event from `from` on, in order, through one reused cursor; `visit` returns false to stop. */
  scan?(visit: (c: EventCursor) => boolean | void, from?: number): void;
  /** Text sources: per line number, 1 + the type id of the event on that line (0: no event). */
  lineTypes?(): Uint8Array;
  close(): void;
}
