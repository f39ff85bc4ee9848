import { tableReader } from '../../model/event-table.js';
import type { FormatReader } from '../../model/format.js';
import { scanFtraceFile } from './parallel.js';
import { decoder } from './decode.js';
import { EVENT_LINE, GRAPH_LINE } from './parse.js';
import { TYPE_NAMES } from './types.js';
import { headLines } from '../../util/head.js';

export { TYPE_NAMES, KNOWN_TRACEPOINTS } from './types.js';
export type { FtraceSummaryExtra } from './build.js';

/**
 * Scores a head: `# tracer:` on the first line is the tracefs header;
 * without it (trace_pipe output, a header cut off), most whole lines must
 * be trace or function_graph lines.
 */
export function detectFtrace(head: Buffer): number {
  const lines = headLines(head);
  if (!lines) return 0;
  const first = lines.find((l) => l.trim() !== '') ?? '';
  if (/^# tracer: \S+/.test(first)) return 0.95;
  let total = 0;
  let hits = 0;
  for (const raw of lines) {
    const l = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (l.trim() === '' || l.startsWith('#')) continue;
    total++;
    if (EVENT_LINE.test(l) || GRAPH_LINE.test(l)) hits++;
  }
  if (hits >= 3 && hits * 4 >= total * 3) return 0.85;
  return 0;
}

/**
 * Linux ftrace text: the tracefs `trace` / `trace_pipe` output of the nop
 * (events), function and function_graph tracers. Every trace line is an
 * event with ts (s), CPU, event name in `sub` and pid in `aux`;
 * function_graph calls are FUNC_ENTRY / FUNC_EXIT / FUNC_LEAF with the
 * duration (µs) in `aux`.
 */
export const ftraceText: FormatReader = tableReader({
  id: 'ftrace-text',
  title: 'Linux ftrace text (tracefs trace file: events, function, function_graph)',
  detect: (head) => detectFtrace(head),
  typeNames: TYPE_NAMES,
  scan(path, ctx) {
    const { pieces, lineBases, extra, dumpInside } = scanFtraceFile(path, ctx);
    return { pieces, lineBases, extra: { ...extra }, tsUnit: extra.ts_unit, better: dumpInside ? 'tii-console' : undefined };
  },
  decoder,
});
