// When the worker is the slower thread, the first thread reads the end of the worker's part itself: the
// events must still be what one pass over the file gives, row for row.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { DiagnosticLog } from '../src/model/diagnostics.js';
import { partRows } from '../src/model/testing.js';
import { scanTwoParts } from '../src/model/two-parts.js';
import { CONSOLE_PARTS, scanRange } from '../src/formats/console-log/index.js';

const LINUX = fileURLToPath(new URL('../../test/fixtures/linux/', import.meta.url));

test('a slow worker: the first thread reads the end of its part too, and the events are what one pass gives', () => {
  const work = mkdtempSync(join(tmpdir(), 'kscope-steal-'));
  try {
    const body = gunzipSync(readFileSync(join(LINUX, 'x86_64-boot.log.gz')));
    const path = join(work, 'big.log');
    writeFileSync(path, Buffer.concat(Array.from({ length: Math.ceil((64 << 20) / body.length) }, () => body)));
    const dir = join(work, 'parts');
    mkdirSync(dir);
    const diagnostics = new DiagnosticLog();
    const read = scanTwoParts(path, { name: 'big.log', dir, diagnostics }, {
      ...CONSOLE_PARTS,
      worker: new URL('./slow-console-worker.js', import.meta.url),
      minBytes: 0,
      redoFrom: () => null,
      steal: true,
    });
    assert.equal(read.parts.length, 3, 'the first thread took the end of the slow worker\'s part');
    const one = join(work, 'one');
    mkdirSync(one);
    const whole = scanRange(path, 'big.log', 0, readFileSync(path).length, one, 0, new DiagnosticLog());
    assert.deepEqual(partRows(dir, read.pieces, read.lineBases), partRows(one, [whole.piece], [0]));
    assert.equal(read.parts.reduce((n, p) => n + p.piece.events, 0), whole.piece.events);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
