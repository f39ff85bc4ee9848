import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_TII_SPEC } from './default-spec.js';
import { CHECKPOINT_EVERY, TiiScanner } from './scanner.js';
import { compileSpec, FIRST_MARKER, UNKNOWN_MARKER, VMID } from './spec.js';

const spec = compileSpec(DEFAULT_TII_SPEC);

/** A deterministic stream with every word class: functions, VMIDs, every marker, unknown markers. */
function stream(n: number, seed: number): Uint16Array {
  let a = seed >>> 0;
  const rand = () => {
    a = (Math.imul(a, 1103515245) + 12345) >>> 0;
    return a / 4294967296;
  };
  const out: number[] = [];
  while (out.length < n) {
    const r = rand();
    if (r < 0.05) {
      const m = spec.markers[Math.floor(rand() * spec.markers.length)];
      out.push(m.word);
      for (let k = 1; k < m.words; k++) out.push(Math.floor(rand() * 65536));
    } else if (r < 0.06) out.push(Math.floor(rand() * 200) << 1);
    else if (r < 0.065) out.push(0xff00 + (Math.floor(rand() * 16) << 1));
    else out.push(((300 + Math.floor(rand() * 3000)) << 1) | (rand() < 0.5 ? 1 : 0));
  }
  return Uint16Array.from(out.slice(0, n));
}

/** The reference walk: each event's type, offset and VMID context before it. */
function walk(words: Uint16Array): { type: number[]; offset: number[]; ctxBefore: number[] } {
  const out = { type: [] as number[], offset: [] as number[], ctxBefore: [] as number[] };
  let vm = -1;
  for (let i = 0; i < words.length; ) {
    const w = words[i];
    const len = spec.lenOf[w];
    if (i + len > words.length) break;
    out.type.push(spec.typeOf[w]);
    out.offset.push(i);
    out.ctxBefore.push(vm);
    if (spec.typeOf[w] === VMID) vm = w >> 1;
    i += len;
  }
  return out;
}

/** Feeds `words` to a scanner in chunks of `size`, carrying a cut event over, as the builders do. */
function scanInChunks(words: Uint16Array, size: number): { sc: TiiScanner; left: number } {
  const sc = new TiiScanner(spec);
  const buf = new Uint16Array(size + spec.maxLen);
  let carry = 0;
  let base = 0;
  for (let pos = 0; pos < words.length; pos += size) {
    const chunk = words.subarray(pos, pos + size);
    buf.set(chunk, carry);
    const avail = carry + chunk.length;
    const stop = sc.scan(buf, 0, avail, base);
    assert.ok(stop <= avail);
    buf.copyWithin(0, stop, avail);
    carry = avail - stop;
    base += stop;
  }
  sc.finish();
  return { sc, left: carry };
}

function snapshot(sc: TiiScanner) {
  return {
    events: sc.events,
    counts: [...sc.counts],
    cpOffset: [...sc.cpOffset.toArray()],
    cpCtx: [...sc.cpCtx.toArray()],
    postings: sc.postings.map((p) => [[...p.index.toArray()], [...p.offset.toArray()], [...p.ctx.toArray()]]),
    unknown: [...sc.unknown.values()].sort((x, y) => x.word - y.word),
    histograms: sc.histograms.map((fs) => fs.map((h) => [...h].sort((x, y) => x[0] - y[0]))),
    stats: sc.stats,
  };
}

describe('tii scanner', () => {
  const words = stream(20_000, 7);
  const ref = walk(words);

  test('chunk sizes 1, 7, 4096 and one piece give the same index', () => {
    const whole = snapshot(scanInChunks(words, words.length).sc);
    for (const size of [1, 7, 4096]) assert.deepEqual(snapshot(scanInChunks(words, size).sc), whole, `chunk size ${size}`);
  });

  test('counts, checkpoints and postings agree with a plain walk', () => {
    const { sc, left } = scanInChunks(words, 4096);
    assert.equal(sc.events, ref.type.length);
    assert.equal(left, words.length - (ref.offset[ref.offset.length - 1] + spec.lenOf[words[ref.offset[ref.offset.length - 1]]]));
    for (let t = 0; t < spec.typeNames.length; t++) {
      assert.equal(sc.counts[t], ref.type.filter((x) => x === t).length, spec.typeNames[t]);
    }
    // A checkpoint every CHECKPOINT_EVERY events: the event's offset and the VMID context before it.
    const cps = Math.ceil(ref.type.length / CHECKPOINT_EVERY);
    assert.equal(sc.cpOffset.length, cps);
    for (let k = 0; k < cps; k++) {
      assert.equal(sc.cpOffset.data[k], ref.offset[k * CHECKPOINT_EVERY], `checkpoint ${k} offset`);
      assert.equal(sc.cpCtx.data[k], ref.ctxBefore[k * CHECKPOINT_EVERY], `checkpoint ${k} context`);
    }
    // Postings of every non-function type: index, offset, context after the event.
    for (let t = VMID; t < spec.typeNames.length; t++) {
      const idx = ref.type.flatMap((x, n) => (x === t ? [n] : []));
      const p = sc.postings[t];
      assert.deepEqual([...p.index.toArray()], idx, `${spec.typeNames[t]} index`);
      assert.deepEqual([...p.offset.toArray()], idx.map((n) => ref.offset[n]), `${spec.typeNames[t]} offset`);
      assert.deepEqual([...p.ctx.toArray()], idx.map((n) => (t === VMID ? words[ref.offset[n]] >> 1 : ref.ctxBefore[n])), `${spec.typeNames[t]} ctx`);
    }
    // Unknown markers: first offset per word value.
    for (const u of sc.unknown.values()) {
      const first = ref.offset.find((o, n) => ref.type[n] === UNKNOWN_MARKER && words[o] === u.word);
      assert.equal(u.firstOffset, first);
    }
    assert.ok(sc.unknown.size > 0 && sc.counts[UNKNOWN_MARKER] > 0);
  });

  test('histogram and stats fields count per value', () => {
    const { sc } = scanInChunks(words, 4096);
    const kexit = spec.typeNames.indexOf('KERNEL_EXIT');
    const durations = ref.offset.filter((_, n) => ref.type[n] === kexit).map((o) => words[o + 1] + words[o + 2] * 65536);
    const s = sc.stats[kexit - FIRST_MARKER][0];
    assert.equal(s.count, durations.length);
    assert.equal(s.zero, durations.filter((d) => d === 0).length);
    assert.equal(s.min, Math.min(...durations));
    assert.equal(s.max, Math.max(...durations));
    const irq = spec.typeNames.indexOf('INTERRUPT');
    const h = sc.histograms[irq - FIRST_MARKER][0];
    for (const o of ref.offset.filter((_, n) => ref.type[n] === irq)) assert.ok((h.get(words[o + 1]) ?? 0) > 0);
  });

  test('scan stops before an event whose payload is cut by the chunk end', () => {
    const kentry = spec.markers.find((m) => m.name === 'KERNEL_ENTRY');
    assert.ok(kentry);
    const w = Uint16Array.from([0x0401, kentry.word, 1, 2, 3, 0x0400]);
    const sc = new TiiScanner(spec);
    assert.equal(sc.scan(w, 0, 3, 0), 1, 'KERNEL_ENTRY needs 4 words, only 2 are in the chunk');
    assert.equal(sc.events, 1);
    assert.equal(sc.scan(w, 1, 6, 0), 6);
    assert.equal(sc.events, 3);
  });
});
