/**
 * What goes into the run registry and what comes out of it. Field names are
 * snake_case because they are the JSON contract of `runs`, `parity`,
 * `compare`, `flaky` and `report --json`.
 */
import type { TestResult, TestStatus } from '../model/test-result.js';

/** A crash report as the registry stores it (the crash extractor's record, narrowed). */
export interface CrashInput {
  kind: string;
  title: string;
  line: number;
  end_line: number;
  cpu: number | null;
  registers?: Readonly<Record<string, string>>;
  frames?: readonly unknown[];
}

/** One artifact of a run, already read: its identity and what the readers found in it. */
export interface ArtifactInput {
  path: string;
  size: number;
  /** SHA-256 of the file's bytes as given (compressed or not): the identity re-adds are checked against. */
  sha256: string;
  mtimeMs: number;
  /** Which reader(s) produced the results, for `runs show`. */
  format: string;
  lines?: number | null;
  diagnostics?: number;
  results: readonly TestResult[];
  crashes: readonly CrashInput[];
  /**
   * Tests the artifact implies but never names (a plan of 3 when the log stops after 2, a
   * tally): counted in the run's totals so counts are exact, though they have no result rows.
   */
  unnamed?: Partial<StatusCounts>;
}

export interface RunInput {
  /** Canonical architecture (see arch.ts). */
  arch: string;
  /** Build or machine configuration ('' when there is only one). */
  config?: string;
  commit?: string | null;
  label?: string | null;
  /** When the run happened (epoch ms); orders history. */
  timeMs: number;
  artifacts: readonly ArtifactInput[];
}

export type StatusCounts = Record<TestStatus, number>;

export interface StoredArtifact {
  index: number;
  path: string;
  name: string;
  size: number;
  sha256: string;
  format: string;
  results: number;
  crashes: number;
  lines: number | null;
  diagnostics: number;
  unnamed: number;
}

export interface StoredRun extends StatusCounts {
  id: number;
  arch: string;
  config: string;
  commit: string | null;
  label: string | null;
  /** ISO 8601, UTC. */
  time: string;
  time_ms: number;
  added: string;
  tests: number;
  /** Of `tests`, how many the artifacts implied without naming them (no result rows). */
  unnamed: number;
  crashes: number;
  /** pass / (tests − skip); null when nothing ran. */
  pass_rate: number | null;
  artifacts?: StoredArtifact[];
}

/** One stored result row (one per test per run; a test reported twice keeps its worst status). */
export interface StoredResult {
  run_id: number;
  /** `suite:name` (or `name` when there is no suite): the identity across runs and architectures. */
  test: string;
  suite: string;
  name: string;
  status: TestStatus;
  message: string;
  artifact: number;
  line: number;
  start_line: number | null;
  end_line: number | null;
  signature: string | null;
  /** Not run because an earlier test hung; `signature` is then the hung test's. */
  blocked: boolean;
}

export interface SignatureRow {
  signature: string;
  kind: string;
  label: string;
}

export const RATE_BASIS = 'pass / (tests - skip)';

export function passRate(c: { tests: number; pass: number; skip: number }): number | null {
  const d = c.tests - c.skip;
  return d > 0 ? c.pass / d : null;
}

/** How a run is named in text: its label, else its commit, else its id. */
export function runName(r: Pick<StoredRun, 'id' | 'label' | 'commit'>): string {
  if (r.label) return `run ${r.id} (${r.label})`;
  if (r.commit) return `run ${r.id} (${r.commit.slice(0, 12)})`;
  return `run ${r.id}`;
}

/** `aarch64` or `aarch64/debug`: a column of the parity matrix. */
export function columnKey(r: { arch: string; config: string }): string {
  return r.config ? `${r.arch}/${r.config}` : r.arch;
}

export function testKey(suite: string, name: string): string {
  return suite ? `${suite}:${name}` : name;
}
