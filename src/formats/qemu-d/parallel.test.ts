// Reading a QEMU -d log in two parts (a worker for the second) gives what one pass gives, event
// for event: the second part starts at a record start, and is read again when it took a CPU the
// first part's records had changed. Files are real fixture logs repeated past a lowered threshold.
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { assertTwoPartsAsOne } from '../../model/testing.js';
import { buildQemu } from './build.js';
import { scanQemuFile } from './parallel.js';
import { fixture, hasFixture, removeScratch, scratchDir, writeScratch } from '../fixture-files.js';
import { readFileSync } from 'node:fs';

after(removeScratch);

const SIZE = 8 << 20;
const X86 = 'x86_64-qemu-int.log';
const ARM = 'arm64-qemu-int.log';
const EXEC = 'x86_64-qemu-exec.log';
const text = (f: string) => readFileSync(fixture(f), 'latin1');
/** `head` once, then `fill` repeated to about SIZE bytes. */
const file = (name: string, head: string, fill: string) => writeScratch(name, Buffer.from(head + fill.repeat(Math.ceil((SIZE - head.length) / fill.length)), 'latin1'));

const cases: { what: string; expect: 'kept' | 'redone' | 'whole'; make: () => string }[] = [
  // x86 records name no CPU: the second part starts at an announcing line (`check_exception`, `Servicing hardware INT`).
  { what: 'x86: kept', expect: 'kept', make: () => file('x86.log', '', text(X86)) },
  // The second part starts at `Taking exception … on CPU n`, so what follows takes that CPU.
  { what: 'Arm and x86 logs one after the other: kept', expect: 'kept', make: () => file('mixed.log', '', text(ARM) + text(X86)) },
  // After the Arm head only x86 records: the second part's events took no CPU, one pass gives them the Arm head's last.
  { what: 'an Arm head, then x86 only: read again', expect: 'redone', make: () => file('arm-then-x86.log', text(ARM), text(X86)) },
  {
    // A lone `Servicing hardware INT` (real mode: no record follows) just before the `Trace N:` line a part starts at
    // keeps the CPU of its own time, whichever thread reads it. Real lines of the x86 logs, the Trace lines on CPUs 0 and 1.
    what: 'a pending announcing line before the line the second part starts at: kept',
    expect: 'kept',
    make: () => {
      const trace = text(EXEC).split('\n').find((l) => l.startsWith('Trace 0: ')) ?? '';
      const servicing = text(X86).split('\n').find((l) => l.startsWith('Servicing hardware INT=')) ?? '';
      return file('pending.log', '', `${trace}\n${servicing}\n${trace.replace('Trace 0: ', 'Trace 1: ')}\n${servicing}\n`);
    },
  },
];

describe('two parts read as one pass', () => {
  for (const c of cases) {
    test(c.what, { skip: ![X86, ARM, EXEC].every(hasFixture) }, () => {
      const path = c.make();
      const dir = join(scratchDir(), `${c.what.slice(0, 12).replace(/\W/g, '_')}.parts`);
      assertTwoPartsAsOne(dir, c.expect, (ctx) => scanQemuFile(path, ctx, SIZE >> 1), (diags) => buildQemu(path, 'input', diags));
    });
  }
});
