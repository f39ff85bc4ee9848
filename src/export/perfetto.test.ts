import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { ChromeJsonWriter } from './chrome-json.js';
import { PerfettoWriter, PROCESS_UUID } from './perfetto.js';
import type { TraceMeta } from './sink.js';
import { decodeChrome, decodePerfetto, PERFETTO_PROTO, sliceKeys } from './testing.js';
import { Timeline } from './timeline.js';

const dir = mkdtempSync(join(tmpdir(), 'kscope-pf-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const META: TraceMeta = { title: 'unit (test)', source: 'unit', format: 'test', time_axis: 'event-order', notes: ['time is event order'] };

/** The same small timeline into both writers: two CPUs, nested calls, an instant with arguments, a counter. */
function write(name: string): { pf: string; cj: string } {
  const pf = join(dir, `${name}.pftrace`);
  const cj = join(dir, `${name}.json`);
  const tl = new Timeline([new PerfettoWriter(pf), new ChromeJsonWriter(cj)], META);
  const c0 = tl.slices(tl.group('cpu0', 'CPU 0'), 'calls', 'function calls');
  const c1 = tl.slices(tl.group('cpu1', 'CPU 1'), 'calls', 'function calls');
  const vm = tl.counterTrack(null, 'VMID');
  const outer = tl.name('outer');
  tl.begin(c0, 1000, outer, 1);
  tl.begin(c0, 2000, tl.name('inner "quoted" ünïcode'), 2, { index: 2 });
  tl.instant(c0, 2500, 'SYSCALL', { index: 3, number: 42, text: 'SYSCALL 42', ok: true, ratio: 0.5 });
  tl.end(c0, 3000, 2, tl.name('inner'));
  tl.begin(c1, 3000, outer, 1);
  tl.counter(vm, 3500, 2);
  tl.end(c1, 3600, 1, outer);
  tl.end(c0, 4000, 1, outer);
  tl.begin(c0, 5000, outer, 1);
  tl.finish(META, 9);
  return { pf, cj };
}

test('the Perfetto file decodes against the public field numbers into the slices, instants and counters written', () => {
  const { pf } = write('a');
  const t = decodePerfetto(pf);
  assert.deepEqual(t.problems, []);
  const proc = t.tracks.get(PROCESS_UUID);
  assert.equal(proc?.kind, 'process');
  assert.equal(proc?.name, 'unit (test)');
  const names = [...t.tracks.values()].map((x) => x.name);
  for (const n of ['CPU 0', 'CPU 1', 'function calls', 'VMID', 'kscope export notes']) assert.ok(names.includes(n), `track ${n}`);
  assert.deepEqual(sliceKeys(t), ['inner "quoted" ünïcode@2000+1000/1', 'outer@1000+3000/0', 'outer@3000+600/0', 'outer@5000+0/0'].sort());
  const sys = t.instants.find((i) => i.name === 'SYSCALL');
  assert.deepEqual(sys?.args, { index: 3, number: 42, text: 'SYSCALL 42', ok: true, ratio: 0.5 });
  assert.deepEqual(t.counters.map((c) => [c.ts, c.value]), [[3500, 2]]);
  assert.equal(t.tracks.get(t.counters[0].track)?.name, 'VMID');
  // Groups are parents of their slice tracks.
  const calls0 = t.tracks.get(t.slices.find((s) => s.name === 'outer')?.track ?? -1);
  assert.equal(t.tracks.get(calls0?.parent ?? -1)?.name, 'CPU 0');
});

test('a repeated name is interned once and referred to by iid afterwards', () => {
  const { pf } = write('b');
  const type = protobuf.loadSync(PERFETTO_PROTO).lookupType('perfetto.protos.Trace');
  const obj = type.toObject(type.decode(readFileSync(pf)), { longs: Number }) as { packet: { internedData?: { eventNames: { name: string }[] } }[] };
  const interned = obj.packet.flatMap((p) => p.internedData?.eventNames ?? []).map((n) => n.name);
  assert.equal(interned.filter((n) => n === 'outer').length, 1);
});

test('the export notes travel as an instant with the time axis and the notes as arguments', () => {
  const { pf } = write('c');
  const t = decodePerfetto(pf);
  const notes = t.instants.find((i) => i.name.startsWith('kscope export'));
  assert.match(notes?.name ?? '', /time is event order/);
  assert.equal(notes?.args.time_axis, 'event-order');
  assert.equal(notes?.args.note_1, 'time is event order');
  assert.equal(notes?.args.events_read, 9);
});

test('the Chrome JSON file holds the same slices, named threads, counters and the metadata', () => {
  const { pf, cj } = write('d');
  const c = decodeChrome(cj);
  assert.deepEqual(c.problems, []);
  assert.deepEqual(sliceKeys(c), sliceKeys(decodePerfetto(pf)));
  assert.ok([...c.tracks.values()].some((x) => x.name === 'CPU 0 · function calls'));
  assert.deepEqual(c.counters.map((x) => [x.ts, x.value]), [[3500, 2]]);
  const k = c.metadata.kscope as { time_axis: string; notes: string[]; slices: number };
  assert.equal(k.time_axis, 'event-order');
  assert.deepEqual(k.notes.slice(0, 1), ['time is event order']);
  assert.equal(k.slices, 4);
});
