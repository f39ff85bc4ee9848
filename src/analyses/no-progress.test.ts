import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { NO_PROGRESS_MIN_RESCHEDULES, NO_PROGRESS_MIN_USER_RETURNS } from './no-progress.js';
import { alarms, breenix, breenixTraceLog, byCode, diagnose, linux, NO_BREENIX, removeScratch, writeScratch, type BreenixRow } from './testing.js';

after(removeScratch);

test('x86_64: PID 1 spinning at 0x401619 under QEMU -d int is flagged at that pc', async () => {
  const r = await diagnose(linux('x86_64-spin-qemu-int.log.gz'), ['no-progress']);
  const [f] = byCode(r, 'NO_PROGRESS_INTERRUPTS');
  assert.equal(f.severity, 'error');
  assert.equal(f.data.pc, '0x401619');
  // README: 2828 records at pc=0000000000401619, all v=ec; the spin lasts until QEMU is killed.
  assert.equal(f.data.count, 2828);
  assert.equal(f.data.to_end, true);
  assert.ok(f.evidence.length >= 2);
  for (const e of f.evidence) assert.match(e.text, /v=ec .*cpl=3 IP=0033:0000000000401619 pc=0000000000401619/);
  assert.equal(r.findings.length, 1);
});

test('arm64: PID 1 spinning at 0x4006d4 is flagged on its CPU', async () => {
  const r = await diagnose(linux('arm64-spin-qemu-int.log.gz'), ['no-progress']);
  const [f] = byCode(r, 'NO_PROGRESS_INTERRUPTS');
  assert.equal(f.data.pc, '0x4006d4');
  assert.equal(f.data.cpu, 1);
  // README: 3463 IRQs taken from EL0 with ELR 0x4006d4, the first record of them at line 8985 (its ELR line is 8988).
  assert.equal(f.data.count, 3463);
  assert.equal(f.evidence[0].line, 8985);
  assert.match(f.evidence[0].text, /Taking exception 5 \[IRQ\] on CPU 1 from EL0 .*ELR 0x4006d4/);
});

test('normal boots under QEMU -d int: silent (the idle loop is kernel code)', async () => {
  for (const name of ['x86_64-qemu-int.log.gz', 'arm64-qemu-int.log.gz']) {
    const r = await diagnose(linux(name), ['no-progress']);
    assert.deepEqual(r.findings, [], name);
  }
});

// seeds/001: the child is rescheduled at RIP=0x10000018 forever; the parent moves on.
function seed001(cycles: number, childAdvances: boolean): string {
  const out = ['Fork: Child context set - RIP: 0x10000018, RSP: 0x555555593ff8, RAX: 0'];
  for (let i = 0; i < cycles; i++) {
    const rip = childAdvances && i === Math.floor(cycles / 2) ? '0x1000001d' : '0x10000018';
    out.push(
      'restore_userspace_thread_context: Restoring thread 5',
      `Restored userspace context for thread 5: RIP=${rip}, RSP=0x555555593ff8, RAX=0x0, CS=0x33, SS=0x2b, RFLAGS=0x10302`,
      'get_next_page_table: Current CR3=0x5fb000, switching to CR3=0x63e000',
      `SCHEDULER ENTRY: thread 5 RIP=${rip} CR3=0x63e000`,
      'Context switch on interrupt return: 5 -> 4',
      `Saved userspace context for thread 5: RIP=${rip}`,
      `SCHEDULER ENTRY: thread 4 RIP=0x${(0x10000059 + i).toString(16)} CR3=0x5fb000`,
    );
  }
  return `${out.join('\n')}\n`;
}

test('scheduler lines (seeds/001, generated): thread 5 stuck at RIP=0x10000018', async () => {
  const p = writeScratch('seed001.log', seed001(NO_PROGRESS_MIN_RESCHEDULES + 5, false));
  const r = await diagnose(p, ['no-progress']);
  const [f] = byCode(r, 'NO_PROGRESS_RESCHEDULED');
  assert.ok(f, JSON.stringify(r.findings));
  assert.equal(f.data.tid, 5);
  assert.equal(f.data.pc, '0x10000018');
  assert.equal(f.data.count, NO_PROGRESS_MIN_RESCHEDULES + 5, 'one count per cycle, not per line');
  assert.match(f.evidence[0].text, /thread 5: RIP=0x10000018/);
  // The parent (thread 4) progresses: never reported.
  assert.ok(!r.findings.some((x) => x.data.tid === 4));
});

test('scheduler lines: a thread whose pc moves on in between is not reported', async () => {
  const p = writeScratch('seed001-ok.log', seed001(NO_PROGRESS_MIN_RESCHEDULES + 5, true));
  const r = await diagnose(p, ['no-progress']);
  assert.deepEqual(r.findings, []);
});

test('Breenix trace (generated): a thread dispatched to EL0 at one ELR again and again', async () => {
  const rows: BreenixRow[] = [];
  let ticks = 1_000_000;
  for (let i = 0; i < NO_PROGRESS_MIN_USER_RETURNS + 2; i++) {
    // Two stages per dispatch, as the real CPU0_USER_DISPATCH probes print.
    for (const stage of [1, 2]) {
      rows.push({ cpu: 0, ticks: ticks++, name: 'CPU0_USER_DISPATCH_STAGE', payload: (stage << 16) | 7 });
      rows.push({ cpu: 0, ticks: ticks++, name: 'CPU0_USER_DISPATCH_ELR', payload: 0x10000018 });
      rows.push({ cpu: 0, ticks: ticks++, name: 'CPU0_USER_DISPATCH_SPSR', payload: 0x80000000 });
    }
    rows.push({ cpu: 0, ticks: (ticks += 150_000), name: 'TIMER_TICK', payload: i });
  }
  const r = await diagnose(writeScratch('eret.log', breenixTraceLog(rows)), ['no-progress']);
  const [f] = byCode(r, 'NO_PROGRESS_USER_RETURNS');
  assert.ok(f, JSON.stringify(r.findings));
  assert.equal(f.data.tid, 7);
  assert.equal(f.data.count, NO_PROGRESS_MIN_USER_RETURNS + 2, 'once per dispatch, not per stage');
  assert.equal(f.data.elr_low32, '0x10000018');
});

test('real Breenix captures with user dispatches (a yield loop) stay silent', async (t) => {
  const p = breenix('607-576-serials__gate-clean100-cortexa72-boot3-stackpc-8600000e.txt');
  if (!p) return t.skip(NO_BREENIX);
  const r = await diagnose(p, ['no-progress']);
  assert.deepEqual(alarms(r), []);
});
