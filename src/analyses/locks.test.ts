// The lockdep (lock_acquire/lock_release) and Breenix LOCK_* tests use generated inputs, written in
// the kernels' own formats: no real capture holds those (the Breenix samples ran without the lock
// provider, Debian kernels have no lockdep). The always-on lock:contention_begin/contention_end
// tracepoints are tested on REAL captures: test/fixtures/linux/*-lock-contention-ftrace-trace.txt.gz
// (scripts/fixtures/make-linux-fixtures.sh, scenario lock-contention: parallel writers, then a
// writer blocked on a frozen filesystem).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
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

/** Independent of the analysis: pair contention_begin/contention_end per (lock, pid) with plain string work. */
function contentionByHand(text: string) {
  const perLock = new Map<string, { begin: number; end: number }>();
  const open = new Map<string, { line: number; lock: string; pid: number }>();
  text.split('\n').forEach((l, i) => {
    const at = l.search(/ contention_(begin|end): /);
    if (at < 0 || l.startsWith('#')) return;
    const begin = l.includes(' contention_begin: ');
    const lock = l.slice(l.indexOf(': ', at) + 2).split(' ')[0];
    const pid = Number(/-(\d+)\s+\[/.exec(l)?.[1]);
    const n = perLock.get(lock) ?? { begin: 0, end: 0 };
    perLock.set(lock, n);
    if (begin) {
      n.begin++;
      open.set(`${lock}/${pid}`, { line: i + 1, lock, pid });
    } else {
      n.end++;
      open.delete(`${lock}/${pid}`);
    }
  });
  return { perLock, open: [...open.values()] };
}

for (const arch of ['x86_64', 'arm64']) {
  test(`real ${arch} lock:contention_begin/end (frozen fs): the one waiter never woken is reported, with its begin line`, async () => {
    const file = linux(`${arch}-lock-contention-ftrace-trace.txt.gz`);
    const text = gunzipSync(readFileSync(file)).toString('utf8');
    const hand = contentionByHand(text);
    const begins = [...hand.perLock.values()].reduce((a, n) => a + n.begin, 0);
    const ends = [...hand.perLock.values()].reduce((a, n) => a + n.end, 0);
    // Normal contention (many matched pairs) and exactly one begin left open: the writer on the frozen fs.
    assert.ok(ends > 20, `${ends} contention_end lines`);
    assert.equal(begins - ends, 1);
    assert.equal(hand.open.length, 1);
    const [w] = hand.open;
    const r = await diagnose(file, ['locks']);
    assert.equal(r.findings.length, 1, JSON.stringify(r.findings));
    const [f] = byCode(r, 'LOCK_WAIT_AT_END');
    assert.ok(f, JSON.stringify(r.findings));
    assert.equal(f.severity, 'error');
    assert.equal(f.data.lock, w.lock);
    assert.equal(f.data.pid, w.pid);
    assert.equal(f.data.task, 'sh');
    assert.equal(f.data.flags, 'READ|PERCPU');
    assert.equal(f.data.contention_begin, hand.perLock.get(w.lock)?.begin);
    assert.equal(f.data.contention_end, hand.perLock.get(w.lock)?.end);
    assert.ok((f.data.seconds_since as number) >= 1);
    assert.equal(f.evidence[0].line, w.line);
    assert.equal(f.evidence[0].text, text.split('\n')[w.line - 1].trim());
    assert.match(f.title, new RegExp(`sh-${w.pid} on ${w.lock}`));
  });

  test(`real ${arch} lock contention cut before the freeze: every begin has its end, nothing reported`, async () => {
    const text = gunzipSync(readFileSync(linux(`${arch}-lock-contention-ftrace-trace.txt.gz`))).toString('utf8');
    const lines = text.split('\n');
    const cut = lines.findIndex((l) => l.includes('tracing_mark_write: kscope: parallel writers end'));
    assert.ok(cut > 0);
    const trimmed = `${lines.slice(0, cut + 1).join('\n')}\n`;
    const hand = contentionByHand(trimmed);
    assert.ok(hand.perLock.size > 0);
    assert.deepEqual(hand.open, []);
    const r = await diagnose(writeScratch(`${arch}-lock-contention-cut.txt`, trimmed), ['locks']);
    assert.deepEqual(r.findings, []);
  });
}

test('real x86_64 ftrace capture (sched/irq/syscalls, no lock events) stays silent', async () => {
  assert.deepEqual(alarms(await diagnose(linux('x86_64-ftrace-trace.txt.gz'), ['locks'])), []);
});
