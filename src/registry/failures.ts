/**
 * Failures grouped by signature, and the ranked queue the user's notes keep
 * by hand: "fix <root cause> → unblocks N tests (names…)". A group counts
 * the tests that fail with that signature plus the tests that never ran
 * because a test with that signature hung first; tests missing on an
 * architecture become "port" items in the same queue.
 */
import type { TestStatus } from '../model/test-result.js';
import type { Db } from './db.js';
import { resultsOf, type Parity } from './parity.js';
import type { StoredResult, StoredRun } from './types.js';
import { columnKey } from './types.js';

export interface FailureEntry {
  test: string;
  suite: string;
  name: string;
  arch: string;
  config: string;
  run: number;
  status: TestStatus;
  /** Not run because an earlier test with this signature hung. */
  blocked: boolean;
  message: string;
}

export interface FailureGroup {
  signature: string;
  kind: string;
  label: string;
  /** Tests a fix would unblock: failing + blocked (a test counts once per arch/config). */
  tests: number;
  failing: number;
  blocked: number;
  /** Of `blocked`, tests the artifacts implied (a plan) but never named. */
  unnamed: number;
  /** Column (arch or arch/config) → tests in this group there. */
  columns: Record<string, number>;
  entries: FailureEntry[];
}

export interface QueueItem {
  rank: number;
  kind: 'fix' | 'port';
  /** Signature key for fixes; `port:<arch>:<suite>` for ports. */
  id: string;
  title: string;
  tests: number;
  names: string[];
  /** Of `tests`, how many have no name (implied by a plan, never printed). */
  unnamed: number;
  columns: Record<string, number>;
}

/** Unnamed not-run tests of one run, blamed on a signature (the hang that stopped the artifact). */
export interface UnnamedBlockedRow {
  run_id: number;
  signature: string;
  count: number;
}

export interface SignatureInfo {
  kind: string;
  label: string;
}

/** Groups the non-passing results of `runs` by signature, largest group first. */
export function groupFailures(
  runs: readonly StoredRun[],
  results: readonly StoredResult[],
  catalogue: ReadonlyMap<string, SignatureInfo>,
  unnamed: readonly UnnamedBlockedRow[] = [],
): FailureGroup[] {
  const runById = new Map(runs.map((r) => [r.id, r]));
  const groups = new Map<string, FailureGroup>();
  const group = (signature: string): FailureGroup => {
    let g = groups.get(signature);
    if (!g) {
      const info = catalogue.get(signature);
      g = { signature, kind: info?.kind ?? signature.split(':')[0], label: info?.label ?? signature, tests: 0, failing: 0, blocked: 0, unnamed: 0, columns: {}, entries: [] };
      groups.set(signature, g);
    }
    return g;
  };
  for (const u of unnamed) {
    const run = runById.get(u.run_id);
    if (!run || u.count <= 0) continue;
    const g = group(u.signature);
    g.tests += u.count;
    g.blocked += u.count;
    g.unnamed += u.count;
    const col = columnKey(run);
    g.columns[col] = (g.columns[col] ?? 0) + u.count;
  }
  for (const x of results) {
    if (!x.signature || x.status === 'pass' || x.status === 'skip') continue;
    const run = runById.get(x.run_id);
    if (!run) continue;
    const g = group(x.signature);
    g.entries.push({ test: x.test, suite: x.suite, name: x.name, arch: run.arch, config: run.config, run: run.id, status: x.status, blocked: x.blocked, message: x.message });
    g.tests++;
    if (x.blocked) g.blocked++;
    else g.failing++;
    const col = columnKey(run);
    g.columns[col] = (g.columns[col] ?? 0) + 1;
  }
  for (const g of groups.values()) g.entries.sort((a, b) => Number(a.blocked) - Number(b.blocked) || a.test.localeCompare(b.test) || a.arch.localeCompare(b.arch));
  return [...groups.values()].sort((a, b) => b.tests - a.tests || b.failing - a.failing || a.label.localeCompare(b.label));
}

/** Test names of a group, each once (a test failing on two archs is one name). */
export function groupNames(g: FailureGroup): string[] {
  return [...new Set(g.entries.map((e) => e.name))];
}

/**
 * The ranked queue: failure groups ("fix …") and, when a parity matrix is
 * given, tests missing on an architecture per suite ("port …"), ordered by
 * how many tests each unblocks.
 */
export function fixQueue(groups: readonly FailureGroup[], parity?: Parity): QueueItem[] {
  const items: Omit<QueueItem, 'rank'>[] = groups.map((g) => ({
    kind: 'fix',
    id: g.signature,
    title: g.label,
    tests: g.tests,
    names: groupNames(g),
    unnamed: g.unnamed,
    columns: g.columns,
  }));
  if (parity && parity.archs.length > 1) {
    const suiteOf = new Map(parity.rows.map((r) => [r.test, r]));
    for (const [arch, missing] of Object.entries(parity.missing_on)) {
      const bySuite = new Map<string, string[]>();
      for (const t of missing) {
        const row = suiteOf.get(t);
        const suite = row?.suite ?? '';
        const list = bySuite.get(suite) ?? [];
        list.push(row?.name ?? t);
        bySuite.set(suite, list);
      }
      for (const [suite, names] of bySuite) {
        items.push({
          kind: 'port',
          id: `port:${arch}:${suite}`,
          title: `port ${suite ? `${suite} ` : ''}tests to ${arch}`,
          tests: names.length,
          names,
          unnamed: 0,
          columns: { [arch]: names.length },
        });
      }
    }
  }
  items.sort((a, b) => b.tests - a.tests || (a.kind === b.kind ? 0 : a.kind === 'fix' ? -1 : 1) || a.title.localeCompare(b.title));
  return items.map((it, i) => ({ rank: i + 1, ...it }));
}

/** The store's signature catalogue: key → kind and label. */
export async function signatureCatalogue(db: Db): Promise<Map<string, SignatureInfo>> {
  const rows = await db.all(`SELECT signature, kind, label FROM signatures`);
  return new Map(rows.map((r) => [String(r.signature), { kind: String(r.kind), label: String(r.label) }]));
}

/** Failure groups of the given runs, fetched from the store. */
export async function failureGroups(db: Db, runs: readonly StoredRun[]): Promise<FailureGroup[]> {
  const ids = runs.map((r) => Math.trunc(r.id));
  const results = await resultsOf(db, ids);
  const unnamed = ids.length
    ? (await db.all(`SELECT run_id, unnamed_blocked_by AS signature, unnamed_notrun AS count FROM artifacts WHERE unnamed_blocked_by IS NOT NULL AND run_id IN (${ids.join(',')})`)).map((r) => ({
        run_id: Number(r.run_id),
        signature: String(r.signature),
        count: Number(r.count),
      }))
    : [];
  return groupFailures(runs, results, await signatureCatalogue(db), unnamed);
}
