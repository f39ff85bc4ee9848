/**
 * Everything the generated parity document says, as data: per-arch
 * inventory and pass rates, history over runs, changes since the previous
 * run, failure groups and the ranked fix queue, flaky tests, and tests
 * missing on an architecture. The CLI renders it as Markdown; `--json`
 * hands it to scripts and agents as is.
 */
import { compareRuns, type Comparison } from './compare.js';
import { failureGroups, fixQueue, type FailureGroup, type QueueItem } from './failures.js';
import { flakyTests, type FlakyReport } from './flaky.js';
import { parity, type Parity } from './parity.js';
import type { RunStore } from './store.js';
import type { StatusCounts, StoredRun } from './types.js';
import { columnKey } from './types.js';

export interface HistoryPoint extends StatusCounts {
  run: number;
  time: string;
  commit: string | null;
  label: string | null;
  tests: number;
  pass_rate: number | null;
  /** Passing tests gained since the previous run of this arch/config. */
  delta_pass: number | null;
}

export interface HistoryGroup {
  key: string;
  arch: string;
  config: string;
  /** Runs in this group, oldest first (all of them; renderers trim). */
  points: HistoryPoint[];
}

export interface ChangeSet {
  key: string;
  comparison: Comparison;
}

export interface ReportData {
  generated: string;
  store: string;
  total_runs: number;
  parity: Parity;
  history: HistoryGroup[];
  changes: ChangeSet[];
  failures: FailureGroup[];
  queue: QueueItem[];
  flaky: FlakyReport;
}

export interface ReportOptions {
  arch?: string;
  config?: string;
  /** Chosen runs for the matrix and failure groups instead of the latest per arch/config. */
  runs?: readonly StoredRun[];
  /** Flakiness looks at the last N runs of each arch/config (all by default). */
  last?: number;
}

export function historyGroups(runs: readonly StoredRun[]): HistoryGroup[] {
  const groups = new Map<string, HistoryGroup>();
  for (const r of runs) {
    const key = columnKey(r);
    let g = groups.get(key);
    if (!g) {
      g = { key, arch: r.arch, config: r.config, points: [] };
      groups.set(key, g);
    }
    const prev = g.points[g.points.length - 1];
    g.points.push({
      run: r.id,
      time: r.time,
      commit: r.commit,
      label: r.label,
      tests: r.tests,
      pass: r.pass,
      fail: r.fail,
      skip: r.skip,
      timeout: r.timeout,
      error: r.error,
      notrun: r.notrun,
      pass_rate: r.pass_rate,
      delta_pass: prev ? r.pass - prev.pass : null,
    });
  }
  return [...groups.values()].sort((a, b) => a.arch.localeCompare(b.arch) || a.config.localeCompare(b.config));
}

export async function buildReport(store: RunStore, opts: ReportOptions = {}): Promise<ReportData> {
  const all = await store.listRuns({ arch: opts.arch, config: opts.config });
  const history = historyGroups(all);
  // The latest run of each arch/config is the last point of its history (one query fewer than latestRuns).
  const chosen = opts.runs ?? history.map((h) => all.find((r) => r.id === h.points[h.points.length - 1].run)).filter((r): r is StoredRun => r !== undefined);
  const matrix = await parity(store.db, chosen);
  const changes: ChangeSet[] = [];
  for (const r of chosen) {
    const g = history.find((h) => h.key === columnKey(r));
    const i = g ? g.points.findIndex((p) => p.run === r.id) : -1;
    if (!g || i < 1) continue;
    const prev = all.find((x) => x.id === g.points[i - 1].run);
    if (prev) changes.push({ key: g.key, comparison: await compareRuns(store.db, prev, r) });
  }
  const failures = await failureGroups(store.db, chosen);
  return {
    generated: new Date().toISOString(),
    store: store.path,
    total_runs: all.length,
    parity: matrix,
    history,
    changes,
    failures,
    queue: fixQueue(failures, matrix),
    flaky: await flakyTests(store.db, { arch: opts.arch, config: opts.config, last: opts.last }),
  };
}
