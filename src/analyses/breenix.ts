import { breenixEventTypes } from '../model/breenix-names.js';
import type { EventCursor } from '../model/source.js';
import type { SourceMeta } from './types.js';

/**
 * Breenix trace events reach analyses as TRACE_EVENT with the kernel's type
 * id in `aux` (the console `[TRACE]` dump family and the breenix-trace
 * reader agree on that); the payload is read from the line or the record
 * only for the few ids an analysis cares about.
 */

const ID_BY_NAME = new Map<string, number>();
for (const t of breenixEventTypes()) if (!ID_BY_NAME.has(t.name)) ID_BY_NAME.set(t.name, t.id);

/** The kernel's id for an event name (`SYSCALL_ENTRY` → 0x0300); throws for a name the table lacks (a typo here). */
export function breenixId(name: string): number {
  const id = ID_BY_NAME.get(name);
  if (id === undefined) throw new Error(`no Breenix trace event named ${name}`);
  return id;
}

/** The type id of Breenix trace events in this source, or -1 when it has none. */
export function breenixTraceType(meta: SourceMeta): number {
  if (meta.format !== 'console-log' && meta.format !== 'breenix-trace') return -1;
  const t = meta.typeNames.indexOf('TRACE_EVENT');
  return t >= 0 && (meta.summary.types.TRACE_EVENT ?? 0) > 0 ? t : -1;
}

/**
 * The payload of a dump line, `… <label>=<payload>[ flags=0x<h>]`, read
 * backwards from the end of its bytes (no string); NaN when the line does
 * not end that way.
 */
export function payloadFromLine(buf: Uint8Array, start: number, end: number): number {
  let e = end;
  // Skip a trailing ` flags=0x<hex>`.
  let j = e - 1;
  while (j >= start && ((buf[j] >= 48 && buf[j] <= 57) || (buf[j] >= 97 && buf[j] <= 102))) j--;
  if (j >= start + 8 && buf[j] === 120 && buf[j - 1] === 48 && buf[j - 2] === 61 && buf[j - 3] === 115 && buf[j - 8] === 32) e = j - 8;
  let k = e - 1;
  let v = 0;
  let scale = 1;
  while (k >= start && buf[k] >= 48 && buf[k] <= 57) {
    v += (buf[k] - 48) * scale;
    scale *= 10;
    k--;
  }
  return k < e - 1 && k >= start && buf[k] === 61 ? v : NaN;
}

/** The 32-bit payload of the current Breenix trace event; NaN when it cannot be read. */
export function breenixPayload(meta: SourceMeta, c: EventCursor): number {
  const t = meta.text;
  if (t && c.line > 0) return t.seek(c.line, c.offset) ? payloadFromLine(t.buf, t.start, t.end) : NaN;
  const p = c.record().fields.payload;
  return typeof p === 'number' ? p : NaN;
}
