/** Outcome of one test, per PRODUCT.md's contract. */
export type TestStatus = 'pass' | 'fail' | 'skip' | 'timeout' | 'error' | 'notrun';

export const TEST_STATUSES: readonly TestStatus[] = ['pass', 'fail', 'skip', 'timeout', 'error', 'notrun'];

/**
 * One test result found in an artifact. `name`, `suite`, `status`, `message`
 * and `line` are the JSON contract; the rest is welcome extra.
 */
export interface TestResult {
  name: string;
  suite: string;
  status: TestStatus;
  message: string;
  /** 1-based line of the result (or of the test's start when the result is missing). */
  line: number;
  /** Line range of the test's own output, when known. */
  start_line?: number;
  end_line?: number;
  duration_ms?: number;
  /** Which reader found it (ktap, tap, junit, breenix-boot-test, …). */
  source: string;
  /** Raw detail lines of a failure (bounded), input to failure signatures. */
  output?: string[];
}
