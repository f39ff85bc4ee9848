/**
 * Turns a run's artifacts into the rows the store writes: one row per test
 * (a test reported twice keeps its worst status), a failure signature per
 * failed test, not-run tests attributed to the hang that stopped the suite,
 * and the per-status counts that history queries read without touching
 * results. Pure: the store only writes what this returns.
 */
import { createHash } from 'node:crypto';
import type { TestResult } from '../model/test-result.js';
import { failureSignature, isFailure, STATUS_RANK, type CrashRef, type Signature } from './signature.js';
import type { ArtifactInput, CrashInput, RunInput, StatusCounts, StoredResult } from './types.js';
import { testKey } from './types.js';

/** Longest message and detail stored per result: enough to read, bounded so a flood of output cannot bloat the store. */
export const MAX_MESSAGE = 2000;
export const MAX_DETAIL_LINES = 40;

/** A result row before it has a run: what is stored, plus what the run's own tables take from it. */
export interface PreparedResult extends Omit<StoredResult, 'run_id'> {
  duration_ms: number | null;
  source: string;
  /** How many times the run reported this test. */
  repeats: number;
  /** First lines of the failure output, newline-joined; null for passes. */
  detail: string | null;
}

/** Unnamed not-run tests of one artifact, blamed on the hang that stopped it (or on nothing). */
export interface UnnamedBlocked {
  artifact: number;
  count: number;
  signature: string | null;
}

export interface PreparedRun {
  key: string;
  /** Per status, named results plus the artifacts' unnamed ones. */
  counts: StatusCounts;
  /** Tests in `counts` without a result row. */
  unnamed: number;
  blockedUnnamed: UnnamedBlocked[];
  results: PreparedResult[];
  signatures: Map<string, Signature>;
}

export function emptyCounts(): StatusCounts {
  return { pass: 0, fail: 0, skip: 0, timeout: 0, error: 0, notrun: 0 };
}

/** Identity of a run for "already added": arch, config and the sorted artifact hashes. */
export function runKey(arch: string, config: string, sha256s: readonly string[]): string {
  const h = createHash('sha256');
  h.update(`${arch}\0${config}\0`);
  for (const s of [...sha256s].sort()) h.update(`${s}\0`);
  return h.digest('hex');
}

function range(r: TestResult): [number, number] {
  const start = r.start_line ?? r.line;
  const end = Math.max(r.end_line ?? r.line, start, r.line);
  return [Math.min(start, r.line), end];
}

/**
 * Crash reports that belong to a test: those that start inside the test's
 * output range (crashes sorted by line). A report that merely extends into
 * a later test's range is not that test's: extractors cannot always tell
 * where a report ends, and a long one would otherwise swallow the tests after it.
 */
function crashesOf(r: TestResult, crashes: readonly CrashInput[]): CrashRef[] {
  const [s, e] = range(r);
  const out: CrashRef[] = [];
  for (const c of crashes) {
    if (c.line > e) break;
    if (c.line >= s) out.push(c);
  }
  return out;
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

function prepareArtifact(a: ArtifactInput, index: number, byTest: Map<string, PreparedResult>, signatures: Map<string, Signature>): UnnamedBlocked | null {
  const crashes = [...a.crashes].sort((x, y) => x.line - y.line);
  // The last test that hung (or died) in this artifact: tests after it were never run because of it.
  let hung: PreparedResult | null = null;
  const notrun: PreparedResult[] = [];
  for (const r of a.results) {
    const key = testKey(r.suite, r.name);
    const prev = byTest.get(key);
    if (prev && STATUS_RANK[prev.status] >= STATUS_RANK[r.status]) {
      prev.repeats++;
      continue;
    }
    let sig: Signature | null = null;
    if (isFailure(r.status)) {
      sig = failureSignature({ status: r.status, name: r.name, message: r.message, output: r.output, crashes: crashes.length ? crashesOf(r, crashes) : undefined });
      if (sig && !signatures.has(sig.key)) signatures.set(sig.key, sig);
    }
    const row: PreparedResult = {
      test: key,
      suite: r.suite,
      name: r.name,
      status: r.status,
      message: clip(r.message, MAX_MESSAGE),
      artifact: index,
      line: r.line,
      start_line: r.start_line ?? null,
      end_line: r.end_line ?? null,
      duration_ms: r.duration_ms ?? null,
      source: r.source,
      signature: sig?.key ?? null,
      blocked: false,
      repeats: (prev?.repeats ?? 0) + 1,
      detail: isFailure(r.status) && r.output?.length ? clip(r.output.slice(0, MAX_DETAIL_LINES).join('\n'), MAX_MESSAGE * 4) : null,
    };
    byTest.set(key, row);
    if (r.status === 'notrun') notrun.push(row);
    if ((r.status === 'timeout' || r.status === 'error') && (!hung || r.line >= hung.line)) hung = row;
  }
  const unnamedNotrun = a.unnamed?.notrun ?? 0;
  const blocked: UnnamedBlocked | null = unnamedNotrun > 0 ? { artifact: index, count: unnamedNotrun, signature: hung?.signature ?? null } : null;
  for (const row of notrun) {
    if (row.status !== 'notrun') continue; // a later report of the same test replaced it
    if (hung?.signature) {
      row.signature = hung.signature;
      row.blocked = true;
    } else {
      const sig: Signature = { key: 'status:notrun', kind: 'status', label: 'not run (no hang found to blame)' };
      if (!signatures.has(sig.key)) signatures.set(sig.key, sig);
      row.signature = sig.key;
    }
  }
  return blocked;
}

export function prepareRun(input: RunInput): PreparedRun {
  const byTest = new Map<string, PreparedResult>();
  const signatures = new Map<string, Signature>();
  const blockedUnnamed: UnnamedBlocked[] = [];
  input.artifacts.forEach((a, i) => {
    const b = prepareArtifact(a, i, byTest, signatures);
    if (b) blockedUnnamed.push(b);
  });
  const counts = emptyCounts();
  const results = [...byTest.values()];
  for (const r of results) counts[r.status]++;
  let unnamed = 0;
  for (const a of input.artifacts) {
    for (const [k, v] of Object.entries(a.unnamed ?? {}) as [keyof StatusCounts, number][]) {
      counts[k] += v;
      unnamed += v;
    }
  }
  // Keep only signatures some stored row still uses (a replaced report may have made one).
  const used = new Set([...results.map((r) => r.signature), ...blockedUnnamed.map((b) => b.signature)].filter((s): s is string => s !== null));
  for (const k of [...signatures.keys()]) if (!used.has(k)) signatures.delete(k);
  return {
    key: runKey(input.arch, input.config ?? '', input.artifacts.map((a) => a.sha256)),
    counts,
    unnamed,
    blockedUnnamed,
    results,
    signatures,
  };
}
