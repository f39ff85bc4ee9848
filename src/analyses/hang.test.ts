import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { breenix, breenixTraceLog, byCode, diagnose, linux, NO_BREENIX, removeScratch, writeScratch } from './testing.js';

after(removeScratch);

test('a Debian kernel whose PID 1 spins: the log stops after "Run /spin as init process"', async () => {
  const r = await diagnose(linux('x86_64-spin.log.gz'), ['hang']);
  const [f] = byCode(r, 'HANG_NO_VERDICT');
  assert.equal(f.severity, 'warning');
  assert.equal(f.data.last_line, 366);
  assert.deepEqual(f.data.milestone, { line: 366, text: '[    4.318173] Run /spin as init process' });
  assert.equal(f.evidence[0].line, 366);
  assert.ok(f.evidence.some((e) => e.line === 365), 'the last lines are evidence too');
});

test('silent when the log ends in a shutdown, a crash, or after a verdict', async (t) => {
  for (const name of ['x86_64-boot.log.gz', 'arm64-boot.log.gz', 'x86_64-panic.log.gz', 'arm64-init-exit.log.gz', 'x86_64-oops-panic.log.gz']) {
    const r = await diagnose(linux(name), ['hang']);
    assert.deepEqual(r.findings, [], name);
  }
  const green = breenix('p5b-serials__589-fulltest-phase1c-20260817-230637.txt');
  if (!green) return t.skip(NO_BREENIX);
  assert.deepEqual((await diagnose(green, ['hang'])).findings, []);
});

test('a Breenix run that only prints heartbeats at the end: the last new output is named', async (t) => {
  const p = breenix('584-serials__prod-profile-mutation-red-untimed-driver.txt');
  if (!p) return t.skip(NO_BREENIX);
  const [f] = byCode(await diagnose(p, ['hang']), 'HANG_NO_VERDICT');
  assert.equal(f.data.last_new_line, 277);
  assert.match(f.detail, /Last new output: line 277 “\[net-rx-counters\] sample=1 end”; after it only repeats/);
  assert.equal(f.data.last_line, 529);
});

test('seeds/000 (generated): the test that started and never finished, and the last trace events per CPU', async () => {
  const before = [
    '  Breenix ARM64 Kernel Starting',
    '[BOOT_TESTS:START]',
    '[TEST:process:fork_basic:START]',
    '[TEST:process:fork_basic:PASS]',
    '[TEST:process:exec_from_ext2:START]',
  ];
  // The byte markers of the exec path (D D D E N O 1), then nothing: the trace ring dumped after the hang.
  const rows = [...'DDDENO1'].map((ch, i) => ({ cpu: 0, ticks: 1000 + i, name: 'MARKER_A', payload: ch.charCodeAt(0) }));
  rows.push({ cpu: 1, ticks: 900, name: 'TIMER_TICK', payload: 41 }, { cpu: 1, ticks: 1900, name: 'TIMER_TICK', payload: 42 });
  const heartbeats = Array.from({ length: 20 }, (_, i) => `[heartbeat] tid=9 uptime_ms=${1000 * (i + 1)} kbd_nonzero=0`);
  const p = writeScratch('seed000.log', breenixTraceLog(rows, before, heartbeats));
  const [f] = byCode(await diagnose(p, ['hang']), 'HANG_NO_VERDICT');
  assert.ok(f);
  assert.deepEqual(f.data.open_tests, [{ test: 'process:exec_from_ext2', line: 5 }]);
  assert.match(f.detail, /Test process:exec_from_ext2 started at line 5 and never reported a verdict/);
  const trace = f.data.last_trace_events as Record<string, number[]>;
  assert.deepEqual(Object.keys(trace), ['0', '1']);
  assert.equal(trace['0'].length, 3);
  const texts = f.evidence.map((e) => e.text).join('\n');
  assert.match(texts, /MARKER_A user_data=79\n.*MARKER_A user_data=49/, 'the last markers of CPU 0: O then 1');
  assert.match(f.detail, /after it only repeats of lines seen before/);
});
