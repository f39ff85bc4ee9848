import { openForQuery, type IndexContext, type IndexOptions } from '../index/bundle-cache.js';
import { plainInput } from '../index/plain-input.js';
import type { EventSource } from '../model/source.js';
import { LineSource } from './line-source.js';
import { ANALYSES } from './registry.js';
import { fullPass, runAnalyses, type RunStats } from './runner.js';
import { LineText } from './text.js';
import type { Analysis, AnalysisConfig, Finding, SourceMeta } from './types.js';

export interface DiagnoseOptions extends IndexOptions {
  stream?: string;
}

/** One pass over one view of an input (a stream, or the console text around a dump). */
export interface ViewReport {
  source: string;
  format: string;
  events: number;
  stats: RunStats;
}

export interface DiagnoseResult {
  input: string;
  views: ViewReport[];
  findings: Finding[];
}

function tsUnitOf(data: unknown, summary: Record<string, unknown>): string | null {
  if (typeof summary.ts_unit === 'string') return summary.ts_unit;
  const tables = (data as { tables?: { tsUnit?: string | null }[] } | null)?.tables;
  return tables?.[0]?.tsUnit ?? null;
}

/** Runs the analyses over one source and closes it. */
function runView(source: EventSource, meta: Omit<SourceMeta, 'event' | 'count' | 'typeNames' | 'summary' | 'rescan'>, analyses: readonly Analysis[], config: AnalysisConfig, selected: ReadonlySet<string> | null): { findings: Finding[]; report: ViewReport } {
  const summary = source.summary();
  const full: SourceMeta = { ...meta, count: source.count, typeNames: source.typeNames, summary, event: (i) => source.event(i), rescan: (visit) => void fullPass(source, visit), ...(source.lineTypes ? { lineTypes: () => source.lineTypes!() } : {}) };
  try {
    const r = runAnalyses(source, full, analyses, config, selected);
    return { findings: r.findings, report: { source: meta.name, format: meta.format, events: source.count, stats: r.stats } };
  } finally {
    meta.text?.close();
    source.close();
  }
}

/**
 * Every analysis over one input: opens it (building or reusing its bundle),
 * runs one pass per stream, and for a console log holding TII dumps one
 * more pass over its lines (crashes, hangs and markers live in the text
 * around the dump, which the TII reader does not index).
 */
export async function diagnoseInput(
  input: string,
  options: DiagnoseOptions,
  config: AnalysisConfig,
  selected: ReadonlySet<string> | null,
  ctx: IndexContext = {},
  analyses: readonly Analysis[] = ANALYSES,
): Promise<DiagnoseResult> {
  const o = await openForQuery(input, options, ctx);
  const plain = await plainInput(o.input);
  const reader = o.reader;
  const data = o.bundle.manifest.data;
  const findings: Finding[] = [];
  const views: ViewReport[] = [];
  // Text readers whose events are lines of the input; a TII console's events are words of its dumps.
  const lineEvents = reader.kind === 'text' && reader.id !== 'tii-console';
  const streams = reader.streams(o.bundle);
  const sources: { source: EventSource; name: string }[] = [{ source: o.source, name: input }];
  if (options.stream === undefined && streams.length > 1) {
    sources[0].name = `${input}#${streams[0].id}`;
    for (const s of streams.slice(1)) sources.push({ source: reader.open(o.bundle, plain, s.id), name: `${input}#${s.id}` });
  } else if (options.stream !== undefined) sources[0].name = `${input}#${options.stream}`;
  for (const { source, name } of sources) {
    const summary = source.summary();
    const r = runView(source, { name, format: reader.id, tsUnit: tsUnitOf(data, summary), path: lineEvents ? plain : null, text: lineEvents ? new LineText(plain) : null }, analyses, config, selected);
    findings.push(...r.findings);
    views.push(r.report);
  }
  if (reader.id === 'tii-console') {
    const lines = new LineSource(plain, input);
    const r = runView(lines, { name: input, format: 'lines', tsUnit: null, path: plain, text: new LineText(plain) }, analyses, config, selected);
    findings.push(...r.findings);
    views.push(r.report);
  }
  return { input, views, findings };
}
