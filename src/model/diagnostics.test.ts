import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DiagnosticLog, formatDiagnostic, type Diagnostic } from './diagnostics.js';

const junk = (line: number): Diagnostic => ({ code: 'BINARY_JUNK', severity: 'warning', file: 'x.log', line, message: 'binary data' });

test('parts of one input merge with their folded repeats counted', () => {
  // Two threads' logs, each keeping 20 of its BINARY_JUNK lines.
  const a = new DiagnosticLog();
  for (let i = 1; i <= 30; i++) a.add(junk(i));
  a.add({ code: 'LONG_LINE', severity: 'warning', file: 'x.log', line: 7, message: 'long' });
  const b = new DiagnosticLog();
  for (let i = 1; i <= 25; i++) b.add(junk(100 + i));
  const all = new DiagnosticLog();
  all.absorb(a.list());
  all.absorb(b.list());
  const list = all.list();
  const kept = list.filter((d) => d.code === 'BINARY_JUNK');
  // What one log fed all 55 in order would keep: the first 20, the last of them carrying the total.
  assert.deepEqual(kept.map((d) => d.line), Array.from({ length: 20 }, (_, i) => i + 1));
  assert.equal(kept.at(-1)?.count, 55);
  assert.match(formatDiagnostic(kept.at(-1) as Diagnostic), /\(55 times in all\)$/);
  assert.equal(all.size, 56);
  assert.equal(list.find((d) => d.code === 'LONG_LINE')?.count, undefined);
});
