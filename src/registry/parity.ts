/**
 * The parity matrix: every test × every chosen run (by default the latest
 * run of each arch/config), the status in each cell, counts and pass rates
 * per column, and the tests one architecture has and another lacks — the
 * inventory table of the user's parity document.
 */
import type { TestStatus } from '../model/test-result.js';
import type { Db } from './db.js';
import type { StatusCounts, StoredResult, StoredRun } from './types.js';
import { columnKey, RATE_BASIS } from './types.js';

export interface ParityColumn extends StatusCounts {
  key: string;
  arch: string;
  config: string;
  run: number;
  label: string | null;
  commit: string | null;
  time: string;
  tests: number;
  /** Tests counted above that the run's artifacts never named (no row in the matrix). */
  unnamed: number;
  pass_rate: number | null;
}

export interface ParityRow {
  test: string;
  suite: string;
  name: string;
  /** Column key → status; absent when the column's run does not have the test. */
  cells: Record<string, TestStatus>;
  /** Present in two or more columns with different statuses. */
  differs: boolean;
}

export interface SuiteInventory {
  suite: string;
  /** Arch → number of tests of this suite on it (union over that arch's columns). */
  tests: Record<string, number>;
  pass: Record<string, number>;
}

export interface Parity {
  columns: ParityColumn[];
  archs: string[];
  rows: ParityRow[];
  /** Tests in every arch's columns. */
  common: number;
  differing: number;
  /** Arch → tests some other arch has and this one does not. */
  missing_on: Record<string, string[]>;
  /** Arch → tests only this arch has. */
  only_on: Record<string, string[]>;
  suites: SuiteInventory[];
  rate_basis: string;
}

/** Results of the given runs, one row per test per run. */
export async function resultsOf(db: Db, runIds: readonly number[]): Promise<StoredResult[]> {
  if (runIds.length === 0) return [];
  const rows = await db.all(
    `SELECT run_id, test, suite, name, status, message, artifact, line, start_line, end_line, signature, blocked
     FROM results WHERE run_id IN (${runIds.map((i) => Math.trunc(i)).join(',')})`,
  );
  return rows.map((r) => ({
    run_id: Number(r.run_id),
    test: String(r.test),
    suite: String(r.suite),
    name: String(r.name),
    status: String(r.status) as TestStatus,
    message: String(r.message ?? ''),
    artifact: Number(r.artifact),
    line: Number(r.line ?? 0),
    start_line: r.start_line === null ? null : Number(r.start_line),
    end_line: r.end_line === null ? null : Number(r.end_line),
    signature: r.signature === null ? null : String(r.signature),
    blocked: r.blocked === true,
  }));
}

export function parityColumn(r: StoredRun): ParityColumn {
  return {
    key: columnKey(r),
    arch: r.arch,
    config: r.config,
    run: r.id,
    label: r.label,
    commit: r.commit,
    time: r.time,
    tests: r.tests,
    pass: r.pass,
    fail: r.fail,
    skip: r.skip,
    timeout: r.timeout,
    error: r.error,
    notrun: r.notrun,
    unnamed: r.unnamed,
    pass_rate: r.pass_rate,
  };
}

/** Builds the matrix from already-fetched results (pure; `parity` fetches). */
export function buildParity(runs: readonly StoredRun[], results: readonly StoredResult[]): Parity {
  // Two chosen runs of one arch/config (e.g. `--runs 3,7`) need distinct columns.
  const columns = runs.map((r) => {
    const c = parityColumn(r);
    if (runs.filter((x) => columnKey(x) === c.key).length > 1) c.key = `${c.key}#${r.id}`;
    return c;
  });
  const colOfRun = new Map(columns.map((c) => [c.run, c]));
  const archs = [...new Set(columns.map((c) => c.arch))].sort();
  const byTest = new Map<string, ParityRow>();
  for (const x of results) {
    const col = colOfRun.get(x.run_id);
    if (!col) continue;
    let row = byTest.get(x.test);
    if (!row) {
      row = { test: x.test, suite: x.suite, name: x.name, cells: {}, differs: false };
      byTest.set(x.test, row);
    }
    row.cells[col.key] = x.status;
  }
  const rows = [...byTest.values()].sort((a, b) => a.suite.localeCompare(b.suite) || a.name.localeCompare(b.name));
  const archOfCol = new Map(columns.map((c) => [c.key, c.arch]));
  const missing_on: Record<string, string[]> = {};
  const only_on: Record<string, string[]> = {};
  for (const a of archs) {
    missing_on[a] = [];
    only_on[a] = [];
  }
  const suites = new Map<string, SuiteInventory>();
  let common = 0;
  let differing = 0;
  for (const row of rows) {
    const statuses = Object.values(row.cells);
    row.differs = statuses.length > 1 && statuses.some((s) => s !== statuses[0]);
    if (row.differs) differing++;
    const present = new Set(Object.keys(row.cells).map((k) => archOfCol.get(k) ?? ''));
    if (present.size === archs.length) common++;
    else {
      for (const a of archs) if (!present.has(a)) missing_on[a].push(row.test);
      if (present.size === 1) only_on[[...present][0]].push(row.test);
    }
    let inv = suites.get(row.suite);
    if (!inv) {
      inv = { suite: row.suite, tests: Object.fromEntries(archs.map((a) => [a, 0])), pass: Object.fromEntries(archs.map((a) => [a, 0])) };
      suites.set(row.suite, inv);
    }
    for (const a of present) inv.tests[a]++;
    const passedOn = new Set(Object.entries(row.cells).filter(([, s]) => s === 'pass').map(([k]) => archOfCol.get(k) ?? ''));
    for (const a of passedOn) inv.pass[a]++;
  }
  return {
    columns,
    archs,
    rows,
    common,
    differing,
    missing_on,
    only_on,
    suites: [...suites.values()].sort((a, b) => a.suite.localeCompare(b.suite)),
    rate_basis: RATE_BASIS,
  };
}

export async function parity(db: Db, runs: readonly StoredRun[]): Promise<Parity> {
  return buildParity(
    runs,
    await resultsOf(
      db,
      runs.map((r) => r.id),
    ),
  );
}
