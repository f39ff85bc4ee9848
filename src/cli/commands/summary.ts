import type { Command } from 'commander';
import { openForQuery } from '../../index/bundle-cache.js';
import type { Summary } from '../../model/source.js';
import { addInputOptions, diagnosticsText, indexContext, type CommandResult, type InputOptions } from '../context.js';
import { thousands } from '../../util/thousands.js';

const n = thousands;

const scalar = (v: unknown) => (typeof v === 'number' ? n(v) : String(v));

/**
 * One line for a format-specific summary field: scalars as they are, small
 * maps as `k=v …`, short lists of small records as `a/b, c/d`; anything
 * bigger is left to --json (null).
 */
function compact(v: unknown): string | null {
  if (typeof v !== 'object' || v === null) return scalar(v);
  const isScalar = (x: unknown) => x === null || typeof x !== 'object';
  if (Array.isArray(v)) {
    if (v.length === 0) return null;
    if (v.length > 10) return `${compact(v.slice(0, 10))}, … (${v.length} in all)`;
    if (v.every(isScalar)) return v.map(scalar).join(', ');
    if (v.every((x) => typeof x === 'object' && x !== null && Object.values(x).every(isScalar))) {
      return v.map((x: Record<string, unknown>) => Object.entries(x).map(([k, y]) => `${k}=${scalar(y)}`).join(' ')).join('; ');
    }
    return null;
  }
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length === 0 || !entries.every(([, x]) => isScalar(x))) return null;
  const shown = entries.slice(0, 16).map(([k, x]) => `${k}=${scalar(x)}`).join(' ');
  return entries.length > 16 ? `${shown} … (${entries.length} in all)` : shown;
}

/** Human rendering of any format's summary: the contract fields, then what the format adds. */
export function summaryText(s: Summary): string {
  const out: string[] = [`${s.source}`, `  format: ${s.format}`, `  events: ${n(s.events)}${typeof s.words === 'number' ? ` in ${n(s.words)} words` : ''}`];
  const types = Object.entries(s.types).sort((a, b) => b[1] - a[1]);
  const w = Math.max(...types.map(([k]) => k.length), 4);
  out.push('  types:');
  for (const [k, v] of types) out.push(`    ${k.padEnd(w)}  ${n(v).padStart(14)}`);
  const cpus = s.cpus as Record<string, number> | undefined;
  if (cpus && Object.keys(cpus).length) out.push(`  per CPU: ${Object.entries(cpus).map(([k, v]) => `cpu${k}=${n(v)}`).join(' ')}`);
  const time = s.time as { first: number; last: number } | null | undefined;
  if (time) out.push(`  time: ${time.first} .. ${time.last}${s.ts_unit ? ` ${String(s.ts_unit)}` : ''}`);
  const subs = s.subsystems as Record<string, number> | undefined;
  if (subs && Object.keys(subs).length) out.push(`  top subsystems: ${Object.entries(subs).slice(0, 10).map(([k, v]) => `${k} (${n(v)})`).join(', ')}`);
  const shown = new Set(['format', 'source', 'events', 'words', 'types', 'cpus', 'time', 'subsystems', 'warnings', 'notes', 'vmids', 'fields', 'kernel', 'never_fired', 'unknown_markers', 'functions', 'dictionary', 'meta', 'ts_unit']);
  for (const [k, v] of Object.entries(s)) {
    if (shown.has(k) || v === null) continue;
    const line = compact(v);
    if (line !== null) out.push(`  ${k.replace(/_/g, ' ')}: ${line}`);
  }
  const vm = s.vmids as Record<string, { switches: number; events: number }> | undefined;
  if (vm && Object.keys(vm).length) {
    out.push('  VMIDs (events in context, switches to it):');
    for (const [k, v] of Object.entries(vm)) out.push(`    ${k.padStart(3)}  ${n(v.events).padStart(14)} events  ${n(v.switches)} switches`);
  }
  const fields = s.fields as Record<string, Record<string, Record<string, number>>> | undefined;
  if (fields) {
    for (const [type, fs] of Object.entries(fields)) {
      for (const [f, h] of Object.entries(fs)) {
        const parts = Object.entries(h).map(([k, v]) => `${k}=${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(1) : v}`);
        if (parts.length) out.push(`  ${type}.${f}: ${parts.join(' ')}`);
      }
    }
  }
  const notes = (s.notes as { code: string; message: string }[] | undefined) ?? [];
  if (notes.length) {
    out.push('  notes:');
    for (const note of notes) out.push(`    - ${note.message}`);
  }
  if (s.warnings.length) out.push('  warnings:', ...diagnosticsText(s.warnings).map((l) => `    ${l}`));
  return out.join('\n');
}

export function register(program: Command, run: (f: () => CommandResult | Promise<CommandResult>) => void): void {
  addInputOptions(program.command('summary').argument('<input>', 'input file or bundle').description('counts per event type, context, notes and warnings'))
    .action((input: string, opts: InputOptions) =>
      run(async () => {
        const o = await openForQuery(input, opts, indexContext());
        const s = o.source.summary();
        o.source.close();
        return { kind: 'object', value: s, text: () => summaryText(s), exitCode: s.events === 0 ? 1 : 0 };
      }),
    );
}
