// Detection from the head alone, and the reader's whole path in-process: build, write a bundle,
// open it and query events back.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { bundleOf } from '../fixture-files.js';
import { DiagnosticLog } from '../../model/diagnostics.js';
import { ftraceText } from './index.js';
import { LINUX_FIXTURES, fixture, hasFixture, removeScratch, scratchDir, textLines, traceOracle } from './testing.js';

after(removeScratch);

const head = (b: Buffer) => b.subarray(0, 4096);
const all = hasFixture('x86_64-ftrace-trace.txt') ? readdirSync(LINUX_FIXTURES).filter((f) => f.endsWith('.gz')) : [];
const isMine = (f: string) => /-(?:ftrace-trace\.txt|function-graph\.txt)\.gz$/.test(f);

test('trace files are detected from their first 4 KiB, without their name; also without the header', { skip: all.length === 0 }, () => {
  const mine = all.filter(isMine);
  assert.ok(mine.length >= 4);
  for (const f of mine) {
    const text = gunzipSync(readFileSync(join(LINUX_FIXTURES, f))).toString('latin1');
    assert.ok(ftraceText.detect(head(Buffer.from(text, 'latin1')), 'unknown.dat') >= 0.9, f);
    // trace_pipe output, or a file whose header was cut off: the lines alone decide.
    const bare = text
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .join('\n');
    assert.ok(ftraceText.detect(head(Buffer.from(bare, 'latin1')), 'unknown.dat') >= 0.8, `${f} without header`);
  }
});

test('console logs (even with a trace dumped inside) and QEMU logs are not taken', { skip: all.length === 0 }, () => {
  for (const f of all.filter((x) => !isMine(x))) {
    assert.equal(ftraceText.detect(head(gunzipSync(readFileSync(join(LINUX_FIXTURES, f)))), f), 0, f);
  }
  let x = 3;
  const junk = Buffer.alloc(4096, 0).map(() => (x = (x * 1103515245 + 12345) >>> 0) >>> 24);
  assert.equal(ftraceText.detect(Buffer.from(junk), 'x'), 0);
  assert.equal(ftraceText.detect(Buffer.alloc(0), 'x'), 0);
});

test('build → bundle → queries: filter by a tracepoint type, events by index', { skip: !hasFixture('arm64-ftrace-trace.txt') }, () => {
  const path = fixture('arm64-ftrace-trace.txt');
  const lines = textLines(path);
  const src = ftraceText.open(bundleOf(ftraceText, path, join(scratchDir(), 'bundle'), new DiagnosticLog(), 'trace'), path, undefined);
  const want = traceOracle(lines);
  assert.equal(src.count, want.lines.length);
  assert.deepEqual(src.summary().types, want.types);
  assert.equal(src.summary().ts_unit, 's');
  const irqs: number[] = [];
  src.filter('IRQ_HANDLER_ENTRY', 0, -1, (e) => {
    assert.match(lines[(e.line as number) - 1], /: irq_handler_entry: irq=\d+ name=/);
    assert.equal(e.fields.irq, Number(/irq=(\d+)/.exec(lines[(e.line as number) - 1])?.[1]));
    irqs.push(e.index);
  });
  assert.equal(irqs.length, want.types.IRQ_HANDLER_ENTRY);
  const e = src.event(irqs[0]);
  assert.equal(e.ts, Number(/(\d+\.\d+): irq_handler_entry/.exec(lines[(e.line as number) - 1])?.[1]));
  assert.equal(e.cpu, Number(/\[(\d{3})\]/.exec(lines[(e.line as number) - 1])?.[1]));
  src.close();
});
