import type { EventRecord } from '../model/event.js';
import type { Evidence, SourceMeta } from './types.js';
import { thousands } from '../util/thousands.js';

/** Evidence from a decoded event: its index, line or offset, and its text without the `N: ` line prefix text readers add. */
export function recordEvidence(e: EventRecord): Evidence {
  const ev: Evidence = { index: e.index, text: e.text.replace(/^\d+: /, '') };
  if (e.line !== undefined && e.line > 0) ev.line = e.line;
  else if (e.offset !== undefined && e.offset >= 0) ev.offset = e.offset;
  return ev;
}

/** Evidence for event `index`, decoded now (one read); a placeholder when the event cannot be read back. */
export function eventEvidence(meta: SourceMeta, index: number): Evidence {
  try {
    return recordEvidence(meta.event(index));
  } catch {
    return { index, text: '(event could not be read back)' };
  }
}

/** Evidence for a line of a text source, from its (cleaned) text. */
export function lineEvidence(line: number, text: string, index?: number): Evidence {
  return index === undefined ? { line, text } : { line, index, text };
}

/** `n` with thousands separators. */
export const num = thousands;

/** `1 thing` / `2 things`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${num(n)} ${n === 1 ? one : many}`;
}
