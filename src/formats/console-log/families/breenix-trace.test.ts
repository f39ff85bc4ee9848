// The Breenix trace-dump family on its own: line grammar, garble rejection, timestamps,
// ring headers, counters/providers/summary, and the summary extras it hands console-log.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newScratch, type RowScratch } from '../../../model/event-table.js';
import { breenixTrace, garbledReason, newEventScan, scanEventLine } from './breenix-trace.js';
import { LineView } from '../family.js';

const T = Object.fromEntries(breenixTrace.types.map((n, i) => [n, i])) as Record<string, number>;

interface Run {
  types: number[];
  rows: RowScratch[];
  extras: Record<string, unknown>;
}

/** Feeds lines through one fresh matcher, as one indexing pass does. */
function run(lines: string[]): Run {
  const m = breenixTrace.create();
  const types: number[] = [];
  const rows: RowScratch[] = [];
  for (const l of lines) {
    const row = newScratch();
    types.push(m(LineView.of(l), row));
    rows.push(row);
  }
  return { types, rows, extras: breenixTrace.summarize?.([m.state?.()]) ?? {} };
}

function trace(extras: Record<string, unknown>): Record<string, unknown> {
  return extras.breenix_trace as Record<string, unknown>;
}

// The three lines breenix.md §1.7 quotes, verbatim.
const DOC = [
  '[TRACE] === CPU 3 Buffer ===',
  '[TRACE] Events: 1024 (write_idx=791217, dropped=790193)',
  '[TRACE] CPU3 idx=689 ts=571473687 type=0xff46 SCHED_DIAG_STAGE stage<<16|tid=65543',
  '[TRACE] CPU3 idx=690 ts=571473750 type=0xff47 SCHED_DIAG_TID_PAIR old_tid<<16|new_tid=458752',
  '[TRACE] CPU3 idx=691 ts=571473750 type=0xff48 SCHED_DIAG_FLAGS flags=2',
];

describe('breenix-trace family: event line grammar', () => {
  test('the documented lines scan, with the label split on its last "="', () => {
    const s = newEventScan();
    assert.ok(scanEventLine(LineView.of(DOC[3]), s));
    assert.deepEqual([s.cpu, s.slot, s.ticks, s.id, s.payload, s.flags], [3, 690, 571473750, 0xff47, 458752, -1]);
    assert.equal(DOC[3].slice(s.labelStart, s.labelEnd), 'old_tid<<16|new_tid');
    assert.ok(scanEventLine(LineView.of(DOC[4]), s));
    assert.equal(DOC[4].slice(s.labelStart, s.labelEnd), 'flags');
    assert.equal(s.payload, 2);
    assert.ok(scanEventLine(LineView.of('[TRACE] CPU2 idx=551 ts=25500625 type=0xff49 FATAL_CPU_TRACE_MARKER kind=0 flags=0x1'), s));
    assert.equal(s.flags, 1);
  });

  test('lines that break the grammar do not scan', () => {
    const s = newEventScan();
    for (const bad of [
      '[TRACE] CPU2 idx=75:START]',
      '[TRACE] CPU2 idx=744 ts=21970625 [SUBSYtype=0xff41 CTX_DIAG_FRSAME_X30 frame_x30_low32=0',
      '[TRACE] CPU0 idx=7480 ts=93893811000 tySpe=0xff43 CTX_DIAG_THREAD_X30 thread_context_x30_low32=1078383380', // slot > 1023
      '[TRACE] CPU0 idx=739 ts=3893634000 type=0xff42 CTX_DIAG_THREAD_ELR thread_context_elr_low32=17078160152', // payload > u32
      '[TRACE] CPU2 idx=754 ts=21971937 type=0xff48 SCHED_DIAG_FLAGS flags=21474inte83648r',
      '[TRACE] CPU3 idx=1 ts=5 type=0xFF46 SCHED_DIAG_STAGE stage<<16|tid=1', // upper-case hex is not what the kernel prints
      '[TRACE] CPU3 idx=1 ts=5 type=0xff46 SCHED_DIAG_STAGE stage<<16|tid=1 flags=0x',
      '[TRACE] CPU3 idx=1 ts=5 type=0xff46 SCHED_DIAG_STAGE stage<<16|tid=',
    ]) {
      assert.equal(scanEventLine(LineView.of(bad), s), false, bad);
    }
  });

  test('characters inserted into a known name or label make the line garbled; a renamed type does not', () => {
    const s = newEventScan();
    const check = (line: string) => {
      assert.ok(scanEventLine(LineView.of(line), s), line);
      return garbledReason(LineView.of(line), s);
    };
    assert.match(check('[TRACE] CPU2 idx=144 ts=627939812 type=0xff42 CTX_DIAG_THREAD_ELR thread_coneattext_elr_low32=65542') ?? '', /label/);
    assert.match(check('[TRACE] CPU0 idx=733 ts=3893552000 type=0xff3c DEFER_REQUEUE_X30 4x350_low32=1078383380') ?? '', /label/);
    assert.match(check('[TRACE] CPU1 idx=5 ts=9 type=0xff43 CTX_DIA3G_THREAD_X30 thread_context_x30_low32=1') ?? '', /name/);
    assert.match(check('[TRACE] CPU1 idx=5 ts=9 type=0x0012 UNKNOWN Tpayload=1') ?? '', /UNKNOWN/);
    assert.equal(check(DOC[2]), null);
    assert.equal(check('[TRACE] CPU1 idx=5 ts=9 type=0x0012 UNKNOWN payload=1'), null);
    // Another kernel version may name an id differently: not evidence of garbling.
    assert.equal(check('[TRACE] CPU1 idx=5 ts=9 type=0xff46 SOMETHING_ELSE x=1'), null);
    assert.equal(check('[TRACE] CPU1 idx=5 ts=9 type=0x7777 NEW_PROBE whatever=1'), null);
  });
});

describe('breenix-trace family: classification', () => {
  test('ring dump: events with cpu, ticks and type id; header values in the summary', () => {
    const r = run(['[TRACE] ====== TRACE BUFFER DUMP ======', '[TRACE] Tracing enabled: yes', ...DOC, '[TRACE] === CPU 4 Buffer ===', '[TRACE] Events: 0 (write_idx=0, dropped=0)', '[TRACE] (empty)', '[TRACE] ====== END TRACE DUMP ======']);
    assert.deepEqual(r.types, [T.TRACE_META, T.TRACE_META, T.TRACE_META, T.TRACE_META, T.TRACE_EVENT, T.TRACE_EVENT, T.TRACE_EVENT, T.TRACE_META, T.TRACE_META, T.TRACE_META, T.TRACE_META]);
    const e = r.rows[4];
    assert.deepEqual([e.cpu, e.ts, e.aux, e.sub], [3, 571473687, 0xff46, 'TRACE']);
    const bt = trace(r.extras);
    assert.equal(bt.ts_unit, 'ticks');
    assert.equal(r.extras.ts_unit, 'ticks');
    assert.deepEqual(bt.events_per_cpu, { '3': 3 });
    assert.deepEqual((bt.cpus as Record<string, unknown>)['3'], { events: 3, write_idx: 791217, dropped: 790193, ring_events: 1024, parsed: 3 });
    assert.deepEqual((bt.cpus as Record<string, unknown>)['4'], { events: 0, write_idx: 0, dropped: 0, ring_events: 0, parsed: 0 });
    assert.equal(bt.tracing_enabled, true);
    const notes = r.extras.notes as { code: string }[];
    assert.ok(notes.some((n) => n.code === 'TRACE_TS_TICKS'));
    // Three of 1024 event lines: the ring dump is short.
    assert.ok(notes.some((n) => n.code === 'TRACE_RING_SHORT'));
  });

  test('a frequency line turns later timestamps into seconds; the boot line stays with breenix-log', () => {
    const r = run(['[boot] Timer frequency: 62500000 Hz (62 MHz)', DOC[2]]);
    assert.equal(r.types[0], -1);
    assert.equal(r.rows[1].ts, 571473687 / 62500000);
    const bt = trace(r.extras);
    assert.equal(bt.frequency_hz, 62500000);
    assert.equal(bt.frequency_source, 'boot');
    assert.equal(bt.ts_unit, 's');
    const late = run([DOC[2], '[TRACE] Timestamp frequency: 1000000000 Hz', DOC[3]]);
    assert.equal(late.rows[0].ts, 571473687);
    assert.equal(late.rows[2].ts, 0.57147375);
    assert.equal(trace(late.extras).ts_unit, 'mixed');
  });

  test('a lost `=== CPU n Buffer ===` header: the ring takes the CPU of its first event', () => {
    const r = run(['[INSTRUCTION_ABORT] FAR=0x0 from_el0=0[TRACE] === CPU 1 Buffer ===', '[TRACE] Events: 2 (write_idx=2, dropped=0)', '[TRACE] CPU1 idx=0 ts=10 type=0x0102 TIMER_TICK tick_count=1', '[TRACE] CPU1 idx=1 ts=11 type=0x0102 TIMER_TICK tick_count=2']);
    assert.equal(r.types[0], -1);
    const rings = trace(r.extras).rings as { cpu: number; parsed: number }[];
    assert.deepEqual(rings.map((b) => [b.cpu, b.parsed]), [[1, 2]]);
  });

  test('garbled dump lines are TRACE_GARBLED, counted, and never events', () => {
    const r = run([
      '[TRACEEFER_S] === CPU 0 Buffer ===',
      '[TRACE] CPU2 idx=75:START]',
      '[TRACE] CPU2 idx=144 ts=627939812 type=0xff42 CTX_DIAG_THREAD_ELR thread_coneattext_elr_low32=65542',
      '[TRACE] Events: 1024 (wr[Tite_idx=5, dropped=0)',
      '[COUNTER] SYSCALL_TOT[boot]AL: 5',
    ]);
    assert.deepEqual(r.types, [T.TRACE_GARBLED, T.TRACE_GARBLED, T.TRACE_GARBLED, T.TRACE_GARBLED, T.TRACE_GARBLED]);
    assert.equal(trace(r.extras).events, 0);
    assert.equal(trace(r.extras).garbled_lines, 5);
    assert.equal(breenixTrace.fields('[TRACE] CPU2 idx=75:START]', T.TRACE_GARBLED).reason, 'event line breaks the grammar');
  });

  test('counter, provider and summary dumps', () => {
    const r = run([
      '====== PANIC TRACE DUMP ======',
      '[TRACE] === Latest 2 Events ===',
      '[TRACE] CPU1 idx=7 ts=900 type=0x0301 SYSCALL_EXIT result=0',
      '[TRACE] CPU0 idx=3 ts=800 type=0x0300 SYSCALL_ENTRY syscall_nr=1',
      '[TRACE] === End Latest Events ===',
      '[COUNTER] ====== COUNTER DUMP ======',
      '[COUNTER] Registered counters: 2',
      '[COUNTER] NET_RX_SOFTIRQ_ENTRY_TOTAL: 2 (cpu0=1, cpu2=1)',
      '[COUNTER] SYSCALL_TOTAL: 0',
      '[COUNTER] ====== END COUNTERS ======',
      '[PROVIDER] ====== PROVIDER DUMP ======',
      '[PROVIDER] Registered providers: 1',
      '[PROVIDER] syscall (id=0x3): enabled=0xffffffffffffffff',
      '[PROVIDER] ====== END PROVIDERS ======',
      '====== END PANIC DUMP ======',
      '[SUMMARY] ====== EVENT SUMMARY ======',
      '[SUMMARY] Marker/Debug: 12',
      '[SUMMARY] Total events: 12',
      '[SUMMARY] ====== END SUMMARY ======',
    ]);
    assert.deepEqual(
      r.types.map((t) => breenixTrace.types[t]),
      ['TRACE_META', 'TRACE_META', 'TRACE_EVENT', 'TRACE_EVENT', 'TRACE_META', 'TRACE_META', 'TRACE_META', 'COUNTER', 'COUNTER', 'TRACE_META', 'TRACE_META', 'TRACE_META', 'PROVIDER', 'TRACE_META', 'TRACE_META', 'TRACE_META', 'TRACE_SUMMARY', 'TRACE_SUMMARY', 'TRACE_META'],
    );
    assert.equal(r.rows[2].sub, 'TRACE_LATEST');
    assert.equal(r.rows[7].aux, 2);
    const bt = trace(r.extras);
    assert.deepEqual(bt.counters, { NET_RX_SOFTIRQ_ENTRY_TOTAL: { total: 2, per_cpu: { cpu0: 1, cpu2: 1 } }, SYSCALL_TOTAL: { total: 0, per_cpu: {} } });
    assert.equal(bt.registered_counters, 2);
    assert.deepEqual(bt.providers, { syscall: { id: 3, enabled: '0xffffffffffffffff' } });
    assert.deepEqual(bt.kernel_summary, { 'Marker/Debug': 12, 'Total events': 12 });
    assert.equal(bt.events_in_latest_dumps, 2);
    assert.deepEqual(bt.dumps, { full: 0, ring: 0, latest: 1, panic: 1, counters: 1 });
    assert.deepEqual(breenixTrace.fields('[COUNTER] NET_RX_SOFTIRQ_ENTRY_TOTAL: 2 (cpu0=1, cpu2=1)', T.COUNTER), { counter: 'NET_RX_SOFTIRQ_ENTRY_TOTAL', total: 2, cpu0: 1, cpu2: 1 });
    assert.equal(breenixTrace.fields('[PROVIDER] syscall (id=0x3): enabled=0xffffffffffffffff', T.PROVIDER).all_probes, true);
  });

  test('lines of other families are left alone', () => {
    const r = run(['[TRACE] kernel::sched: picked 5', '[boot] ext2 root filesystem mounted', '[TEST:process:x:PASS]', '[SUMMARY] free text here', 'T2T3[TRACE] CPU0 idx=1 ts=2 type=0x0102 TIMER_TICK tick_count=1']);
    assert.deepEqual(r.types, [-1, -1, -1, -1, -1]);
    assert.deepEqual(r.extras, {});
  });
});

describe('breenix-trace family: fields', () => {
  test('superset names replace UNKNOWN; packed payloads split; ns from the stored seconds', () => {
    const line = '[TRACE] CPU3 idx=68 ts=44608062 type=0x0012 UNKNOWN payload=655375';
    const f = breenixTrace.fields(line, T.TRACE_EVENT, { line: 9, ts: 44608062 / 62500000, cpu: 3, sub: 'TRACE', aux: 0x12 });
    assert.equal(f.name, 'SCHED_QUEUE_STATE');
    assert.equal(f.printed_name, 'UNKNOWN');
    assert.equal(f.label, 'ready_len<<16|chosen_tid');
    assert.deepEqual([f.val1, f.val2, f.val1_name, f.val2_name], [10, 15, 'ready_len', 'chosen_tid']);
    assert.equal(f.ns, 713728992);
    assert.equal(f.freq_hz, 62500000);
    assert.equal(f.type_id, '0x0012');
    assert.equal(f.category, 'Context Switch');
    // Without a frequency the row holds ticks: no ns.
    const g = breenixTrace.fields(line, T.TRACE_EVENT, { line: 9, ts: 44608062, cpu: 3, sub: 'TRACE', aux: 0x12 });
    assert.equal(g.ns, undefined);
    assert.equal(g.ticks, 44608062);
  });

  test('meta lines keep write_idx and dropped', () => {
    assert.deepEqual(breenixTrace.fields(DOC[1], T.TRACE_META), { kind: 'ring_events', events: 1024, write_idx: 791217, dropped: 790193 });
    assert.deepEqual(breenixTrace.fields(DOC[0], T.TRACE_META), { kind: 'ring_header', cpu: 3 });
  });
});

describe('breenix-trace family: summaries of a log indexed in parts', () => {
  test('states of consecutive parts merge', () => {
    const a = breenixTrace.create();
    const b = breenixTrace.create();
    const row = newScratch();
    a(LineView.of('[TRACE] Timestamp frequency: 1000 Hz'), row);
    a(LineView.of('[TRACE] CPU0 idx=0 ts=5 type=0x0102 TIMER_TICK tick_count=1'), row);
    b(LineView.of('[TRACE] CPU1 idx=0 ts=6 type=0x0102 TIMER_TICK tick_count=1'), row);
    const bt = trace(breenixTrace.summarize?.([a.state?.(), undefined, b.state?.()]) ?? {});
    assert.deepEqual(bt.events_per_cpu, { '0': 1, '1': 1 });
    assert.equal(bt.frequency_hz, 1000);
    // The second part never saw the frequency line.
    assert.equal(bt.ts_unit, 'mixed');
  });

  /**
   * Ring dumps as the kernel prints them: `rings` small dumps cycling over
   * CPUs 0-3, every fifth ring missing its last event line.
   */
  function dumps(rings: number): string[] {
    const lines: string[] = ['[TRACE] Timestamp frequency: 1000 Hz'];
    for (let r = 0; r < rings; r++) {
      const cpu = r % 4;
      const writeIdx = 1 + (r % 13);
      const n = Math.min(writeIdx, 1024);
      lines.push(`[TRACE] === CPU ${cpu} Buffer ===`, `[TRACE] Events: ${n} (write_idx=${writeIdx}, dropped=${writeIdx - n})`);
      const shown = r % 5 === 0 ? n - 1 : n;
      for (let k = 0; k < shown; k++) lines.push(`[TRACE] CPU${cpu} idx=${k} ts=${r * 10 + k} type=0x0102 TIMER_TICK tick_count=${k}`);
      lines.push('[ INFO] kernel::sched: between dumps');
    }
    return lines;
  }

  /** The summary extras of `lines` indexed in parts cut before the given line indexes, as the console-log build merges them. */
  function summaryInParts(lines: string[], cuts: number[]): Record<string, unknown> {
    const bounds = [0, ...cuts, lines.length];
    let states: unknown[] = [];
    for (let p = 0; p + 1 < bounds.length; p++) {
      const m = breenixTrace.create();
      for (const l of lines.slice(bounds[p], bounds[p + 1])) m(LineView.of(l), newScratch());
      states.push(m.state?.());
    }
    if (states.length > 1 && breenixTrace.carry) states = breenixTrace.carry(states).states;
    return breenixTrace.summarize?.(states) ?? {};
  }

  test('more ring dumps than are kept: the same summary wherever the log is cut, and each CPU shows its last ring', () => {
    const rings = 1500;
    const lines = dumps(rings);
    const one = summaryInParts(lines, []);
    // Cuts at quiet lines (between dumps), as the build makes them: early, in the middle, late.
    const quiet = lines.flatMap((l, i) => (l.startsWith('[ INFO]') ? [i + 1] : []));
    for (const at of [quiet[10], quiet[700], quiet[1200]]) assert.deepEqual(summaryInParts(lines, [at]), one, `cut at line ${at}`);
    const bt = trace(one);
    assert.equal((bt.rings as unknown[]).length, 1024);
    assert.equal((bt.dumps as { ring: number }).ring, rings);
    // The last ring of CPU 3 is ring 1499 (write_idx 5), far past the rings kept (the last kept one has 10).
    assert.deepEqual((bt.cpus as Record<string, unknown>)['3'], { events: (bt.events_per_cpu as Record<string, number>)['3'], write_idx: 5, dropped: 0, ring_events: 5, parsed: 5 });
    // Every fifth ring is one line short, counted over all of them.
    const short = (one.notes as { code: string; message: string }[]).find((n) => n.code === 'TRACE_RING_SHORT');
    assert.match(short?.message ?? '', /^300 of 1500 ring dumps hold fewer event lines than their header says \(300 missing in all: cpu0 0\/1, cpu1 5\/6, /);
  });
});
