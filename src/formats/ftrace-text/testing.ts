// Test support for this folder's unit tests: the real gzipped fixtures as plain files, an
// independent line-by-line count of what a trace file holds, and the kernel's own column
// formats (trace_output.c, trace_functions_graph.c) to re-render real lines in other variants.
import { readFileSync } from 'node:fs';
import { KNOWN_TRACEPOINTS } from './types.js';

export { ROOT, LINUX_FIXTURES, scratchDir, removeScratch, hasFixture, fixture, writeScratch } from '../fixture-files.js';

export function textLines(path: string): string[] {
  const l = readFileSync(path, 'utf8').split('\n');
  if (l[l.length - 1] === '') l.pop();
  return l;
}

export interface TraceOracle {
  types: Record<string, number>;
  names: Record<string, number>;
  cpus: Record<string, number>;
  first: number;
  last: number;
  /** 1-based lines of the trace lines, in order. */
  lines: number[];
}

const KNOWN = new Set<string>(KNOWN_TRACEPOINTS);

/** Trace lines counted with one loose regex each: `[cpu]`, then `ts: name:` (or `ts: func <-parent`). */
export function traceOracle(lines: string[]): TraceOracle {
  const o: TraceOracle = { types: {}, names: {}, cpus: {}, first: Infinity, last: -Infinity, lines: [] };
  const inc = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);
  lines.forEach((l, i) => {
    const m = /-\d+ +(?:\([ \d-]+\) +)?\[(\d{3})\] .*?(\d+\.\d+): ([^\s:]+)(:?)/.exec(l);
    if (!m || l.startsWith('#')) return;
    o.lines.push(i + 1);
    inc(o.cpus, String(Number(m[1])));
    const ts = Number(m[2]);
    o.first = Math.min(o.first, ts);
    o.last = Math.max(o.last, ts);
    if (m[4] !== ':') {
      inc(o.types, m[3].startsWith('<') ? 'STACK_TRACE' : 'FUNCTION');
      if (m[3].startsWith('<')) inc(o.names, 'kernel_stack');
      return;
    }
    inc(o.names, m[3]);
    inc(o.types, m[3] === 'tracing_mark_write' ? 'MARKER' : KNOWN.has(m[3]) ? m[3].toUpperCase() : 'TRACEPOINT');
  });
  return o;
}

export interface GraphOracle {
  types: Record<string, number>;
  /** Duration printed on each exit or leaf line, by 1-based line. */
  durations: Map<number, number>;
  maxDepth: number;
}

/** function_graph lines: `fn() {`, `}`, `fn();`, the irq arrows; depth from the spaces after `|  `. */
export function graphOracle(lines: string[]): GraphOracle {
  const o: GraphOracle = { types: {}, durations: new Map(), maxDepth: 0 };
  const inc = (k: string) => (o.types[k] = (o.types[k] ?? 0) + 1);
  lines.forEach((l, i) => {
    if (l.startsWith('#')) return;
    if (l.includes('==========>')) return inc('GRAPH_IRQ_ENTRY');
    if (l.includes('<==========')) return inc('GRAPH_IRQ_EXIT');
    if (/^\s*\d+\)\s+\S+-\d+\s+=>\s+\S+-\d+/.test(l)) return inc('CONTEXT_SWITCH');
    const m = /\|  ( *)(\S.*)$/.exec(l);
    if (!m) return;
    const d = /([\d.]+) us/.exec(l.slice(0, l.lastIndexOf('|  ')));
    if (d) o.durations.set(i + 1, Number(d[1]));
    const code = m[2];
    if (/\(\) \{/.test(code)) inc('FUNC_ENTRY');
    else if (code.startsWith('}')) inc('FUNC_EXIT');
    else if (/\(\);/.test(code)) inc('FUNC_LEAF');
    else return;
    o.maxDepth = Math.max(o.maxDepth, m[1].length / 2);
  });
  return o;
}

/** `%16s-%-7d ` (trace_print_context): the task column as the kernel prints it. */
export function taskColumn(comm: string, pid: number): string {
  return `${comm.padStart(16)}-${String(pid).padEnd(7)} `;
}

/** print_graph_proc: `comm-pid` centred in 14 columns (TRACE_GRAPH_PROCINFO_LENGTH). */
export function graphProc(comm: string, pid: number): string {
  const s = `${comm.slice(0, 7)}-${pid}`;
  const spaces = Math.max(0, 14 - s.length);
  return ' '.repeat(spaces >> 1) + s + ' '.repeat(spaces - (spaces >> 1));
}

/** print_graph_abs_time: `%5lu.%06lu |  `. */
export function absTime(seconds: number): string {
  const us = Math.round(seconds * 1e6);
  return `${String(Math.floor(us / 1e6)).padStart(5)}.${String(us % 1e6).padStart(6, '0')} |  `;
}
