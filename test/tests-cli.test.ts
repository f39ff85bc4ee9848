// End-to-end tests of `kscope tests` as a user runs it: a spawned CLI on real captures (the
// shared Breenix samples, a node:test TAP capture) and on files made here (gzip, JUnit XML,
// a BTRT table, broken inputs), answers checked against independent greps of the same files.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, describe, test } from 'node:test';
import { assertNoStack, assertUserError, cleanup, CLI, jsonLines, ROOT, tmpdir, type CliResult } from './helpers.js';

after(cleanup);

/** The built CLI; KSCOPE_CLI points elsewhere (a scratch entry) until main.ts registers `tests`. */
const ENTRY = process.env.KSCOPE_CLI ?? CLI;

function kscope(args: string[]): CliResult {
  const r = spawnSync(process.execPath, [ENTRY, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const help = kscope(['tests', '--help']);
const WIRED = help.code === 0 && help.stdout.includes('test results found in an artifact');
const SKIP_UNWIRED = WIRED
  ? false
  : `${ENTRY} has no "tests" command yet (src/cli/main.ts needs: import { register as registerTests } from './commands/tests.js'; registerTests(program, run);)`;

const SAMPLES = join(ROOT, '..', 'shared', 'samples', 'breenix');
const SKIP_SAMPLES = SKIP_UNWIRED || (existsSync(SAMPLES) ? false : `no shared samples at ${SAMPLES}`);
const dir = tmpdir('kscope-tests-cli-');

function ok(r: CliResult, what: string): CliResult {
  assertNoStack(r, what);
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}`);
  return r;
}

/** Independent count of a capture's intact final verdicts, deduplicated per test, and its kernel tally. */
function grepVerdicts(text: string): { counts: Record<string, number>; tally: [number, number, number] | null } {
  const last = new Map<string, string>();
  for (const m of text.matchAll(/\bTEST:([a-z0-9_]+):([a-z0-9_]+):(PASS|FAIL|TIMEOUT|PANIC)[:\]]/g)) {
    last.set(`${m[1]}:${m[2]}`, { PASS: 'pass', FAIL: 'fail', TIMEOUT: 'timeout', PANIC: 'error' }[m[3]] as string);
  }
  const counts: Record<string, number> = { pass: 0, fail: 0, timeout: 0, error: 0 };
  for (const s of last.values()) counts[s]++;
  let tally: [number, number, number] | null = null;
  for (const m of text.matchAll(/TESTS_COMPLETE:(\d+)\/(\d+)(?::FAILED:(\d+))?\]/g)) if (m[2] !== '0') tally = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  return { counts, tally };
}

describe('kscope tests on the real Breenix captures', { skip: SKIP_SAMPLES }, () => {
  const files = existsSync(SAMPLES) ? readdirSync(SAMPLES).filter((f) => f.endsWith('.txt')).sort() : [];

  test('--json: one result per line; counts per status equal a grep of the intact verdicts', () => {
    assert.equal(files.length, 42);
    for (const f of files) {
      const path = join(SAMPLES, f);
      const want = grepVerdicts(readFileSync(path, 'utf8'));
      const r = kscope(['tests', path, '--json']);
      assertNoStack(r, f);
      if (!want.tally) {
        assert.equal(r.code, 1, `${f}: no tests means exit 1`);
        assert.equal(r.stdout, '');
        continue;
      }
      assert.equal(r.code, 0, `${f}: ${r.stderr}`);
      const rows = jsonLines(r.stdout).filter((x) => x.inferred !== true);
      for (const k of ['name', 'suite', 'status', 'message', 'line']) assert.ok(rows.every((x) => k in x), `${f}: field ${k}`);
      for (const s of ['pass', 'fail', 'timeout', 'error']) {
        assert.equal(rows.filter((x) => x.status === s).length, want.counts[s], `${f}: ${s}`);
      }
      assert.equal(r.stderr, '', `${f}: no warnings expected`);
    }
  });

  test('--summary --json: totals per status equal the kernel\'s own tally', () => {
    for (const f of ['607-576-serials__legT-green-stack-pc-refused.txt', '607-576-serials__legK-red-testcommit-c3b0133d-esr8600000d.txt', 'p5b-serials__mutation-M3-pid-not-group.txt']) {
      const path = join(SAMPLES, f);
      const t = grepVerdicts(readFileSync(path, 'utf8')).tally as [number, number, number];
      const s = JSON.parse(ok(kscope(['tests', path, '--summary', '--json']), f).stdout) as { totals: Record<string, number>; sources: Record<string, unknown> };
      assert.deepEqual(s.totals, { pass: t[0] - t[2], fail: t[2], skip: 0, timeout: 0, error: 0, notrun: t[1] - t[0] }, f);
      assert.ok('breenix-boot-test' in s.sources);
    }
  });

  test('human output: a table and totals; --status filters the rows', () => {
    const path = join(SAMPLES, '607-576-serials__legT-green-stack-pc-refused.txt');
    const all = ok(kscope(['tests', path]), 'table').stdout.split('\n');
    assert.match(all[0], /^STATUS\s+SUITE\s+NAME\s+LINE\s+MESSAGE$/);
    assert.equal(all.filter((l) => /^(pass|fail) /.test(l)).length, 107);
    assert.ok(all.includes('totals: pass 106  fail 1  skip 0  timeout 0  error 0  notrun 0  (107 named results)'), all.slice(-4).join('\n'));
    const failed = ok(kscope(['tests', path, '--status', 'fail']), '--status').stdout.split('\n');
    const rows = failed.filter((l) => /^(pass|fail) /.test(l));
    assert.equal(rows.length, 1);
    assert.match(rows[0], /^fail\s+process\s+kernel_stack_ownership_oracle\s+522\s+ownership stress slot allocation\/free equality failed$/);
  });

  test('a gzip-compressed capture reads the same as the plain one', () => {
    const path = join(SAMPLES, 'p5b-serials__mutation-M2-guard-inverted.txt');
    const gz = join(dir, 'M2.txt.gz');
    writeFileSync(gz, gzipSync(readFileSync(path)));
    assert.equal(ok(kscope(['tests', gz, '--json']), 'gz').stdout, ok(kscope(['tests', path, '--json']), 'plain').stdout);
  });
});

describe('kscope tests on other formats and on bad input', { skip: SKIP_UNWIRED }, () => {
  test('TAP from node:test (a real capture in test/fixtures/test-results)', () => {
    const rows = jsonLines(ok(kscope(['tests', join(ROOT, 'test', 'fixtures', 'test-results', 'node20-tap13.tap'), '--json']), 'tap').stdout);
    assert.deepEqual(rows.map((x) => [x.status, x.suite, x.name]), [
      ['pass', 'parser', 'reads a plan'], ['pass', 'reads nested subtests', 'level two passes'], ['fail', 'reads nested subtests', 'level two fails'],
      ['skip', 'parser', 'skipped on purpose'], ['skip', 'parser', 'not done yet'], ['pass', '', 'top-level pass'], ['fail', '', 'top-level failure'],
    ]);
  });

  test('KTAP from Debian kernels, gzip-compressed as stored: totals per status and the hung test', () => {
    const fix = join(ROOT, 'test', 'fixtures', 'test-results');
    const want: Record<string, Record<string, number>> = {
      'x86_64-kunit.log.gz': { pass: 105, fail: 2, skip: 4, timeout: 0, error: 0, notrun: 0 },
      'arm64-kunit.log.gz': { pass: 106, fail: 2, skip: 3, timeout: 0, error: 0, notrun: 0 },
      'x86_64-kunit-hang.log.gz': { pass: 103, fail: 2, skip: 4, timeout: 1, error: 0, notrun: 1 },
    };
    for (const [f, totals] of Object.entries(want)) {
      const s = JSON.parse(ok(kscope(['tests', join(fix, f), '--summary', '--json']), f).stdout) as { totals: Record<string, number> };
      assert.deepEqual(s.totals, totals, f);
    }
    const hung = ok(kscope(['tests', join(fix, 'x86_64-kunit-hang.log.gz'), '--status', 'timeout']), 'hang').stdout.split('\n');
    assert.ok(hung.some((l) => /^timeout\s+kscope-hang\s+hang_sleeps\s+\d+\s+hung \(no result before the log ended\)$/.test(l)), hung.join('\n'));
    assert.ok(hung.some((l) => l.includes('warning:') && l.includes('log ended inside subtest kscope-hang')));
  });

  test('JUnit XML, and broken XML as one located error', () => {
    const good = join(dir, 'junit.xml');
    writeFileSync(good, '<?xml version="1.0"?>\n<testsuite name="s">\n  <testcase name="a"/>\n  <testcase name="b"><failure message="EFAULT (14)"/></testcase>\n</testsuite>\n');
    const rows = jsonLines(ok(kscope(['tests', good, '--json']), 'junit').stdout);
    assert.deepEqual(rows.map((x) => [x.suite, x.name, x.status, x.message, x.line]), [['s', 'a', 'pass', '', 3], ['s', 'b', 'fail', 'EFAULT (14)', 4]]);
    const bad = join(dir, 'broken.xml');
    writeFileSync(bad, '<testsuites>\n<testsuite name="s">\n<testcase name="a">\n</testsuite>\n');
    assertUserError(kscope(['tests', bad]), bad, /:4: column \d+: broken XML: /);
    // A run that died while writing its results: the whole <testcase>s are kept, the cut is a warning.
    const cut = join(dir, 'cut.xml');
    writeFileSync(cut, '<testsuites>\n<testsuite name="s">\n<testcase name="a"/>\n<testcase name="b"><system-out>boot');
    const r = ok(kscope(['tests', cut, '--json']), 'cut junit');
    assert.deepEqual(jsonLines(r.stdout).map((x) => [x.name, x.line]), [['a', 3]]);
    assert.ok(r.stderr.includes(`warning: ${cut}:4: column 36 (byte 90): broken XML: the file ends inside <testcase> opened at line 4;`), r.stderr);
  });

  test('a BTRT table made here', () => {
    const b = Buffer.alloc(8240);
    b.write('0100010054525442', 0, 'hex');
    b.writeUInt32LE(2, 8);
    b.writeUInt32LE(2, 12);
    b.writeUInt32LE(1, 16);
    b.writeUInt32LE(1, 20);
    for (const [id, st, code] of [[9, 2, 0], [308, 3, 2]]) {
      b.writeUInt16LE(id, 48 + id * 16);
      b[48 + id * 16 + 2] = st;
      b[48 + id * 16 + 3] = code;
    }
    const p = join(dir, 'btrt.bin');
    writeFileSync(p, b);
    const rows = jsonLines(ok(kscope(['tests', p, '--json']), 'btrt').stdout);
    assert.deepEqual(rows.map((x) => [x.name, x.suite, x.status, x.message, x.offset]), [
      ['timer_init', 'kernel_init', 'pass', '', 48 + 9 * 16], ['utest_pipe', 'userspace_result', 'fail', 'ASSERT', 48 + 308 * 16],
    ]);
  });

  test('malformed KTAP: results still read, one warning line per problem, no stack', () => {
    const p = join(dir, 'bad.ktap');
    writeFileSync(p, ['KTAP version 1', '1..x', 'ok 1 a', 'ok 1 b', '    KTAP version 1', '    # Subtest: s', '    1..3', '    ok 1 c', 'ok 2 s'].join('\n'));
    const human = ok(kscope(['tests', p]), 'ktap').stdout;
    const warnings = human.split('\n').filter((l) => l.startsWith('  warning: '));
    assert.deepEqual(warnings.map((l) => l.replace(p, 'F')), [
      '  warning: F:2: bad plan "1..x": expected 1..N with N a number; plan ignored',
      '  warning: F:4: test number 1 used again (line 3 was a); keeping both',
      '  warning: F:9: s: plan 1..3 but 1 results; 2 counted as not run',
    ]);
    assert.match(human, /not named in the artifact .*notrun 2/);
    const json = ok(kscope(['tests', p, '--json']), 'ktap --json');
    assert.equal(jsonLines(json.stdout).length, 3);
    assert.equal(json.stderr.split('\n').filter((l) => l.includes('warning:')).length, 3);
  });

  test('user rules, and a broken rule named by its index', () => {
    const log = join(dir, 'inhouse.log');
    writeFileSync(log, 'CASE net.udp => GREEN\nCASE net.tcp => RED\n');
    const rules = join(dir, 'rules.json');
    writeFileSync(rules, JSON.stringify({ rules: [{ pattern: '^CASE (?<suite>\\w+)\\.(?<name>\\w+) => (?<status>\\w+)$', status_map: { GREEN: 'pass', RED: 'fail' } }] }));
    const rows = jsonLines(ok(kscope(['tests', log, '--rules', rules, '--json']), 'rules').stdout);
    assert.deepEqual(rows.map((x) => [x.suite, x.name, x.status, x.source]), [['net', 'udp', 'pass', 'rules'], ['net', 'tcp', 'fail', 'rules']]);
    const bad = join(dir, 'bad-rules.json');
    writeFileSync(bad, JSON.stringify({ rules: [{ pattern: '(?<name>a)', status: 'pass' }, { pattern: '(?<name>(', status: 'pass' }] }));
    assertUserError(kscope(['tests', log, '--rules', bad]), bad, /rules\[1\]\.pattern: invalid regular expression/);
  });

  test('no results, an unknown status, a missing file', () => {
    const empty = join(dir, 'plain.log');
    writeFileSync(empty, 'just a boot log\n');
    const r = kscope(['tests', empty]);
    assertNoStack(r, 'none');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no test results found/);
    assertUserError(kscope(['tests', empty, '--status', 'green']), '--status', /unknown status "green"/);
    const missing = join(dir, 'absent.log');
    assertUserError(kscope(['tests', missing]), missing, /no such file/);
  });
});
