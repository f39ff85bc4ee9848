import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DiagnosticLog } from '../../model/diagnostics.js';
import { FormatError } from '../../util/errors.js';
import { readTests } from './index.js';
import { readJunit } from './junit.js';

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

/** 1-based line of a character offset in a text. */
function lineAt(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}

const ALL = ['udp_socket', 'tcp_socket', 'dns', 'http', 'deep & nested', 'only_classname', 'gtest_disabled'];

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

  test('a file cut inside a <testcase> keeps the whole ones before it and names the line where it ends', () => {
    // Inside <error> of the third testcase, after a non-ASCII character: bytes and characters differ.
    const cut = XML.indexOf('…') + 1;
    const text = XML.slice(0, cut);
    const r = readTests(write(text));
    assert.deepEqual(r.results.map((x) => [x.suite, x.name, x.status, x.line]), [
      ['net', 'udp_socket', 'pass', 4],
      ['net', 'tcp_socket', 'fail', 5],
    ]);
    assert.deepEqual(r.results[1].output, ['at tcp.rs:42', 'second line']);
    assert.deepEqual(r.diagnostics.map((d) => [d.code, d.severity, d.line, d.offset]), [['JUNIT_TRUNCATED', 'warning', 10, Buffer.byteLength(text)]]);
    assert.equal(lineAt(XML, cut), 10);
    const column = cut - XML.lastIndexOf('\n', cut - 1);
    assert.equal(r.diagnostics[0].message, `column ${column} (byte ${Buffer.byteLength(text)}): broken XML: the file ends inside <testcase> opened at line 9; kept the 2 <testcase> elements complete before it; results after line 8 may be missing`);
    assert.equal(r.summary.warnings, 1);
  });

  test('every cut keeps exactly the <testcase>s that end before it; a cut before the first one is an error', () => {
    const ends = [...XML.matchAll(/<testcase[^>]*\/>|<\/testcase>/g)].map((m) => m.index + m[0].length);
    const body = XML.trimEnd().length - '</testsuites>'.length;
    for (let cut = 1; cut < body; cut++) {
      const text = XML.slice(0, cut);
      const whole = ends.filter((e) => e <= cut).length;
      const log = new DiagnosticLog();
      if (whole === 0) {
        assert.throws(() => readJunit(text, 'f.xml', log), (e: unknown) => e instanceof FormatError && e.message.startsWith(`f.xml:${lineAt(text, text.trimEnd().length)}: column `), `cut at ${cut}`);
        continue;
      }
      const r = readJunit(text, 'f.xml', log);
      assert.deepEqual(r.results.map((x) => x.name), ALL.slice(0, whole), `cut at ${cut}`);
      const d = log.list();
      assert.deepEqual(d.map((x) => [x.code, x.line]), [['JUNIT_TRUNCATED', lineAt(text, text.trimEnd().length)]], `cut at ${cut}`);
    }
  });

  test('junk after the document keeps every result and names where the junk starts', () => {
    const r = readTests(write(`${XML}\0\0<<garbage\n`));
    assert.deepEqual(r.results.map((x) => x.name), ALL);
    assert.deepEqual(r.diagnostics.map((d) => [d.code, d.severity, d.line, d.offset]), [['JUNIT_TRAILING_DATA', 'warning', lineAt(XML, XML.length), Buffer.byteLength(XML)]]);
    assert.match(r.diagnostics[0].message, /^column 1 \(byte \d+\): broken XML: Extra text at the end; ignored from there on; all 7 <testcase> elements before it kept$/);
  });

  test('an error inside the file keeps what comes before it and names its line', () => {
    const r = readTests(write(XML.replace('<testcase name="http"', '<testcase name="http" <')));
    assert.deepEqual(r.results.map((x) => x.name), ALL.slice(0, 3));
    assert.deepEqual(r.diagnostics.map((d) => [d.code, d.line]), [['JUNIT_BROKEN_XML', 12]]);
    assert.match(r.diagnostics[0].message, /broken XML: .*'<'.*; kept the 3 <testcase> elements complete before it; results after line 11 may be missing$/);
  });

  test('a file that is not XML, or has no whole <testcase>, is one located error', () => {
    assert.throws(() => readJunit('Booting the kernel...\n', 'boot.log', new DiagnosticLog()), (e: unknown) => e instanceof FormatError && e.message === "boot.log:1: column 1: broken XML: char 'B' is not expected.");
    const p = write('<testsuites>\n  <testsuite name="x">\n\0\x01 binary\n');
    assert.throws(() => readTests(p), (e: unknown) => e instanceof FormatError && e.message.startsWith(`${p}:3: column 10: broken XML: the file ends inside <testsuite> opened at line 2`));
    // The validator accepts this declaration and the parser refuses it: still the user's error.
    const decl = write('<?xml"version="1.0"?>\n<testsuite name="s"><testcase name="a"/></testsuite>\n');
    assert.throws(() => readTests(decl), (e: unknown) => e instanceof FormatError && e.message.startsWith(`${decl}: broken XML: `));
  });

  test('well-formed XML without suites is a warning, not an error', () => {
    const r = readTests(write('<testsuites></testsuites>'));
    assert.equal(r.results.length, 0);
    assert.deepEqual(r.diagnostics.map((d) => d.code), ['JUNIT_NO_SUITES']);
  });
});
