import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { readTests, type ReadTestsResult } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'kscope-ktap-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function read(text: string, chunkBytes?: number): ReadTestsResult {
  const p = join(dir, `${++n}.log`);
  writeFileSync(p, text);
  return readTests(p, { chunkBytes });
}

/** Rows as `status suite/name`, the shape most assertions compare. */
function rows(r: ReadTestsResult): string[] {
  return r.results.map((x) => `${x.status} ${x.suite}/${x.name}`);
}

function codes(r: ReadTestsResult): string[] {
  return r.diagnostics.map((d) => d.code);
}

/** kunit's output for a built-in suite set (shape of Linux 6.1's lib/kunit), console timestamps included. */
const KUNIT = [
  'KTAP version 1',
  '1..2',
  '    KTAP version 1',
  '    # Subtest: example',
  '    # module: kunit_example_test',
  '    1..4',
  '    # example_simple_test: initializing',
  '    ok 1 example_simple_test',
  '    ok 2 example_skip_test # SKIP this test should be skipped',
  '    # example_fail_test: EXPECTATION FAILED at lib/kunit/kunit-example-test.c:29',
  '    Expected 1 + 1 == 3, but',
  '        1 + 1 == 2 (0x2)',
  '    not ok 3 example_fail_test',
  '        KTAP version 1',
  '        # Subtest: example_params_test',
  '        ok 1 example value 3',
  '        ok 2 example value 2 # SKIP unsupported',
  '    # example_params_test: pass:1 fail:0 skip:1 total:2',
  '    ok 4 example_params_test',
  '# example: pass:2 fail:1 skip:1 total:4',
  '# Totals: pass:2 fail:1 skip:2 total:5',
  'not ok 1 example',
  '    KTAP version 1',
  '    # Subtest: list-kernel-test',
  '    1..3',
  '    ok 1 list_test_list_init',
  'virtio_net virtio0 eth0: link up',
  '    ok 2 list_test_list_add',
];

const KUNIT_ROWS = [
  'pass example/example_simple_test',
  'skip example/example_skip_test',
  'fail example/example_fail_test',
  'pass example_params_test/example value 3',
  'skip example_params_test/example value 2',
  'pass list-kernel-test/list_test_list_init',
  'pass list-kernel-test/list_test_list_add',
  'timeout list-kernel-test/#3',
];

function stamped(lines: string[]): string {
  return lines.map((l, i) => `[    1.${String(100000 + i).slice(1)}0] ${l}`).join('\n') + '\n';
}

describe('KTAP: kunit output', () => {
  test('nested suites, params, skip, failure output, totals checked, hang at the end', () => {
    const r = read(stamped(KUNIT));
    assert.deepEqual(rows(r), KUNIT_ROWS);
    const fail = r.results[2];
    assert.equal(fail.message, 'example_fail_test: EXPECTATION FAILED at lib/kunit/kunit-example-test.c:29');
    assert.deepEqual(fail.output?.map((l) => l.trim()), [
      '# example_fail_test: EXPECTATION FAILED at lib/kunit/kunit-example-test.c:29', 'Expected 1 + 1 == 3, but', '1 + 1 == 2 (0x2)',
    ]);
    assert.equal(fail.line, 13);
    assert.equal(r.results[1].message, 'this test should be skipped');
    const hung = r.results[7];
    assert.equal(hung.message, 'hung (no result before the log ended)');
    // The noise line after list_test_list_init belongs to test 2; the hung test 3 printed nothing.
    assert.equal(hung.line, 28);
    assert.equal(r.summary.sources.ktap.info.documents, 1);
    // The totals lines agree with the results, so no TOTALS warning; the log ended inside a suite.
    assert.ok(!codes(r).includes('KTAP_TOTALS_MISMATCH'), codes(r).join());
    assert.ok(codes(r).includes('KTAP_LOG_ENDED'));
    assert.equal(r.summary.unnamed.notrun, 0);
  });

  test('the same output without indentation parses to the same results (structure, not layout)', () => {
    const r = read(KUNIT.map((l) => l.trimStart()).join('\n'));
    assert.deepEqual(rows(r), KUNIT_ROWS);
    assert.ok(!codes(r).includes('KTAP_TOTALS_MISMATCH'), codes(r).join());
  });

  test('printk level and caller prefixes, CRLF line ends, and a journal-style prefix are stripped', () => {
    const withLevel = KUNIT.map((l) => `<6>[   12.345678][    T1] ${l}`).join('\r\n');
    assert.deepEqual(rows(read(withLevel)), KUNIT_ROWS);
    const journal = KUNIT.map((l) => `Jan 02 03:04:05 host kernel: ${l}`).join('\n');
    assert.deepEqual(rows(read(journal)), KUNIT_ROWS);
  });

  test('chunk sizes 1, 7 and 4096 give the same results', () => {
    const text = stamped(KUNIT);
    const want = JSON.stringify(read(text).results);
    for (const c of [1, 7, 4096]) assert.equal(JSON.stringify(read(text, c).results), want, `chunk ${c}`);
  });

  test('modules loaded one at a time: no top-level header, suites numbered by a global counter', () => {
    const text = [
      'kunit: loading test module',
      '    KTAP version 1',
      '    # Subtest: a-test',
      '    1..1',
      '    ok 1 a_one',
      'ok 1 a-test',
      'random: crng init done',
      '    KTAP version 1',
      '    # Subtest: b-test',
      '    1..2',
      '    ok 1 b_one',
      '    not ok 2 b_two',
      'not ok 2 b-test',
    ].join('\n');
    const r = read(text);
    assert.deepEqual(rows(r), ['pass a-test/a_one', 'pass b-test/b_one', 'fail b-test/b_two']);
    assert.ok(!codes(r).some((c) => c.startsWith('KTAP_') && c !== 'KTAP_SPARSE_NUMBERS'), codes(r).join());
  });

  test('a suite with no tests of its own (skipped, init failure) is itself the result', () => {
    const r = read(['KTAP version 1', '1..2', '    KTAP version 1', '    # Subtest: s1', '    1..0', 'ok 1 s1 # SKIP no hardware', 'not ok 2 s2 # suite init failed'].join('\n'));
    assert.deepEqual(rows(r), ['skip /s1', 'fail /s2']);
    assert.equal(r.results[1].message, 'suite init failed');
  });
});

describe('TAP 13/14', () => {
  test('node:test TAP 13 capture: nested subtests, YAML diagnostics, SKIP and TODO', () => {
    const fixture = fileURLToPath(new URL('../../../../test/fixtures/test-results/node20-tap13.tap', import.meta.url));
    const r = readTests(fixture);
    assert.deepEqual(rows(r), [
      'pass parser/reads a plan',
      'pass reads nested subtests/level two passes',
      'fail reads nested subtests/level two fails',
      'skip parser/skipped on purpose',
      'skip parser/not done yet',
      'pass /top-level pass',
      'fail /top-level failure',
    ]);
    assert.equal(r.results[2].message, 'Expected values to be strictly equal:');
    assert.equal(r.results[4].message, 'TODO: write it');
    assert.equal(r.results[6].message, 'boom: ENETUNREACH (101)');
    assert.equal(r.results[0].duration_ms, 0.644074);
    assert.equal(r.summary.sources.tap.results, 7);
    assert.deepEqual(codes(r).filter((c) => c !== 'KTAP_SPARSE_NUMBERS'), []);
  });

  test('plain TAP: dash separators, missing numbers, trailing plan, TODO that passes', () => {
    const r = read(['TAP version 14', 'ok - first', 'not ok - second', '# diag for third', 'ok 3 - third # TODO later', '1..3'].join('\n'));
    assert.deepEqual(rows(r), ['pass /first', 'fail /second', 'pass /third']);
    assert.equal(r.results[2].message, 'TODO: later');
    assert.deepEqual(r.results.map((x) => x.number), [1, 2, 3]);
    assert.deepEqual(codes(r), []);
  });

  test('a hung KTAP test that printed nothing is named by its position', () => {
    const r = read(['KTAP version 1', '1..2', 'ok 1 a', 'Oops: 0000 [#1] SMP'].join('\n'));
    assert.deepEqual(rows(r), ['pass /a', 'timeout /#2']);
    assert.equal(r.summary.unnamed.notrun, 0);
  });

  test('a node-style header with no result is the hung test', () => {
    const r = read(['TAP version 13', '# Subtest: quick', 'ok 1 - quick', '# Subtest: slow', 'still waiting…'].join('\n'));
    assert.deepEqual(rows(r), ['pass /quick', 'timeout /slow']);
    assert.equal(r.results[1].line, 4);
  });

  test('Bail out! stops the plan: the rest did not run', () => {
    const r = read(['TAP version 13', '1..5', 'ok 1 a', 'not ok 2 b', 'Bail out! disk gone', 'ok 3 ignored after bail'].join('\n'));
    assert.deepEqual(rows(r), ['pass /a', 'fail /b']);
    assert.equal(r.summary.unnamed.notrun, 3);
    assert.ok(codes(r).includes('KTAP_BAIL_OUT'));
  });

  test('"ok 1" lines with no header or plan are not TAP', () => {
    const r = read('boot ok\nok 1 this is chatter\nnot ok 2 neither\n');
    assert.equal(r.results.length, 0);
  });

  test('two documents in one log (a reboot) are both read', () => {
    const r = read(['KTAP version 1', '1..1', 'ok 1 a', 'reboot', 'KTAP version 1', '1..1', 'not ok 1 a'].join('\n'));
    assert.deepEqual(rows(r), ['pass /a', 'fail /a']);
    assert.equal(r.summary.sources.ktap.info.documents, 2);
  });
});

describe('KTAP: malformed input is diagnosed, never fatal', () => {
  test('bad plan', () => {
    const r = read(['KTAP version 1', '1..x', 'ok 1 a', 'ok 2 b'].join('\n'));
    assert.deepEqual(rows(r), ['pass /a', 'pass /b']);
    const d = r.diagnostics.find((x) => x.code === 'KTAP_BAD_PLAN');
    assert.ok(d, codes(r).join());
    assert.equal(d.line, 2);
    assert.match(d.message, /bad plan "1\.\.x"/);
  });

  test('duplicate numbers: both kept and diagnosed; an exact repeat counted once', () => {
    const r = read(['KTAP version 1', '1..3', 'ok 1 a', 'ok 2 b', 'ok 2 c', 'ok 2 c', 'ok 3 d'].join('\n'));
    assert.deepEqual(rows(r), ['pass /a', 'pass /b', 'pass /c', 'pass /d']);
    const dup = r.diagnostics.filter((x) => x.code === 'KTAP_DUPLICATE_NUMBER');
    assert.equal(dup.length, 1);
    assert.equal(dup[0].line, 5);
    assert.ok(codes(r).includes('KTAP_REPEATED_RESULT'));
  });

  test('missing results in a finished suite count as not run', () => {
    const r = read(['KTAP version 1', '1..1', '    KTAP version 1', '    # Subtest: s', '    1..5', '    ok 1 a', '    ok 2 b', 'ok 1 s'].join('\n'));
    assert.deepEqual(rows(r), ['pass s/a', 'pass s/b']);
    assert.equal(r.summary.unnamed.notrun, 3);
    const d = r.diagnostics.find((x) => x.code === 'KTAP_MISSING_RESULTS');
    assert.ok(d);
    assert.equal(d.line, 8);
  });

  test('sparse numbering (Breenix BTRT KTAP) is read as is; its trailer is checked', () => {
    const r = read([
      'KTAP version 1', '1..5', 'ok 1 kernel_entry', 'ok 301 utest_hello_time',
      'not ok 303 utest_brk # FAIL error_code=2 detail=0x1', 'not ok 304 utest_mmap # TIMEOUT', 'ok 305 utest_syscall_diagnostic # SKIP',
      '# 2 passed, 2 failed, 106 skipped',
    ].join('\n'));
    assert.deepEqual(rows(r), ['pass /kernel_entry', 'pass /utest_hello_time', 'fail /utest_brk', 'timeout /utest_mmap', 'skip /utest_syscall_diagnostic']);
    assert.equal(r.results[2].message, 'error_code=2 detail=0x1');
    assert.ok(codes(r).includes('KTAP_SPARSE_NUMBERS'));
    assert.ok(!codes(r).includes('KTAP_TOTALS_MISMATCH'));
  });

  test('totals that disagree with the results are diagnosed', () => {
    const r = read(['KTAP version 1', '1..1', '    KTAP version 1', '    # Subtest: s', '    1..1', '    ok 1 a', '# s: pass:2 fail:0 skip:0 total:2', 'ok 1 s'].join('\n'));
    const d = r.diagnostics.find((x) => x.code === 'KTAP_TOTALS_MISMATCH');
    assert.ok(d, codes(r).join());
    assert.equal(d.line, 7);
  });

  test('a run that stops mid-suite: the running test hung, the rest did not run', () => {
    const r = read(['KTAP version 1', '1..3', '    KTAP version 1', '    # Subtest: s', '    1..4', '    ok 1 a', '    # b: starting', 'BUG: soft lockup - CPU#0 stuck for 22s!'].join('\n'));
    // KUnit's "# b: …" message names the running test.
    assert.deepEqual(rows(r), ['pass s/a', 'timeout s/b']);
    const hung = r.results[1];
    assert.equal(hung.message, 'hung (no result before the log ended)');
    assert.equal(hung.start_line, 7);
    assert.deepEqual(hung.output, ['    # b: starting', 'BUG: soft lockup - CPU#0 stuck for 22s!']);
    // Suite s: 2 of 4 left after the hung one; top level: 2 suites after s.
    assert.equal(r.summary.unnamed.notrun, 2 + 2);
    assert.deepEqual(r.summary.totals, { pass: 1, fail: 0, skip: 0, timeout: 1, error: 0, notrun: 4 });
  });
});

describe('KTAP from Debian kernels (test/fixtures/test-results, made by kunit/make-kunit-fixtures.sh)', () => {
  const FIX = fileURLToPath(new URL('../../../../test/fixtures/test-results/', import.meta.url));

  /**
   * Independent count, grep style: a leaf is an indented result line whose name is not a
   * "# Subtest:" name (those close a parameterised test); SKIP in its comment makes it a skip.
   */
  function grepLeaves(text: string): Record<string, number> {
    const subtests = new Set([...text.matchAll(/# Subtest: (\S+)/g)].map((m) => m[1]));
    const c: Record<string, number> = { pass: 0, fail: 0, skip: 0 };
    for (const m of text.matchAll(/^\[[ \d.]+\] {4,}(ok|not ok) \d+ ([^#\r\n]+?)( # SKIP.*)?\r?$/gm)) {
      if (subtests.has(m[2])) continue;
      c[m[3] ? 'skip' : m[1] === 'ok' ? 'pass' : 'fail']++;
    }
    return c;
  }

  for (const arch of ['x86_64', 'arm64']) {
    test(`${arch}: every result, exactly; failures carry KUnit's own message and output`, () => {
      const p = join(FIX, `${arch}-kunit.log.gz`);
      const plain = join(dir, `${arch}-kunit.log`);
      writeFileSync(plain, gunzipSync(readFileSync(p)));
      const r = readTests(plain);
      const want = grepLeaves(readFileSync(plain, 'utf8'));
      assert.deepEqual({ pass: r.summary.counts.pass, fail: r.summary.counts.fail, skip: r.summary.counts.skip }, want);
      assert.deepEqual(want, arch === 'x86_64' ? { pass: 105, fail: 2, skip: 4 } : { pass: 106, fail: 2, skip: 3 });
      assert.equal(r.results.length, 111);
      // 13 suites, plus demo_double: a parameterised test is the suite of its cases.
      assert.equal(new Set(r.results.map((x) => x.suite)).size, 14);
      const fails = r.results.filter((x) => x.status === 'fail');
      assert.deepEqual(fails.map((x) => `${x.suite}/${x.name}`), ['kscope-demo/demo_fail', 'demo_double/double 3']);
      assert.match(fails[0].message, /^demo_fail: EXPECTATION FAILED at \/tmp\/kscope-kunit\/mod-(amd|arm)64\/kscope_kunit_demo\.c:18$/);
      assert.deepEqual(fails[0].output?.map((l) => l.trim()).slice(1), ['Expected 0 == errno_seen, but', 'errno_seen == -101']);
      const arm = r.results.find((x) => x.name === 'demo_arch');
      assert.equal(arm?.status, arch === 'arm64' ? 'pass' : 'skip');
      // The kernel's own stats lines agree with what was read; nothing else to report.
      assert.deepEqual(r.diagnostics.filter((d) => d.severity !== 'info'), []);
    });

    test(`${arch}: a capture cut while a test sleeps: that test hung, the rest of the plan did not run`, () => {
      const plain = join(dir, `${arch}-kunit-hang.log`);
      writeFileSync(plain, gunzipSync(readFileSync(join(FIX, `${arch}-kunit-hang.log.gz`))));
      const r = readTests(plain);
      const hang = r.results.filter((x) => x.suite === 'kscope-hang');
      assert.deepEqual(hang.map((x) => `${x.status} ${x.name}`), ['pass hang_first', 'timeout hang_sleeps']);
      assert.equal(hang[1].message, 'hung (no result before the log ended)');
      assert.deepEqual(r.summary.unnamed, { pass: 0, fail: 0, skip: 0, timeout: 0, error: 0, notrun: 1 });
      assert.equal(r.results.length, 110);
      assert.deepEqual(r.diagnostics.filter((d) => d.severity !== 'info').map((d) => d.code), ['KTAP_LOG_ENDED']);
    });
  }
});
