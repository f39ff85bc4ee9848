import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { headLines, isTextHead } from './head.js';
import { rng } from './rng.js';

const log = Array.from({ length: 400 }, (_, i) => `[${String(i).padStart(6)}.000000] line ${i} ünïcödé ${'\x1b[0m'}`).join('\n') + '\n';

test('a burst of binary junk in a log: the clean lines are kept, the junk lines left out', () => {
  const text = Buffer.from(log, 'latin1');
  const junk = randomBytes(2048).map((b) => (b === 10 ? 0 : b));
  const mixed = Buffer.concat([text.subarray(0, 5000), junk, Buffer.from('\n'), text.subarray(5000)]);
  const lines = headLines(mixed, 1 << 20);
  assert.ok(lines);
  const want = log.split('\n').filter((l) => l !== '');
  // Every clean line of the log is there (the ones the junk landed in or next to may be lost).
  const got = new Set(lines);
  assert.ok(want.filter((l) => got.has(l)).length >= want.length - 2);
  assert.ok(lines.every((l) => !/[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f]/.test(l)));
});

test('binary data and NUL padding', () => {
  const next = rng(7);
  const words = new Uint16Array(32768).map(() => Math.floor(next() * 65536));
  assert.equal(isTextHead(Buffer.from(words.buffer)), false);
  assert.equal(isTextHead(Buffer.alloc(4096)), false);
  // A capture that starts with NULs (a serial port before the guest wrote) is still a log.
  assert.equal(isTextHead(Buffer.concat([Buffer.alloc(3000), Buffer.from(log, 'latin1')])), true);
});
