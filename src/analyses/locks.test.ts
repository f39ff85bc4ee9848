// No real capture holds lock events: the Breenix samples have no LOCK_* trace ids (the lock
// provider was not enabled in those runs) and Debian kernels have no lockdep tracepoints.
// These tests therefore use generated inputs, written in the kernels' own formats; the
// real captures are used only to show the analysis stays silent.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { LOCK_HELD_MIN_EVENTS } from './locks.js';
import { alarms, breenix, breenixTraceLog, byCode, diagnose, linux, NO_BREENIX, removeScratch, writeScratch, type BreenixRow } from './testing.js';

after(removeScratch);

test('Breenix (generated, seeds/000): a lock held across a path that never returns, another CPU waiting', async () => {
  const rows: BreenixRow[] = [];
  let ticks = 1000;
  // Balanced use first: acquire/release pairs on both CPUs.
  for (let i = 0; i < 5; i++) {
    rows.push({ cpu: i % 2, ticks: (ticks += 10), name: 'LOCK_ACQUIRE', payload: 7 });
    rows.push({ cpu: i % 2, ticks: (ticks += 10), name: 'LOCK_RELEASE', payload: 7 });
  }
  // CPU 0 takes lock 7 and jumps to user space without dropping it; CPU 1 later tries to take it.
  rows.push({ cpu: 0, ticks: (ticks += 10), name: 'LOCK_ACQUIRE', payload: 7 });
  rows.push({ cpu: 0, ticks: (ticks += 10), name: 'CTX_SWITCH_TO_USER', payload: 1 });
  rows.push({ cpu: 1, ticks: (ticks += 10), name: 'LOCK_ACQUIRE', payload: 7 });
  rows.push({ cpu: 1, ticks: (ticks += 10), name: 'LOCK_CONTEND', payload: 7 });
  const r = await diagnose(writeScratch('lock.log', breenixTraceLog(rows)), ['locks']);
  const [f] = byCode(r, 'LOCK_HELD_AT_END');
  assert.ok(f, JSON.stringify(r.findings));
  assert.equal(f.severity, 'error');
  assert.equal(f.title, 'lock acquired and never released: lock_id 7');
  assert.equal(f.data.cpu, 0);
  assert.equal((f.data.waiters as number[]).length, 2);
  assert.match(f.evidence[0].text, /CPU0 .*LOCK_ACQUIRE lock_id=7/);
  assert.match(f.evidence[1].text, /CPU1 .*LOCK_ACQUIRE lock_id=7/);
});

test('Breenix (generated): balanced locks and a lock taken just before the dump are not reported', async () => {
  const rows: BreenixRow[] = [];
  let ticks = 1000;
  for (let i = 0; i < 50; i++) {
    rows.push({ cpu: 0, ticks: (ticks += 10), name: 'LOCK_ACQUIRE', payload: i % 4 });
    rows.push({ cpu: 0, ticks: (ticks += 10), name: 'LOCK_RELEASE', payload: i % 4 });
  }
  rows.push({ cpu: 0, ticks: (ticks += 10), name: 'LOCK_ACQUIRE', payload: 2 });
  rows.push({ cpu: 0, ticks: (ticks += 10), name: 'TIMER_TICK', payload: 1 });
  const r = await diagnose(writeScratch('lock-ok.log', breenixTraceLog(rows)), ['locks']);
  assert.deepEqual(r.findings, []);
});

function ftraceLine(cpu: number, ts: number, body: string): string {
  return `            sh-94      [00${cpu}] .....  ${ts.toFixed(6).padStart(12)}: ${body}`;
}

test('ftrace lockdep events (generated): a lock never released long before the end', async () => {
  const lines = ['# tracer: nop', '#', '#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION', '#              | |         |   |||||     |         |'];
  let ts = 10;
  lines.push(ftraceLine(0, (ts += 0.001), 'lock_acquire: 00000000a1b2c3d4 &sb->s_type->i_mutex_key#3'));
  lines.push(ftraceLine(0, (ts += 0.001), 'lock_acquire: 00000000deadbeef read rcu_read_lock'));
  lines.push(ftraceLine(0, (ts += 0.001), 'lock_release: 00000000deadbeef rcu_read_lock'));
  for (let i = 0; i < LOCK_HELD_MIN_EVENTS; i++) lines.push(ftraceLine(1, (ts += 0.001), `sched_wakeup: comm=kworker pid=${i} prio=120 target_cpu=001`));
  const r = await diagnose(writeScratch('lockdep.txt', `${lines.join('\n')}\n`), ['locks']);
  const [f] = byCode(r, 'LOCK_HELD_AT_END');
  assert.ok(f, JSON.stringify(r.findings));
  assert.equal(f.severity, 'warning');
  assert.equal(f.title, 'lock acquired and never released: &sb->s_type->i_mutex_key#3');
  assert.equal(f.data.events_since, LOCK_HELD_MIN_EVENTS + 2);
  assert.ok((f.data.seconds_since as number) > 1);
});

test('real captures without lock events stay silent', async (t) => {
  assert.deepEqual(alarms(await diagnose(linux('arm64-ftrace-trace.txt.gz'), ['locks'])), []);
  const p = breenix('607-576-serials__gate-starved100-max-boot3-disagreeing-pair-613.txt');
  if (!p) return t.skip(NO_BREENIX);
  assert.deepEqual((await diagnose(p, ['locks'])).findings, []);
});
