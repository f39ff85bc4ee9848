// The breenix-trace reader in-process: generated TRACE_BUFFERS images against their ground
// truth (wrapped, partial, empty, truncated, inconsistent rings), /proc/trace/* text files,
// and detection without the file name. The CLI twin is test/breenix-trace-cli.test.ts.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { bundleOf } from '../fixture-files.js';
import { DiagnosticLog, type Diagnostic } from '../../model/diagnostics.js';
import type { EventRecord } from '../../model/event.js';
import type { EventSource } from '../../model/source.js';
import { breenixEventName, breenixTypeHex } from '../../model/breenix-names.js';
import { FormatError } from '../../util/errors.js';
import { detectFormat } from '../registry.js';
import { generateImage, type GeneratedImage, type TruthEvent } from './image-gen.js';
import { breenixTraceReader, imageScore, procKind, RING_STRIDE } from './index.js';

const made: string[] = [];
after(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempFile(name: string, content: Buffer | string): string {
  const d = mkdtempSync(join(os.tmpdir(), 'kscope-breenix-'));
  made.push(d);
  const p = join(d, name);
  writeFileSync(p, content);
  return p;
}

/** build → bundle → open, as `kscope index` and a query would, with this reader alone. */
function open(path: string): { src: EventSource; diags: Diagnostic[] } {
  const diagnostics = new DiagnosticLog();
  return { src: breenixTraceReader.open(bundleOf(breenixTraceReader, path, `${path}.kscope`, diagnostics), path, undefined), diags: diagnostics.list() };
}

/** What a returned image event must say, from the generator's truth. */
function expected(t: TruthEvent, index: number): Record<string, unknown> {
  return { index, type: 'TRACE_EVENT', offset: t.offset, cpu: t.ring, ts: t.ticks, ring: t.ring, slot: t.slot, ticks: t.ticks, type_id: breenixTypeHex(t.id), name: breenixEventName(t.id), payload: t.payload };
}

function actual(e: EventRecord): Record<string, unknown> {
  return { index: e.index, type: e.type, offset: e.offset, cpu: e.cpu, ts: e.ts, ring: e.fields.ring, slot: e.fields.slot, ticks: e.fields.ticks, type_id: e.fields.type_id, name: e.fields.name, payload: e.fields.payload };
}

function checkAll(src: EventSource, g: GeneratedImage): void {
  assert.equal(src.count, g.events.length);
  g.events.forEach((t, n) => assert.deepEqual(actual(src.event(n)), expected(t, n), `event ${n}`));
  const seen: number[] = [];
  src.filter('TRACE_EVENT', 0, -1, (e) => void seen.push(e.index));
  assert.deepEqual(seen, g.events.map((_, n) => n));
  // Flags only when nonzero; the cpu byte only when it disagrees with the ring.
  const flagged = g.events.findIndex((t) => t.flags !== 0);
  if (flagged >= 0) assert.equal(src.event(flagged).fields.flags, '0x1');
}

describe('breenix-trace images: generated rings against ground truth', () => {
  const g = generateImage({ seed: 7, rings: [{ writeIdx: 3000 }, { writeIdx: 5 }, { writeIdx: 0 }, { writeIdx: 1024 }, { writeIdx: 1025 }, { writeIdx: 2048 + 17 }] });
  const path = tempFile('ring.img', g.image);

  test('every event in ring order (oldest slot first), with offset, cpu, ticks, id, payload', () => {
    const { src, diags } = open(path);
    checkAll(src, g);
    assert.deepEqual(diags, []);
    // The oldest slot of a wrapped ring is write_idx & 0x3FF.
    assert.equal(src.event(0).fields.slot, 3000 & 1023);
    assert.equal(src.event(1023).fields.slot, (3000 - 1) & 1023);
    src.close();
  });

  test('summary: per-CPU write_idx, dropped, valid entries; empty rings included', () => {
    const { src } = open(path);
    const s = src.summary();
    assert.equal(s.events, g.events.length);
    assert.deepEqual(s.types, { TRACE_EVENT: g.events.length });
    assert.equal(s.input_kind, 'image');
    assert.equal(s.rings, 6);
    assert.equal(s.ts_unit, 'ticks');
    const per = s.per_cpu as Record<string, { write_idx: number; dropped: number; valid_entries: number; events: number; oldest_slot: number }>;
    g.rings.forEach((r, cpu) => {
      assert.deepEqual([per[cpu].write_idx, per[cpu].dropped, per[cpu].valid_entries, per[cpu].events], [r.writeIdx, r.dropped, r.valid, r.valid], `cpu ${cpu}`);
    });
    assert.equal(per['5'].oldest_slot, 17);
    assert.equal(s.truncated_at, null);
    src.close();
  });

  test('an image cut in a ring\'s slots keeps the whole slots before the cut, located by byte offset', () => {
    // Ring 3 (write_idx 1024) is cut 5000 bytes in: 312 whole slots, then 8 bytes of slot 312.
    const size = 3 * RING_STRIDE + 5000;
    const { src, diags } = open(tempFile('cut.img', g.image.subarray(0, size)));
    const keep = g.events.filter((t) => t.ring < 3 || (t.ring === 3 && t.slot < 312));
    assert.equal(src.count, keep.length);
    keep.forEach((t, n) => assert.deepEqual(actual(src.event(n)), expected(t, n)));
    const d = diags.find((x) => x.code === 'IMAGE_TRUNCATED');
    assert.ok(d);
    assert.equal(d.offset, size);
    assert.match(d.message, /ring 3 \(from byte 49344\) is cut 5000 bytes in, before its write_idx .*kept the 312 events in its 312 whole slots, in slot order .*slots 312\.\.1023 \(712 records\) are missing, and the partial record at byte 54336/);
    const s = src.summary();
    assert.equal(s.truncated_at, size);
    const per = s.per_cpu as Record<string, { write_idx: number | null; events: number; cut?: { bytes: number; slots: number } }>;
    assert.deepEqual([per['3'].write_idx, per['3'].events, per['3'].cut], [null, 312, { bytes: 5000, slots: 312 }]);
    assert.equal(per['2'].cut, undefined);
    src.close();
  });

  test('a last ring missing only its padding (or read_idx/dropped) keeps every event, in ring order by its write_idx', () => {
    const w = generateImage({ seed: 5, rings: [{ writeIdx: 2000 }, { writeIdx: 500 }, { writeIdx: 1024 + 300 }] });
    for (const bytesIn of [16440, 16400, 16392]) {
      const size = 2 * RING_STRIDE + bytesIn;
      const { src, diags } = open(tempFile(`pad-${bytesIn}.img`, w.image.subarray(0, size)));
      checkAll(src, w);
      // Wrapped: ring 2's oldest slot is write_idx & 0x3FF, from the trailer that is still there.
      assert.equal(src.event(1524).fields.slot, 300);
      const d = diags.filter((x) => x.code === 'IMAGE_TRUNCATED');
      assert.equal(d.length, 1);
      assert.equal(d[0].offset, size);
      assert.match(d[0].message, new RegExp(`ring 2 \\(from byte 32896\\) is cut ${bytesIn} bytes in, after its 1024 slots and write_idx: kept its 1024 events, lost none`));
      if (bytesIn === 16392) assert.match(d[0].message, /read_idx and dropped missing, not checked/);
      assert.deepEqual(diags.filter((x) => x.code !== 'IMAGE_TRUNCATED'), [], `${bytesIn}: no disagreement is made up from the missing trailer`);
      const per = src.summary().per_cpu as Record<string, { write_idx: number; dropped: number | null; events: number }>;
      assert.deepEqual([per['2'].write_idx, per['2'].dropped, per['2'].events], [1324, bytesIn >= 16408 ? 300 : null, 1024]);
      src.close();
    }
  });

  test('less than one ring is a located error', () => {
    const tiny = tempFile('tiny.img', g.image.subarray(0, 1000));
    assert.throws(() => open(tiny), (e: unknown) => e instanceof FormatError && /byte 0: .*less than one ring/.test(e.message));
  });

  test('write_idx and dropped that disagree with the slots are warnings, and the events still come out', () => {
    const bad = generateImage({
      seed: 9,
      rings: [
        { writeIdx: 1500, dropped: 7 }, // dropped should be 476
        { writeIdx: 5, claimWriteIdx: 2000 }, // says wrapped, holds 5
        { writeIdx: 5, claimWriteIdx: 2 }, // says 2, holds 5
        { writeIdx: 10, cpuByte: 9 }, // events of another CPU
        { writeIdx: 3, claimWriteIdx: 2 ** 60 },
      ],
    });
    const { src, diags } = open(tempFile('bad.img', bad.image));
    const msg = (cpu: number) => diags.filter((d) => d.offset === cpu * RING_STRIDE + 16384).map((d) => d.message).join(' | ');
    assert.match(msg(0), /dropped=7, expected 476/);
    assert.match(msg(1), /1019 of the 1024 slots write_idx=2000 says were written are empty/);
    assert.match(msg(2), /3 slots beyond write_idx=2 hold events/);
    assert.match(msg(3), /10 events carry another CPU's id/);
    assert.match(msg(4), /not an event count/);
    const per = src.summary().per_cpu as Record<string, { events: number; stale_slots: number; empty_in_range: number }>;
    assert.deepEqual([per['1'].events, per['1'].empty_in_range], [5, 1019]);
    assert.deepEqual([per['2'].events, per['2'].stale_slots], [2, 3]);
    assert.equal(per['4'].events, 3);
    const e = src.events(0, src.count).find((x) => x.cpu === 3);
    assert.equal(e?.fields.cpu_byte, 9);
    src.close();
  });
});

describe('breenix-trace detection', () => {
  const g = generateImage({ seed: 3, rings: [{ writeIdx: 40 }, { writeIdx: 2 }] });

  test('an image is found by its structure, without its name', async () => {
    assert.ok(imageScore(g.image.subarray(0, 4096), '') >= 0.95);
    assert.equal((await detectFormat(tempFile('noname', g.image))).id, 'breenix-trace');
    assert.equal((await detectFormat(tempFile('trace_buffers.bin', g.image))).id, 'breenix-trace');
  });

  test('an image whose CPU 0 ring is empty needs its name (or --format)', () => {
    const empty0 = generateImage({ seed: 3, rings: [{ writeIdx: 0 }, { writeIdx: 40 }] });
    assert.ok(imageScore(empty0.image.subarray(0, 4096), 'dump') < 0.3);
    assert.ok(imageScore(empty0.image.subarray(0, 4096), 'trace_buffers.bin') >= 0.95);
  });

  test('random bytes and text are not images', () => {
    const junk = Buffer.alloc(4096);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 2654435761) >>> 24;
    assert.equal(imageScore(junk, ''), 0);
    assert.equal(breenixTraceReader.detect(Buffer.from('[boot] hello\n[TRACE] CPU0 idx=0 ts=1 type=0x0102 TIMER_TICK tick_count=1\n'), 'serial.txt'), 0);
  });

  test('/proc/trace files by their first lines', () => {
    assert.equal(procKind('# Trace buffer dump (tracing enabled)\n# Format: cpu index timestamp type name payload\n\n', 'x')?.kind, 'proc-buffer');
    assert.equal(procKind('# 106 registered counters\n\nSYSCALL_TOTAL: 5\n', 'x')?.kind, 'proc-counters');
    assert.equal(procKind('# 8 registered providers\n\nsyscall: id=0x03 enabled=0xffffffffffffffff\n', 'x')?.kind, 'proc-providers');
    assert.equal(procKind('0x0300 SYSCALL_ENTRY - syscall entry\n0x0301 SYSCALL_EXIT - syscall exit\n', 'x')?.kind, 'proc-events');
    assert.equal(procKind('1\n', '/proc/trace/enable')?.kind, 'proc-enable');
    assert.equal(procKind('1\n', 'answer.txt'), null);
    assert.equal(procKind('pid: 5\ndefer: 1\nreclaim: 1\n', 'x')?.kind, 'proc-teardown');
    assert.equal(procKind('unavailable: 1\n', 'teardown/5')?.kind, 'proc-teardown');
    assert.equal(procKind('[ INFO] kernel: hello\n', 'x'), null);
  });
});

const BUFFER = [
  '# Trace buffer dump (tracing enabled)',
  '# Format: cpu index timestamp type name payload',
  '',
  '# CPU 0 (3 events)',
  '0 1022 100 0x0102 TIMER_TICK 1',
  '0 1023 200 0x0012 UNKNOWN 655375',
  '0 0 300 0x0300 SYSCALL_ENTRY 1',
  '',
  '# CPU 2 (1 events)',
  '2 5 150 0xff46 SCHED_DIAG_STAGE 65543',
  '',
].join('\n');

describe('breenix-trace /proc/trace/* files', () => {
  test('buffer: rows as events with cpu, slot, ticks and superset names', () => {
    const { src, diags } = open(tempFile('buffer', BUFFER));
    assert.deepEqual(diags, []);
    const ev: EventRecord[] = [];
    src.filter('TRACE_EVENT', 0, -1, (e) => void ev.push(e));
    assert.deepEqual(ev.map((e) => [e.line, e.cpu, e.ts, e.fields.slot, e.fields.name]), [
      [5, 0, 100, 1022, 'TIMER_TICK'],
      [6, 0, 200, 1023, 'SCHED_QUEUE_STATE'],
      [7, 0, 300, 0, 'SYSCALL_ENTRY'],
      [10, 2, 150, 5, 'SCHED_DIAG_STAGE'],
    ]);
    assert.deepEqual([ev[1].fields.printed_name, ev[1].fields.val1, ev[1].fields.val2], ['UNKNOWN', 10, 15]);
    const s = src.summary();
    assert.deepEqual(s.per_cpu, { '0': { events: 3, header_events: 3 }, '2': { events: 1, header_events: 1 } });
    assert.equal(s.tracing_enabled, true);
    assert.deepEqual(s.types, { TRACE_EVENT: 4, TRACE_META: 4 });
    src.close();
  });

  test('buffer cut mid-row: good rows kept, the cut row is UNPARSED with a located warning', () => {
    const cut = BUFFER.slice(0, BUFFER.indexOf('65543') + 3);
    const { src, diags } = open(tempFile('buffer', cut));
    assert.equal(src.summary().types.TRACE_EVENT, 3);
    const t = diags.find((d) => d.code === 'TRUNCATED');
    assert.equal(t?.line, 10);
    assert.ok(diags.some((d) => d.code === 'CPU_COUNT_DISAGREES' && d.line === 9));
    src.close();
  });

  test('buffer with a junk line: UNPARSED, counted, located', () => {
    const { src, diags } = open(tempFile('buffer', BUFFER.replace('0 0 300', '0 0 3x00')));
    assert.equal(src.summary().types.UNPARSED, 1);
    assert.equal(diags.find((d) => d.code === 'UNPARSED_LINE')?.line, 7);
    src.close();
  });

  test('counters with aarch64 diagnostic lines, providers, events, enable, teardown', () => {
    const c = open(tempFile('counters', '# 2 registered counters\n\nSYSCALL_TOTAL: 12 (cpu0=10, cpu1=2)\nIRQ_TOTAL: 18446744073709551615\nGICV2M_BASE: 0x8020000\n'));
    const cs = c.src.summary();
    assert.deepEqual(cs.counters, { SYSCALL_TOTAL: { total: 12, per_cpu: { cpu0: 10, cpu1: 2 } }, IRQ_TOTAL: { total: '18446744073709551615', per_cpu: {} } });
    assert.deepEqual(cs.diag_values, { GICV2M_BASE: '0x8020000' });
    assert.deepEqual(cs.types, { TRACE_META: 1, COUNTER: 2, DIAG_VALUE: 1 });
    assert.deepEqual(c.src.event(1).fields, { counter: 'SYSCALL_TOTAL', total: 12, cpu0: 10, cpu1: 2 });
    c.src.close();
    const p = open(tempFile('providers', '# 2 registered providers\n\nsyscall: id=0x03 enabled=0xffffffffffffffff\n'));
    assert.deepEqual(p.src.summary().providers, { syscall: { id: 3, enabled: '0xffffffffffffffff' } });
    assert.ok(p.diags.some((d) => d.code === 'PROVIDERS_DISAGREE'));
    p.src.close();
    const e = open(tempFile('events', '0x0004 CTX_SWITCH_FROM_USER - switch\n0x0300 SYSCALL_ENTRY - syscall entry\n'));
    assert.equal(e.src.event(0).fields.superset_name, 'CTX_SWITCH_TO_KERNEL');
    assert.ok((e.src.summary().notes as { code: string }[]).some((n) => n.code === 'EVENT_NAMES_DIFFER'));
    e.src.close();
    const en = open(tempFile('enable', '0\n'));
    assert.equal(en.src.summary().tracing_enabled, false);
    en.src.close();
    const td = open(tempFile('teardown_7', 'pid: 7\ndefer: 1\nreclaim: 0\n'));
    assert.deepEqual(td.src.summary().teardown, { pid: 7, defer: 1, reclaim: 0 });
    td.src.close();
  });
});
