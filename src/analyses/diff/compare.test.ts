import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffRuns, redGreen, SYNC_ENTRIES } from './compare.js';

const dir = mkdtempSync(join(tmpdir(), 'kscope-diff-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const bundles = join(dir, 'bundles');

function log(name: string, lines: string[]): string {
  const p = join(dir, name);
  writeFileSync(p, lines.join('\n') + '\n');
  return p;
}

/** A boot log of `n` printk lines whose timestamps, pids and addresses vary with `seed`. */
function boot(seed: number, n = 40): string[] {
  return Array.from({ length: n }, (_, i) => `[${(i * 0.013 + seed / 7).toFixed(6)}] step ${String.fromCharCode(97 + (i % 26))}${Math.floor(i / 26)} pid=${100 + seed} at 0xffff8880${(seed * 4096 + i).toString(16).padStart(8, '0')}`);
}

test('two boots that differ only in masked values are identical', async () => {
  const r = await diffRuns(log('a.log', boot(1)), log('b.log', boot(2)), { bundleDir: bundles });
  assert.equal(r.identical, true);
  assert.equal(r.first_difference, null);
  assert.equal(r.only_in_a.total + r.only_in_b.total, 0);
});

test('a panic at the end: first difference and divergence there, lines only in B listed with their line numbers', async () => {
  const a = boot(1).concat(['[5.0] reboot: Power down']);
  const b = boot(3).concat(['[5.1] Kernel panic - not syncing: Attempted to kill init!', '[5.2] CPU: 0 PID: 1 Comm: init', '[5.3] ---[ end Kernel panic ]---']);
  const r = await diffRuns(log('boot.log', a), log('panic.log', b), { bundleDir: bundles });
  assert.equal(r.identical, false);
  assert.equal(r.first_difference?.a.line, 41);
  assert.equal(r.first_difference?.b.line, 41);
  assert.equal(r.divergence?.b.line, 41);
  assert.match(r.divergence?.b.entries[0].text ?? '', /Kernel panic/);
  assert.equal(r.divergence?.last_common?.a.line, 40);
  assert.equal(r.only_in_b.total, 3);
  // The panic ranks first: it is the most severe.
  assert.match(r.only_in_b.entries[0].example, /Kernel panic/);
  assert.deepEqual(r.only_in_b.entries[0].at, [41]);
  assert.equal(r.crashes?.only_in_b.length, 1);
  assert.equal(r.crashes?.only_in_b[0].kind, 'panic');
});

test('lines that only moved are not the first difference; a difference in the middle that re-synchronizes is not a divergence', async () => {
  const base = boot(1, 60).map((l) => l.replace(/^\[[^\]]*\] /, ''));
  const moved = [...base];
  // Swap two lines near the start (parallel output) and change one in the middle.
  [moved[3], moved[4]] = [moved[4], moved[3]];
  moved[30] = 'step changed here';
  const r = await diffRuns(log('m1.log', base), log('m2.log', moved), { bundleDir: bundles });
  assert.ok(r.reordered >= 1);
  assert.equal(r.first_difference?.a.line, 31);
  assert.equal(r.first_difference?.b.entries[0].text, 'step changed here');
  assert.ok(60 - 31 >= SYNC_ENTRIES);
  assert.equal(r.divergence, null);
});

test('red/green: the line every red run has and no green run has, with its line in each red run', async () => {
  const common = boot(1, 30).map((l) => l.replace(/^\[[^\]]*\] /, ''));
  const red1 = [...common.slice(0, 10), '[ISSUE831] *** debug-write hits CODE page 0x1234 ***', ...common.slice(10), 'noise only in red1'];
  const red2 = [...common.slice(0, 20), '[ISSUE831] *** debug-write hits CODE page 0x9999 ***', ...common.slice(20)];
  const green1 = [...common, 'noise only in red1'];
  const green2 = common;
  const r = await redGreen([log('r1.log', red1), log('r2.log', red2)], [log('g1.log', green1), log('g2.log', green2)], { bundleDir: bundles });
  assert.equal(r.total, 1);
  assert.equal(r.entries[0].example, '[ISSUE831] *** debug-write hits CODE page 0x1234 ***');
  assert.deepEqual(r.entries[0].red.map((h) => h.at), [[11], [21]]);
});

test('artifacts of different kinds are refused, naming both formats', async () => {
  const bin = join(dir, 'ftrace.bin');
  writeFileSync(bin, Buffer.from(new Uint16Array([0x0201, 0x0200, 0xffee, 1, 2, 3, 0xffea, 0, 0]).buffer));
  await assert.rejects(diffRuns(log('x.log', boot(1)), bin, { bundleDir: bundles }), /x\.log \(console-log\) with .*ftrace\.bin \(tii-ftrace\)/);
});
