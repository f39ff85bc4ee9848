// Breenix trace dumps end to end through the built CLI: every shared serial capture against
// an independent count of its `[TRACE]` / `[COUNTER]` lines, tick→second conversion, garbled
// lines, a synthetic dump with counters/providers/summary, generated TRACE_BUFFERS images and
// /proc/trace files.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { generateImage } from '../src/formats/breenix-trace/image-gen.js';
import { PARALLEL_MIN_BYTES } from '../src/util/worker.js';
import { assertNoStack, assertUserError, cleanup, json, jsonLines, ROOT, runCliAsync, tmpdir } from './helpers.js';

after(cleanup);

const SAMPLES = join(ROOT, '..', 'shared', 'samples', 'breenix');
const HAVE_SAMPLES = existsSync(SAMPLES);
const SKIP = HAVE_SAMPLES ? false : `shared Breenix samples not found at ${SAMPLES}`;

/**
 * The oracle, written from breenix.md §1.7 alone: an event line (after at most 16
 * bytes of another CPU's junk) with cpu ≤ 255, slot ≤ 1023 and a u32 payload, whose
 * name and label are the ones most lines of the same type id carry in this file
 * (a line where another CPU's bytes landed in the name or label is not an event).
 */
const EVENT = /^(?:[^[]{1,16})?\[TRACE\] CPU(\d+) idx=(\d+) ts=(\d+) type=0x([0-9a-f]{4}) ([A-Z0-9_]+) (\S+)=(\d+)(?: flags=0x[0-9a-f]{1,2})?$/;
const COUNTER = /^(?:[^[]{1,16})?\[COUNTER\] ([A-Za-z0-9_]+): (\d+)(?: \((cpu\d+=\d+(?:, cpu\d+=\d+)*)\))?$/;

interface Oracle {
  eventLines: Set<number>;
  perCpu: Record<string, number>;
  counterLines: number;
  /** Sum over counters of each CPU's value, from the last line of each counter. */
  counterPerCpu: Record<string, number>;
  rawTraceCpuLines: number;
}

function oracle(text: string): Oracle {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const cand: { line: number; cpu: number; id: string; nameLabel: string }[] = [];
  const counters = new Map<string, Record<string, number>>();
  let counterLines = 0;
  let rawTraceCpuLines = 0;
  lines.forEach((l, k) => {
    if (l.includes('[TRACE] CPU')) rawTraceCpuLines++;
    const m = EVENT.exec(l);
    if (m && Number(m[1]) <= 255 && Number(m[2]) <= 1023 && Number(m[7]) <= 0xffffffff) cand.push({ line: k + 1, cpu: Number(m[1]), id: m[4], nameLabel: `${m[5]} ${m[6]}` });
    const c = COUNTER.exec(l);
    if (c) {
      counterLines++;
      const per: Record<string, number> = {};
      for (const part of c[3]?.split(', ') ?? []) per[part.slice(3, part.indexOf('='))] = Number(part.slice(part.indexOf('=') + 1));
      counters.set(c[1], per);
    }
  });
  const votes = new Map<string, Map<string, number>>();
  for (const e of cand) {
    const v = votes.get(e.id) ?? new Map<string, number>();
    v.set(e.nameLabel, (v.get(e.nameLabel) ?? 0) + 1);
    votes.set(e.id, v);
  }
  const majority = new Map([...votes].map(([id, v]) => [id, [...v].sort((a, b) => b[1] - a[1])[0][0]]));
  const out: Oracle = { eventLines: new Set(), perCpu: {}, counterLines, counterPerCpu: {}, rawTraceCpuLines };
  for (const e of cand) {
    if (majority.get(e.id) !== e.nameLabel) continue;
    out.eventLines.add(e.line);
    out.perCpu[String(e.cpu)] = (out.perCpu[String(e.cpu)] ?? 0) + 1;
  }
  for (const per of counters.values()) for (const [cpu, v] of Object.entries(per)) out.counterPerCpu[cpu] = (out.counterPerCpu[cpu] ?? 0) + v;
  return out;
}

/** `kscope ARGS` in a child process without blocking, a few at once, so the 42 captures overlap. */
const runCli = runCliAsync;

type Trace = {
  events_per_cpu: Record<string, number>;
  counters: Record<string, { total: number; per_cpu: Record<string, number> }>;
  frequency_hz: number | null;
  frequency_source: string | null;
  ts_unit: string | null;
  garbled_lines: number;
};

async function summaryOf(file: string, out: string): Promise<Record<string, unknown>> {
  const r = await runCli(['summary', file, '-o', out, '--json']);
  assertNoStack(r, file);
  assert.equal(r.code, 0, r.stderr);
  return json(r.stdout);
}

async function filterOf(file: string, out: string, type: string, extra: string[] = []): Promise<Record<string, unknown>[]> {
  const r = await runCli(['filter', file, '-o', out, '--type', type, '--json', ...extra]);
  assertNoStack(r, file);
  assert.equal(r.code, 0, r.stderr);
  return jsonLines(r.stdout);
}

describe('breenix [TRACE] dumps in the shared serial captures', { skip: SKIP }, () => {
  const files = HAVE_SAMPLES ? readdirSync(SAMPLES).filter((f) => f.endsWith('.txt')).sort() : [];

  test('per-CPU trace events and counters match the lines in the file', async () => {
    assert.ok(files.length >= 40, `expected the 42 captures, found ${files.length}`);
    const dir = tmpdir();
    let withEvents = 0;
    // runCli bounds how many run at once.
    await Promise.all(files.map(async (f) => {
      const path = join(SAMPLES, f);
      const o = oracle(readFileSync(path, 'latin1'));
      const s = await summaryOf(path, join(dir, f));
      const types = s.types as Record<string, number>;
      const bt = s.breenix_trace as Trace | undefined;
      assert.deepEqual(bt?.events_per_cpu ?? {}, o.perCpu, `${f}: events per CPU (summary)`);
      assert.equal(types.TRACE_EVENT ?? 0, o.eventLines.size, `${f}: TRACE_EVENT count`);
      assert.equal(types.COUNTER ?? 0, o.counterLines, `${f}: COUNTER lines`);
      const counterPerCpu: Record<string, number> = {};
      for (const c of Object.values(bt?.counters ?? {})) for (const [k, v] of Object.entries(c.per_cpu)) counterPerCpu[k.slice(3)] = (counterPerCpu[k.slice(3)] ?? 0) + v;
      assert.deepEqual(counterPerCpu, o.counterPerCpu, `${f}: counter values per CPU`);
      // Nothing is lost silently: every `[TRACE] CPU` line is an event, a garbled line, or sits too deep in another line.
      assert.ok((types.TRACE_EVENT ?? 0) + (bt?.garbled_lines ?? 0) <= o.rawTraceCpuLines + (types.TRACE_META ?? 0), `${f}: more trace lines than the file has`);
      if (o.eventLines.size === 0) return;
      withEvents++;
      const evs = await filterOf(path, join(dir, f), 'TRACE_EVENT');
      const perCpu: Record<string, number> = {};
      for (const e of evs) perCpu[String(e.cpu)] = (perCpu[String(e.cpu)] ?? 0) + 1;
      assert.deepEqual(perCpu, o.perCpu, `${f}: events per CPU (filter)`);
      assert.deepEqual(new Set(evs.map((e) => e.line as number)), o.eventLines, `${f}: the event lines themselves`);
    }));
    assert.ok(withEvents >= 10, `expected a dozen captures with trace dumps, found ${withEvents}`);
  });

  test('ts is ticks / frequency once a frequency line is known; ns is exact', async () => {
    const f = files.find((x) => /^\[TRACE\] Timestamp frequency: \d+ Hz\r?$/m.test(readFileSync(join(SAMPLES, x), 'latin1')));
    assert.ok(f, 'a capture with a [TRACE] Timestamp frequency line');
    const path = join(SAMPLES, f);
    const text = readFileSync(path, 'latin1');
    const hz = Number(/^\[TRACE\] Timestamp frequency: (\d+) Hz/m.exec(text)?.[1]);
    const dir = tmpdir();
    const bt = (await summaryOf(path, join(dir, 'b'))).breenix_trace as Trace;
    assert.equal(bt.frequency_hz, hz);
    assert.equal(bt.ts_unit, 's');
    const evs = await filterOf(path, join(dir, 'b'), 'TRACE_EVENT', ['--limit', '50']);
    assert.equal(evs.length, 50);
    for (const e of evs) {
      const ticks = Number(/ ts=(\d+) /.exec(e.text as string)?.[1]);
      assert.equal(e.ticks, ticks);
      assert.equal(e.ts, ticks / hz);
      assert.equal(e.ns, Number((BigInt(ticks) * 1000000000n) / BigInt(hz)));
      assert.equal(e.freq_hz, hz);
    }
  });

  test('past the two-thread threshold, the second thread converts with the frequency the first half saw', async () => {
    const f = files.find((x) => /^\[TRACE\] Timestamp frequency: \d+ Hz\r?$/m.test(readFileSync(join(SAMPLES, x), 'latin1')));
    assert.ok(f, 'a capture with a [TRACE] Timestamp frequency line');
    const text = readFileSync(join(SAMPLES, f), 'latin1');
    const hz = Number(/^\[TRACE\] Timestamp frequency: (\d+) Hz/m.exec(text)?.[1]);
    // The capture once, then copies without any frequency line up to 1.3 × the threshold: the second half names none.
    const bare = text.split('\n').filter((l) => !/Timestamp frequency|Timer frequency/.test(l)).join('\n');
    const copies = Math.ceil((PARALLEL_MIN_BYTES * 1.3) / bare.length);
    const dir = tmpdir();
    const path = join(dir, 'big.log');
    writeFileSync(path, text + bare.repeat(copies), 'latin1');
    const s = await summaryOf(path, join(dir, 'big'));
    const bt = s.breenix_trace as Trace & { events: number };
    assert.equal(bt.frequency_hz, hz);
    assert.equal(bt.ts_unit, 's');
    assert.ok(!((s.notes as { code: string }[] | undefined) ?? []).some((n) => n.code === 'TRACE_TS_MIXED'), JSON.stringify(s.notes));
    // The last trace events (second thread, no frequency line in its half) are in seconds, and so is the time span.
    const n = (s.types as Record<string, number>).TRACE_EVENT;
    const evs = await filterOf(path, join(dir, 'big'), 'TRACE_EVENT', ['--from', String(s.events as number - 3000)]);
    assert.ok(evs.length > 100);
    let maxTicks = 0;
    for (const line of text.split('\n')) {
      const m = / ts=(\d+) type=/.exec(line);
      if (m && line.startsWith('[TRACE] CPU')) maxTicks = Math.max(maxTicks, Number(m[1]));
    }
    for (const e of evs) {
      const ticks = Number(/ ts=(\d+) /.exec(e.text as string)?.[1]);
      assert.equal(e.ts, ticks / hz, `event ${e.index as number}`);
    }
    assert.ok(n > 0 && ((s.time as { last: number }).last) <= maxTicks / hz, `time.last ${JSON.stringify(s.time)} is in seconds`);
    // Every ring dump is read whole by one thread: the same rings, parsed the same, as in the capture alone.
    // The summary lists the log's first 1024 of them, those just after the split included.
    const one = (await summaryOf(join(SAMPLES, f), join(dir, 'one'))).breenix_trace as { rings: { cpu: number; parsed: number; slot_gaps: number }[] };
    const both = bt as unknown as { rings: { cpu: number; parsed: number; slot_gaps: number }[]; dumps: { ring: number } };
    const key = (r: { cpu: number; parsed: number; slot_gaps: number }) => `${r.cpu}/${r.parsed}/${r.slot_gaps}`;
    const all = Array.from({ length: copies + 1 }, () => one.rings.map(key)).flat();
    assert.equal(both.dumps.ring, all.length);
    assert.ok(all.length > 1024, `${all.length} ring dumps: more than the summary keeps`);
    assert.deepEqual(both.rings.map(key), all.slice(0, 1024));
  });

  test('an interleaved line is a TRACE_GARBLED event, never a bogus TRACE_EVENT', async () => {
    const f = files.find((x) => readFileSync(join(SAMPLES, x), 'latin1').includes('thread_coneattext_elr_low32'));
    assert.ok(f, 'the capture with the garbled CTX_DIAG_THREAD_ELR line');
    const path = join(SAMPLES, f);
    const line = readFileSync(path, 'latin1').split('\n').findIndex((l) => l.includes('thread_coneattext_elr_low32')) + 1;
    const dir = tmpdir();
    const garbled = await filterOf(path, join(dir, 'b'), 'TRACE_GARBLED');
    const g = garbled.find((e) => e.line === line);
    assert.ok(g, `line ${line} is TRACE_GARBLED`);
    assert.match(g.reason as string, /label is thread_context_elr_low32 with characters inserted/);
    assert.equal(g.junk_prefix, 'tb');
    const events = await filterOf(path, join(dir, 'b'), 'TRACE_EVENT');
    assert.ok(!events.some((e) => e.line === line));
    // And every event that did come out reads back the grammar exactly.
    for (const e of events) assert.match(String(e.text).replace(/^\d+: /, ''), /^(?:[^[]{1,16})?\[TRACE\] CPU\d+ idx=\d+ ts=\d+ type=0x[0-9a-f]{4} [A-Z0-9_]+ \S+=\d+(?: flags=0x[0-9a-f]+)?$/);
  });
});

describe('breenix trace dumps: synthetic console log', () => {
  const LOG = [
    '[boot] ext2 root filesystem mounted',
    '====== PANIC TRACE DUMP ======',
    '[TRACE] === Latest 2 Events ===',
    '[TRACE] CPU1 idx=7 ts=900 type=0x0301 SYSCALL_EXIT result=0',
    '[TRACE] CPU0 idx=3 ts=800 type=0x0012 UNKNOWN payload=655375',
    '[TRACE] === End Latest Events ===',
    '[COUNTER] ====== COUNTER DUMP ======',
    '[COUNTER] Registered counters: 2',
    '[COUNTER] NET_RX_SOFTIRQ_ENTRY_TOTAL: 2 (cpu0=1, cpu2=1)',
    'T2[COUNTER] SYSCALL_TOTAL: 30 (cpu0=10, cpu1=20)',
    '[COUNTER] ====== END COUNTERS ======',
    '[PROVIDER] ====== PROVIDER DUMP ======',
    '[PROVIDER] syscall (id=0x3): enabled=0xffffffffffffffff',
    '[PROVIDER] ====== END PROVIDERS ======',
    '====== END PANIC DUMP ======',
    '[TRACE] CPU1 idx=8 ts=950 type=0x0301 SYSCALL_EXIT res[TEST:x:y:PASS]ult=0',
    '[SUMMARY] Total events: 2',
    '',
  ].join('\r\n');

  test('no frequency: ts in ticks, said in the summary; counters per CPU; providers; garbled line', async () => {
    const dir = tmpdir();
    const path = join(dir, 'serial.txt');
    writeFileSync(path, LOG);
    const s = await summaryOf(path, join(dir, 'b'));
    assert.equal(s.format, 'console-log');
    assert.equal(s.ts_unit, 'ticks');
    const bt = s.breenix_trace as Trace & { providers: Record<string, unknown>; kernel_summary: Record<string, number> };
    assert.equal(bt.ts_unit, 'ticks');
    assert.equal(bt.frequency_hz, null);
    assert.deepEqual(bt.events_per_cpu, { '0': 1, '1': 1 });
    assert.deepEqual(bt.counters, { NET_RX_SOFTIRQ_ENTRY_TOTAL: { total: 2, per_cpu: { cpu0: 1, cpu2: 1 } }, SYSCALL_TOTAL: { total: 30, per_cpu: { cpu0: 10, cpu1: 20 } } });
    assert.deepEqual(bt.providers, { syscall: { id: 3, enabled: '0xffffffffffffffff' } });
    assert.deepEqual(bt.kernel_summary, { 'Total events': 2 });
    assert.equal(bt.garbled_lines, 1);
    assert.ok((s.notes as { code: string }[]).some((n) => n.code === 'TRACE_TS_TICKS'));
    const types = s.types as Record<string, number>;
    assert.deepEqual([types.TRACE_EVENT, types.COUNTER, types.PROVIDER, types.TRACE_SUMMARY, types.TRACE_GARBLED], [2, 2, 1, 1, 1]);
    const ev = await filterOf(path, join(dir, 'b'), 'TRACE_EVENT');
    assert.deepEqual(ev.map((e) => [e.line, e.cpu, e.ts, e.name, e.dump]), [
      [4, 1, 900, 'SYSCALL_EXIT', 'latest'],
      [5, 0, 800, 'SCHED_QUEUE_STATE', 'latest'],
    ]);
    assert.equal(ev[1].ns, undefined);
    const one = json((await runCli(['event', path, '-o', join(dir, 'b'), '4', '--json'])).stdout);
    assert.equal(one.type, 'TRACE_EVENT');
    assert.equal(one.printed_name, 'UNKNOWN');
  });
});

describe('breenix-trace reader through the CLI: images and /proc/trace', () => {
  test('a generated TRACE_BUFFERS image: summary, event N, filter against the truth', async () => {
    const g = generateImage({ seed: 11, rings: [{ writeIdx: 4100 }, { writeIdx: 0 }, { writeIdx: 17 }, { writeIdx: 1024 }] });
    const dir = tmpdir();
    const path = join(dir, 'dump.img');
    writeFileSync(path, g.image);
    const s = await summaryOf(path, join(dir, 'b'));
    assert.equal(s.format, 'breenix-trace');
    assert.equal(s.events, g.events.length);
    const per = s.per_cpu as Record<string, { write_idx: number; dropped: number; valid_entries: number }>;
    g.rings.forEach((r, cpu) => assert.deepEqual([per[cpu].write_idx, per[cpu].dropped, per[cpu].valid_entries], [r.writeIdx, r.dropped, r.valid]));
    for (const n of [0, 1, 1023, 1024, 1040, g.events.length - 1]) {
      const e = json((await runCli(['event', path, '-o', join(dir, 'b'), String(n), '--json'])).stdout);
      const t = g.events[n];
      assert.deepEqual([e.index, e.offset, e.cpu, e.ts, e.slot, e.payload, e.line], [n, t.offset, t.ring, t.ticks, t.slot, t.payload, undefined], `event ${n}`);
    }
    const all = await filterOf(path, join(dir, 'b'), 'TRACE_EVENT');
    assert.deepEqual(all.map((e) => e.offset), g.events.map((t) => t.offset));
  });

  test('an image whose CPU 0 ring is (nearly) empty is still detected, by its whole rings', async () => {
    const dir = tmpdir();
    for (const w0 of [0, 2]) {
      const g = generateImage({ seed: 21 + w0, rings: [{ writeIdx: w0 }, { writeIdx: 600 }, { writeIdx: 3000 }, { writeIdx: 9 }] });
      // `.bin` is also what a TII ftrace stream is called: only the ring structure can tell them apart.
      const path = join(dir, `mem-${w0}.bin`);
      writeFileSync(path, g.image);
      const s = await summaryOf(path, join(dir, `b${w0}`));
      assert.equal(s.format, 'breenix-trace', `CPU 0 ring with ${w0} events`);
      assert.equal(s.events, g.events.length);
    }
    // A torn slot (time 0, other bytes set: a live pmemsave) in ring 1 does not hide the image.
    const g = generateImage({ seed: 31, rings: [{ writeIdx: 40 }, { writeIdx: 600 }, { writeIdx: 3000 }, { writeIdx: 9 }] });
    const torn = Buffer.from(g.image);
    torn.fill(0, 16448 + 700 * 16, 16448 + 700 * 16 + 8);
    torn[16448 + 700 * 16 + 8] = 0x01;
    const tp = join(dir, 'torn.bin');
    writeFileSync(tp, torn);
    assert.equal((await summaryOf(tp, join(dir, 't'))).format, 'breenix-trace', 'an image with a torn slot');
    // Random bytes of the same size are not taken for an image.
    let seed = 5;
    const noise = Buffer.alloc(4 * 16448, 0).map(() => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) >>> 16);
    const np = join(dir, 'noise.bin');
    writeFileSync(np, noise);
    assert.notEqual((await summaryOf(np, join(dir, 'n'))).format, 'breenix-trace');
  });

  test('a truncated image: complete rings and the cut ring\'s whole slots kept, the cut located by byte offset', async () => {
    const g = generateImage({ seed: 12, rings: [{ writeIdx: 30 }, { writeIdx: 40 }, { writeIdx: 50 }] });
    const dir = tmpdir();
    const path = join(dir, 'trace_buffers.bin');
    // 100 bytes of ring 2: 6 whole slots and 4 bytes of the 7th.
    writeFileSync(path, g.image.subarray(0, 2 * 16448 + 100));
    const s = await summaryOf(path, join(dir, 'b'));
    assert.equal(s.events, 76);
    assert.equal(s.truncated_at, 2 * 16448 + 100);
    const w = (s.warnings as { code: string; offset: number; message: string }[]).find((x) => x.code === 'IMAGE_TRUNCATED');
    assert.equal(w?.offset, 2 * 16448 + 100);
    assert.match(w?.message ?? '', /ring 2 .*kept the 6 events in its 6 whole slots/);
    // Only the 8 bytes of padding at the end missing: all 1024 events of a wrapped last ring.
    const g2 = generateImage({ seed: 5, rings: [{ writeIdx: 2000 }, { writeIdx: 500 }, { writeIdx: 1024 }] });
    const p2 = join(dir, 'trace_buffers-pad.bin');
    writeFileSync(p2, g2.image.subarray(0, 3 * 16448 - 8));
    const s2 = await summaryOf(p2, join(dir, 'b2'));
    assert.equal(s2.events, g2.events.length);
    const all = await filterOf(p2, join(dir, 'b2'), 'TRACE_EVENT');
    assert.deepEqual(all.map((e) => e.offset), g2.events.map((t) => t.offset));
    assert.match((s2.warnings as { message: string }[])[0].message, /ring 2 \(from byte 32896\) is cut 16440 bytes in, .*kept its 1024 events, lost none/);
  });

  test('less than one ring, forced: one-line error with the byte offset', async () => {
    const dir = tmpdir();
    const path = join(dir, 'short.bin');
    writeFileSync(path, Buffer.alloc(500, 1));
    assertUserError(await runCli(['summary', path, '-o', join(dir, 'b'), '--format', 'breenix-trace']), path, /byte 0: .*less than one ring/);
  });

  test('a console log that prints /proc/trace/buffer well after its start stays a console log', async () => {
    const dir = tmpdir();
    // Plain text throughout (the arm64 capture has no firmware escapes), so the head reads as text.
    const boot = gunzipSync(readFileSync(join(ROOT, 'test', 'fixtures', 'linux', 'arm64-boot.log.gz'))).toString('latin1').replace(/\r/g, '');
    const path = join(dir, 'console.log');
    writeFileSync(path, `${boot.slice(0, 8000)}\n# Trace buffer dump\n# Format: cpu index timestamp type name payload\n0 0 100 0x0001 CTX_SWITCH_ENTRY 5\n${boot.slice(8000)}`);
    assert.equal((await summaryOf(path, join(dir, 'b'))).format, 'console-log');
  });

  test('/proc/trace/buffer with CRLF line ends or a burst of binary junk inside: still detected, every good row kept', async () => {
    const dir = tmpdir();
    const rows = Array.from({ length: 1000 }, (_, i) => `1 ${i % 1024} ${10 * i} 0x0102 TIMER_TICK ${i}`);
    const text = ['# Trace buffer dump (tracing enabled)', '# Format: cpu index timestamp type name payload', '', '# CPU 1 (1000 events)', ...rows, ''];
    // Junk bytes that hold no newline, on a line of their own in the middle.
    const junk = Buffer.from(Array.from({ length: 500 }, (_, i) => (i * 53 + 1) % 256).map((b) => (b === 10 || b === 13 ? 0 : b)));
    const crlf = join(dir, 'buffer-crlf');
    writeFileSync(crlf, text.join('\r\n'));
    const junky = join(dir, 'buffer-junk');
    writeFileSync(junky, Buffer.concat([Buffer.from(text.slice(0, 504).join('\n') + '\n'), junk, Buffer.from('\n' + text.slice(504).join('\n'))]));
    for (const [path, b] of [[crlf, 'c'], [junky, 'j']]) {
      const s = await summaryOf(path, join(dir, b));
      assert.equal(s.format, 'breenix-trace', path);
      assert.equal(s.input_kind, 'proc-buffer');
      assert.equal((s.types as Record<string, number>).TRACE_EVENT, 1000, path);
    }
  });

  test('/proc/trace/buffer: detected, rows per CPU', async () => {
    const dir = tmpdir();
    const path = join(dir, 'buffer');
    writeFileSync(path, '# Trace buffer dump (tracing enabled)\n# Format: cpu index timestamp type name payload\n\n# CPU 1 (2 events)\n1 0 10 0x0102 TIMER_TICK 1\n1 1 20 0x0102 TIMER_TICK 2\n\n');
    const s = await summaryOf(path, join(dir, 'b'));
    assert.equal(s.format, 'breenix-trace');
    assert.equal(s.input_kind, 'proc-buffer');
    assert.deepEqual(s.per_cpu, { '1': { events: 2, header_events: 2 } });
    const ev = await filterOf(path, join(dir, 'b'), 'TRACE_EVENT');
    assert.deepEqual(ev.map((e) => [e.line, e.cpu, e.ts, e.name]), [
      [5, 1, 10, 'TIMER_TICK'],
      [6, 1, 20, 'TIMER_TICK'],
    ]);
  });
});
