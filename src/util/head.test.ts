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

test('generated heads: the lines kept and the verdict are what reading each line byte by byte gives', () => {
  const next = rng(11);
  // The plain definition: a line is clean when no byte of it is junk; clean lines' bytes (with their newline) count.
  const reference = (head: Buffer, limit: number): string[] | null => {
    const isJunk = (c: number) => (c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 27) || c === 127;
    const cut = head.length >= limit ? head.lastIndexOf(10) + 1 : head.length;
    const lines: string[] = [];
    let clean = 0;
    for (let s = 0; s < head.length; ) {
      let e = head.indexOf(10, s);
      if (e < 0) e = head.length;
      if (!head.subarray(s, e).some(isJunk)) {
        clean += e - s + 1;
        if (e < cut) lines.push(head.toString('latin1', s, e));
      }
      s = e + 1;
    }
    return clean * 2 >= head.length && head.length > 0 ? lines : null;
  };
  const alphabet = [9, 10, 13, 27, 32, 65, 97, 0, 1, 8, 11, 12, 14, 26, 28, 31, 127, 128, 255];
  for (let k = 0; k < 3000; k++) {
    const len = Math.floor(next() * 300);
    const junkShare = next() * 0.3;
    const head = Buffer.from(Array.from({ length: len }, () => (next() < junkShare ? alphabet[Math.floor(next() * alphabet.length)] : next() < 0.08 ? 10 : 97)));
    const limit = next() < 0.5 ? 4096 : Math.max(1, Math.floor(next() * 300));
    assert.deepEqual(headLines(head, limit), reference(head, limit), `head ${JSON.stringify(head.toString('latin1'))}, limit ${limit}`);
  }
});
