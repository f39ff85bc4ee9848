import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseStatuses, readTests } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'kscope-tests-index-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function write(data: string | Buffer): string {
  const p = join(dir, `${++n}.log`);
  writeFileSync(p, data);
  return p;
}

/** One console capture holding several formats at once, as a real boot log can. */
const MIXED = [
  '[    0.000000] Linux version 6.1.0 (debian-kernel@lists.debian.org)',
  '[    1.000000] KTAP version 1',
  '[    1.000001] 1..1',
  '[    1.000002]     KTAP version 1',
  '[    1.000003]     # Subtest: list',
  '[    1.000004]     1..2',
  '[    1.000005]     ok 1 list_init',
  '[    1.000006]     not ok 2 list_add',
  '[    1.000007] not ok 1 list',
  '[BOOT_TESTS:START]',
  '[BOOT_TESTS:TOTAL:2]',
  'T1[TEST:ipc:pipe:START]',
  '[TEST:ipc:pipe:PASS]',
  'Starting test suite sel4test',
  'Starting test 0: Test that there are tests',
  'Test suite passed. 1 tests passed. 0 tests disabled.',
  '[TEST:ipc:fifo:START]',
];

describe('readTests', () => {
  test('every reader runs in the same pass; summary counts per status and per source', () => {
    const r = readTests(write(MIXED.join('\n')));
    assert.deepEqual(r.results.map((x) => [x.source, x.status, x.name, x.line]), [
      ['ktap', 'pass', 'list_init', 7],
      ['ktap', 'fail', 'list_add', 8],
      ['breenix-boot-test', 'pass', 'pipe', 13],
      ['sel4test', 'pass', 'Test that there are tests', 15],
      ['breenix-boot-test', 'timeout', 'fifo', 17],
    ]);
    const s = r.summary;
    assert.equal(s.results, 5);
    assert.deepEqual(s.counts, { pass: 3, fail: 1, skip: 0, timeout: 1, error: 0, notrun: 0 });
    assert.deepEqual(Object.keys(s.sources).sort(), ['breenix-boot-test', 'ktap', 'sel4test']);
    assert.deepEqual(s.sources.ktap.counts, { pass: 1, fail: 1, skip: 0, timeout: 0, error: 0, notrun: 0 });
    assert.deepEqual(s.totals, s.counts);
  });

  test('chunk sizes 1, 7 and 4096 give the same results and diagnostics', () => {
    const p = write(MIXED.join('\r\n'));
    const want = JSON.stringify(readTests(p));
    for (const c of [1, 7, 4096]) assert.equal(JSON.stringify(readTests(p, { chunkBytes: c })), want, `chunk ${c}`);
  });

  test('the name option names the file in diagnostics', () => {
    const r = readTests(write('KTAP version 1\n1..x\n'), { name: 'user/input.log.gz' });
    assert.equal(r.diagnostics[0].file, 'user/input.log.gz');
    assert.equal(r.summary.file, 'user/input.log.gz');
  });

  test('empty files and random bytes give no results and do not throw', () => {
    assert.equal(readTests(write('')).results.length, 0);
    let x = 12345;
    const junk = Buffer.alloc(64 * 1024);
    for (let i = 0; i < junk.length; i++) junk[i] = ((x = (x * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    const r = readTests(write(junk));
    assert.equal(r.results.length, 0);
  });

  test('--status parsing', () => {
    assert.deepEqual(parseStatuses('fail, timeout'), ['fail', 'timeout']);
    assert.equal(parseStatuses('fail,passed'), 'passed');
  });
});
