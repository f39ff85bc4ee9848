// Test results from any artifact kscope knows: one streaming pass runs every line reader
// (KTAP/TAP, Breenix boot tests, boot stages and suite runners, seL4test, user rules) over a
// text file; JUnit XML and BTRT tables are whole-file formats, read whole only when detected.
import { readFileSync } from 'node:fs';
import { DiagnosticLog, type Diagnostic } from '../../model/diagnostics.js';
import { TEST_STATUSES, type TestStatus } from '../../model/test-result.js';
import { FileSource } from '../../util/file-source.js';
import { forEachLine } from '../../util/lines.js';
import { createBootStageReader, createBootTestReader, createSuiteRunnerReader } from './breenix.js';
import { isBtrt, readBtrt } from './btrt.js';
import { isJunit, readJunit } from './junit.js';
import { createKtapReader } from './ktap.js';
import { loadRules, rulesReader } from './rules.js';
import { createSel4TestReader } from './sel4test.js';
import { addCounts, countOf, emptyCounts, type LineReaderFactory, type ReaderOutput, type StatusCounts, type TestRecord } from './types.js';

export type { TestRecord, StatusCounts, ReaderOutput, LineReader } from './types.js';
export { loadRules, type Rule } from './rules.js';
export { BTRT_BYTES, BTRT_MAGIC, btrtName } from './btrt.js';

/** Every built-in text reader, listed once; each sees every line. */
export const LINE_READERS: readonly LineReaderFactory[] = [
  createKtapReader, createBootTestReader, createBootStageReader, createSuiteRunnerReader, createSel4TestReader,
];

export interface ReadTestsOptions {
  /** JSON rules file for in-house formats (see rules.ts). */
  rules?: string;
  /** Name used for the file in diagnostics (the user's path when `path` is a decompressed copy). */
  name?: string;
  /** Read size for the line reader (tests use tiny ones to cross chunk edges). */
  chunkBytes?: number;
  /** BTRT test-id → name overrides (the built-in catalog covers Breenix's ids). */
  btrtNames?: Record<number, string>;
}

export interface SourceSummary {
  results: number;
  counts: StatusCounts;
  unnamed: StatusCounts;
  info: Record<string, number | string | boolean | null>;
}

export interface TestsSummary {
  file: string;
  /** Result records found (rows). */
  results: number;
  /** Rows per status. */
  counts: StatusCounts;
  /** Tests the artifact implies (plans, tallies) whose names it never printed, per status. */
  unnamed: StatusCounts;
  /** counts + unnamed: the artifact's full count per status. */
  totals: StatusCounts;
  /** Per reader that found something. */
  sources: Record<string, SourceSummary>;
  /** Rows dropped because two readers reported the same test on the same line. */
  duplicates: number;
  warnings: number;
}

export interface ReadTestsResult {
  results: TestRecord[];
  summary: TestsSummary;
  diagnostics: Diagnostic[];
}

function head(path: string, bytes = 4096): Buffer {
  const src = new FileSource(path);
  try {
    return src.read(0, bytes);
  } finally {
    src.close();
  }
}

/** Reads every test result in one artifact. Bad input is diagnosed; only an unreadable whole-file format throws. */
export function readTests(path: string, options: ReadTestsOptions = {}): ReadTestsResult {
  const file = options.name ?? path;
  const log = new DiagnosticLog();
  const rules = options.rules ? loadRules(options.rules) : null;
  const outputs: { source: string; out: ReaderOutput }[] = [];
  const first = head(path);
  if (isBtrt(first)) {
    outputs.push({ source: 'btrt', out: readBtrt(readFileSync(path), file, log, options.btrtNames) });
  } else if (isJunit(first)) {
    outputs.push({ source: 'junit', out: readJunit(readFileSync(path, 'utf8'), file, log) });
  } else {
    const readers = [...LINE_READERS, ...(rules ? [rulesReader(rules)] : [])].map((f) => f(file, log));
    const { lines } = forEachLine(
      path,
      (buf, s, e, lineNo, _off, piece) => {
        // Pieces of an over-long line after the first carry nothing a reader matches on.
        if (piece > 1) return;
        const text = buf.toString('utf8', s, e);
        for (const r of readers) r.line(text, lineNo);
      },
      options.chunkBytes,
    );
    for (const r of readers) outputs.push({ source: r.source, out: r.end(lines) });
  }
  return assemble(file, outputs, log);
}

function assemble(file: string, outputs: { source: string; out: ReaderOutput }[], log: DiagnosticLog): ReadTestsResult {
  const results: TestRecord[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  const sources: Record<string, SourceSummary> = {};
  const unnamed = emptyCounts();
  for (const { source, out } of outputs) {
    const mine: TestRecord[] = [];
    for (const r of out.results) {
      // Two readers that recognise the same line (a user rule over a built-in format) report one test.
      const key = r.line > 0 ? `${r.suite}\0${r.name}\0${r.line}` : null;
      if (key) {
        if (seen.has(key)) {
          duplicates++;
          continue;
        }
        seen.add(key);
      }
      mine.push(r);
    }
    const u = emptyCounts();
    addCounts(u, out.unnamed);
    if (mine.length === 0 && TEST_STATUSES.every((s) => u[s] === 0) && Object.keys(out.info).length === 0) continue;
    const name = mine[0]?.source ?? source;
    sources[name] = { results: mine.length, counts: countOf(mine), unnamed: u, info: out.info };
    addCounts(unnamed, u);
    results.push(...mine);
  }
  // Binary rows (line 0) keep table order; text rows read in file order.
  results.sort((a, b) => a.line - b.line || (a.offset ?? 0) - (b.offset ?? 0));
  const counts = countOf(results);
  const totals = emptyCounts();
  addCounts(totals, counts);
  addCounts(totals, unnamed);
  const diagnostics = log.list();
  return {
    results,
    summary: {
      file, results: results.length, counts, unnamed, totals, sources, duplicates,
      warnings: diagnostics.filter((d) => d.severity !== 'info').length,
    },
    diagnostics,
  };
}

/** Parses `--status pass,fail` into statuses, or names the bad one. */
export function parseStatuses(value: string): TestStatus[] | string {
  const out: TestStatus[] = [];
  for (const part of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!(TEST_STATUSES as readonly string[]).includes(part)) return part;
    out.push(part as TestStatus);
  }
  return out;
}
