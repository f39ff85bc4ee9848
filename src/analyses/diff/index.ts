/**
 * Run comparison (`kscope diff`): two runs side by side, or red runs against
 * green runs. Lines and events are compared after masking what differs in
 * every run (addresses, pids, timestamps, counters), as crash titles are.
 */
export { diffRuns, redGreen, SYNC_ENTRIES, DEFAULT_LIMIT } from './compare.js';
export type { CrashRef, DiffOptions, DiffResult, Difference, OnlyIn, RedGreenResult, RedHit, RedOnly, Shown, Side, TypeCount } from './compare.js';
export type { RunInfo } from './runs.js';
export { DEFAULT_MAX_EVENTS, bundleOutFor } from './runs.js';
export { normalizeLine, normalizeEvent, severityOf, cleanLine } from './normalize.js';
export { align, hunksOf } from './align.js';
