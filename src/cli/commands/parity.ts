/**
 * `kscope parity`: the test × architecture matrix from the latest run of
 * each arch/config (or chosen runs): status per cell, counts, pass rates,
 * and tests one architecture lacks. Text shows only the rows that differ
 * unless `--all`; `--markdown` renders tables for a document; `--json` has every row.
 */
import type { Command } from 'commander';
import { parity, runName, type Parity, type RunStore, type StoredRun } from '../../registry/index.js';
import { UserError } from '../../util/errors.js';
import type { CommandResult } from '../context.js';
import { addStoreOption, pct, withStore, type StoreOptions } from './runs.js';

type Runner = (f: () => CommandResult | Promise<CommandResult>) => void;

export interface SelectOptions extends StoreOptions {
  runs?: string;
  arch?: string;
  config?: string;
}

/** Adds `--runs`, `--arch`, `--config`: which runs a matrix-like command looks at. */
export function addSelectOptions(cmd: Command): Command {
  return cmd
    .option('--runs <list>', 'comma-separated runs instead of the latest per arch/config (ids, latest, latest:ARCH, latest~N:ARCH)')
    .option('--arch <arch>', 'only this architecture')
    .option('--config <name>', 'only this configuration');
}

/** The runs a command was asked about: `--runs`, else the latest run of each arch/config. */
export async function selectRuns(store: RunStore, opts: SelectOptions): Promise<StoredRun[]> {
  if (opts.runs) {
    const out: StoredRun[] = [];
    for (const sel of opts.runs.split(',').map((s) => s.trim()).filter(Boolean)) {
      const r = await store.resolveRun(sel);
      if (!out.some((x) => x.id === r.id)) out.push(r);
    }
    return out;
  }
  const latest = await store.latestRuns({ arch: opts.arch, config: opts.config });
  if (!latest.length) throw new UserError(`${store.path}: no runs${opts.arch ? ` for ${opts.arch}` : ''}${opts.config ? `/${opts.config}` : ''}; add some with "kscope runs add <files…> --arch A"`);
  return latest;
}

const STATUS_TEXT: Record<string, string> = { pass: 'pass', fail: 'FAIL', timeout: 'TIMEOUT', error: 'ERROR', skip: 'skip', notrun: 'not run' };

function cell(s: string | undefined): string {
  return s === undefined ? '—' : STATUS_TEXT[s] ?? s;
}

function summaryRows(p: Parity): [string, string[]][] {
  return [
    ['run', p.columns.map((c) => runName({ id: c.run, label: c.label, commit: c.commit }))],
    ['tests', p.columns.map((c) => String(c.tests))],
    ['pass', p.columns.map((c) => String(c.pass))],
    ['fail', p.columns.map((c) => String(c.fail))],
    ['timeout', p.columns.map((c) => String(c.timeout))],
    ['error', p.columns.map((c) => String(c.error))],
    ['skip', p.columns.map((c) => String(c.skip))],
    ['not run', p.columns.map((c) => String(c.notrun))],
    ['pass rate', p.columns.map((c) => `${pct(c.pass_rate)} (${c.pass}/${c.tests - c.skip})`)],
  ];
}

function grouped(tests: readonly string[]): string[] {
  const bySuite = new Map<string, string[]>();
  for (const t of tests) {
    const i = t.indexOf(':');
    const suite = i > 0 ? t.slice(0, i) : '';
    const list = bySuite.get(suite) ?? [];
    list.push(i > 0 ? t.slice(i + 1) : t);
    bySuite.set(suite, list);
  }
  return [...bySuite].map(([s, names]) => `${s || '(no suite)'} (${names.length}): ${names.join(', ')}`);
}

export function parityText(p: Parity, all: boolean): string {
  const keys = p.columns.map((c) => c.key);
  const rows = all ? p.rows : p.rows.filter((r) => r.differs || Object.keys(r.cells).length < keys.length);
  const w0 = Math.max(12, ...summaryRows(p).map(([k]) => k.length), ...rows.map((r) => r.test.length));
  const widths = keys.map((k, i) => Math.max(k.length, ...summaryRows(p).map(([, v]) => v[i].length), 7));
  const line = (first: string, cells: string[]) => `${first.padEnd(w0)}  ${cells.map((c, i) => c.padEnd(widths[i])).join('  ')}`.trimEnd();
  const out = [line('', keys), ...summaryRows(p).map(([k, v]) => line(k, v))];
  out.push('', `${p.rows.length} tests in all; ${p.common} on every architecture; ${p.differing} with different statuses (pass rate = ${p.rate_basis})`);
  if (rows.length) {
    out.push('', all ? 'every test:' : 'tests that differ or are missing somewhere:', line('test', keys));
    for (const r of rows) out.push(line(r.test, keys.map((k) => cell(r.cells[k]))));
  }
  for (const a of p.archs) {
    if (p.archs.length > 1 && p.missing_on[a].length) {
      out.push('', `missing on ${a} (${p.missing_on[a].length}):`, ...grouped(p.missing_on[a]).map((l) => `  ${l}`));
    }
  }
  return out.join('\n');
}

const mdEscape = (s: string) => s.replace(/\|/g, '\\|');

export function parityMarkdown(p: Parity, all: boolean): string {
  const keys = p.columns.map((c) => c.key);
  const out = [`| Metric | ${keys.join(' | ')} |`, `|---|${keys.map(() => '---:').join('|')}|`];
  for (const [k, v] of summaryRows(p)) out.push(`| ${k === 'pass rate' ? '**Pass rate**' : k} | ${v.map((x) => (k === 'pass rate' ? `**${x}**` : mdEscape(x))).join(' | ')} |`);
  const rows = all ? p.rows : p.rows.filter((r) => r.differs || Object.keys(r.cells).length < keys.length);
  out.push('', `${p.rows.length} tests in all; ${p.common} on every architecture; ${p.differing} with different statuses.`);
  if (rows.length) {
    out.push('', `| Test | ${keys.join(' | ')} |`, `|---|${keys.map(() => '---').join('|')}|`);
    for (const r of rows) out.push(`| \`${mdEscape(r.test)}\` | ${keys.map((k) => (r.cells[k] && r.cells[k] !== 'pass' ? `**${cell(r.cells[k])}**` : cell(r.cells[k]))).join(' | ')} |`);
  }
  return out.join('\n');
}

export function register(program: Command, run: Runner): void {
  addStoreOption(
    addSelectOptions(
      program
        .command('parity')
        .description('test × architecture matrix from the latest run per arch/config: statuses, counts, pass rates, tests missing on one arch'),
    )
      .option('--all', 'list every test, not only those that differ')
      .option('--markdown', 'Markdown tables')
      .option('--json', 'the whole matrix as one JSON object'),
  ).action((opts: SelectOptions & { all?: boolean; markdown?: boolean }) =>
    run(async () => {
      const p = await withStore(opts, false, async (s) => parity(s.db, await selectRuns(s, opts)));
      return { kind: 'object', value: p, text: () => (opts.markdown ? parityMarkdown(p, opts.all === true) : parityText(p, opts.all === true)) };
    }),
  );
}
