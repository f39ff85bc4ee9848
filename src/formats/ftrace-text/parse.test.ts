// One parser per test, on single lines in the shapes the kernel prints.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FieldValue } from '../../model/event.js';
import { Code, EVENT_BODY, eventNameEnd, flagFields, functionEnd, FUNCTION_BODY, keyValues, parseEventLine, parseGraphLine, syscallFields, TraceLine } from './parse.js';
import { rng } from '../../util/rng.js';

test('event line: default columns (6.x, five flag characters)', () => {
  const e = parseEventLine('          <idle>-0       [000] dNs4.     2.729096: sched_wakeup: comm=rcu_preempt pid=15 prio=120 target_cpu=000');
  assert.deepEqual(e, { task: '<idle>', pid: 0, tgid: null, cpu: 0, flags: 'dNs4.', ts: 2.729096, tsText: '2.729096', body: 'sched_wakeup: comm=rcu_preempt pid=15 prio=120 target_cpu=000' });
});

test('event line: tgid column, unknown tgid, 4-character flags (older kernels)', () => {
  const e = parseEventLine('            bash-1977    ( 1977) [002] ...1 17284.993652: sys_close <-system_call_fastpath');
  assert.equal(e?.tgid, 1977);
  assert.equal(e?.flags, '...1');
  assert.equal(e?.body, 'sys_close <-system_call_fastpath');
  assert.equal(parseEventLine('          <idle>-0       (-------) [001] d..2.  1090.497584: cpu_idle: state=1 cpu_id=1')?.tgid, null);
});

test('event line: irq-info off (no flags), counter clock, comm with spaces and dashes', () => {
  const e = parseEventLine(' Web Content-x-1-12345 [003] 123456789: tracing_mark_write: hello');
  assert.equal(e?.task, 'Web Content-x-1');
  assert.equal(e?.pid, 12345);
  assert.equal(e?.flags, '');
  assert.equal(e?.tsText, '123456789');
  assert.equal(parseEventLine('# tracer: nop'), null);
  assert.equal(parseEventLine(' 1)   1.234 us    |  foo();'), null);
});

test('graph line: leaf, entry, exit with overhead marks; depth from indentation', () => {
  const leaf = parseGraphLine(' 1) + 41.522 us   |      __fget_light();');
  assert.equal(leaf?.code, Code.LEAF);
  assert.equal(leaf?.name, '__fget_light');
  assert.equal(leaf?.depth, 2);
  assert.equal(leaf?.duration, 41.522);
  assert.equal(leaf?.overhead, '+');
  assert.equal(leaf?.cpu, 1);
  const entry = parseGraphLine(' 0)               |  ksys_read() {');
  assert.equal(entry?.code, Code.ENTRY);
  assert.equal(entry?.depth, 0);
  assert.ok(Number.isNaN(entry?.duration));
  const exit = parseGraphLine(' 0) # 2730.933 us |  }');
  assert.equal(exit?.code, Code.EXIT);
  assert.equal(exit?.duration, 2730.933);
  assert.equal(exit?.name, '');
});

test('graph line: funcgraph-tail and funcgraph-retval notes, abs time and proc columns, comments', () => {
  assert.equal(parseGraphLine(' 0) + 47.504 us   |      } /* __fget_light */')?.name, '__fget_light');
  const rv = parseGraphLine(' 0)   0.250 us    |    } /* vfs_read = 0x5 */');
  assert.deepEqual([rv?.name, rv?.retval], ['vfs_read', '0x5']);
  assert.equal(parseGraphLine(' 0)   0.250 us    |    kfree(); /* = 0x0 */')?.retval, '0x0');
  const full = parseGraphLine('  123.456789 |   1)    bash-1234    |   3.100 us    |    kmalloc();');
  assert.deepEqual([full?.ts, full?.cpu, full?.proc, full?.duration, full?.depth], [123.456789, 1, 'bash-1234', 3.1, 1]);
  const c = parseGraphLine(' 1)               |      /* sched_switch: prev_comm=a prev_pid=1 */');
  assert.deepEqual([c?.code, c?.depth, c?.name], [Code.COMMENT, 1, 'sched_switch: prev_comm=a prev_pid=1']);
  // Durations of 10 s and more lose their decimals (trace_print_graph_duration).
  assert.equal(parseGraphLine(' 0) $ 12345678 us |  }')?.duration, 12345678);
});

test('key=value fields: values with spaces, sched_switch arrow, numbers, reserved names', () => {
  const f: Record<string, FieldValue> = {};
  keyValues('prev_comm=Web Content prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=rcu_preempt next_pid=15 cpu=1 target_cpu=000', f);
  assert.deepEqual(f, { prev_comm: 'Web Content', prev_pid: 0, prev_prio: 120, prev_state: 'R', next_comm: 'rcu_preempt', next_pid: 15, field_cpu: 1, target_cpu: 0 });
  const g: Record<string, FieldValue> = {};
  keyValues('irq=11 name=arch_timer addr=0xffff0000', g);
  assert.deepEqual(g, { irq: 11, name: 'arch_timer', addr: '0xffff0000' });
});

test('raw_syscalls and the flags column', () => {
  const f: Record<string, FieldValue> = {};
  assert.ok(syscallFields('NR 257 (ffffff9c, 3583bf38, 241, 1b6, 7, 3583c270)', f));
  assert.deepEqual(f, { nr: 257, args: 'ffffff9c, 3583bf38, 241, 1b6, 7, 3583c270' });
  const g: Record<string, FieldValue> = {};
  assert.ok(syscallFields('NR 33 = -2', g));
  assert.deepEqual(g, { nr: 33, ret: -2 });
  const h: Record<string, FieldValue> = {};
  flagFields('dNh2.', h);
  assert.deepEqual(h, { flags: 'dNh2.', irqs_off: true, need_resched: true, context: 'hardirq', preempt_depth: 2 });
});

test('eventNameEnd and functionEnd take what EVENT_BODY and FUNCTION_BODY take, on shapes and on generated near-misses', () => {
  const bodies = ['sched_switch: prev_comm=a', 'sys_enter: NR 1', 'x:', '_a9: ', 'sys_close <-system_call', '9abc: no', 'a b: no', 'name:\rrest', 'name: a\nb', 'tracing_mark_write: hello', ':x', ''];
  bodies.push('do_sys_open+0x0/0x40 <-__x64_sys_openat', 'f <-p  ', 'f <-', ' f <-p', 'f <-p q', 'f\t<-p', 'f <-p\xa0', 'f  <-p');
  const rand = rng(11);
  // Latin1 text, as the indexer reads lines: one character per byte.
  const parts = ['a', 'Z', '_', '9', ':', ' ', '-', '<', '<-', '+', '\t', '\xa0', '\r', '\n', 'é', 'sched_', 'x'.repeat(40), 'sys_enter: ', 'irq: '];
  for (let n = 0; n < 20_000; n++) {
    let b = '';
    for (let k = 1 + Math.floor(rand() * 6); k > 0; k--) b += parts[Math.floor(rand() * parts.length)];
    bodies.push(b);
  }
  let named = 0;
  let functions = 0;
  for (const b of bodies) {
    // Behind a prefix, as in a line: positions are the buffer's.
    const buf = Buffer.from(`xx${b}`, 'latin1');
    const t = new TraceLine().set(buf, 0, buf.length);
    const want = EVENT_BODY.exec(b)?.[1] ?? null;
    const end = eventNameEnd(t, 2);
    assert.equal(end < 0 ? null : buf.toString('latin1', 2, end), want, JSON.stringify(b));
    if (want) named++;
    const fn = FUNCTION_BODY.exec(b)?.[1] ?? null;
    const fend = functionEnd(t, 2);
    assert.equal(fend < 0 ? null : buf.toString('latin1', 2, fend), fn, JSON.stringify(b));
    if (fn) functions++;
  }
  assert.ok(named > 1000, `only ${named} bodies had a name`);
  assert.ok(functions > 50, `only ${functions} bodies were function lines`);
});

test('event line: timestamps read from their digits equal Number() of the text, long and odd ones included', () => {
  const rand = rng(5);
  const texts = ['5.', '.5', '0005.100000', '12345.678901', '123456789.123456', '1234567890123456.5', '98765432109876543', '0.000001'];
  for (let n = 0; n < 20_000; n++) {
    const int = String(Math.floor(rand() * 10 ** Math.floor(rand() * 12)));
    const frac = Array.from({ length: Math.floor(rand() * 10) }, () => String(Math.floor(rand() * 10))).join('');
    texts.push(rand() < 0.1 ? int : `${int}.${frac}`);
  }
  for (const ts of texts) {
    const e = parseEventLine(`           <...>-0123    [001] d..1. ${ts}: sys_enter: NR 1`);
    assert.ok(e, ts);
    assert.equal(e.ts, Number(ts), ts);
    assert.equal(e.tsText, ts);
    assert.equal(e.pid, 123);
    // function_graph durations (a digit first) are read the same way.
    if (/^\d/.test(ts)) assert.equal(parseGraphLine(` 1) ! ${ts} us    |      fn();`)?.duration, Number(ts), ts);
  }
  assert.ok(Number.isNaN(parseGraphLine(' 1)   1.2.3 us    |      fn();')?.duration), 'two dots read as Number() reads them');
});
