import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { readTests, type ReadTestsResult } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'kscope-sel4-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function read(lines: string[]): ReadTestsResult {
  const p = join(dir, `${++n}.log`);
  writeFileSync(p, lines.join('\n'));
  return readTests(p);
}

function rows(r: ReadTestsResult): string[] {
  return r.results.map((x) => `${x.status} ${x.suite}/${x.name}`);
}

describe('seL4test', () => {
  test('a full run: driver tests pass by absence of errors, app tests by their own verdict', () => {
    const r = read([
      'ELF-loading userland images from boot modules:', 'seL4 Test', '=========', '',
      'Starting test suite sel4test',
      'Starting test 0: Test that there are tests',
      'Starting test 1: BIND0001',
      'Running test BIND0001 (Test that a bound tcb waiting on a sync endpoint receives normal sync ipc and notification notifications.)',
      'Test BIND0001 passed',
      'Starting test 2: CNODEOP0001',
      '\tError: result == seL4_NoError at line 45 of file /sel4test/apps/sel4test-tests/src/tests/cnode.c',
      'Test CNODEOP0001 failed',
      'Starting test 3: TIMER0001',
      'Starting test 4: Test all tests ran',
      'Test suite failed. 4/5 tests passed.',
      '*** FAILURES DETECTED ***',
    ]);
    assert.deepEqual(rows(r), [
      'pass sel4test/Test that there are tests', 'pass sel4test/BIND0001', 'fail sel4test/CNODEOP0001', 'pass sel4test/TIMER0001', 'pass sel4test/Test all tests ran',
    ]);
    assert.equal(r.results[2].message, 'result == seL4_NoError at line 45 of file /sel4test/apps/sel4test-tests/src/tests/cnode.c');
    assert.equal(r.results[0].inferred, true);
    assert.equal(r.results[1].inferred, undefined);
    assert.deepEqual(r.results.map((x) => x.number), [0, 1, 2, 3, 4]);
    assert.deepEqual(r.diagnostics, []);
  });

  test('passed suite with disabled tests: the disabled ones are a skip count', () => {
    const r = read(['Starting test suite sel4test', 'Starting test 0: Test that there are tests', 'Starting test 1: Test all tests ran', 'Test suite passed. 2 tests passed. 48 tests disabled.', 'All is well in the universe']);
    assert.deepEqual(rows(r), ['pass sel4test/Test that there are tests', 'pass sel4test/Test all tests ran']);
    assert.equal(r.summary.unnamed.skip, 48);
  });

  test('halting on the first failure: the tests after it did not run', () => {
    const r = read([
      'Starting test suite sel4test', 'Starting test 0: Test that there are tests', 'Starting test 1: A0001',
      '\tFailure: bad value at line 3 of file a.c', 'Halting on first test failure',
      'Starting test 12: Test all tests ran', '\tError: tests_done == num_tests at line 9 of file main.c', 'Test suite failed. 1/3 tests passed.',
    ]);
    assert.deepEqual(rows(r), ['pass sel4test/Test that there are tests', 'fail sel4test/A0001', 'fail sel4test/Test all tests ran']);
    // 11 entries (0..10) were planned before the pseudo-test numbered 12; 2 started.
    assert.equal(r.summary.unnamed.notrun, 9);
  });

  test('a log that ends inside a test: that test hung', () => {
    const r = read(['Starting test suite sel4test', 'Starting test 0: Test that there are tests', 'Starting test 1: SCHED0007', 'Running test SCHED0007 (sleep)']);
    assert.deepEqual(rows(r), ['pass sel4test/Test that there are tests', 'timeout sel4test/SCHED0007']);
    assert.equal(r.results[1].message, 'hung (no result before the log ended)');
  });

  test('CONFIG_PRINT_XML output in a console log', () => {
    const r = read([
      '<testsuite>', '\t<testcase classname="sel4test" name="Test that there are tests">', '\t</testcase>',
      '\t<testcase classname="sel4test" name="IPC0001">', '\t\t<failure type="failure">ipc broke at line 1 of file ipc.c</failure>', '\t</testcase>',
      '</testsuite>',
    ]);
    assert.deepEqual(rows(r), ['pass sel4test/Test that there are tests', 'fail sel4test/IPC0001']);
    assert.equal(r.results[1].message, 'ipc broke at line 1 of file ipc.c');
  });

  test('unrelated "Error:" lines outside a sel4test run are not tests', () => {
    assert.equal(read(['Error: cannot open /dev/vda', 'Test foo passed']).results.length, 0);
  });
});
