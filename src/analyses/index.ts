/**
 * Analyses: findings with evidence from one pass over an input's events.
 * The folder's entry module; other folders import from here.
 */
export type { Analysis, AnalysisConfig, AnalysisInstance, Evidence, Finding, FindingDraft, Interest, Severity, SourceMeta } from './types.js';
export { SEVERITIES } from './types.js';
export { ANALYSES, analysisIds, selectAnalyses } from './registry.js';
export { runAnalyses, orderByNeeds, type RunResult, type RunStats } from './runner.js';
export { diagnoseInput, type DiagnoseOptions, type DiagnoseResult, type ViewReport } from './diagnose.js';
export { loadExpectations, parseExpectations, type ExpectationSet, type Marker } from './expect-file.js';
export { BUILTIN_EXPECTATIONS } from './builtin-expectations.js';
