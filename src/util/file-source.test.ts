// Where a second thread may start: always at a line start, also past a line longer than the
// window the search reads at a time.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { preferredSplit, splitPoint } from './file-source.js';

const dir = mkdtempSync(join(tmpdir(), 'kscope-split-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('splitPoint returns line starts only, a line longer than its window included', () => {
  const short = 'a short line\n'.repeat(1000);
  // 300 KiB and 700 KiB lines: longer than the 256 KiB the search reads at a time.
  const body = short + 'x'.repeat(300 << 10) + '\n' + short + 'y'.repeat(700 << 10) + '\n' + short;
  const path = join(dir, 'long.txt');
  writeFileSync(path, body);
  const bytes = readFileSync(path);
  const lineStart = (at: number) => at === 0 || bytes[at - 1] === 10;
  for (let pos = 0; pos < bytes.length; pos += 4093) {
    const at = splitPoint(path, pos, () => true);
    assert.ok(at === -1 || (at > pos && lineStart(at)), `from ${pos}: ${at}`);
  }
  // Only the long lines' heads are accepted: the first long line by its head, and from inside it the next one.
  const long = (head: Buffer) => head[0] === 120 || head[0] === 121;
  assert.equal(splitPoint(path, short.length - 5, long), short.length);
  const at = splitPoint(path, short.length + 5, long);
  assert.equal(at, short.length + (300 << 10) + 1 + short.length, 'the next long line, not the rest of this one');
  // A predicate that counts lines sees each once: 1000 short lines, then the long line's head.
  let seen = 0;
  splitPoint(path, short.length + 5, (head) => {
    seen++;
    return head[0] === 121;
  });
  assert.equal(seen, 1001);
  assert.equal(preferredSplit(path, 0, () => false, (head) => head[0] === 121), at);
  assert.equal(preferredSplit(path, 0, () => false), -1);
});
