/**
 * The run registry's one entry: runs, results, crashes and failure
 * signatures in an embedded DuckDB file, and the questions asked of them
 * (parity, compare, flaky, failure groups, the report). Imports only util/
 * and model/ (scripts/check-imports.mjs enforces it).
 */
export { ARCHES, canonicalArch, normaliseArch } from './arch.js';
export { artifactIdentity, type ArtifactIdentity } from './artifact.js';
export { errnoByName, errnoByNumber, errnoLabel, findErrno, type Errno } from './errno.js';
export { esrFault, findFault, pageFaultLabel, type Fault } from './fault.js';
export { failureSignature, isFailure, maskText, STATUS_RANK, type CrashRef, type Signature, type SignatureInput, type SignatureKind } from './signature.js';
export { prepareRun, runKey, type PreparedResult, type PreparedRun } from './prepare.js';
export { DEFAULT_STORE, RunStore, SCHEMA_VERSION, storePath, type AddOutcome, type RunFilter } from './store.js';
export { buildParity, parity, resultsOf, type Parity, type ParityColumn, type ParityRow, type SuiteInventory } from './parity.js';
export { buildComparison, classify, compareRuns, COMPARE_CATEGORIES, outcomeOf, type CompareCategory, type CompareEntry, type Comparison, type Outcome } from './compare.js';
export { flakyTests, historyStats, judge, STABLE_RUNS, type ChangeEntry, type FlakyEntry, type FlakyOptions, type FlakyReport, type TestHistoryStats } from './flaky.js';
export { failureGroups, fixQueue, groupFailures, groupNames, signatureCatalogue, type FailureEntry, type FailureGroup, type QueueItem } from './failures.js';
export { buildReport, historyGroups, type ChangeSet, type HistoryGroup, type HistoryPoint, type ReportData, type ReportOptions } from './report.js';
export { columnKey, passRate, RATE_BASIS, runName, testKey } from './types.js';
export type { ArtifactInput, CrashInput, RunInput, StatusCounts, StoredArtifact, StoredResult, StoredRun } from './types.js';
