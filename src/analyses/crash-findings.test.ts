import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { alarms, breenix, byCode, diagnose, linux, NO_BREENIX, removeScratch } from './testing.js';

after(removeScratch);

test('a Linux panic is an error finding at its line, with its stable title', async () => {
  const r = await diagnose(linux('x86_64-panic.log.gz'), ['crashes']);
  const [p] = byCode(r, 'CRASH_PANIC');
  assert.equal(p.id, 'crashes');
  assert.equal(p.severity, 'error');
  assert.equal(p.title, 'Kernel panic - not syncing: sysrq triggered crash');
  assert.deepEqual(p.evidence, [{ line: 364, text: 'Kernel panic - not syncing: sysrq triggered crash' }]);
  assert.match(p.detail, /panic at line 364-397, CPU \d, task init \(pid 1\)/);
  assert.equal((p.data.crash as { line: number }).line, 364);
});

test('a hung task is a warning; an oops that led to a panic is an error', async () => {
  const h = await diagnose(linux('x86_64-hung-task.log.gz'), ['crashes']);
  const [ht] = byCode(h, 'CRASH_HUNG_TASK');
  assert.equal(ht.severity, 'warning');
  assert.equal(ht.evidence[0].line, 373);
  const o = await diagnose(linux('arm64-oops-panic.log.gz'), ['crashes']);
  const [oops] = byCode(o, 'CRASH_OOPS');
  assert.equal(oops.severity, 'error');
  assert.match(oops.detail, /A panic followed/);
});

test('a Breenix data abort: fault finding with the ESR decoded', async (t) => {
  const p = breenix('p5b-serials__dataabort-schedule-from-kernel-cortexa72-boot55.txt');
  if (!p) return t.skip(NO_BREENIX);
  const r = await diagnose(p, ['crashes']);
  const [f] = byCode(r, 'CRASH_FAULT');
  assert.equal(f.severity, 'error');
  assert.equal(f.title, 'DATA_ABORT ESR=0x96000005 (DFSC translation fault L1) at kernel');
  assert.equal(f.evidence[0].line, 731);
  assert.match(f.detail, /ESR 0x96000005: DABT \(current EL\), translation fault L1/);
  assert.match(f.detail, /The log ends inside this report/);
});

test('clean boots have no crash findings', async () => {
  for (const name of ['x86_64-boot.log.gz', 'arm64-boot.log.gz']) {
    const r = await diagnose(linux(name), ['crashes']);
    assert.deepEqual(r.findings, [], name);
  }
});

test('crashes only reads console text: a QEMU log or trace gives none', async () => {
  const r = await diagnose(linux('x86_64-ftrace-trace.txt.gz'), ['crashes']);
  assert.deepEqual(alarms(r), []);
});
