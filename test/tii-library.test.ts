// Generator → index → queries, in-process through the library, against the generator's ground
// truth: every event, every type's filter, the summary. The CLI twin is tii-cli.test.ts.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { consoleLog, dumpLines, generateTii, metaJson, type TiiGenerated } from '../src/gen/tii-generator.js';
import { rng } from '../src/util/rng.js';
import { indexInput, openForQuery } from '../src/index/bundle-cache.js';
import { DEFAULT_TII_SPEC } from '../src/formats/tii-ftrace/index.js';
import type { TiiData, TiiSummary } from '../src/formats/tii-ftrace/index.js';
import { CHECKPOINT_EVERY } from '../src/formats/tii-ftrace/scanner.js';
import type { EventSource } from '../src/model/source.js';
import { UserError } from '../src/util/errors.js';
import { cleanup, core, eventsWithin, referenceDecode, tmpdir, truthCounts, truthEvent, truthOfType, writeStream } from './helpers.js';

after(cleanup);

async function open(path: string, opts: Record<string, string> = {}): Promise<{ src: EventSource; data: TiiData }> {
  const o = await openForQuery(path, opts);
  return { src: o.source, data: o.bundle.manifest.data as TiiData };
}

/** Every event n < events, decoded one at a time, equals the truth. */
function checkEachEvent(src: EventSource, g: TiiGenerated, ns: Iterable<number>): number {
  let k = 0;
  for (const n of ns) {
    assert.deepEqual(core(src.event(n)), truthEvent(g, n), `event ${n}`);
    k++;
  }
  return k;
}

/** All events via range reads, in windows that start anywhere (not on checkpoints). */
function checkRanges(src: EventSource, g: TiiGenerated, events: number, window: number): void {
  let seen = 0;
  for (let from = 0; from < events; from += window) {
    const got = src.events(from, window);
    assert.equal(got.length, Math.min(window, events - from), `events(${from}, ${window}) length`);
    got.forEach((e, j) => assert.deepEqual(core(e), truthEvent(g, from + j), `events(${from}, ${window}) item ${j}`));
    seen += got.length;
  }
  assert.equal(seen, events);
}

/** filter --type T for every type, in full, plus --from/--limit windows, equals the truth. */
function checkFilters(src: EventSource, g: TiiGenerated, events: number): void {
  for (const type of g.spec.typeNames) {
    const want = truthOfType(g, type, 0, -1, events);
    const got: number[] = [];
    src.filter(type, 0, -1, (e) => {
      assert.equal(e.type, type);
      assert.deepEqual(core(e), truthEvent(g, e.index));
      got.push(e.index);
    });
    assert.deepEqual(got, want, `filter ${type}: indexes`);
    // A window from the middle, cut by a limit.
    const from = Math.floor(events / 3) + 1;
    const limit = 7;
    const part: number[] = [];
    src.filter(type, from, limit, (e) => void part.push(e.index));
    assert.deepEqual(part, truthOfType(g, type, from, limit, events), `filter ${type} --from ${from} --limit ${limit}`);
  }
}

function checkSummary(s: TiiSummary, g: TiiGenerated, events: number): void {
  assert.equal(s.events, events);
  assert.deepEqual(s.types, truthCounts(g, events));
  assert.equal(s.kernel.entries, truthCounts(g, events).KERNEL_ENTRY);
  assert.equal(s.kernel.exits, truthCounts(g, events).KERNEL_EXIT);
  // Events per VMID context, from the truth's per-event context.
  const vm: Record<string, number> = {};
  const vmid = g.truth.vmid as Int16Array;
  for (let n = 0; n < events; n++) {
    const k = vmid[n] < 0 ? '?' : String(vmid[n]);
    vm[k] = (vm[k] ?? 0) + 1;
  }
  assert.deepEqual(Object.fromEntries(Object.entries(s.vmids).map(([k, v]) => [k, v.events])), vm);
}

describe('tii in-process: generator → index → queries equal ground truth', () => {
  const dir = tmpdir();
  for (const words of [1, 2, 9, 64, 300, 10_000]) {
    test(`${words} words: every event, every type, summary`, async () => {
      const g = generateTii({ words, seed: words, truth: true });
      const bin = writeStream(join(dir), g.words, metaJson(g), `w${words}.bin`);
      // A few bytes can look like text ("m\nl\n" is two words), so tiny streams name their format.
      const { src, data } = await open(bin, words < 16 ? { format: 'tii-ftrace' } : {});
      try {
        assert.equal(src.count, g.truth.events);
        assert.equal(checkEachEvent(src, g, Array.from({ length: g.truth.events }, (_, n) => n)), g.truth.events);
        checkRanges(src, g, g.truth.events, 97);
        checkFilters(src, g, g.truth.events);
        checkSummary(data.streams[0].summary, g, g.truth.events);
      } finally {
        src.close();
      }
    });
  }

  test('the generator truth agrees with a reference decoder written from the format doc', () => {
    const g = generateTii({ words: 50_000, seed: 11, truth: true });
    const ref = referenceDecode(g.words, DEFAULT_TII_SPEC);
    assert.equal(ref.types.length, g.truth.events);
    for (let n = 0; n < g.truth.events; n++) {
      const t = truthEvent(g, n);
      if (ref.types[n] !== t.type || ref.offsets[n] !== t.offset || ref.vmids[n] !== t.vmid) {
        assert.fail(`event ${n}: reference ${ref.types[n]}@${ref.offsets[n]} vm ${ref.vmids[n]}, truth ${JSON.stringify(t)}`);
      }
    }
  });

  test('1,000,000 words: every event (range reads), a sample one by one, every type, summary', async () => {
    const g = generateTii({ words: 1_000_000, seed: 5, vmids: 4, truth: true });
    const bin = writeStream(dir, g.words, metaJson(g), 'big.bin');
    const r = await indexInput(bin, {});
    assert.equal(r.built, true);
    const { src, data } = await open(bin);
    try {
      const events = g.truth.events;
      assert.equal(src.count, events);
      // Windows longer than the scan window (64 checkpoints) so window seams are crossed.
      checkRanges(src, g, events, 40_000);
      // One by one: around every 97th checkpoint boundary, and a random sample.
      const rand = rng(3);
      const sample = new Set<number>([0, events - 1]);
      for (let k = 1; k * CHECKPOINT_EVERY < events; k += 97) for (const d of [-1, 0, 1]) sample.add(k * CHECKPOINT_EVERY + d);
      for (let i = 0; i < 2000; i++) sample.add(Math.floor(rand() * events));
      checkEachEvent(src, g, sample);
      checkFilters(src, g, events);
      checkSummary(data.streams[0].summary, g, events);
      // The dense function types are scanned; every marker type has a postings list.
      const kept = data.streams[0].postings;
      assert.ok(!kept.includes('FUNC_ENTER') && kept.includes('KERNEL_ENTRY'), `postings: ${kept.join(',')}`);
      // Function ids missing from the dictionary: first offsets and counts from the truth.
      const missing = new Map<number, { first: number; count: number }>();
      const ty = g.truth.type as Uint8Array;
      const off = g.truth.offset as Uint32Array;
      for (let n = 0; n < events; n++) {
        if (ty[n] > 1) continue;
        const id = g.words[off[n]] >> 1;
        if (g.dictionary.has(id)) continue;
        const m = missing.get(id);
        if (m) m.count++;
        else missing.set(id, { first: off[n], count: 1 });
      }
      const fns = data.streams[0].summary.functions;
      assert.equal(fns.missing_count, missing.size);
      assert.ok(missing.size > 0);
      for (const m of fns.missing_from_dictionary) assert.deepEqual({ first: m.first_offset, count: m.count }, missing.get(m.id));
    } finally {
      src.close();
    }
  });

  test('a dense marker type (no postings) is scanned from checkpoints and still equals the truth', async () => {
    // 70k KERNEL_EXIT among function words: too many for a postings list.
    const rand = rng(9);
    const parts: number[] = [];
    while (parts.length < 300_000) {
      if (rand() < 0.4) parts.push(0xffea, Math.floor(rand() * 65536), 0);
      else if (rand() < 0.01) parts.push(Math.floor(rand() * 4) << 1);
      else parts.push(((600 + Math.floor(rand() * 50)) << 1) | (rand() < 0.5 ? 1 : 0));
    }
    const words = Uint16Array.from(parts);
    const ref = referenceDecode(words, DEFAULT_TII_SPEC);
    assert.ok(ref.counts.KERNEL_EXIT > 65536);
    const bin = writeStream(dir, words, undefined, 'dense.bin');
    const { src, data } = await open(bin);
    try {
      assert.ok(!data.streams[0].postings.includes('KERNEL_EXIT'), 'KERNEL_EXIT should be scanned, not listed');
      for (const [type, from, limit] of [['KERNEL_EXIT', 0, -1], ['KERNEL_EXIT', 123_457, 1000], ['VMID', 0, -1], ['FUNC_EXIT', 50_001, 5000]] as const) {
        const want: number[] = [];
        for (let n = from; n < ref.types.length && (limit < 0 || want.length < limit); n++) if (ref.types[n] === type) want.push(n);
        const got: number[] = [];
        src.filter(type, from, limit, (e) => {
          assert.equal(e.offset, ref.offsets[e.index]);
          assert.equal(e.vmid, ref.vmids[e.index]);
          got.push(e.index);
        });
        assert.deepEqual(got, want, `${type} from ${from} limit ${limit}`);
      }
      assert.deepEqual(data.streams[0].summary.types, ref.counts);
    } finally {
      src.close();
    }
  });

  test('a marker cut off at the end: warned with its word offset, every earlier event kept', async () => {
    const g = generateTii({ words: 10_000, seed: 21, truth: true });
    // The last marker of 3+ words, cut after 2 of them.
    const ty = g.truth.type as Uint8Array;
    let k = g.truth.events - 1;
    while (k >= 0 && g.spec.lenOf[g.words[(g.truth.offset as Uint32Array)[k]]] < 3) k--;
    assert.ok(k > 0 && ty[k] >= 4);
    const cutAt = (g.truth.offset as Uint32Array)[k] + 2;
    const bin = writeStream(dir, g.words.slice(0, cutAt), undefined, 'cut.bin');
    const r = await indexInput(bin, {});
    const cut = r.manifest.diagnostics.find((d) => d.code === 'MARKER_CUT_OFF');
    assert.ok(cut, JSON.stringify(r.manifest.diagnostics));
    assert.equal(cut.offset, (g.truth.offset as Uint32Array)[k]);
    assert.equal(cut.unit, 'word');
    assert.equal(eventsWithin(g, cutAt), k);
    const { src, data } = await open(bin);
    try {
      assert.equal(src.count, k);
      checkRanges(src, g, k, 1000);
      checkSummary(data.streams[0].summary, g, k);
    } finally {
      src.close();
    }
  });

  test('an odd byte length: the stray byte is reported at its byte offset, every event kept', async () => {
    const g = generateTii({ words: 3_000, seed: 4, truth: true });
    const bytes = Buffer.concat([Buffer.from(g.words.buffer, g.words.byteOffset, g.words.byteLength), Buffer.from([0xab])]);
    const bin = join(dir, 'odd.bin');
    writeFileSync(bin, bytes);
    const r = await indexInput(bin, {});
    const odd = r.manifest.diagnostics.find((d) => d.code === 'ODD_LENGTH');
    assert.ok(odd);
    assert.equal(odd.offset, bytes.length - 1);
    assert.equal(odd.unit, 'byte');
    const { src } = await open(bin);
    try {
      assert.equal(src.count, g.truth.events);
      checkRanges(src, g, g.truth.events, 500);
    } finally {
      src.close();
    }
  });

  test('an empty stream: a user error when detected, zero events when the format is forced', async () => {
    const bin = join(dir, 'empty.bin');
    writeFileSync(bin, Buffer.alloc(0));
    await assert.rejects(indexInput(bin, {}), (e: unknown) => e instanceof UserError && e.message.includes(bin) && /empty/.test(e.message));
    const r = await indexInput(bin, { format: 'tii-ftrace' });
    assert.ok(r.manifest.diagnostics.some((d) => d.code === 'NO_EVENTS' && d.severity === 'error'));
    const { src } = await open(bin, { format: 'tii-ftrace' });
    try {
      assert.equal(src.count, 0);
      assert.throws(() => src.event(0), UserError);
      const got: unknown[] = [];
      src.filter('FUNC_ENTER', 0, -1, (e) => void got.push(e));
      assert.equal(got.length, 0);
    } finally {
      src.close();
    }
  });
});

describe('tii in-process: a console dump with one undecodable block', () => {
  /**
   * A stream and block size (searched, nothing hand-picked) where block 2's first word is inside a
   * marker (so an event is cut by the loss), block 3 starts on an event, and a VMID switch follows.
   */
  function pick(): { g: TiiGenerated; bw: number } {
    for (let seed = 1; seed < 200; seed++) {
      const g = generateTii({ words: 20_000, seed, vmids: 3, truth: true });
      const off = g.truth.offset as Uint32Array;
      const ty = g.truth.type as Uint8Array;
      const starts = new Set(off.subarray(0, g.truth.events));
      for (let n = 0; n < g.truth.events; n++) {
        const len = g.spec.lenOf[g.words[off[n]]];
        if (off[n] < 3000 || off[n] > 8000 || len < 3) continue;
        const bw = Math.floor(off[n] / 2) + 1;
        const end = 3 * bw;
        if (2 * bw >= off[n] + len || !starts.has(end)) continue;
        const after = off.subarray(0, g.truth.events).findIndex((o) => o >= end);
        if (ty.subarray(after, g.truth.events).includes(2) && (g.truth.vmid as Int16Array)[after] >= 0) return { g, bw };
      }
    }
    throw new Error('no stream has a marker across a block seam');
  }
  const { g, bw } = pick();
  const off = g.truth.offset as Uint32Array;
  const lines = consoleLog([dumpLines(g.words, g.dictionary, { version: 3, blockWords: bw })]).split('\n');
  const blockLine = lines.findIndex((l) => l.startsWith('BLOCK:2:')) + 1;
  // One bad base64 character in block 2 (0-based): words [2bw, 3bw) are lost.
  lines[blockLine + 1] = `${lines[blockLine + 1].slice(0, 20)}#${lines[blockLine + 1].slice(21)}`;
  const dir = tmpdir();
  const log = join(dir, 'serial.log');
  writeFileSync(log, lines.join('\n'));
  const before = eventsWithin(g, 2 * bw);
  const resume = off.subarray(0, g.truth.events).indexOf(3 * bw);
  const count = before + g.truth.events - resume;
  /** Event n of the damaged dump: the truth's, renumbered after the gap, with no VMID context until the next switch. */
  const want: { index: number; type: string; offset: number; vmid: number | null }[] = [];
  for (let n = 0; n < before; n++) want.push(truthEvent(g, n));
  let known = false;
  for (let n = resume; n < g.truth.events; n++) {
    const t = truthEvent(g, n);
    known ||= t.type === 'VMID';
    want.push({ ...t, index: want.length, vmid: known ? t.vmid : null });
  }

  test('the later blocks are kept: every event, by index, range, filter and scan, equals the truth around the gap', async () => {
    const { src, data } = await open(log);
    try {
      assert.equal(src.count, count);
      assert.ok(count > before + 10_000, 'most of the dump is after the lost block');
      src.events(0, count).forEach((e, n) => assert.deepEqual(core(e), want[n], `event ${n}`));
      // One at a time around the gap: each walk starts at a checkpoint before it.
      for (let n = Math.max(0, before - 300); n < Math.min(count, before + 300); n++) assert.deepEqual(core(src.event(n)), want[n], `event(${n})`);
      for (const type of g.spec.typeNames) {
        const got: number[] = [];
        src.filter(type, 0, -1, (e) => void got.push(e.index));
        assert.deepEqual(got, want.filter((w) => w.type === type).map((w) => w.index), `filter ${type}`);
      }
      const scanned: number[] = [];
      src.scan?.((c) => void scanned.push(c.offset));
      assert.deepEqual(scanned, want.map((w) => w.offset));
      const s = data.streams[0].summary;
      assert.equal(s.events, count);
      assert.equal(s.words, g.words.length - bw);
      assert.deepEqual(s.lost, { blocks: 1, words: bw, list: [{ block: 2, line: blockLine, first_word: 2 * bw, words: bw }] });
      const counts: Record<string, number> = Object.fromEntries(g.spec.typeNames.map((t) => [t, 0]));
      for (const w of want) counts[w.type]++;
      assert.deepEqual(s.types, counts);
      assert.match(s.notes.find((x) => x.code === 'BLOCKS_LOST')?.message ?? '', new RegExp(`1 of \\d+ data blocks did not decode \\(first: block 2, line ${blockLine}\\): ${bw} of ${g.words.length} words`));
    } finally {
      src.close();
    }
  });

  test('the diagnostics name the broken block, the bad line and the event the loss cut', async () => {
    const r = await indexInput(log, {});
    const d = r.manifest.diagnostics;
    const broken = d.find((x) => x.code === 'DUMP_BLOCK_BROKEN');
    assert.equal(broken?.line, blockLine);
    assert.match(broken?.message ?? '', new RegExp(`line ${blockLine + 2} in it is not base64 \\("#" at column 21\\)\\); dropped it: ${bw} words lost \\(stream words ${2 * bw}-${3 * bw - 1}\\); decoding resumes at block 3`));
    const cut = d.find((x) => x.code === 'MARKER_CUT_OFF');
    assert.equal(cut?.offset, off[before]);
    assert.match(cut?.message ?? '', /before the words lost with block 2/);
    assert.ok(!d.some((x) => x.code === 'CHECKSUM_MISMATCH'), 'no checksum hint over data known to be incomplete');
  });
});
