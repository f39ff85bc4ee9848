import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { readTests, type ReadTestsResult } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'kscope-breenix-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function read(text: string, chunkBytes?: number): ReadTestsResult {
  const p = join(dir, `${++n}.log`);
  writeFileSync(p, text);
  return readTests(p, { chunkBytes });
}

function rows(r: ReadTestsResult): string[] {
  return r.results.map((x) => `${x.status} ${x.suite}/${x.name}`);
}

/** Compiled tests run from dist/src/formats/test-results/: the shared samples sit beside the repo. */
const SAMPLES = fileURLToPath(new URL('../../../../../shared/samples/breenix/', import.meta.url));

/**
 * An independent oracle for a real capture, written as a grep would do it: every intact final
 * verdict marker, deduplicated by test, and the kernel's last non-empty TESTS_COMPLETE tally.
 */
function oracle(text: string): { verdicts: Map<string, { status: string; message: string }>; tally: { done: number; total: number; failed: number } | null } {
  const verdicts = new Map<string, { status: string; message: string }>();
  for (const line of text.split('\n')) {
    for (const m of line.matchAll(/\bTEST:([a-z0-9_]+):([a-z0-9_]+):(PASS|FAIL:([^\]]*)|TIMEOUT|PANIC)\]/g)) {
      const word = m[3].split(':')[0];
      const status = word === 'PASS' ? 'pass' : word === 'FAIL' ? 'fail' : word === 'TIMEOUT' ? 'timeout' : 'error';
      verdicts.set(`${m[1]}:${m[2]}`, { status, message: m[4] ?? '' });
    }
  }
  let tally = null;
  for (const m of text.matchAll(/TESTS_COMPLETE:(\d+)\/(\d+)(?::FAILED:(\d+))?\]/g)) {
    if (Number(m[2]) > 0) tally = { done: Number(m[1]), total: Number(m[2]), failed: Number(m[3] ?? 0) };
  }
  return { verdicts, tally };
}

describe('Breenix boot tests on the real captures', () => {
  const present = existsSync(SAMPLES);
  test('every sample: intact verdicts read exactly, totals equal the kernel tally', { skip: present ? false : `no shared samples at ${SAMPLES}` }, () => {
    const files = readdirSync(SAMPLES).filter((f) => f.endsWith('.txt')).sort();
    assert.equal(files.length, 42);
    let withTests = 0;
    for (const f of files) {
      const text = readFileSync(join(SAMPLES, f), 'utf8');
      const o = oracle(text);
      const r = readTests(join(SAMPLES, f));
      const named = r.results.filter((x) => !x.inferred);
      const want = { pass: 0, fail: 0, timeout: 0, error: 0 };
      for (const v of o.verdicts.values()) want[v.status as keyof typeof want]++;
      // Counts per status of the verdicts printed intact: exact.
      for (const s of ['pass', 'fail', 'timeout', 'error'] as const) {
        assert.equal(named.filter((x) => x.status === s).length, want[s], `${f}: ${s} rows`);
      }
      // Each intact verdict is a row with that status (a garbled spelling merged into its START is the one exception).
      const byKey = new Map(r.results.map((x) => [`${x.suite}:${x.name}`, x]));
      let merged = 0;
      for (const [k, v] of o.verdicts) {
        const row = byKey.get(k);
        if (!row) {
          merged++;
          continue;
        }
        assert.equal(row.status, v.status, `${f}: ${k}`);
        if (v.status === 'fail') assert.equal(row.message, v.message.trim(), `${f}: ${k} message`);
      }
      assert.ok(merged <= 1, `${f}: ${merged} verdicts missing from the rows`);
      if (!o.tally) {
        assert.equal(r.results.length, 0, `${f}: no boot tests`);
        continue;
      }
      withTests++;
      // Named + unnamed = the kernel's own count, per status; nothing hung in these completed runs.
      const t = r.summary.totals;
      assert.equal(t.pass, o.tally.done - o.tally.failed, `${f}: pass total`);
      assert.equal(t.fail + t.error + t.timeout, o.tally.failed, `${f}: failed total`);
      assert.equal(t.notrun, o.tally.total - o.tally.done, `${f}: not run`);
      assert.equal(r.summary.counts.timeout, 0, `${f}: nothing hung`);
      assert.equal(r.diagnostics.filter((d) => d.severity !== 'info').length, 0, `${f}: ${r.diagnostics.map((d) => d.message).join('; ')}`);
    }
    assert.equal(withTests, 40);
  });

  test('facts read off the captures by hand', { skip: present ? false : `no shared samples at ${SAMPLES}` }, () => {
    const legT = readTests(join(SAMPLES, '607-576-serials__legT-green-stack-pc-refused.txt'));
    const fails = legT.results.filter((x) => x.status !== 'pass');
    assert.equal(fails.length, 1);
    assert.deepEqual(
      { name: fails[0].name, suite: fails[0].suite, message: fails[0].message, line: fails[0].line, start: fails[0].start_line },
      { name: 'kernel_stack_ownership_oracle', suite: 'process', message: 'ownership stress slot allocation/free equality failed', line: 522, start: 518 },
    );
    assert.equal(fails[0].output?.[0], '[TEST:process:kernel_stack_ownership_oracle:START]');
    assert.deepEqual(legT.summary.totals, { pass: 106, fail: 1, skip: 0, timeout: 0, error: 0, notrun: 0 });
    assert.equal(legT.summary.sources['breenix-boot-test'].info.boot_verdict, 'FAIL:1');
    // exec_detach_oracle's PASS is printed on lines 496 and 497: one result.
    const exec = legT.results.filter((x) => x.name === 'exec_detach_oracle');
    assert.equal(exec.length, 1);
    assert.equal(exec[0].line, 496);

    // Heavily interleaved capture: 84 named results, 23 passes the kernel counted whose markers are garbled.
    const legK = readTests(join(SAMPLES, '607-576-serials__legK-red-testcommit-c3b0133d-esr8600000d.txt'));
    assert.equal(legK.results.length, 84);
    assert.deepEqual(legK.summary.unnamed, { pass: 23, fail: 0, skip: 0, timeout: 0, error: 0, notrun: 0 });
    // "[TEST:filesystem:vfs_init:START]" + "[TEST:fi0lesystem:vfs_init:PASS]" are one test.
    const vfs = legK.results.find((x) => x.name === 'vfs_init');
    assert.equal(vfs?.suite, 'filesystem');
    assert.equal(vfs?.status, 'pass');
    assert.ok(!legK.results.some((x) => x.suite === 'fi0lesystem'));

    const m2 = readTests(join(SAMPLES, 'p5b-serials__mutation-M2-guard-inverted.txt'));
    const f2 = m2.results.filter((x) => x.status === 'fail');
    assert.deepEqual(f2.map((x) => [x.suite, x.name, x.message, x.line]), [['process', 'init_group_refusal_oracle', 'init group refusal None arm refused a group', 504]]);
    assert.deepEqual(m2.summary.totals, { pass: 104, fail: 1, skip: 0, timeout: 0, error: 0, notrun: 0 });

    const mb = readTests(join(SAMPLES, '607-576-serials__mutation-B-both-safety-nets-removed.txt'));
    assert.deepEqual(mb.results.filter((x) => x.status === 'fail').map((x) => x.line), [5010]);
    assert.deepEqual(mb.summary.totals, { pass: 106, fail: 1, skip: 0, timeout: 0, error: 0, notrun: 0 });

    // No boot tests in the prod-profile captures.
    assert.equal(readTests(join(SAMPLES, '584-serials__prod-profile-green-selflimiting-driver.txt')).results.length, 0);
  });

  test('chunk sizes do not change what a sample reads as', { skip: present ? false : 'no shared samples' }, () => {
    const p = join(SAMPLES, 'p5b-serials__serial-interleave-max-boot33.txt');
    const want = JSON.stringify(readTests(p).results);
    for (const c of [7, 4096]) assert.equal(JSON.stringify(readTests(p, { chunkBytes: c }).results), want);
  });
});

describe('Breenix boot tests: synthetic runs', () => {
  test('a run that stops: the started test hung, planned tests never started are a count', () => {
    const r = read([
      '[BOOT_TESTS:START]', '[BOOT_TESTS:TOTAL:10]',
      'T2T3[TEST:memory:a:START]', 'T0[TEST:memory:a:PASS]',
      '[TEST:ipc:b:START]', '[TEST:ipc:b:FAIL:expected 3, got 4]', '[TEST:ipc:b:FAIL:expected 3, got 4]',
      '[TEST:timer:c:START]', '[TEST:timer:c:TIMEOUT]', '[TEST:system:d:START]', '[TEST:system:d:PANIC]',
      '[TEST:process:e:START]', 'exec: loading /bin/init', '[DATA_ABORT] FAR=0x0',
    ].join('\n'));
    assert.deepEqual(rows(r), ['pass memory/a', 'fail ipc/b', 'timeout timer/c', 'error system/d', 'timeout process/e']);
    const e = r.results[4];
    assert.equal(e.message, 'hung (no result before the log ended)');
    assert.deepEqual([e.line, e.start_line], [12, 12]);
    assert.deepEqual(e.output, ['[TEST:process:e:START]', 'exec: loading /bin/init', '[DATA_ABORT] FAR=0x0']);
    assert.equal(r.results[1].message, 'expected 3, got 4');
    assert.equal(r.results[3].message, 'panic');
    // 10 planned, 5 seen: 5 never started, reported as a number.
    assert.deepEqual(r.summary.unnamed, { pass: 0, fail: 0, skip: 0, timeout: 0, error: 0, notrun: 5 });
  });

  test('a later marker of the same subsystem proves an unresolved test finished', () => {
    const r = read(['[BOOT_TESTS:TOTAL:3]', '[TEST:ipc:a:START]', '[TEST:ipc:a:PAxxSS]', '[TEST:ipc:b:START]', '[TEST:ipc:b:PASS]', '[TEST:net:c:START]'].join('\n'));
    assert.deepEqual(rows(r), ['error ipc/a', 'pass ipc/b', 'timeout net/c']);
    assert.equal(r.results[0].inferred, true);
  });

  test('the tally decides a garbled verdict; conflicting verdicts keep the failure', () => {
    const r = read([
      '[BOOT_TESTS:TOTAL:3]', '[TEST:ipc:a:START]', '[TEST:ipc:a:PAxxSS]', '[TEST:ipc:b:START]', '[TEST:ipc:b:PASS]', '[TEST:ipc:b:FAIL:late]',
      '[TEST:ipc:c:START]', '[TEST:ipc:c:PASS]', '[TESTS_COMPLETE:3/3:FAILED:1]', '[BOOT_TESTS:FAIL:1]', '[TESTS_COMPLETE:0/0]',
    ].join('\n'));
    assert.deepEqual(rows(r), ['pass ipc/a', 'fail ipc/b', 'pass ipc/c']);
    assert.ok(r.diagnostics.some((d) => d.code === 'BREENIX_CONFLICTING_VERDICT' && d.line === 6));
    assert.deepEqual(r.summary.totals, { pass: 2, fail: 1, skip: 0, timeout: 0, error: 0, notrun: 0 });
  });

  test('a run that crashed after a stage: stage and subsystem counts account for garbled tests', () => {
    const r = read([
      '[BOOT_TESTS:TOTAL:5]', '[TEST:ipc:a:START]', '[TEST:ipc:a:PASS]', '[TEST:ipc:b:START]', '[TEST:ipc:b:FAIL:x]',
      '[TE[TRACE] CPU1 idx=4 ST:ipc:c:START]', '[TEST:ipc:cT0:PA', '[SUBSYSTEM:ipc:early:COMPLETE:2/3]', '[STAGE:early:COMPLETE:3/5]',
      '[TEST:net:d:START]', '[INSTRUCTION_ABORT] FAR=0x0',
    ].join('\n'));
    assert.deepEqual(rows(r), ['pass ipc/a', 'fail ipc/b', 'timeout net/d']);
    // c finished (the stage count says 3) and passed (ipc's 2/3 already counts b's failure); e never started.
    assert.deepEqual(r.summary.totals, { pass: 2, fail: 1, skip: 0, timeout: 1, error: 0, notrun: 1 });
  });

  test('a second boot in the same capture is a second run', () => {
    const r = read(['[BOOT_TESTS:START]', '[TEST:ipc:a:START]', '[TEST:ipc:a:PASS]', '[TESTS_COMPLETE:1/1]', '[BOOT_TESTS:START]', '[TEST:ipc:a:START]', '[TEST:ipc:a:FAIL:x]', '[TESTS_COMPLETE:1/1:FAILED:1]'].join('\n'));
    assert.deepEqual(rows(r), ['pass ipc/a', 'fail ipc/a']);
    assert.equal(r.summary.sources['breenix-boot-test'].info.sessions, 2);
  });
});

describe('Breenix boot stages (xtask)', () => {
  test('CR-redrawn PASS lines with timings, a stage timeout with its meaning, the rest not run', () => {
    const r = read([
      'Building and running kernel...',
      '[1/5] Kernel entry point...\r[1/5] Kernel entry point...       \r[1/5] Kernel entry point... PASS (12ms)',
      '[2/5] Serial port...\r[2/5] Serial port... PASS (1.25s)',
      '[3/5] Timer interrupts...',
      '\r                                                              ',
      '\r[3/5] Timer interrupts... FAIL (timeout)',
      '',
      '  Meaning: the timer never fired',
      '  Check:   kernel/src/time',
      '=========================================',
      'Result: 2/5 stages passed',
      'Stage 3 timed out after 30s waiting for marker:',
    ].join('\n'));
    assert.deepEqual(rows(r), ['pass boot-stages/Kernel entry point', 'pass boot-stages/Serial port', 'timeout boot-stages/Timer interrupts']);
    assert.deepEqual(r.results.map((x) => x.duration_ms), [12, 1250, undefined]);
    assert.equal(r.results[2].message, 'timeout: the timer never fired');
    assert.equal(r.summary.unnamed.notrun, 2);
  });

  test('final-scan failure: the first failed stage is named, the other missing ones failed too', () => {
    const r = read(['[1/4] a... PASS (1ms)', '[3/4] c... PASS (found in final scan)', 'Result: 2/4 stages passed', '', 'First failed stage: [2/4] b', '  Meaning: b never printed'].join('\n'));
    assert.deepEqual(rows(r), ['pass boot-stages/a', 'pass boot-stages/c', 'fail boot-stages/b']);
    assert.equal(r.results[2].message, 'marker not found: b never printed');
    assert.equal(r.summary.unnamed.fail, 1);
  });

  test('a capture that ends while a stage is awaited: that stage hung', () => {
    const r = read(['[1/3] a... PASS (1ms)', '[2/3] b...'].join('\n'));
    assert.deepEqual(rows(r), ['pass boot-stages/a', 'timeout boot-stages/b']);
    assert.equal(r.summary.unnamed.notrun, 1);
  });
});

describe('Breenix aarch64 suite runners', () => {
  const SH = [
    'Creating writable copy of ext2 disk...', '',
    '==========================================', 'Running: clock_gettime_test', '==========================================',
    'Modified kernel to load: /bin/clock_gettime_test', 'Building kernel...', '    Finished release [optimized] target(s)', 'Running test...',
    'RESULT: PASS (exit 0)', '',
    '==========================================', 'Running: udp_socket_test', '==========================================',
    'Running test...', 'RESULT: FAIL', '--- Last 10 lines ---', 'UDP: sendto failed: ENETUNREACH (101)', 'FAIL: udp_socket_test',
    '',
    '==========================================', 'Running: missing_test', '==========================================',
    'RESULT: SKIP (binary not found)', '',
    '==========================================', 'Running: exec_hang_test', '==========================================',
    'RESULT: UNKNOWN', '--- Last 10 lines ---', '[syscall] exec pid=4', '',
    '==========================================', 'TEST SUITE SUMMARY', '==========================================',
    'Passed:  1', 'Failed:  1', 'Unknown: 2', 'Total:   4', '', 'PASSED: clock_gettime_test', 'FAILED: udp_socket_test',
  ];

  test('run-aarch64-test-suite.sh: the test name comes from the "Running:" line before RESULT', () => {
    const r = read(SH.join('\n'));
    assert.deepEqual(rows(r), ['pass userspace/clock_gettime_test', 'fail userspace/udp_socket_test', 'skip userspace/missing_test', 'timeout userspace/exec_hang_test']);
    const f = r.results[1];
    assert.deepEqual([f.line, f.start_line], [16, 13]);
    assert.deepEqual(f.output, ['UDP: sendto failed: ENETUNREACH (101)', 'FAIL: udp_socket_test']);
    assert.equal(r.results[2].message, 'binary not found');
    assert.deepEqual(r.diagnostics.filter((d) => d.severity !== 'info'), []);
  });

  test('a RESULT line with no test before it (parse-btrt verdict) is not a test; a capture cut mid-test hung', () => {
    const r = read(['RESULT: PASS (12/12 tests passed)', '==========', 'Running: fork_test', '==========', 'Running test...'].join('\n'));
    assert.deepEqual(rows(r), ['timeout userspace/fork_test']);
  });

  test('run-aarch64-test-runner.py: output before the verdict is kept for failures', () => {
    const r = read(['', '='.repeat(60), 'Running: signal_test', '='.repeat(60), '', '--- Output (last 50 lines) ---', 'breenix> signal_test', 'kill: FAILED errno=38', '--- End Output ---', '', 'RESULT: FAIL', '', '='.repeat(60), 'SUMMARY', '='.repeat(60), 'Passed:  0', 'Failed:  1', 'Unknown: 0'].join('\n'));
    assert.deepEqual(rows(r), ['fail userspace/signal_test']);
    assert.deepEqual(r.results[0].output, ['breenix> signal_test', 'kill: FAILED errno=38']);
  });
});
