// Reading a QEMU -d log in two parts (a worker for the second) gives what one pass gives, event
// for event: the second part starts at a record start, and is read again when it took a CPU the
// first part's records had changed. Files are real fixture logs repeated past a lowered threshold.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DiagnosticLog } from '../../model/diagnostics.js';
import { partRows, tableRows } from '../../model/testing.js';
import { buildQemu } from './build.js';
import { scanQemuFile } from './parallel.js';
import { fixture, hasFixture, removeScratch, scratchDir, writeScratch } from '../fixture-files.js';
import { readFileSync } from 'node:fs';

after(removeScratch);

/**
 * A progress callback that holds the first thread for a moment at its first
 * report (after 65,536 lines), so the worker starts while most of the file
 * is still unread whatever the machine's load.
 */
function holdFirst(): () => void {
  let held = false;
  return () => {
    if (!held) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
    held = true;
  };
}

const SIZE = 8 << 20;
const X86 = 'x86_64-qemu-int.log';
const ARM = 'arm64-qemu-int.log';
const text = (f: string) => readFileSync(fixture(f), 'latin1');
/** `head` once, then `fill` repeated to about SIZE bytes. */
const file = (name: string, head: string, fill: string) => writeScratch(name, Buffer.from(head + fill.repeat(Math.ceil((SIZE - head.length) / fill.length)), 'latin1'));

const cases: { what: string; redone: boolean; make: () => string }[] = [
  // x86 records name no CPU: the second part starts at an announcing line (`check_exception`, `Servicing hardware INT`).
  { what: 'x86: kept', redone: false, make: () => file('x86.log', '', text(X86)) },
  // The second part starts at `Taking exception … on CPU n`, so what follows takes that CPU.
  { what: 'Arm and x86 logs one after the other: kept', redone: false, make: () => file('mixed.log', '', text(ARM) + text(X86)) },
  // After the Arm head only x86 records: the second part's events took no CPU, one pass gives them the Arm head's last.
  { what: 'an Arm head, then x86 only: read again', redone: true, make: () => file('arm-then-x86.log', text(ARM), text(X86)) },
];

describe('two parts read as one pass', () => {
  for (const c of cases) {
    test(c.what, { skip: !hasFixture(X86) || !hasFixture(ARM) }, () => {
      const path = c.make();
      const dir = join(scratchDir(), `${c.what.slice(0, 12).replace(/\W/g, '_')}.parts`);
      mkdirSync(dir, { recursive: true });
      const ctx = { name: 'qemu.log', diagnostics: new DiagnosticLog(), dir, progress: holdFirst() };
      const got = scanQemuFile(path, ctx, SIZE >> 1);
      const oneDiags = new DiagnosticLog();
      const one = buildQemu(path, 'qemu.log', oneDiags);
      assert.equal(got.pieces.length, 2, 'read in two parts');
      assert.equal(got.redone, c.redone, 'second part kept or read again');
      assert.deepEqual(got.extra, one.extra);
      assert.deepEqual(partRows(dir, got.pieces, got.lineBases), tableRows(one.table));
      assert.deepEqual(ctx.diagnostics.list(), oneDiags.list());
    });
  }
});
