/**
 * `kscope report --markdown`: the parity document the user keeps by hand,
 * generated in one command — inventory per architecture, pass rates and
 * their history, what changed since the previous run, failures grouped by
 * root cause and ranked by tests unblocked, flaky tests, tests missing on an
 * architecture, and the passing lists. `--json` gives the same data.
 *
 * `kscope failures` (registered here because it is the report's queue on
 * its own) prints just the failure groups and the ranked fix queue.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  buildReport,
  failureGroups,
  fixQueue,
  parity as parityOf,
  runName,
  type ChangeSet,
  type FailureGroup,
  type HistoryGroup,
  type HistoryPoint,
  type Parity,
  type ParityColumn,
  type QueueItem,
  type ReportData,
} from '../../registry/index.js';
import type { CommandResult } from '../context.js';
import { addSelectOptions, selectRuns, type SelectOptions } from './parity.js';
import { addStoreOption, intOption, withStore } from './runs.js';
import { thousands } from '../../util/thousands.js';

type Runner = (f: () => CommandResult | Promise<CommandResult>) => void;

const md = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;
const n = thousands;

function rate(pass: number, tests: number, skip: number): string {
  const d = tests - skip;
  if (d <= 0) return '-';
  const r = (pass / d) * 100;
  // The user's notes write 41.25% and 62.5%: up to two decimals, no trailing zeros.
  return `${Number(r.toFixed(2))}% (${pass}/${d})`;
}

function points(delta: number): string {
  const v = Number(delta.toFixed(2));
  return `${v >= 0 ? '+' : ''}${v}%`;
}

function signed(v: number): string {
  return v > 0 ? `+${v}` : String(v);
}

function date(iso: string): string {
  return iso.slice(0, 10);
}

function listNames(names: readonly string[], max = 12): string {
  const shown = names.slice(0, max).map(code).join(', ');
  return names.length > max ? `${shown}, … ${names.length - max} more` : shown;
}

/** Archs ordered as the notes do: the one with the most tests first (the reference), the rest after it. */
function archOrder(p: Parity): string[] {
  const total = (a: string) => p.suites.reduce((k, s) => k + (s.tests[a] ?? 0), 0);
  return [...p.archs].sort((a, b) => total(b) - total(a) || a.localeCompare(b));
}

function inventory(p: Parity): string[] {
  const archs = archOrder(p);
  const ref = archs[0];
  const gap = archs.length === 2;
  const head = `| Suite | ${archs.join(' | ')} |${gap ? ' Gap |' : ''}`;
  const out = [head, `|---|${archs.map(() => '---:').join('|')}|${gap ? '---:|' : ''}`];
  const tot: Record<string, number> = Object.fromEntries(archs.map((a) => [a, 0]));
  for (const s of p.suites) {
    for (const a of archs) tot[a] += s.tests[a] ?? 0;
    const g = gap ? (s.tests[archs[1]] ?? 0) - (s.tests[ref] ?? 0) : 0;
    out.push(`| ${md(s.suite || '(no suite)')} | ${archs.map((a) => String(s.tests[a] ?? 0)).join(' | ')} |${gap ? ` ${g === 0 ? '0' : `**${signed(g)}**`} |` : ''}`);
  }
  const g = gap ? tot[archs[1]] - tot[ref] : 0;
  out.push(`| **Total** | ${archs.map((a) => `**${tot[a]}**`).join(' | ')} |${gap ? ` **${signed(g)}** |` : ''}`);
  // A log that stops mid-suite implies tests (by its plan) that it never names: they count, but have no row.
  const unnamed = p.columns.filter((c) => c.unnamed > 0).map((c) => `${c.key} ${c.unnamed}`);
  if (unnamed.length) out.push('', `_Not in this table: tests the logs imply (a plan, a tally) but never name — ${unnamed.join(', ')}._`);
  return out;
}

function firstPoint(h: HistoryGroup | undefined): HistoryPoint | undefined {
  return h?.points[0];
}

function currentResults(d: ReportData): string[] {
  const cols = d.parity.columns;
  const out = [`| Metric | ${cols.map((c) => c.key).join(' | ')} |`, `|---|${cols.map(() => '---:').join('|')}|`];
  const hist = (c: ParityColumn) => d.history.find((h) => h.key === c.key.replace(/#\d+$/, ''));
  const row = (name: string, f: (c: ParityColumn) => string) => out.push(`| ${name} | ${cols.map(f).join(' | ')} |`);
  row('Run', (c) => md(`${runName({ id: c.run, label: c.label, commit: c.commit })}, ${date(c.time)}`));
  row('Tests', (c) => String(c.tests));
  row('Pass', (c) => String(c.pass));
  row('Fail / timeout / error', (c) => `${c.fail} / ${c.timeout} / ${c.error}`);
  row('Skip / not run', (c) => `${c.skip} / ${c.notrun}`);
  row('**Pass rate**', (c) => `**${rate(c.pass, c.tests, c.skip)}**`);
  row('Baseline (first run)', (c) => {
    const b = firstPoint(hist(c));
    return b ? `${rate(b.pass, b.tests, b.skip)}, run ${b.run}` : '-';
  });
  row('Runs recorded', (c) => String(hist(c)?.points.length ?? 0));
  return out;
}

function progressLines(d: ReportData): string[] {
  const out: string[] = [];
  for (const c of d.parity.columns) {
    const h = d.history.find((x) => x.key === c.key.replace(/#\d+$/, ''));
    const b = firstPoint(h);
    if (!b || b.run === c.run || c.pass_rate === null || b.pass_rate === null) continue;
    if (b.pass === c.pass && b.tests === c.tests) {
      out.push(`- **${c.key}**: unchanged since the first run (${rate(c.pass, c.tests, c.skip)}).`);
      continue;
    }
    out.push(
      `- **${c.key}**: ${points((c.pass_rate - b.pass_rate) * 100)} since the first run (${rate(b.pass, b.tests, b.skip)} → ${rate(c.pass, c.tests, c.skip)}), ${signed(c.pass - b.pass)} tests passing.`,
    );
  }
  return out;
}

function queueTable(q: readonly QueueItem[]): string[] {
  if (!q.length) return ['Nothing to fix: every test of the latest runs passes and every architecture has every test.'];
  const out = ['| Priority | Work item | Tests unblocked | Where | Cumulative |', '|---|---|---:|---|---:|'];
  let cum = 0;
  for (const it of q) {
    cum += it.tests;
    const title = it.kind === 'fix' ? `Fix ${code(it.title)}` : `Port ${it.title.replace(/^port /, '')}`;
    out.push(`| P${it.rank} | ${md(title)} | +${it.tests} | ${Object.keys(it.columns).join(', ')} | ${cum} |`);
  }
  return out;
}

function queueDetails(q: readonly QueueItem[], groups: readonly FailureGroup[], max: number): string[] {
  const out: string[] = [];
  for (const it of q.slice(0, max)) {
    const title = it.kind === 'fix' ? `Fix ${code(it.title)}` : `Port ${it.title.replace(/^port /, '')}`;
    out.push('', `### PRIORITY ${it.rank}: ${title} [+${it.tests} test${it.tests === 1 ? '' : 's'}]`);
    const g = it.kind === 'fix' ? groups.find((x) => x.signature === it.id) : undefined;
    if (!g) {
      out.push(`**Tests unblocked**: ${it.tests} — ${listNames(it.names, 40)}`);
      continue;
    }
    out.push(
      `**Signature**: ${code(g.signature)} (${g.kind})  `,
      `**Tests unblocked**: ${g.tests}${g.blocked ? ` (${g.failing} failing, ${g.blocked} not run because of it${g.unnamed ? `, ${g.unnamed} of them never named by the log` : ''})` : ''}`,
      '',
    );
    out.push('| Test | Where | Status | Message |', '|---|---|---|---|');
    for (const e of g.entries.slice(0, 40)) {
      out.push(`| ${code(e.test)} | ${e.arch}${e.config ? `/${e.config}` : ''} | ${e.blocked ? 'not run (blocked)' : e.status} | ${md(e.message.slice(0, 120))} |`);
    }
    if (g.entries.length > 40) out.push(`| … ${g.entries.length - 40} more | | | |`);
  }
  return out;
}

/**
 * History per arch/config. With hundreds of runs the table keeps what the
 * notes keep: the baseline, the runs where a test changed for good (a
 * consistent fix or regression starts there), and the latest runs.
 */
function historyTables(d: ReportData, rows: number): string[] {
  const out: string[] = [];
  for (const h of d.history) {
    out.push('', `### ${h.key}`, '', '| Run | Date | Commit | Label | Tests | Pass | Fail | Other | Pass rate | Change | What changed |', '|---:|---|---|---|---:|---:|---:|---:|---:|---:|---|');
    const events = new Map<number, { fixed: number; regressed: number }>();
    for (const c of d.flaky.changes) {
      if (c.arch !== h.arch || c.config !== h.config) continue;
      const e = events.get(c.since_run) ?? { fixed: 0, regressed: 0 };
      e[c.change]++;
      events.set(c.since_run, e);
    }
    const what = (p: HistoryPoint) => {
      const e = events.get(p.run);
      return e ? [e.fixed ? `${e.fixed} fixed` : '', e.regressed ? `${e.regressed} broke` : ''].filter(Boolean).join(', ') : '';
    };
    const keep = new Set<number>();
    if (h.points.length <= rows) h.points.forEach((p) => keep.add(p.run));
    else {
      keep.add(h.points[0].run);
      const milestones = h.points.filter((p) => events.has(p.run)).slice(-Math.max(1, rows - 4));
      for (const p of milestones) keep.add(p.run);
      for (const p of h.points.slice(-Math.max(1, rows - keep.size))) keep.add(p.run);
    }
    let skipped = 0;
    h.points.forEach((p, i) => {
      if (!keep.has(p.run)) {
        skipped++;
        return;
      }
      if (skipped) out.push(`| … | ${skipped} run${skipped > 1 ? 's' : ''} not shown | | | | | | | | | |`);
      skipped = 0;
      out.push(historyRow(p, i === 0 ? 'baseline' : undefined, what(p)));
    });
    if (skipped) out.push(`| … | ${skipped} run${skipped > 1 ? 's' : ''} not shown | | | | | | | | | |`);
  }
  return out;
}

/** "Tests fixed by <change>": consistent fixes grouped by the run they first passed in, newest first. */
function fixedByChange(d: ReportData, maxGroups: number): string[] {
  const out: string[] = [];
  const runs = new Map(d.history.flatMap((h) => h.points.map((p) => [p.run, { p, key: h.key }] as const)));
  for (const kind of ['fixed', 'regressed'] as const) {
    const by = new Map<number, typeof d.flaky.changes>();
    for (const c of d.flaky.changes) if (c.change === kind) by.set(c.since_run, [...(by.get(c.since_run) ?? []), c]);
    const ids = [...by.keys()].sort((a, b) => (runs.get(b)?.p.time ?? '').localeCompare(runs.get(a)?.p.time ?? '') || b - a);
    for (const id of ids.slice(0, maxGroups)) {
      const list = by.get(id) ?? [];
      const r = runs.get(id);
      const name = r ? runName({ id, label: r.p.label, commit: r.p.commit }) : `run ${id}`;
      out.push(
        '',
        kind === 'fixed' ? `### Tests fixed by ${md(name)} (${signed(list.length)}, ${r?.key ?? ''}, ${date(r?.p.time ?? '')})` : `### Broken by ${md(name)} and still failing (${list.length}, ${r?.key ?? ''}, ${date(r?.p.time ?? '')})`,
        '',
        '| Test | Suite | History (oldest → newest) |',
        '|---|---|---|',
      );
      for (const c of list.slice(0, 40)) out.push(`| ${code(c.name)} | ${md(c.suite)} | ${code(c.history.slice(-30))} |`);
      if (list.length > 40) out.push(`| … ${list.length - 40} more | | |`);
    }
    if (ids.length > maxGroups) out.push('', `_${ids.length - maxGroups} earlier ${kind === 'fixed' ? 'fixes' : 'regressions'} not shown (kscope flaky --json lists them all)._`);
  }
  return out.length ? out : ['', 'No test changed for good over the recorded runs.'];
}

function historyRow(p: HistoryPoint, note: string | undefined, what: string): string {
  const other = p.skip + p.notrun;
  const failing = p.fail + p.timeout + p.error;
  const label = note ? `${note}${p.label ? `: ${p.label}` : ''}` : p.label ?? '';
  return `| ${p.run} | ${date(p.time)} | ${p.commit ? code(p.commit.slice(0, 10)) : ''} | ${md(label)} | ${p.tests} | ${p.pass} | ${failing} | ${other} | ${rate(p.pass, p.tests, p.skip)} | ${p.delta_pass === null ? '' : signed(p.delta_pass)} | ${what} |`;
}

function changeSection(cs: ChangeSet, max: number, flaky: ReadonlySet<string>): string[] {
  const c = cs.comparison;
  const k = c.counts;
  const out = ['', `### ${cs.key}: ${md(runName(c.a))} → ${md(runName(c.b))}`, ''];
  const isFlaky = (t: string) => flaky.has(`${c.b.arch}\0${c.b.config}\0${t}`);
  const noisy = [...c.fixed, ...c.regressed].filter((e) => isFlaky(e.test)).length;
  out.push(
    `${signed(k.fixed)} fixed, ${k.regressed} regressed, ${k.new} new, ${k.disappeared} disappeared, ${k.still_failing} still failing, ${k.not_run} no longer run.${noisy ? ` ${noisy} of the fixes and regressions are flaky tests flipping.` : ''}`,
  );
  const table = (title: string, list: typeof c.fixed, withWhy: boolean) => {
    if (!list.length) return;
    out.push('', `#### ${title} (${list.length})`, '', withWhy ? '| Test | Before | After | Signature |' : '| Test | Before | After |', withWhy ? '|---|---|---|---|' : '|---|---|---|');
    for (const e of list.slice(0, max)) {
      const why = e.signature ? md(c.signatures[e.signature] ?? e.signature) : '';
      out.push(`| ${code(e.test)}${isFlaky(e.test) ? ' (flaky)' : ''} | ${e.before ?? '—'} | ${e.after ?? '—'} |${withWhy ? ` ${why} |` : ''}`);
    }
    if (list.length > max) out.push(`| … ${list.length - max} more | | |${withWhy ? ' |' : ''}`);
  };
  table(`Tests fixed by ${runName(c.b)}`, c.fixed, false);
  table('Regressions', c.regressed, true);
  table('New tests', c.new, true);
  table('Disappeared tests', c.disappeared, false);
  table('No longer run', c.not_run, true);
  return out;
}

function failureBreakdown(groups: readonly FailureGroup[]): string[] {
  if (!groups.length) return ['No failures in the latest runs.'];
  const out = ['| Pattern | Count | Kind | Where | Tests |', '|---|---:|---|---|---|'];
  for (const g of groups) {
    const where = Object.entries(g.columns)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    out.push(`| ${md(g.label)} | ${g.tests} | ${g.kind} | ${where} | ${listNames([...new Set(g.entries.map((e) => e.name))], 8)} |`);
  }
  return out;
}

function flakySection(d: ReportData, max: number): string[] {
  const f = d.flaky;
  const out: string[] = [];
  if (!f.flaky.length) out.push('No test flips between pass and fail within one arch/config.');
  else {
    out.push('| Test | Where | Runs | Failures | Flip rate | Recent history (oldest → newest) | Why |', '|---|---|---:|---:|---:|---|---|');
    for (const e of f.flaky.slice(0, max)) {
      out.push(
        `| ${code(e.test)} | ${e.arch}${e.config ? `/${e.config}` : ''} | ${e.runs} | ${e.failures} | ${(e.flip_rate * 100).toFixed(1)}% | ${code(e.history.slice(-30))} | ${md(e.reason)} |`,
      );
    }
    if (f.flaky.length > max) out.push(`| … ${f.flaky.length - max} more | | | | | | |`);
  }
  const regressed = f.changes.filter((c) => c.change === 'regressed');
  if (regressed.length) {
    out.push('', `**Consistent regressions (not flaky)**: they failed from one run on and stayed failing.`, '', '| Test | Where | Since run | History |', '|---|---|---:|---|');
    for (const e of regressed.slice(0, max)) out.push(`| ${code(e.test)} | ${e.arch}${e.config ? `/${e.config}` : ''} | ${e.since_run} | ${code(e.history.slice(-30))} |`);
  }
  return out;
}

function missingSection(p: Parity): string[] {
  const out: string[] = [];
  if (p.archs.length < 2) return ['', 'Only one architecture has runs.'];
  for (const a of archOrder(p)) {
    const missing = p.missing_on[a];
    if (!missing.length) continue;
    out.push('', `### Missing on ${a} (${missing.length})`, '', '| Suite | Count | Tests |', '|---|---:|---|');
    const rows = new Map(p.rows.map((r) => [r.test, r]));
    const bySuite = new Map<string, string[]>();
    for (const t of missing) {
      const r = rows.get(t);
      const s = r?.suite ?? '';
      bySuite.set(s, [...(bySuite.get(s) ?? []), r?.name ?? t]);
    }
    for (const [s, names] of [...bySuite].sort((x, y) => y[1].length - x[1].length)) out.push(`| ${md(s || '(no suite)')} | ${names.length} | ${listNames(names, 20)} |`);
  }
  return out.length ? out : ['', 'Every architecture has every test.'];
}

function passingLists(p: Parity): string[] {
  const out: string[] = [];
  for (const c of p.columns) {
    const names = p.rows.filter((r) => r.cells[c.key] === 'pass').map((r) => r.name);
    out.push('', `### ${c.key} (${names.length})`, '', '```');
    // Three columns, as the notes lay them out.
    const w = Math.max(8, ...names.map((x) => x.length)) + 2;
    for (let i = 0; i < names.length; i += 3) out.push(names.slice(i, i + 3).map((x, j) => (j < 2 ? x.padEnd(w) : x)).join('').trimEnd());
    out.push('```');
  }
  return out;
}

export interface RenderOptions {
  title?: string;
  historyRows: number;
  max: number;
}

export function reportMarkdown(d: ReportData, o: RenderOptions): string {
  const archs = archOrder(d.parity);
  const title = o.title ?? (archs.length > 1 ? `Test parity: ${archs.join(' vs ')}` : `Test report: ${archs[0] ?? 'no runs'}`);
  const out: string[] = [
    `# ${title}`,
    '',
    `_Generated by kscope on ${d.generated.slice(0, 16).replace('T', ' ')} UTC from ${n(d.total_runs)} run${d.total_runs === 1 ? '' : 's'} in ${code(d.store)}. Pass rate = pass / (tests − skipped)._`,
    '',
    '---',
    '',
    '## Executive summary',
    '',
    '### Test inventory comparison',
    '',
    ...inventory(d.parity),
    '',
    '### Current results',
    '',
    ...currentResults(d),
  ];
  const prog = progressLines(d);
  if (prog.length) out.push('', ...prog);
  out.push('', '---', '', '## Priority queue: ordered by tests unblocked', '', ...queueTable(d.queue));
  out.push(...queueDetails(d.queue, d.failures, o.max));
  out.push('', '---', '', '## Failure breakdown', '', ...failureBreakdown(d.failures));
  out.push('', '---', '', '## Changes since the previous run');
  if (!d.changes.length) out.push('', 'Each arch/config has a single run so far.');
  const flaky = new Set(d.flaky.flaky.map((f) => `${f.arch}\0${f.config}\0${f.test}`));
  for (const c of d.changes) out.push(...changeSection(c, 60, flaky));
  out.push('', '---', '', '## Tests fixed by each change', ...fixedByChange(d, 10));
  out.push('', '---', '', '## Pass rate history', ...historyTables(d, o.historyRows));
  out.push('', '---', '', '## Flaky tests', '', ...flakySection(d, 60));
  out.push('', '---', '', '## Tests missing on one architecture', ...missingSection(d.parity));
  out.push('', '---', '', '## Passing tests', ...passingLists(d.parity));
  return `${out.join('\n')}\n`;
}

export function register(program: Command, run: Runner): void {
  addStoreOption(
    addSelectOptions(program.command('report').description('the whole parity document as Markdown: inventory, pass rates, history, changes, failure groups, fix queue, flaky tests'))
      .option('--markdown', 'Markdown (the default)')
      .option('-o, --output <file>', 'write the document to a file instead of stdout')
      .option('--title <text>', 'document title')
      .option('--history <n>', 'history rows per arch/config', '20')
      .option('--last <n>', 'flakiness looks at the last N runs of each arch/config')
      .option('--details <n>', 'queue items explained in detail', '10')
      .option('--json', 'the report data as one JSON object'),
  ).action((opts: SelectOptions & { output?: string; title?: string; history: string; last?: string; details: string; json?: boolean }) =>
    run(async () => {
      const historyRows = intOption(opts.history, '--history', 1);
      const max = intOption(opts.details, '--details');
      const last = opts.last !== undefined ? intOption(opts.last, '--last', 2) : undefined;
      const d = await withStore(opts, false, async (s) => buildReport(s, { arch: opts.arch, config: opts.config, runs: opts.runs ? await selectRuns(s, opts) : undefined, last }));
      if (!d.parity.columns.length) {
        return { kind: 'object', value: d, text: () => 'no runs stored', exitCode: 1 };
      }
      const text = reportMarkdown(d, { title: opts.title, historyRows, max });
      if (opts.output && !opts.json) {
        writeFileSync(opts.output, text);
        return { kind: 'object', value: d, text: () => `wrote ${opts.output} (${n(text.length)} bytes)` };
      }
      return { kind: 'object', value: d, text: () => text.trimEnd() };
    }),
  );

  addStoreOption(
    addSelectOptions(program.command('failures').description('failures of the latest runs grouped by signature, and the ranked fix queue (fix X → unblocks N tests)'))
      .option('--json', 'machine-readable output'),
  ).action((opts: SelectOptions) =>
    run(async () => {
      const value = await withStore(opts, false, async (s) => {
        const runs = await selectRuns(s, opts);
        const groups = await failureGroups(s.db, runs);
        return { runs: runs.map((r) => r.id), groups, queue: fixQueue(groups, await parityOf(s.db, runs)) };
      });
      return {
        kind: 'object',
        value,
        text: () => {
          if (!value.queue.length) return 'no failures and no missing tests in the chosen runs';
          return value.queue
            .map((q) => {
              const names = q.names.slice(0, 8).join(', ') + (q.names.length > 8 ? `, … ${q.names.length - 8} more` : '') + (q.unnamed ? ` and ${q.unnamed} unnamed` : '');
              return `${String(q.rank).padStart(3)}. ${q.kind === 'fix' ? 'fix' : 'port'} ${q.kind === 'fix' ? q.title : q.title.replace(/^port /, '')} → unblocks ${q.tests} test${q.tests === 1 ? '' : 's'} (${names})`;
            })
            .join('\n');
        },
      };
    }),
  );
}
