// seL4test (sel4test-driver + libsel4test) console output. Accepted forms, each on a line of its own
// (leading whitespace and terminal escapes ignored), exactly as the driver prints them:
//   Starting test suite <suite>                      suite begins (name used as the results' suite)
//   Starting test <n>: <name>                        a test begins; the previous one has ended
//   Running test <name> (<description>)              printed by the test process (ignored)
//   Test <name> passed | Test <name> failed          the test process's own verdict (when printed)
//   \tError: <text> at line <l> of file <f>          a failed check (the test fails)
//   \tFailure: <text> at line <l> of file <f>        a failed check (the test fails)
//   Halting on fatal assertion... | Halting on first test failure
//   Test suite passed. <n> tests passed.[ <m> tests disabled.]
//   Test suite failed. <p>/<n> tests passed.
//   and the CONFIG_PRINT_XML form: <testcase classname=".." name="..">, <error>..</error>,
//   <failure ...>..</failure>, </testcase>.
// Driver-side tests print no verdict of their own: a test with no Error/Failure line that was
// followed by the next "Starting test" or by the suite's end passed (marked `inferred`).
import type { DiagnosticLog } from '../../model/diagnostics.js';
import type { TestStatus } from '../../model/test-result.js';
import { clip, countOf, emptyCounts, MAX_OUTPUT_LINES, stripAnsi, type LineReader, type ReaderOutput, type TestRecord } from './types.js';

const SUITE = /^Starting test suite (\S+)\s*$/;
const START = /^Starting test (\d+): (.+?)\s*$/;
const VERDICT = /^Test (\S+) (passed|failed)\s*$/;
const CHECK = /^(Error|Failure): (.*)$/;
const HALT = /^Halting on (fatal assertion|first test failure)/;
const SUITE_PASSED = /^Test suite passed\. (\d+) tests passed\.(?: (\d+) tests disabled\.)?/;
const SUITE_FAILED = /^Test suite failed\. (\d+)\/(\d+) tests passed\./;
const XML_CASE = /^<testcase classname="([^"]*)" name="([^"]*)">/;
const XML_CHECK = /^<(error|failure)\b[^>]*>(.*?)(?:<\/(?:error|failure)>)?$/;
const XML_CASE_END = '</testcase>';
/** sel4test's last pseudo-test, numbered (all tests + 1) by the driver. */
const ALL_RAN = 'Test all tests ran';

const HUNG = 'hung (no result before the log ended)';

interface Open {
  name: string;
  number: number | null;
  line: number;
  checks: string[];
  verdict: TestStatus | null;
  xml: boolean;
}

class Sel4TestReader implements LineReader {
  readonly source = 'sel4test';
  private suite = 'sel4test';
  private open: Open | null = null;
  private readonly results: TestRecord[] = [];
  private readonly unnamed = emptyCounts();
  private started = 0;
  private halted = false;
  private seen = false;
  private tally: { passed: number; total: number; disabled: number; line: number } | null = null;

  constructor(
    private readonly file: string,
    private readonly log: DiagnosticLog,
  ) {}

  line(raw: string, lineNo: number): void {
    // Cheap gate: every accepted form contains one of these words or a tag.
    if (!this.seen && !raw.includes('Starting test') && !raw.includes('<testcase')) return;
    const text = stripAnsi(raw).trim();
    if (text === '') return;
    const c = text.charCodeAt(0);
    // Every accepted form starts with one of S R T E F H <.
    if (c !== 83 && c !== 82 && c !== 84 && c !== 69 && c !== 70 && c !== 72 && c !== 60) return;
    let m: RegExpExecArray | null;
    if ((m = SUITE.exec(text))) {
      this.close(lineNo - 1, 'next');
      this.suite = m[1];
      this.seen = true;
      return;
    }
    if ((m = START.exec(text))) {
      this.close(lineNo - 1, 'next');
      const number = Number(m[1]);
      const name = m[2];
      if (name === ALL_RAN && this.halted) {
        // The driver numbers this pseudo-test (planned tests + 1); everything not started before it never ran.
        this.unnamed.notrun += Math.max(0, number - 1 - this.started);
      }
      this.open = { name, number, line: lineNo, checks: [], verdict: null, xml: false };
      this.started++;
      this.seen = true;
      return;
    }
    if ((m = XML_CASE.exec(text))) {
      this.close(lineNo - 1, 'next');
      this.suite = m[1] || this.suite;
      this.open = { name: m[2], number: null, line: lineNo, checks: [], verdict: null, xml: true };
      this.started++;
      this.seen = true;
      return;
    }
    if (!this.seen) return;
    const o = this.open;
    if ((m = CHECK.exec(text)) || (o?.xml && (m = XML_CHECK.exec(text)))) {
      if (o && o.checks.length < MAX_OUTPUT_LINES) o.checks.push(m[2]);
      return;
    }
    if ((m = VERDICT.exec(text))) {
      if (o && o.name === m[1]) o.verdict = m[2] === 'passed' ? 'pass' : 'fail';
      return;
    }
    if (text === XML_CASE_END) {
      this.close(lineNo, 'end');
      return;
    }
    if (HALT.test(text)) {
      this.halted = true;
      this.close(lineNo - 1, 'halt');
      return;
    }
    if ((m = SUITE_PASSED.exec(text))) {
      this.close(lineNo - 1, 'next');
      this.tally = { passed: Number(m[1]), total: Number(m[1]), disabled: Number(m[2] ?? 0), line: lineNo };
      this.unnamed.skip += this.tally.disabled;
      return;
    }
    if ((m = SUITE_FAILED.exec(text))) {
      this.close(lineNo - 1, 'next');
      this.tally = { passed: Number(m[1]), total: Number(m[2]), disabled: 0, line: lineNo };
    }
  }

  /** Ends the open test: its own verdict, else failed checks, else (something followed it) a pass. */
  private close(lastLine: number, why: 'next' | 'end' | 'halt' | 'eof'): void {
    const o = this.open;
    if (!o) return;
    this.open = null;
    let status: TestStatus;
    let message = '';
    let inferred = false;
    if (o.checks.length) {
      status = 'fail';
      message = clip(o.checks[0]);
    } else if (o.verdict) {
      status = o.verdict;
    } else if (why === 'eof') {
      status = 'timeout';
      message = HUNG;
    } else {
      // The driver halts right after the test that made it halt.
      status = why === 'halt' ? 'fail' : 'pass';
      if (why === 'halt') message = 'the driver halted after this test';
      inferred = true;
    }
    if (o.verdict === 'fail' && !message) message = 'failed';
    const r: TestRecord = {
      name: o.name, suite: this.suite, status, message, line: o.line, start_line: o.line, end_line: Math.max(o.line, lastLine), source: this.source,
    };
    if (o.number !== null) r.number = o.number;
    if (inferred) r.inferred = true;
    if (status !== 'pass' && o.checks.length) r.output = o.checks.slice();
    this.results.push(r);
  }

  end(lastLine: number): ReaderOutput {
    this.close(lastLine, 'eof');
    if (this.tally) {
      const c = countOf(this.results);
      if (c.pass !== this.tally.passed || this.results.length !== this.tally.total) {
        this.log.add({
          code: 'SEL4TEST_TALLY_MISMATCH', severity: 'warning', file: this.file, line: this.tally.line,
          message: `the suite reports ${this.tally.passed}/${this.tally.total} passed, the log gives ${c.pass}/${this.results.length}`,
        });
      }
    }
    return {
      results: this.results,
      unnamed: this.unnamed,
      info: this.seen ? { suite: this.suite, halted: this.halted, suite_passed: this.tally?.passed ?? null, suite_total: this.tally?.total ?? null } : {},
    };
  }
}

export function createSel4TestReader(file: string, log: DiagnosticLog): LineReader {
  return new Sel4TestReader(file, log);
}
