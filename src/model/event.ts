/** A decoded field value: numbers, strings, booleans, or nested raw words. */
export type FieldValue = number | string | boolean | null | number[];

/**
 * One event as returned by queries (per PRODUCT.md's JSON contract). Built
 * only for events a query returns; indexing never allocates one per event.
 */
export interface EventRecord {
  /** 0-based position in its source. */
  index: number;
  /** UPPER_SNAKE name from the format's type table. */
  type: string;
  /** Word or byte offset of the event's first unit (binary streams). */
  offset?: number;
  /** 1-based line (text sources). */
  line?: number;
  /** Context when known. */
  cpu?: number;
  vmid?: number | null;
  ts?: number;
  /** Decoded payload. */
  fields: Record<string, FieldValue>;
  /** The event as the user's own tools print it. */
  text: string;
}

/** The JSON object for an event: contract fields first, then decoded fields flattened in. */
export function eventToJson(e: EventRecord): Record<string, unknown> {
  const out: Record<string, unknown> = { index: e.index, type: e.type };
  if (e.offset !== undefined) out.offset = e.offset;
  if (e.line !== undefined) out.line = e.line;
  if (e.cpu !== undefined) out.cpu = e.cpu;
  if (e.vmid !== undefined) out.vmid = e.vmid;
  if (e.ts !== undefined) out.ts = e.ts;
  for (const [k, v] of Object.entries(e.fields)) if (!(k in out)) out[k] = v;
  out.text = e.text;
  return out;
}
