import { test, after } from 'node:test';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import assert from 'node:assert/strict';
import { IRQ_STORM_MIN_PER_S, RETURN_TIMER_MIN_SAMPLES } from './interrupt-timing.js';
import { alarms, breenix, byCode, diagnose, linux, NO_BREENIX, removeScratch, writeScratch } from './testing.js';

after(removeScratch);

const HEADER = ['# tracer: nop', '#', '#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION', '#              | |         |   |||||     |         |'];
function line(task: string, cpu: number, ts: number, flags: string, body: string): string {
  return `${task.padStart(16)}      [00${cpu}] ${flags}  ${ts.toFixed(6).padStart(12)}: ${body}`;
}

test('arm64 ftrace (real): rates per CPU and return-to-user → arch_timer gaps, no alarm', async () => {
  const r = await diagnose(linux('arm64-ftrace-trace.txt.gz'), ['interrupt-timing']);
  assert.deepEqual(alarms(r), []);
  const [rate] = byCode(r, 'IRQ_RATE');
  // README: 63 irq_handler_entry events (43 arch_timer, 16+4 IPI, 4 ttyS0… minus what the header cut).
  const per = rate.data.per_cpu as Record<string, { count: number }>;
  assert.equal(Object.values(per).reduce((a, c) => a + c.count, 0), 63);
  assert.equal((rate.data.by_irq as Record<string, number>)['irq 11 arch_timer'], 43);
  const [gap] = byCode(r, 'RETURN_TO_TIMER');
  assert.match(gap.detail, /returns to user followed by a timer interrupt on the same CPU: p50 .*the timer period is about 4\.0\d* ms/);
  assert.match(gap.evidence[0].text, /sys_exit: NR/);
  assert.match(gap.evidence[1].text, /irq_handler_entry: irq=11 name=arch_timer/);
});

test('generated: a timer that fires right after every return to user (seeds/001)', async () => {
  const lines = [...HEADER];
  let ts = 5;
  for (let i = 0; i < RETURN_TIMER_MIN_SAMPLES + 5; i++) {
    ts += 0.004;
    lines.push(line('child-5', 0, ts, '.....', 'sys_exit: NR 57 = 0'));
    lines.push(line('child-5', 0, ts + 0.000002, 'd.h..', 'irq_handler_entry: irq=11 name=arch_timer'));
    lines.push(line('child-5', 0, ts + 0.000005, 'd.h..', 'irq_handler_exit: irq=11 ret=handled'));
  }
  const r = await diagnose(writeScratch('immediate.txt', `${lines.join('\n')}\n`), ['interrupt-timing']);
  const [f] = byCode(r, 'TIMER_RIGHT_AFTER_RETURN');
  assert.ok(f, JSON.stringify(r.findings.map((x) => x.code)));
  assert.equal(f.severity, 'warning');
  assert.match(f.detail, /p50 2 µs/);
});

test('generated: an interrupt storm on one CPU', async () => {
  const lines = [...HEADER];
  // A quiet second or two, then one device fires 30k times within a second.
  for (let s = 0; s < 3; s++) for (let k = 0; k < 100; k++) lines.push(line('<idle>-0', 0, 1 + s + k / 100, 'd.h..', 'irq_handler_entry: irq=11 name=arch_timer'));
  const storm = IRQ_STORM_MIN_PER_S * 3;
  for (let k = 0; k < storm; k++) lines.push(line('<idle>-0', 0, 4.5 + k / (storm * 2), 'd.h..', 'irq_handler_entry: irq=47 name=virtio0'));
  const r = await diagnose(writeScratch('storm.txt', `${lines.join('\n')}\n`), ['interrupt-timing']);
  const [f] = byCode(r, 'IRQ_STORM');
  assert.ok(f, JSON.stringify(r.findings.map((x) => x.code)));
  assert.equal(f.data.cpu, 0);
  assert.equal((f.data.by_irq as Record<string, number>)['irq 47 virtio0'], storm);
  assert.match(f.evidence[0].text, /irq=47 name=virtio0/);
});

test('QEMU Arm log of the spinning PID 1: returns to EL0 interrupted at the very pc', async () => {
  const r = await diagnose(linux('arm64-spin-qemu-int.log.gz'), ['interrupt-timing']);
  const [f] = byCode(r, 'RETURN_TO_USER_INTERRUPTED');
  assert.equal(f.severity, 'info');
  // 3,271 of 3,451 in this capture: the rest are returns interrupted after the kernel took other work.
  assert.ok((f.data.interrupted_at_return_pc as number) >= 3000);
  assert.ok((f.data.interrupted_at_return_pc as number) / (f.data.returns as number) > 0.9);
});

test('Breenix (real): TIMER_TICK after user dispatches, no alarm', async (t) => {
  const p = breenix('607-576-serials__gate-clean100-cortexa72-boot3-stackpc-8600000e.txt');
  if (!p) return t.skip(NO_BREENIX);
  const r = await diagnose(p, ['interrupt-timing']);
  assert.deepEqual(alarms(r), []);
  const [g] = byCode(r, 'RETURN_TO_TIMER');
  assert.match(g.evidence[0].text, /CPU0_USER_DISPATCH_SPSR/);
  assert.match(g.evidence[1].text, /TIMER_TICK/);
});

/** The ftrace lines of a fixture as [cpu, ts, body], read independently of kscope's parser. */
function ftraceRows(name: string): { cpu: number; ts: number; flags: string; body: string }[] {
  const out: { cpu: number; ts: number; flags: string; body: string }[] = [];
  for (const l of gunzipSync(readFileSync(linux(name))).toString('latin1').split('\n')) {
    const m = /\[(\d{3})\] (\S{4,5}) +(\d+\.\d+): (.*)$/.exec(l);
    if (m) out.push({ cpu: Number(m[1]), ts: Number(m[3]), flags: m[2], body: m[4] });
  }
  return out;
}

test('x86_64 ftrace (real): a hrtimer re-armed every 20 µs is an interrupt storm on its CPU', async () => {
  const r = await diagnose(linux('x86_64-irq-storm-ftrace-trace.txt.gz'), ['interrupt-timing']);
  const [storm, ...more] = byCode(r, 'IRQ_STORM');
  assert.equal(more.length, 0, 'only the CPU the timer was pinned to storms');
  assert.equal(storm.severity, 'warning');
  assert.equal(storm.data.cpu, 1);
  const rows = ftraceRows('x86_64-irq-storm-ftrace-trace.txt.gz').filter((x) => x.body.startsWith('local_timer_entry:'));
  // The storm bin holds exactly the CPU 1 timer lines of its second, counted from the first interrupt of the trace.
  const t0 = rows[0].ts;
  const bins = storm.data.bins as number[];
  const k = bins.indexOf(Math.max(...bins));
  const inBin = rows.filter((x) => x.cpu === 1 && Math.floor(x.ts - t0) === k).length;
  assert.ok(inBin >= IRQ_STORM_MIN_PER_S, `${inBin} interrupts in the busiest second`);
  assert.equal(bins[k], inBin);
  assert.match(storm.detail, new RegExp(`CPU 1 took ${inBin.toLocaleString('en-US')} interrupts in 1 s`));
  assert.equal((storm.data.by_irq as Record<string, number>).local_timer, rows.length);
  assert.match(storm.evidence[0].text, /\[001\] .* local_timer_entry: vector=236/);
  // CPU 0 saw only its ordinary ticks: no storm there.
  const [rate] = byCode(r, 'IRQ_RATE');
  const per = rate.data.per_cpu as Record<string, { count: number }>;
  assert.equal(per['0'].count, rows.filter((x) => x.cpu === 0).length);
  assert.ok(per['0'].count < 200);
});

test('x86_64 ftrace (real): a syscall that returns with IRQs off gets the pending tick at once (seeds/001)', async () => {
  const r = await diagnose(linux('x86_64-timer-after-return-ftrace-trace.txt.gz'), ['interrupt-timing']);
  const [f] = byCode(r, 'TIMER_RIGHT_AFTER_RETURN');
  assert.ok(f, JSON.stringify(r.findings.map((x) => x.code)));
  assert.equal(f.severity, 'warning');
  // The 100 writes that return with IRQs disabled (flags d....) are each followed by a tick at the same µs.
  const rows = ftraceRows('x86_64-timer-after-return-ftrace-trace.txt.gz');
  let immediate = 0;
  for (let i = 1; i < rows.length; i++) {
    const a = rows[i - 1];
    const b = rows[i];
    if (a.body.startsWith('sys_exit:') && a.flags.startsWith('d') && b.body.startsWith('local_timer_entry:') && b.cpu === a.cpu && b.ts === a.ts) immediate++;
  }
  assert.ok(immediate >= 90, `${immediate} immediate ticks in the capture`);
  const samples = f.data.samples as { count: number; p50: number };
  assert.ok(samples.count >= immediate && samples.count < 2 * immediate, `${samples.count} samples`);
  assert.match(f.detail, /p50 0 µs/);
  assert.match(f.detail, /the timer period is about 4\.\d+ ms/);
  assert.match(f.evidence[0].text, /\[000\] d\.\.\.\. .* sys_exit: NR 1 = /);
  assert.match(f.evidence[1].text, /\[000\] d\.h\.\. .* local_timer_entry: vector=236/);
});
