// Detection from the head alone, and the reader's whole path in-process: build, write a bundle,
// open it and query events back from the input's bytes.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { bundleOf } from '../fixture-files.js';
import { DiagnosticLog } from '../../model/diagnostics.js';
import { qemuD } from './index.js';
import { LINUX_FIXTURES, fixture, hasFixture, oracle, removeScratch, scratchDir } from './testing.js';

after(removeScratch);

const head = (b: Buffer) => b.subarray(0, 4096);
const fixtures = hasFixture('x86_64-qemu-int.log') ? readdirSync(LINUX_FIXTURES).filter((f) => f.endsWith('.gz')) : [];

test('every QEMU -d fixture is detected from its first 4 KiB, without its name', { skip: fixtures.length === 0 }, () => {
  const mine = fixtures.filter((f) => /-qemu-(?:int|exec)\.log\.gz$/.test(f));
  assert.ok(mine.length >= 6);
  for (const f of mine) assert.ok(qemuD.detect(head(gunzipSync(readFileSync(join(LINUX_FIXTURES, f)))), 'unknown.dat') >= 0.8, f);
});

test('console logs and ftrace files are not taken (below the console reader’s 0.3)', { skip: fixtures.length === 0 }, () => {
  const others = fixtures.filter((f) => !/-qemu-(?:int|exec)\.log\.gz$/.test(f));
  assert.ok(others.length > 10);
  for (const f of others) assert.ok(qemuD.detect(head(gunzipSync(readFileSync(join(LINUX_FIXTURES, f)))), f) < 0.3, f);
});

test('a console log with a few QEMU lines mixed in stays a console log; garbage and empty are not mine', { skip: fixtures.length === 0 }, () => {
  const console = gunzipSync(readFileSync(join(LINUX_FIXTURES, 'x86_64-qemu-int-console.log.gz'))).toString('latin1').split('\n');
  const qemu = readFileSync(fixture('arm64-qemu-int.log'), 'latin1').split('\n');
  // Two QEMU lines spliced into the console's first 30 lines, as `-d int` on stderr would.
  const mixed = [...console.slice(0, 10), qemu.find((l) => l.startsWith('Taking exception')), ...console.slice(10, 30)].join('\n');
  assert.ok(qemuD.detect(Buffer.from(mixed, 'latin1'), 'x') < 0.3);
  let x = 7;
  const junk = Buffer.alloc(4096, 0).map(() => (x = (x * 1103515245 + 12345) >>> 0) >>> 24);
  assert.equal(qemuD.detect(Buffer.from(junk), 'x'), 0);
  assert.equal(qemuD.detect(Buffer.alloc(0), 'x'), 0);
});

test('build → bundle → queries: event, range and filter agree with the log', { skip: !hasFixture('arm64-qemu-int.log') }, () => {
  const path = fixture('arm64-qemu-int.log');
  const text = readFileSync(path, 'latin1');
  const lines = text.split('\n');
  const diagnostics = new DiagnosticLog();
  const bundle = bundleOf(qemuD, path, join(scratchDir(), 'bundle'), diagnostics, 'arm64-qemu-int.log');
  assert.deepEqual(
    qemuD.streams(bundle).map((s) => s.events),
    [Object.values(oracle(text).types).reduce((a, b) => a + b, 0)],
  );
  const src = qemuD.open(bundle, path, undefined);
  const want = oracle(text);
  assert.deepEqual(src.summary().types, want.types);
  // Every IRQ, in order, through the postings.
  const irqs: number[] = [];
  src.filter('INTERRUPT', 0, -1, (e) => {
    assert.equal(e.type, 'INTERRUPT');
    assert.match(lines[(e.line as number) - 1], /^Taking exception (?:5|6|14|15) \[/);
    irqs.push(e.line as number);
  });
  assert.equal(irqs.length, want.types.INTERRUPT);
  // A window in the middle, one at a time and as a range.
  const mid = Math.floor(src.count / 2);
  const range = src.events(mid, 5);
  range.forEach((e, k) => assert.deepEqual(e, src.event(mid + k)));
  const ret = src.events(0, src.count).find((e) => e.type === 'EXCEPTION_RETURN');
  assert.ok(ret);
  assert.match(lines[(ret.line as number) - 1], /^Exception return from AArch64/);
  assert.throws(() => src.event(src.count), /out of range/);
  src.close();
});
