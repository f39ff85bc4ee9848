// The line reader: long lines in pieces, and the per-chunk search for a mark that tells a reader another format is inside.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forEachLine, MAX_LINE_BYTES } from './lines.js';

const dir = mkdtempSync(join(tmpdir(), 'kscope-lines-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const MARK = Buffer.from('=== BINARY TRANSFER START ===', 'latin1');
const CHUNK = 64 << 10;

/** Runs forEachLine over `text` with a mark search; per line: its text (pieces joined) and whether `found` was set by then. */
function read(text: string): { lines: string[]; seen: boolean[]; found: boolean } {
  const path = join(dir, 'in.log');
  writeFileSync(path, Buffer.from(text, 'latin1'));
  const mark = { bytes: MARK, found: false };
  const lines: string[] = [];
  const seen: boolean[] = [];
  const r = forEachLine(
    path,
    (buf, s, e, _lineNo, _off, piece) => {
      if (piece > 1) lines[lines.length - 1] += buf.toString('latin1', s, e);
      else {
        lines.push(buf.toString('latin1', s, e));
        seen.push(mark.found);
      }
    },
    CHUNK,
    undefined,
    mark,
  );
  return { lines, seen, found: r.found };
}

test('a mark split across the pieces of a line over 1 MiB is found', () => {
  // The first piece is handed over once more than MAX_LINE_BYTES wait: at a multiple of the chunk size.
  const cut = Math.ceil((MAX_LINE_BYTES + 1) / CHUNK) * CHUNK;
  for (const back of [1, 10, MARK.length - 1]) {
    const long = 'A'.repeat(cut - back) + MARK.toString('latin1') + 'B'.repeat(100);
    const r = read(`first\n${long}\nlast\n`);
    assert.equal(r.found, true, `mark ${back} bytes before the piece cut`);
    assert.deepEqual(r.lines, ['first', long, 'last']);
  }
  const none = read(`${'A'.repeat(2 * MAX_LINE_BYTES)}\n`);
  assert.equal(none.found, false);
});

test('found is set before the lines of the chunk that holds the mark, not earlier', () => {
  const before = Array.from({ length: 4000 }, (_, i) => `line ${i} ${'x'.repeat(40)}`);
  const r = read([...before, MARK.toString('latin1'), 'after', ''].join('\n'));
  const at = before.length;
  assert.equal(r.lines[at], MARK.toString('latin1'));
  assert.equal(r.seen[at], true);
  assert.equal(r.seen[0], false, 'the first chunk holds no mark');
  assert.equal(r.found, true);
});
