/**
 * `kscope flaky`: tests whose outcome flips across runs of one arch/config
 * (and one commit, when runs carry commits), scored by flip rate; the
 * consistent regressions and fixes are listed apart so they are not
 * mistaken for noise.
 */
import type { Command } from 'commander';
import { flakyTests, type FlakyReport } from '../../registry/index.js';
import type { CommandResult } from '../context.js';
import { addStoreOption, intOption, pct, withStore, type StoreOptions } from './runs.js';

type Runner = (f: () => CommandResult | Promise<CommandResult>) => void;

export function flakyText(f: FlakyReport, limit: number): string {
  const out = [`runs considered: ${f.groups.map((g) => `${g.arch}${g.config ? `/${g.config}` : ''} ${g.runs}`).join(', ') || 'none'}`];
  if (!f.flaky.length) out.push('', 'no flaky tests');
  else {
    const w = Math.min(60, Math.max(4, ...f.flaky.map((e) => e.test.length)));
    out.push('', `flaky tests (${f.flaky.length}), by flip rate:`);
    out.push(`  ${'test'.padEnd(w)}  ${'arch'.padEnd(12)}  ${'flips'.padStart(9)}  ${'fails'.padStart(9)}  history (oldest → newest)`);
    for (const e of f.flaky.slice(0, limit)) {
      out.push(
        `  ${e.test.padEnd(w)}  ${(e.arch + (e.config ? `/${e.config}` : '')).padEnd(12)}  ${pct(e.flip_rate).padStart(9)}  ${`${e.failures}/${e.runs}`.padStart(9)}  ${e.history.slice(-40)}`,
      );
    }
    if (f.flaky.length > limit) out.push(`  … ${f.flaky.length - limit} more (--limit or --json)`);
  }
  if (f.changes.length) {
    out.push('', `consistent changes, not flaky (${f.changes.length}):`);
    const w = Math.min(60, Math.max(4, ...f.changes.map((e) => e.test.length)));
    for (const e of f.changes.slice(0, limit)) {
      out.push(`  ${e.test.padEnd(w)}  ${(e.arch + (e.config ? `/${e.config}` : '')).padEnd(12)}  ${e.change.padEnd(9)}  since run ${e.since_run}  ${e.history.slice(-40)}`);
    }
    if (f.changes.length > limit) out.push(`  … ${f.changes.length - limit} more`);
  }
  return out.join('\n');
}

export function register(program: Command, run: Runner): void {
  addStoreOption(
    program
      .command('flaky')
      .description('tests whose outcome flips across runs of one arch/config, by flip rate; consistent regressions and fixes listed apart')
      .option('--arch <arch>', 'only this architecture')
      .option('--config <name>', 'only this configuration')
      .option('--last <n>', 'only the last N runs of each arch/config')
      .option('--min-runs <n>', 'ignore tests with fewer pass/fail outcomes', '2')
      .option('--limit <n>', 'tests listed in text output', '50')
      .option('--json', 'machine-readable output'),
  ).action((opts: StoreOptions & { arch?: string; config?: string; last?: string; minRuns: string; limit: string }) =>
    run(async () => {
      const limit = intOption(opts.limit, '--limit', 1);
      const f = await withStore(opts, false, (s) =>
        flakyTests(s.db, {
          arch: opts.arch,
          config: opts.config,
          last: opts.last !== undefined ? intOption(opts.last, '--last', 1) : undefined,
          minRuns: intOption(opts.minRuns, '--min-runs'),
        }),
      );
      return { kind: 'object', value: f, text: () => flakyText(f, limit) };
    }),
  );
}
