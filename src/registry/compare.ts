/**
 * Two runs side by side, test by test: what a change fixed, what it broke,
 * which tests appeared or vanished, and what still fails — the "Tests fixed
 * by exec() fix (+9)" tables of the user's notes.
 */
import type { TestStatus } from '../model/test-result.js';
import type { Db } from './db.js';
import { resultsOf } from './parity.js';
import type { StoredResult, StoredRun } from './types.js';

/** What a status means for tracking: it passed, it failed (fail/timeout/error), or it did not run (skip/notrun). */
export type Outcome = 'pass' | 'fail' | 'none';

export function outcomeOf(s: TestStatus): Outcome {
  if (s === 'pass') return 'pass';
  if (s === 'skip' || s === 'notrun') return 'none';
  return 'fail';
}

export interface CompareEntry {
  test: string;
  suite: string;
  name: string;
  before: TestStatus | null;
  after: TestStatus | null;
  /** The failing side's message and signature (after, or before for fixed/disappeared). */
  message: string;
  signature: string | null;
}

export type CompareCategory = 'fixed' | 'regressed' | 'new' | 'disappeared' | 'still_failing' | 'not_run' | 'other';

export const COMPARE_CATEGORIES: readonly CompareCategory[] = ['fixed', 'regressed', 'new', 'disappeared', 'still_failing', 'not_run', 'other'];

export interface Comparison extends Record<CompareCategory, CompareEntry[]> {
  a: StoredRun;
  b: StoredRun;
  counts: Record<CompareCategory | 'still_passing' | 'unchanged', number>;
  /** Signature key → label, for every signature the entries name. */
  signatures: Record<string, string>;
}

/**
 * Classifies one test. `fixed`: now passes, did not before (failed, or was
 * not run). `regressed`: passed, now fails. `still_failing`: failed in both.
 * `not_run`: passed or failed, now skipped or not run. `other`: was not run,
 * now fails (no evidence it ever passed).
 */
export function classify(before: TestStatus | null, after: TestStatus | null): CompareCategory | 'still_passing' | 'unchanged' {
  if (before === null && after === null) return 'unchanged';
  if (before === null) return 'new';
  if (after === null) return 'disappeared';
  const a = outcomeOf(before);
  const b = outcomeOf(after);
  if (b === 'pass') return a === 'pass' ? 'still_passing' : 'fixed';
  if (b === 'fail') {
    if (a === 'pass') return 'regressed';
    return a === 'fail' ? 'still_failing' : 'other';
  }
  return a === 'none' ? 'unchanged' : 'not_run';
}

/** Pure: compares already-fetched results of run A (before) and run B (after). */
export function buildComparison(a: StoredRun, b: StoredRun, resultsA: readonly StoredResult[], resultsB: readonly StoredResult[], labels: Record<string, string> = {}): Comparison {
  const before = new Map(resultsA.map((r) => [r.test, r]));
  const after = new Map(resultsB.map((r) => [r.test, r]));
  const out = Object.fromEntries(COMPARE_CATEGORIES.map((c) => [c, [] as CompareEntry[]])) as Record<CompareCategory, CompareEntry[]>;
  const counts = Object.fromEntries([...COMPARE_CATEGORIES, 'still_passing', 'unchanged'].map((c) => [c, 0])) as Comparison['counts'];
  const keys = new Set([...before.keys(), ...after.keys()]);
  for (const k of [...keys].sort()) {
    const x = before.get(k);
    const y = after.get(k);
    const cat = classify(x?.status ?? null, y?.status ?? null);
    counts[cat]++;
    if (cat === 'still_passing' || cat === 'unchanged') continue;
    const ref = (y ?? x) as StoredResult;
    const failing = y && outcomeOf(y.status) === 'fail' ? y : x && outcomeOf(x.status) === 'fail' ? x : ref;
    out[cat].push({
      test: k,
      suite: ref.suite,
      name: ref.name,
      before: x?.status ?? null,
      after: y?.status ?? null,
      message: failing.message,
      signature: failing.signature,
    });
  }
  const signatures: Record<string, string> = {};
  for (const c of COMPARE_CATEGORIES) for (const e of out[c]) if (e.signature) signatures[e.signature] = labels[e.signature] ?? e.signature;
  return { a, b, ...out, counts, signatures };
}

/** Signature key → label from the store's catalogue. */
export async function signatureLabels(db: Db): Promise<Record<string, string>> {
  const rows = await db.all(`SELECT signature, label FROM signatures`);
  return Object.fromEntries(rows.map((r) => [String(r.signature), String(r.label)]));
}

export async function compareRuns(db: Db, a: StoredRun, b: StoredRun): Promise<Comparison> {
  const [ra, rb] = [await resultsOf(db, [a.id]), await resultsOf(db, [b.id])];
  return buildComparison(a, b, ra, rb, await signatureLabels(db));
}
