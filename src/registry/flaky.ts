/**
 * Flaky tests: tests whose outcome flips between pass and fail across runs
 * of one arch/config, kept apart from consistent changes (a regression that
 * stays, a fix that holds).
 *
 * A test's history is its outcomes in time order, skips and not-runs left
 * out. It is cut into segments of equal outcome; an interior segment shorter
 * than STABLE_RUNS is a blip (it failed, or passed, for a run or two and then
 * went back). The test is flaky when
 *   - under one commit it both passed and failed (same code, different
 *     outcome: the strongest evidence, used whenever runs carry commits);
 *   - its runs do not all carry commits and it has a blip (nothing tells a
 *     code change from chance, and changes rarely revert within two runs);
 *   - its runs all carry commits and it has two or more blips (one blip
 *     across commits is a regression and its fix; back and forth is not).
 * Otherwise its last flip is a consistent change: `regressed` when it now
 * fails, `fixed` when it now passes. The score is the flip rate, flips /
 * (outcomes − 1).
 */
import type { Db, Param } from './db.js';
import { canonicalArch } from './arch.js';

/** A segment this many runs long or longer is a state, not a blip. */
export const STABLE_RUNS = 3;

export interface TestHistoryStats {
  arch: string;
  config: string;
  test: string;
  suite: string;
  name: string;
  /** Outcomes counted (pass or fail; skips and not-runs are left out). */
  runs: number;
  passes: number;
  failures: number;
  flips: number;
  flip_rate: number;
  fail_rate: number;
  /** Commits under which the test both passed and failed. */
  mixed_commits: number;
  /** Interior segments shorter than STABLE_RUNS. */
  blips: number;
  /** Every run in the history names its commit. */
  commits_known: boolean;
  last_outcome: 'pass' | 'fail';
  /** First run of the current (last) segment: where a consistent change happened. */
  since_run: number;
  /** Outcome history, oldest first, P/F per run (the last 80). */
  history: string;
}

export interface FlakyEntry extends TestHistoryStats {
  /** Why it counts as flaky. */
  reason: string;
}

export interface ChangeEntry extends TestHistoryStats {
  change: 'regressed' | 'fixed';
}

export interface FlakyReport {
  /** Runs considered per arch/config. */
  groups: { arch: string; config: string; runs: number }[];
  flaky: FlakyEntry[];
  /** Consistent changes, kept apart from flakiness. */
  changes: ChangeEntry[];
  stable_runs: number;
}

export interface FlakyOptions {
  arch?: string;
  config?: string;
  /** Only the last N runs of each arch/config. */
  last?: number;
  /** Ignore tests with fewer outcomes than this. */
  minRuns?: number;
}

/** Pure decision over one test's stats: flaky (with the reason), a consistent change, or stable. */
export function judge(s: TestHistoryStats): { kind: 'flaky'; reason: string } | { kind: 'regressed' | 'fixed' } | { kind: 'stable' } {
  if (s.flips === 0) return { kind: 'stable' };
  if (s.mixed_commits > 0) return { kind: 'flaky', reason: `passed and failed under the same commit (${s.mixed_commits} commit${s.mixed_commits > 1 ? 's' : ''})` };
  const excursions = `${s.blips} short excursion${s.blips > 1 ? 's' : ''} (< ${STABLE_RUNS} runs) from its usual outcome`;
  if (!s.commits_known && s.blips > 0) return { kind: 'flaky', reason: excursions };
  if (s.commits_known && s.blips > 1) return { kind: 'flaky', reason: `${excursions}, across commits` };
  return { kind: s.last_outcome === 'fail' ? 'regressed' : 'fixed' };
}

/**
 * One test's outcome string (P/F, oldest first) cut into segments of equal
 * outcome: flips, blips (interior segments shorter than STABLE_RUNS), the
 * current outcome and the run where the current segment began.
 */
export function analyseHistory(seq: string, runIds: readonly number[]): { flips: number; blips: number; passes: number; last: 'pass' | 'fail'; sinceRun: number } {
  let flips = 0;
  let blips = 0;
  let passes = 0;
  let segStart = 0;
  for (let i = 0; i < seq.length; i++) {
    if (seq[i] === 'P') passes++;
    if (i > 0 && seq[i] !== seq[i - 1]) {
      flips++;
      // The segment that just ended is interior unless it was the first one.
      if (segStart > 0 && i - segStart < STABLE_RUNS) blips++;
      segStart = i;
    }
  }
  return { flips, blips, passes, last: seq[seq.length - 1] === 'P' ? 'pass' : 'fail', sinceRun: runIds[segStart] ?? 0 };
}

/**
 * Per-test history statistics over the chosen runs, for tests that flipped
 * at least once. Done in DuckDB with window functions: 1,000 runs × 500
 * tests is half a million rows, too many to pull into JavaScript one by one.
 */
export async function historyStats(db: Db, opts: FlakyOptions = {}): Promise<{ stats: TestHistoryStats[]; groups: FlakyReport['groups'] }> {
  const where: string[] = [];
  const params: Param[] = [];
  if (opts.arch) {
    params.push(canonicalArch(opts.arch) ?? opts.arch.toLowerCase());
    where.push(`arch = $${params.length}`);
  }
  if (opts.config !== undefined) {
    params.push(opts.config);
    where.push(`config = $${params.length}`);
  }
  const last = opts.last !== undefined && opts.last > 0 ? Math.trunc(opts.last) : 2 ** 31 - 1;
  const runs = `SELECT id, arch, config, commit, time FROM (
      SELECT *, row_number() OVER (PARTITION BY arch, config ORDER BY time DESC, id DESC) AS k FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ) WHERE k <= ${last}`;
  const groups = (await db.all(`SELECT arch, config, count(*)::INTEGER AS runs FROM (${runs}) GROUP BY ALL ORDER BY arch, config`, params)).map((r) => ({
    arch: String(r.arch),
    config: String(r.config),
    runs: Number(r.runs),
  }));
  // The SQL reduces half a million rows to one outcome string per (arch/config, test) that ever
  // changed status; the judgement over those few strings is plain code (analyseHistory).
  const sql = `
    WITH r AS (
      SELECT id, arch, config, commit,
        dense_rank() OVER (ORDER BY arch, config) AS gid,
        row_number() OVER (PARTITION BY arch, config ORDER BY time, id) AS ord
      FROM (${runs})
    ),
    -- Tests whose status never changed need nothing more. A superset (any status change, any
    -- arch, any run), found by one cheap aggregate; integer ids keep the grouping below cheap.
    changed AS (
      SELECT test, any_value(suite) AS suite, any_value(name) AS name, row_number() OVER () AS tid
      FROM results GROUP BY test HAVING min(status = 'pass') <> max(status = 'pass')
    ),
    o AS (
      SELECT r.gid, r.commit, r.ord, r.id AS run_id, c.tid, (x.status = 'pass') AS ok
      FROM results x JOIN r ON r.id = x.run_id JOIN changed c ON c.test = x.test
      WHERE x.status IN ('pass', 'fail', 'timeout', 'error')
    ),
    per AS (
      SELECT gid, tid,
        string_agg(CASE WHEN ok THEN 'P' ELSE 'F' END, '' ORDER BY ord) AS seq,
        list(run_id ORDER BY ord) AS ids,
        bool_and(commit IS NOT NULL AND commit <> '') AS commits_known
      FROM o GROUP BY gid, tid
    ),
    mixed AS (
      SELECT gid, tid, count(*)::INTEGER AS mixed_commits FROM (
        SELECT gid, tid, commit FROM o WHERE commit IS NOT NULL AND commit <> ''
        GROUP BY gid, tid, commit HAVING bool_or(ok) AND bool_or(NOT ok)
      ) GROUP BY gid, tid
    ),
    g AS (SELECT DISTINCT gid, arch, config FROM r)
    SELECT g.arch, g.config, c.test, c.suite, c.name, p.seq, p.ids, p.commits_known, coalesce(m.mixed_commits, 0) AS mixed_commits
    FROM per p JOIN g ON g.gid = p.gid JOIN changed c ON c.tid = p.tid LEFT JOIN mixed m ON m.gid = p.gid AND m.tid = p.tid
    WHERE contains(p.seq, 'P') AND contains(p.seq, 'F')
    ORDER BY g.arch, g.config, c.test`;
  const rows = await db.allRaw(sql, params);
  const stats = rows.map((r): TestHistoryStats => {
    const seq = String(r.seq ?? '');
    const ids = Array.isArray(r.ids) ? r.ids.map(Number) : [];
    const h = analyseHistory(seq, ids);
    return {
      arch: String(r.arch),
      config: String(r.config),
      test: String(r.test),
      suite: String(r.suite),
      name: String(r.name),
      runs: seq.length,
      passes: h.passes,
      failures: seq.length - h.passes,
      flips: h.flips,
      flip_rate: seq.length > 1 ? h.flips / (seq.length - 1) : 0,
      fail_rate: seq.length > 0 ? (seq.length - h.passes) / seq.length : 0,
      mixed_commits: Number(r.mixed_commits),
      blips: h.blips,
      commits_known: r.commits_known === true,
      last_outcome: h.last,
      since_run: h.sinceRun,
      history: seq.length > 80 ? seq.slice(seq.length - 80) : seq,
    };
  });
  return { stats, groups };
}

export async function flakyTests(db: Db, opts: FlakyOptions = {}): Promise<FlakyReport> {
  const { stats, groups } = await historyStats(db, opts);
  const flaky: FlakyEntry[] = [];
  const changes: ChangeEntry[] = [];
  const minRuns = opts.minRuns ?? 2;
  for (const s of stats) {
    if (s.runs < minRuns) continue;
    const j = judge(s);
    if (j.kind === 'flaky') flaky.push({ ...s, reason: j.reason });
    else if (j.kind === 'regressed' || j.kind === 'fixed') changes.push({ ...s, change: j.kind });
  }
  flaky.sort((a, b) => b.flip_rate - a.flip_rate || b.failures - a.failures || a.test.localeCompare(b.test));
  changes.sort((a, b) => (a.change === b.change ? 0 : a.change === 'regressed' ? -1 : 1) || b.since_run - a.since_run || a.test.localeCompare(b.test));
  return { groups, flaky, changes, stable_runs: STABLE_RUNS };
}
