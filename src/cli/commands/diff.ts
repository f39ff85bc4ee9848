import type { Command } from 'commander';
import { DEFAULT_LIMIT, DEFAULT_MAX_EVENTS, diffRuns, redGreen, type DiffResult, type Difference, type OnlyIn, type RedGreenResult, type RunInfo, type Shown } from '../../analyses/diff/index.js';
import { UserError } from '../../util/errors.js';
import { indexContext, type CommandResult } from '../context.js';
import { thousands } from '../../util/thousands.js';

const n = thousands;

function intOption(value: string, name: string, min: number): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < min) throw new UserError(`${name} must be an integer >= ${min}, got "${value}"`);
  return Number(value);
}

function where(s: { line?: number; index?: number }): string {
  return s.line !== undefined ? `line ${s.line}` : s.index !== undefined ? `event ${s.index}` : 'end';
}

function pos(s: Shown): string {
  return s.line !== undefined ? String(s.line) : `#${s.index}`;
}

function runLine(tag: string, r: RunInfo): string {
  const what = r.unit === 'line' ? `${n(r.total)} lines` : `${n(r.total)} events${r.cut ? `, first ${n(r.compared)} compared` : ''}`;
  return `${tag} ${r.path}  (${r.format}, ${what})`;
}

function differenceText(title: string, d: Difference): string[] {
  const out = [`${title}: A ${where(d.a)}, B ${where(d.b)}`];
  if (d.last_common) out.push(`    = A:${pos(d.last_common.a)} B:${pos(d.last_common.b)}  ${d.last_common.a.text}`);
  for (const e of d.a.entries) out.push(`    - A:${pos(e)}  ${e.text}`);
  if (d.a.count > d.a.entries.length) out.push(`    - … ${n(d.a.count - d.a.entries.length)} more in A`);
  for (const e of d.b.entries) out.push(`    + B:${pos(e)}  ${e.text}`);
  if (d.b.count > d.b.entries.length) out.push(`    + … ${n(d.b.count - d.b.entries.length)} more in B`);
  return out;
}

function onlyText(tag: 'A' | 'B', unit: RunInfo['unit'], o: { total: number; entries: OnlyIn[] }): string[] {
  if (o.total === 0) return [];
  const what = unit === 'line' ? 'lines' : 'events';
  const out = [`${what} only in ${tag} (${n(o.total)} distinct after masking${o.total > o.entries.length ? `, ${o.entries.length} shown` : ''}; faults and errors first, then in order):`];
  for (const e of o.entries) out.push(`    ${tag}:${e.at[0]}${e.count > 1 ? ` (×${e.count})` : ''}  ${e.example}`);
  return out;
}

/** Human rendering of a two-run diff: where they differ first, where they part, then counts, crashes and lines. */
export function diffText(r: DiffResult): string {
  const out = [runLine('A', r.a), runLine('B', r.b)];
  if (r.identical) {
    out.push(`identical after masking (${n(r.matched)} ${r.a.unit}s)`);
  } else {
    out.push(`${n(r.matched)} ${r.a.unit}s aligned, ${n(r.hunks)} changes${r.reordered ? ` (${n(r.reordered)} only reorder ${r.a.unit}s the other run also has; skipped below)` : ''}`);
    if (r.first_difference) out.push(...differenceText('first difference', r.first_difference));
    else out.push(`the runs differ only in the order of their ${r.a.unit}s`);
    if (r.divergence) {
      const same = r.first_difference && r.divergence.a.line === r.first_difference.a.line && r.divergence.a.index === r.first_difference.a.index && r.divergence.b.line === r.first_difference.b.line && r.divergence.b.index === r.first_difference.b.index;
      if (same) out.push(`the runs part there for good (no ${r.sync_entries} consecutive ${r.a.unit}s agree after it)`);
      else out.push(...differenceText(`divergence (no ${r.sync_entries} consecutive ${r.a.unit}s agree after it)`, r.divergence));
    } else if (r.first_difference) out.push(`no lasting divergence: the runs agree again on at least their last ${r.sync_entries} ${r.a.unit}s`);
  }
  if (r.type_counts.length) {
    out.push('event types that changed (A → B):');
    const w = Math.max(...r.type_counts.map((t) => t.type.length));
    for (const t of r.type_counts) out.push(`    ${t.type.padEnd(w)}  ${n(t.a).padStart(10)} → ${n(t.b).padEnd(10)} ${t.delta > 0 ? '+' : ''}${n(t.delta)}`);
  }
  if (r.crashes) {
    for (const [tag, list] of [['A', r.crashes.only_in_a], ['B', r.crashes.only_in_b]] as const) {
      if (!list.length) continue;
      out.push(`crashes only in ${tag}:`);
      for (const c of list) out.push(`    ${tag}:${c.line}-${c.end_line}  ${c.kind.toUpperCase()}  ${c.title}`);
    }
    if (r.crashes.in_both.length) out.push(`crashes in both: ${r.crashes.in_both.join('; ')}`);
  }
  out.push(...onlyText('A', r.a.unit, r.only_in_a), ...onlyText('B', r.b.unit, r.only_in_b));
  return out.join('\n');
}

/** Human rendering of red/green: the ranked entries with their positions in every red run. */
export function redGreenText(r: RedGreenResult): string {
  const out = [...r.red.map((x) => runLine('red  ', x)), ...r.green.map((x) => runLine('green', x))];
  const what = r.unit === 'line' ? 'lines' : 'events';
  if (r.crashes?.length) {
    out.push(`crashes in every red run and no green run:`);
    for (const c of r.crashes) out.push(`    ${c.kind.toUpperCase()}  ${c.title}  (${c.red.map((h) => `${h.path}:${h.line}`).join(', ')})`);
  }
  if (r.total === 0) {
    out.push(`no ${r.unit} appears in every red run and in no green run (after masking)`);
    return out.join('\n');
  }
  out.push(`${n(r.total)} ${what} appear in every red run and in no green run (after masking)${r.total > r.entries.length ? `; the ${r.entries.length} ranked first:` : ':'}`);
  r.entries.forEach((e, i) => {
    out.push(`${String(i + 1).padStart(3)}. ${e.example}`);
    for (const h of e.red) out.push(`       ${h.path}: ${r.unit === 'line' ? 'line' : 'event'} ${h.at.join(', ')}${h.count > h.at.length ? ` … (${n(h.count)} in all)` : ''}`);
  });
  return out.join('\n');
}

interface DiffOpts {
  red?: string[];
  green?: string[];
  limit: string;
  maxEvents: string;
  bundleDir?: string;
  json?: boolean;
}

/**
 * `kscope diff A B` and `kscope diff --red A… --green B…`. Exit status as
 * diff(1) and grep(1) have it, so scripts can branch on it: 0 when the runs
 * are identical after masking (red/green: when something separates them),
 * 1 otherwise; 2 for bad input.
 */
export function register(program: Command, run: (f: () => CommandResult | Promise<CommandResult>) => void): void {
  program
    .command('diff')
    .argument('[runs...]', 'two artifacts of the same kind: A B')
    .description('compare two runs (first difference, where they part for good, type counts, lines and crashes only one has), or red runs with green runs; exit 0 when identical after masking (red/green: when some line separates them), 1 otherwise')
    .option('--red <files...>', 'runs that failed: report what every one of them shows')
    .option('--green <files...>', 'runs that passed: what any of them shows is not an answer')
    .option('--limit <n>', 'entries listed per section (totals count them all)', String(DEFAULT_LIMIT))
    .option('--max-events <n>', 'event streams: compare at most the first N events (type counts cover all)', String(DEFAULT_MAX_EVENTS))
    .option('--bundle-dir <dir>', 'keep the inputs\' indexes here (default: beside each input, or the temp dir when that is read-only)')
    .option('--json', 'one JSON object')
    .action((runs: string[], opts: DiffOpts) =>
      run(async () => {
        const limit = intOption(opts.limit, '--limit', 0);
        const maxEvents = intOption(opts.maxEvents, '--max-events', 1);
        const o = { limit, maxEvents, bundleDir: opts.bundleDir, ctx: indexContext() };
        if (opts.red || opts.green) {
          if (runs.length) throw new UserError(`diff: give runs either as A B or with --red/--green, not both (extra: ${runs.join(' ')})`);
          if (!opts.red?.length || !opts.green?.length) throw new UserError('diff: --red needs --green (at least one run each)');
          const r = await redGreen(opts.red, opts.green, o);
          return { kind: 'object', value: r, text: () => redGreenText(r), exitCode: r.total > 0 ? 0 : 1 };
        }
        if (runs.length !== 2) throw new UserError(`diff: expected two runs A B (or --red … --green …), got ${runs.length}`);
        const r = await diffRuns(runs[0], runs[1], o);
        return { kind: 'object', value: r, text: () => diffText(r), exitCode: r.identical ? 0 : 1 };
      }),
    );
}
