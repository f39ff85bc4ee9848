import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { FormatError } from '../../util/errors.js';
import { readTests } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'kscope-junit-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function write(text: string): string {
  const p = join(dir, `${++n}.xml`);
  writeFileSync(p, text);
  return p;
}

const XML = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="all">
  <testsuite name="net" tests="4" failures="1" errors="1" skipped="1">
    <testcase name="udp_socket" classname="userspace.net" time="0.250"/>
    <testcase name="tcp_socket" classname="userspace.net" time="1.5">
      <failure message="connect: ENETUNREACH (101)" type="AssertionError">at tcp.rs:42
second line</failure>
    </testcase>
    <testcase name="dns" classname="userspace.net">
      <error message="panicked at dns.rs:7">backtrace…</error>
    </testcase>
    <testcase name="http" classname="userspace.net"><skipped message="no network"/></testcase>
    <testsuite name="net.nested">
      <testcase name="deep &amp; nested"/>
    </testsuite>
  </testsuite>
  <testsuite>
    <testcase name="only_classname" classname="fs"><skipped/></testcase>
    <testcase name="gtest_disabled" classname="fs" status="notrun"/>
  </testsuite>
</testsuites>
`;

describe('JUnit XML', () => {
  test('suites, nested suites, failure/error/skipped, gtest notrun, times and lines', () => {
    const r = readTests(write(XML));
    assert.deepEqual(r.results.map((x) => [x.suite, x.name, x.status, x.message, x.line]), [
      ['net', 'udp_socket', 'pass', '', 4],
      ['net', 'tcp_socket', 'fail', 'connect: ENETUNREACH (101)', 5],
      ['net', 'dns', 'error', 'panicked at dns.rs:7', 9],
      ['net', 'http', 'skip', 'no network', 12],
      ['net.nested', 'deep & nested', 'pass', '', 14],
      ['fs', 'only_classname', 'skip', '', 18],
      ['fs', 'gtest_disabled', 'notrun', '', 19],
    ]);
    assert.deepEqual(r.results.map((x) => x.duration_ms), [250, 1500, undefined, undefined, undefined, undefined, undefined]);
    assert.deepEqual(r.results[1].output, ['at tcp.rs:42', 'second line']);
    assert.equal(r.summary.sources.junit.info.suites, 3);
    assert.deepEqual(r.diagnostics, []);
  });

  test('a bare <testsuite> root with a BOM is detected too', () => {
    const r = readTests(write('\uFEFF<testsuite name="s"><testcase name="a"/></testsuite>'));
    assert.deepEqual(r.results.map((x) => [x.suite, x.name, x.status, x.line]), [['s', 'a', 'pass', 1]]);
  });

  test('broken XML is one located error', () => {
    const p = write('<?xml version="1.0"?>\n<testsuites>\n  <testsuite name="x">\n    <testcase name="a">\n  </testsuite>\n</testsuites>\n');
    assert.throws(() => readTests(p), (e: unknown) => {
      assert.ok(e instanceof FormatError);
      assert.match(e.message, new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5: column \\d+: broken XML: .*testcase`));
      assert.ok(!e.message.includes('\n'));
      return true;
    });
  });

  test('well-formed XML without suites is a warning, not an error', () => {
    const r = readTests(write('<testsuites></testsuites>'));
    assert.equal(r.results.length, 0);
    assert.deepEqual(r.diagnostics.map((d) => d.code), ['JUNIT_NO_SUITES']);
  });
});
