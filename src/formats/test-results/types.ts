import type { DiagnosticLog } from '../../model/diagnostics.js';
import { TEST_STATUSES, type TestResult, type TestStatus } from '../../model/test-result.js';

/**
 * A test result as the readers here produce it: the shared record plus what
 * some sources know besides (never needed by consumers of the contract).
 */
export interface TestRecord extends TestResult {
  /** Byte offset of the entry, for binary sources (BTRT), where `line` is 0. */
  offset?: number;
  /** The number the artifact gave the test (KTAP/TAP test number, sel4test index, boot stage). */
  number?: number;
  /** True when the status was deduced (verdict marker garbled, sel4test pass by absence of errors). */
  inferred?: boolean;
}

export type StatusCounts = Record<TestStatus, number>;

export function emptyCounts(): StatusCounts {
  return { pass: 0, fail: 0, skip: 0, timeout: 0, error: 0, notrun: 0 };
}

export function countOf(results: readonly TestResult[]): StatusCounts {
  const c = emptyCounts();
  for (const r of results) c[r.status]++;
  return c;
}

export function addCounts(into: StatusCounts, from: Partial<StatusCounts>): void {
  for (const s of TEST_STATUSES) into[s] += from[s] ?? 0;
}

/** What one reader found in one artifact. */
export interface ReaderOutput {
  results: TestRecord[];
  /**
   * Results the artifact implies (a plan, a tally, a "N tests disabled" line)
   * but whose names it never printed: counted, never turned into fake rows.
   */
  unnamed: Partial<StatusCounts>;
  /** Facts the reader learned (plan sizes, the run's own tally), for the summary. */
  info: Record<string, number | string | boolean | null>;
}

/**
 * A reader that sees every line of a text artifact once, in order, and then
 * reports. `file` names the artifact in diagnostics. Instances hold all the
 * state of one pass (no module state), so several files can be read at once.
 */
export interface LineReader {
  readonly source: string;
  line(text: string, lineNo: number): void;
  /** The artifact ended after `lastLine` lines: close what is open and report. */
  end(lastLine: number): ReaderOutput;
}

export type LineReaderFactory = (file: string, log: DiagnosticLog) => LineReader;

/** Messages and kept output lines are bounded so a garbled log cannot blow memory up. */
export const MAX_MESSAGE = 300;
export const MAX_OUTPUT_LINES = 30;

export function clip(s: string, max = MAX_MESSAGE): string {
  const t = s.trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

const ANSI = /\x1b(?:\[[0-9;?]*[ -/]*[@-~]|[@-Z\\-_]|\][^\x07]*\x07)/g;

/** Removes terminal escape sequences (colour, cursor moves) that captures of a console carry. */
export function stripAnsi(s: string): string {
  return s.includes('\x1b') ? s.replace(ANSI, '') : s;
}

/**
 * What a terminal would show of a line overwritten with carriage returns
 * (progress output such as xtask's `\r[i/N] name... PASS`): the last
 * non-blank segment.
 */
export function lastCrSegment(s: string): string {
  if (!s.includes('\r')) return s;
  const parts = s.split('\r');
  for (let i = parts.length - 1; i >= 0; i--) if (parts[i].trim() !== '') return parts[i];
  return '';
}

/** Fixed-size memory of the last lines seen, for a failure's own output. */
export class RecentLines {
  private readonly texts: string[];
  private readonly nos: number[];
  private next = 0;
  private filled = 0;

  constructor(private readonly size = 32) {
    this.texts = new Array<string>(size).fill('');
    this.nos = new Array<number>(size).fill(0);
  }

  push(text: string, lineNo: number): void {
    this.texts[this.next] = text.length > 500 ? text.slice(0, 500) : text;
    this.nos[this.next] = lineNo;
    this.next = (this.next + 1) % this.size;
    if (this.filled < this.size) this.filled++;
  }

  /** Kept lines with numbers in [from, to], oldest first. */
  between(from: number, to: number): string[] {
    const out: string[] = [];
    for (let k = this.filled; k > 0; k--) {
      const i = (this.next - k + this.size) % this.size;
      if (this.nos[i] >= from && this.nos[i] <= to) out.push(this.texts[i]);
    }
    return out;
  }
}
