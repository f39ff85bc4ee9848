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
  close(): void;
}
