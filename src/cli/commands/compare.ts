/**
 * `kscope compare <runA> <runB>`: what changed from A (before) to B (after),
 * test by test: fixed, regressed, new, disappeared, still failing (grouped
 * by signature), no longer run.
 */
import type { Command } from 'commander';
import { compareRuns, runName, type CompareCategory, type CompareEntry, type Comparison } from '../../registry/index.js';
import type { CommandResult } from '../context.js';
import { addStoreOption, intOption, withStore, type StoreOptions } from './runs.js';

type Runner = (f: () => CommandResult | Promise<CommandResult>) => void;

const TITLES: Record<CompareCategory, string> = {
  fixed: 'fixed',
  regressed: 'regressed',
  new: 'new tests',
  disappeared: 'disappeared',
  still_failing: 'still failing',
  not_run: 'no longer run',
  other: 'now failing (did not run before)',
};

const ORDER: readonly CompareCategory[] = ['regressed', 'fixed', 'new', 'disappeared', 'not_run', 'other', 'still_failing'];

function entryLine(e: CompareEntry, width: number, labels: Record<string, string>): string {
  const change = `${e.before ?? '—'} → ${e.after ?? '—'}`;
  const why = e.signature && (e.after !== 'pass' || e.before !== 'pass') ? labels[e.signature] ?? e.signature : '';
  return `  ${e.test.padEnd(width)}  ${change.padEnd(18)}  ${why}`.trimEnd();
}

export function compareSummary(c: Comparison): string {
  const k = c.counts;
  return `${k.fixed} fixed, ${k.regressed} regressed, ${k.new} new, ${k.disappeared} disappeared, ${k.still_failing} still failing, ${k.not_run} no longer run${k.other ? `, ${k.other} now failing` : ''}; ${k.still_passing} still passing`;
}

export function compareText(c: Comparison, limit: number): string {
  const archNote = c.a.arch !== c.b.arch || c.a.config !== c.b.config ? `  (note: different arch/config: ${c.a.arch}${c.a.config ? `/${c.a.config}` : ''} vs ${c.b.arch}${c.b.config ? `/${c.b.config}` : ''})` : '';
  const out = [`${runName(c.a)} → ${runName(c.b)}${archNote}`, `  ${compareSummary(c)}`];
  for (const cat of ORDER) {
    const list = c[cat];
    if (!list.length) continue;
    out.push('', `${TITLES[cat]} (${list.length}):`);
    if (cat === 'still_failing') {
      // A long list of unchanged failures reads best by root cause.
      const bySig = new Map<string, string[]>();
      for (const e of list) {
        const key = e.signature ? c.signatures[e.signature] ?? e.signature : 'no signature';
        bySig.set(key, [...(bySig.get(key) ?? []), e.test]);
      }
      for (const [sig, tests] of [...bySig].sort((a, b) => b[1].length - a[1].length)) {
        out.push(`  ${sig} [${tests.length}]: ${tests.slice(0, limit).join(', ')}${tests.length > limit ? `, … ${tests.length - limit} more` : ''}`);
      }
      continue;
    }
    const width = Math.min(60, Math.max(...list.map((e) => e.test.length)));
    for (const e of list.slice(0, limit)) out.push(entryLine(e, width, c.signatures));
    if (list.length > limit) out.push(`  … ${list.length - limit} more (--limit or --json for all)`);
  }
  return out.join('\n');
}

export function register(program: Command, run: Runner): void {
  addStoreOption(
    program
      .command('compare')
      .argument('<runA>', 'the run before (id, latest~1, latest~1:ARCH, …)')
      .argument('<runB>', 'the run after (id, latest, latest:ARCH, …)')
      .description('test by test from run A to run B: fixed, regressed, new, disappeared, still failing')
      .option('--limit <n>', 'tests listed per category in text output', '50')
      .option('--json', 'machine-readable output'),
  ).action((a: string, b: string, opts: StoreOptions & { limit: string }) =>
    run(async () => {
      const c = await withStore(opts, false, async (s) => compareRuns(s.db, await s.resolveRun(a), await s.resolveRun(b)));
      const limit = intOption(opts.limit, '--limit', 1);
      return { kind: 'object', value: c, text: () => compareText(c, limit) };
    }),
  );
}
