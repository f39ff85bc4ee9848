import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { PAIR_NEVER_FIRED_MIN } from './pairing.js';
import { alarms, breenix, breenixTraceLog, byCode, diagnose, linux, NO_BREENIX, removeScratch, writeScratch, type BreenixRow } from './testing.js';

after(removeScratch);

/**
 * A TII word stream by hand (the generator lives in gen/, which analyses may
 * not import; the CLI test uses it): `pairs` KERNEL_ENTRY/KERNEL_EXIT pairs
 * around a function call, plus `fastpathExits` exits without an entry spread
 * over the trace (the unhooked fastpath of seeds/004).
 */
function tiiStream(pairs: number, fastpathExits: number, duration: (i: number) => number): Buffer {
  const w: number[] = [];
  const fn = (id: number) => w.push((id << 1) | 1, id << 1);
  const step = fastpathExits > 0 ? Math.floor(pairs / fastpathExits) : Infinity;
  let extra = 0;
  for (let i = 0; i < pairs; i++) {
    // KERNEL_ENTRY: path Syscall (6), syscall Call (1); KERNEL_EXIT: duration in two words.
    w.push(0xffee, 6 | (1 << 3), i & 0xffff, 0);
    fn(300 + (i % 7));
    const d = duration(i);
    w.push(0xffea, d & 0xffff, d >>> 16);
    if (i % step === step - 1 && extra < fastpathExits) {
      extra++;
      fn(400);
      w.push(0xffea, 0, 0);
    }
  }
  return Buffer.from(new Uint16Array(w).buffer);
}

test('TII: exits without entries in mid-trace, all durations 0, INTERRUPT never fired (seeds/004)', async () => {
  const p = writeScratch('ftrace.bin', tiiStream(200, 20, () => 0));
  const r = await diagnose(p, ['pairing-latency']);
  const [u] = byCode(r, 'PAIR_UNPAIRED');
  assert.ok(u, JSON.stringify(r.findings.map((f) => f.code)));
  assert.equal(u.title, 'KERNEL_EXIT without a matching KERNEL_ENTRY');
  assert.equal(u.data.entries, 200);
  assert.equal(u.data.exits, 220);
  assert.equal(u.data.mid_trace_unpaired_exits, 20);
  assert.match(u.evidence[0].text, /KEXIT duration=0/);
  const [z] = byCode(r, 'PAIR_ALL_DURATIONS_ZERO');
  assert.match(z.title, /timing is not configured/);
  assert.equal(z.severity, 'warning');
  assert.ok(byCode(r, 'PAIR_PROBE_NEVER_FIRED').some((f) => f.title.startsWith('INTERRUPT never fired')));
  assert.equal(byCode(r, 'PAIR_LATENCY').length, 0, 'no latency from durations that are all 0');
});

test('TII: real durations give percentiles and a histogram', async () => {
  const p = writeScratch('ftrace2.bin', tiiStream(100, 0, (i) => 100 + i * 10));
  const r = await diagnose(p, ['pairing-latency']);
  const [l] = byCode(r, 'PAIR_LATENCY');
  const all = l.data.all as { count: number; min: number; max: number; p50: number; histogram: Record<string, number> };
  assert.equal(all.count, 100);
  assert.equal(all.min, 100);
  assert.equal(all.max, 1090);
  assert.equal(all.p50, 590);
  assert.equal(Object.values(all.histogram).reduce((a, b) => a + b, 0), 100);
  assert.deepEqual(byCode(r, 'PAIR_UNPAIRED'), []);
});

test('ftrace (real): syscalls and IRQ handlers pair up; the trace edges are not alarms', async () => {
  const r = await diagnose(linux('x86_64-ftrace-trace.txt.gz'), ['pairing-latency']);
  assert.deepEqual(alarms(r), []);
  const sys = byCode(r, 'PAIR_LATENCY').find((f) => f.title.startsWith('syscalls'));
  assert.ok(sys);
  // README: sys_enter 159, sys_exit 152.
  assert.equal(sys.data.entries, 159);
  assert.equal(sys.data.exits, 152);
  assert.equal(sys.data.pairs, 148);
  assert.equal(sys.data.mid_trace_unpaired_exits, 0);
  assert.match(sys.detail, /max 1\.028 s \(NR 61\)/);
  assert.equal(sys.evidence.length, 2, 'the slowest pair: its entry and its exit');
  assert.match(sys.evidence[0].text, /sys_enter: NR 61/);
  assert.match(sys.evidence[1].text, /sys_exit: NR 61/);
  const irq = byCode(r, 'PAIR_LATENCY').find((f) => f.title.startsWith('IRQ handlers'));
  assert.equal(irq?.data.pairs, 4);
  assert.ok((irq?.data.by_irq as Record<string, unknown>)['irq 4 ttyS0']);
});

test('function_graph (real): call durations per function', async () => {
  const r = await diagnose(linux('arm64-function-graph.txt.gz'), ['pairing-latency']);
  assert.deepEqual(alarms(r), []);
  const [f] = byCode(r, 'PAIR_LATENCY');
  assert.match(f.detail, /max 1\.997 ms \(ksys_read\)/);
  assert.match(f.evidence.at(-1)!.text, /\} \/\* ksys_read \*\//);
  assert.ok((f.data.by_function as Record<string, unknown>).seq_printf);
});

test('Breenix (real): SYSCALL_ENTRY/EXIT pairs in a ring dump', async (t) => {
  const p = breenix('607-576-serials__gate-clean100-cortexa72-boot37-stackpc-8600000e.txt');
  if (!p) return t.skip(NO_BREENIX);
  const r = await diagnose(p, ['pairing-latency']);
  assert.deepEqual(alarms(r), []);
  const [l] = byCode(r, 'PAIR_LATENCY');
  assert.equal(l.data.unit, 's');
  assert.deepEqual(Object.keys(l.data.by_syscall as object), ['nr 124']);
});

test('Breenix (generated): entries without exits, and an exit probe that never fired', async () => {
  const rows: BreenixRow[] = [];
  let ticks = 10_000;
  for (let i = 0; i < 40; i++) {
    rows.push({ cpu: 0, ticks: (ticks += 100), name: 'SYSCALL_ENTRY', payload: 1 + (i % 3) });
    // Every 4th syscall never logs its exit (a return path that skips the probe).
    if (i % 4 !== 3) rows.push({ cpu: 0, ticks: (ticks += 50), name: 'SYSCALL_EXIT', payload: 0 });
  }
  for (let i = 0; i < PAIR_NEVER_FIRED_MIN; i++) rows.push({ cpu: 1, ticks: (ticks += 100), name: 'IRQ_ENTRY', payload: 30 });
  const r = await diagnose(writeScratch('bsys.log', breenixTraceLog(rows)), ['pairing-latency']);
  const [u] = byCode(r, 'PAIR_UNPAIRED');
  assert.equal(u.title, 'SYSCALL_ENTRY without a matching SYSCALL_EXIT');
  assert.equal(u.data.mid_trace_unpaired_entries, 9);
  assert.equal(u.data.open_at_end, 1);
  const [n] = byCode(r, 'PAIR_PROBE_NEVER_FIRED');
  assert.equal(n.title, 'IRQ_EXIT never fired while IRQ_ENTRY did');
});
