// A table built in pieces (as two indexing threads do) reads back exactly like one built whole.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bundle, BundleDraft, BUNDLE_VERSION, ColumnWriter, readManifest, type Column } from './bundle.js';
import { EventTableBuilder, finishTable, newScratch, rescaleLeadingTs, TableSource, type TablePiece } from './event-table.js';

const root = mkdtempSync(join(tmpdir(), 'kscope-table-'));
after(() => rmSync(root, { recursive: true, force: true }));
/** The input the tables point into (events are 39 bytes and a newline each). */
const INPUT = join(root, 'input.log');
writeFileSync(INPUT, Buffer.alloc(120_000 * 40, 0x61));

const TYPES = ['LINE', 'COMMON', 'RARE'];
const decoder = { decode: (_raw: Buffer, _type: number, row: { sub: string }) => ({ fields: { sub: row.sub }, text: '' }) };

/** Deterministic rows: event i of a piece covering lines from `line0`, bytes from `off0`. */
function fill(b: EventTableBuilder, n: number, seed: number, line0: number, off0: number, subs: string[]): void {
  const row = newScratch();
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    row.type = x % 97 === 0 ? 2 : x % 3 === 0 ? 0 : 1;
    row.ts = x % 5 === 0 ? NaN : i / 1000;
    row.cpu = x % 7 === 0 ? -1 : x % 4;
    row.sub = subs[x % subs.length];
    row.aux = row.type === 2 ? x : NaN;
    b.add(line0 + i * 2, off0 + i * 40, 39, row);
  }
}

function build(name: string, parts: { n: number; seed: number; subs: string[] }[], layout = false): { source: TableSource; pieces: TablePiece[]; dir: string } {
  const dir = join(root, name);
  const draft = new BundleDraft(dir);
  const pieces: TablePiece[] = [];
  const lineBases: number[] = [];
  let lines = 0;
  let bytes = 0;
  parts.forEach((p, k) => {
    const end = bytes + p.n * 40;
    const b = new EventTableBuilder(TYPES, new ColumnWriter(draft.tmp, k), 't0.', layout ? { offsets: [bytes, end] } : {});
    // Piece-relative lines from 1, absolute offsets, as scanRange gives them.
    fill(b, p.n, p.seed, 1, bytes, p.subs);
    pieces.push(b.finish());
    lineBases.push(lines);
    lines += p.n * 2;
    bytes = end;
  });
  const t = finishTable(pieces, lineBases, draft.tmp, 't0.', { label: name, typeNames: TYPES, tsUnit: 's', format: 'test', warnings: [], extra: {} });
  const fingerprint = { size: 0, mtimeMs: 0, sample: '' };
  draft.commit({ kscope: 'bundle', version: BUNDLE_VERSION, format: 'test', created: '', input: { path: INPUT, fingerprint }, options: {}, buildOptions: {}, data: {}, diagnostics: [] }, t.columns, t.segmented);
  const m = readManifest(dir);
  assert.ok(m);
  return { source: new TableSource(new Bundle(dir, m), t.info, INPUT, decoder), pieces, dir };
}

/** Every stored value of every event, through the scan cursor and the column reads queries use. */
function dump(s: TableSource): number[][] {
  const out: number[][] = [];
  s.scan((c) => {
    out.push([c.type, c.line, c.ts, c.cpu, c.aux]);
  });
  return out;
}

test('two pieces with their own subsystem ids and relative lines read back as one table', () => {
  const subsA = ['', 'pci', 'ACPI', 'usb'];
  const subsB = ['', 'usb', 'virtio', 'pci', 'EXT4-fs'];
  const whole = (() => {
    // The reference: one builder over both parts, lines and offsets absolute.
    const dir = join(root, 'whole');
    const draft = new BundleDraft(dir);
    const b = new EventTableBuilder(TYPES, new ColumnWriter(draft.tmp, 0));
    fill(b, 70_000, 1, 1, 0, subsA);
    fill(b, 50_000, 2, 140_001, 70_000 * 40, subsB);
    const t = finishTable([b.finish()], [0], draft.tmp, 't0.', { label: 'whole', typeNames: TYPES, tsUnit: 's', format: 'test', warnings: [], extra: {} });
    draft.commit({ kscope: 'bundle', version: BUNDLE_VERSION, format: 'test', created: '', input: { path: INPUT, fingerprint: { size: 0, mtimeMs: 0, sample: '' } }, options: {}, buildOptions: {}, data: {}, diagnostics: [] }, t.columns, t.segmented);
    return { info: t.info, bundle: new Bundle(dir, readManifest(dir)!) };
  })();
  const split = build('split', [
    { n: 70_000, seed: 1, subs: subsA },
    { n: 50_000, seed: 2, subs: subsB },
  ], true);
  const ref = new TableSource(whole.bundle, whole.info, INPUT, decoder);
  assert.equal(split.source.count, 120_000);
  assert.deepEqual(dump(split.source), dump(ref));
  assert.deepEqual(split.source.summary().types, ref.summary().types);
  assert.deepEqual(split.source.summary().cpus, ref.summary().cpus);
  assert.deepEqual(split.source.summary().subsystems, ref.summary().subsystems);
  // Offsets stored as u32 from each piece's start, subsystems remapped per piece.
  const b = (split.source as unknown as { bundle: Bundle }).bundle;
  const wb = whole.bundle;
  for (const col of ['t0.offset', 't0.sub', 't0.line']) {
    const got = b.column<Column>(col);
    assert.deepEqual([...got], [...wb.column<Column>(col)], col);
    // A slice across the piece boundary too.
    assert.deepEqual([...b.slice<Column>(col, 69_990, 20)], [...wb.slice<Column>(col, 69_990, 20)], `${col} across pieces`);
  }
  const offsets = b.manifest.columns['t0.offset'];
  assert.equal(offsets.dtype, 'f64');
  assert.deepEqual(offsets.segments?.map((s) => s.dtype), ['u32', 'u32']);
  // RARE gets postings, the dense types are found by scanning; both give the same answers.
  for (const type of TYPES) {
    const a: number[] = [];
    const w: number[] = [];
    split.source.filter(type, 1000, 50, (e) => void a.push(e.index));
    ref.filter(type, 1000, 50, (e) => void w.push(e.index));
    assert.equal(a.length, 50, type);
    assert.deepEqual(a, w, type);
  }
  // Subsystem names survive the per-piece remap.
  assert.deepEqual(split.source.events(69_900, 200), ref.events(69_900, 200));
  assert.ok(split.source.events(69_900, 200).some((e) => e.fields.sub === 'EXT4-fs'));
});

test('a column holding only its default is not stored, and a piece of defaults costs no file', () => {
  const t = build('defaults', [
    { n: 1000, seed: 3, subs: [''] },
    { n: 1000, seed: 4, subs: ['', 'x'] },
  ]);
  const cols = t.source['bundle' as keyof TableSource] as unknown as Bundle;
  assert.equal(cols.has('t0.sub'), true);
  const sub = cols.manifest.columns['t0.sub'];
  assert.equal(sub.segments?.[0].file, null, 'the first piece had no subsystem: no file');
  assert.equal(sub.segments?.[0].fill, 0);
  assert.ok(!readdirSync(t.dir).includes('t0.sub.0.col'));
  assert.deepEqual([...cols.slice<Uint32Array>('t0.sub', 998, 2)], [0, 0]);
});

test('rescaleLeadingTs divides the first N times of one type in a written piece, and fixes its span', () => {
  const dir = join(root, 'rescale');
  const draft = new BundleDraft(dir);
  const b = new EventTableBuilder(TYPES, new ColumnWriter(draft.tmp, 1));
  fill(b, 150_000, 9, 1, 0, ['']);
  const piece = b.finish();
  // What the piece holds, read straight from its files.
  const read = (name: string, Ctor: Float64ArrayConstructor | Uint8ArrayConstructor) => {
    const seg = piece.columns[`t0.${name}`].segment;
    const bytes = readFileSync(join(draft.tmp, seg.file as string));
    return new Ctor(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  };
  const type = read('type', Uint8Array) as Uint8Array;
  const ts0 = Float64Array.from(read('ts', Float64Array) as Float64Array);
  const count = 70_000;
  const fixed = rescaleLeadingTs(draft.tmp, piece, 't0.', 1, count, 1000);
  const ts1 = read('ts', Float64Array) as Float64Array;
  let seen = 0;
  let first = Infinity;
  let last = -Infinity;
  for (let i = 0; i < type.length; i++) {
    const want = type[i] === 1 && seen++ < count ? ts0[i] / 1000 : ts0[i];
    assert.ok(Object.is(ts1[i], want), `row ${i}`);
    if (want < first) first = want;
    if (want > last) last = want;
  }
  assert.ok(seen > count, 'some COMMON rows come after the fixed ones and keep their time');
  assert.equal(fixed.tsFirst, first);
  assert.equal(fixed.tsLast, last);
  draft.abandon();
});

test('filter reads picked events in runs and gives what one read per event gives, long lines included', () => {
  // One-line events with no length column: lines of very different lengths, some longer than the read-ahead.
  const dir = join(root, 'picked');
  const lens = Array.from({ length: 3000 }, (_, i) => (i % 97 === 0 ? 9000 : 5 + ((i * 31) % 200)));
  const text = lens.map((n, i) => `${String(i).padStart(5, '0')}${'y'.repeat(n)}`).join('\n') + '\n';
  const input = join(root, 'picked.log');
  writeFileSync(input, text);
  const draft = new BundleDraft(dir);
  const b = new EventTableBuilder(TYPES, new ColumnWriter(draft.tmp, 0), 't0.', { offsets: [0, text.length], lineEvents: true });
  const row = newScratch();
  let off = 0;
  lens.forEach((n, i) => {
    row.type = i % 5 === 0 ? 2 : i % 3 === 0 ? 0 : 1;
    b.add(i + 1, off, n + 5, row);
    off += n + 6;
  });
  const t = finishTable([b.finish()], [0], draft.tmp, 't0.', { label: 'picked', typeNames: TYPES, tsUnit: null, format: 'test', warnings: [], extra: {} });
  draft.commit({ kscope: 'bundle', version: BUNDLE_VERSION, format: 'test', created: '', input: { path: input, fingerprint: { size: 0, mtimeMs: 0, sample: '' } }, options: {}, buildOptions: {}, data: {}, diagnostics: [] }, t.columns, t.segmented);
  const raw = { decode: (r: Buffer) => ({ fields: {}, text: r.toString('latin1') }) };
  const src = new TableSource(new Bundle(dir, readManifest(dir)!), t.info, input, raw);
  const lines = text.split('\n');
  for (const type of TYPES) {
    for (const [from, limit] of [[0, -1], [1234, 40], [2999, 5]]) {
      const got: [number, string][] = [];
      src.filter(type, from, limit, (e) => void got.push([e.index, e.text]));
      const want = lines.slice(0, 3000).map((l, i) => [i, l] as [number, string]).filter(([i]) => src.event(i).type === type && i >= from);
      assert.deepEqual(got, limit < 0 ? want : want.slice(0, limit), `${type} from ${from}`);
    }
  }
  src.close();
});

test('narrow columns: stored small while values fit, widened in place when one does not, read back exact', () => {
  const dir = join(root, 'narrow');
  const draft = new BundleDraft(dir);
  const want = { cpu: [] as number[], aux: [] as number[], sub: [] as string[] };
  const pieces: TablePiece[] = [];
  // Piece 0 fits the narrow dtypes throughout; piece 1 fits for its first block, then breaks each at once.
  [0, 1].forEach((k) => {
    const b = new EventTableBuilder(TYPES, new ColumnWriter(draft.tmp, k));
    const row = newScratch();
    for (let i = 0; i < 100_000; i++) {
      const late = k === 1 && i >= 70_000;
      row.type = 1;
      row.ts = i;
      row.cpu = late ? 200 + (i % 50) : i % 4;
      row.aux = late ? 2 ** 40 + i + 0.5 : i % 3 === 0 ? NaN : i % 1000;
      // 80,000 distinct names: past 65,536 the ids no longer fit 16 bits (in the second block).
      row.sub = k === 1 && i >= 20_000 ? `s${i}` : ['', 'pci', 'usb'][i % 3];
      b.add(i + 1, 0, 1, row);
      want.cpu.push(row.cpu);
      want.aux.push(row.aux);
      want.sub.push(row.sub);
    }
    pieces.push(b.finish());
  });
  const t = finishTable(pieces, [0, 100_000], draft.tmp, 't0.', { label: 'narrow', typeNames: TYPES, tsUnit: null, format: 'test', warnings: [], extra: {} });
  draft.commit({ kscope: 'bundle', version: BUNDLE_VERSION, format: 'test', created: '', input: { path: INPUT, fingerprint: { size: 0, mtimeMs: 0, sample: '' } }, options: {}, buildOptions: {}, data: {}, diagnostics: [] }, t.columns, t.segmented);
  const m = readManifest(dir)!;
  const seg = (c: string) => m.columns[`t0.${c}`].segments?.map((s) => s.dtype ?? null);
  assert.deepEqual(seg('cpu'), ['i8', null]);
  assert.deepEqual(seg('aux'), ['f32', null]);
  assert.deepEqual(seg('sub'), ['u16', null]);
  assert.equal(m.columns['t0.cpu'].dtype, 'i16');
  assert.equal(m.columns['t0.aux'].dtype, 'f64');
  const bundle = new Bundle(dir, m);
  assert.deepEqual([...bundle.column<Column>('t0.cpu')], want.cpu);
  assert.deepEqual([...bundle.column<Column>('t0.aux')], want.aux);
  const names = (t.info as unknown as { subNames: string[] }).subNames;
  assert.deepEqual([...bundle.column<Column>('t0.sub')].map((id) => names[id]), want.sub);
  // The widened piece's file holds full-width values only.
  assert.equal(readFileSync(join(dir, 't0.cpu.1.col')).length, 100_000 * 2);
});

test('postings: each piece lists its sparse types as it goes; a type too common early in a piece is read back from its column', () => {
  const dir = join(root, 'postings');
  const draft = new BundleDraft(dir);
  const row = newScratch();
  const want: number[] = [];
  let index = 0;
  // Piece 0 opens with a burst of RARE (dropped from its list early), then only COMMON; piece 1 has RARE now and then.
  const pieces = [0, 1].map((segment) => {
    const b = new EventTableBuilder(TYPES, new ColumnWriter(draft.tmp, segment));
    const n = segment === 0 ? 200_000 : 50_000;
    for (let i = 0; i < n; i++, index++) {
      row.type = segment === 0 ? (i < 10_000 ? 2 : 1) : i % 50 === 0 ? 2 : i % 7 === 0 ? 0 : 1;
      if (row.type === 2) want.push(index);
      b.add(index + 1, index * 40, 39, row);
    }
    return b.finish();
  });
  assert.equal(pieces[0].postings?.[2], null, 'piece 0 stopped listing RARE');
  assert.equal(pieces[1].postings?.[2]?.length, 1000, 'piece 1 listed its RARE events');
  const t = finishTable(pieces, [0, 200_000], draft.tmp, 't0.', { label: 'x', typeNames: TYPES, tsUnit: null, format: 'test', warnings: [], extra: {} });
  assert.deepEqual(t.info.dense, [1], 'COMMON is dense; LINE and RARE get postings');
  const start = t.columns['t0.postings.start'] as Uint32Array;
  const post = t.columns['t0.postings'] as Uint32Array;
  assert.deepEqual([...post.subarray(start[2], start[3])], want);
  // LINE (piece 1 only, and too common there to list) comes out whole and in order too.
  const lines = [...post.subarray(start[0], start[1])];
  assert.equal(lines.length, pieces[1].counts[0]);
  assert.ok(lines.every((v, k) => v >= 200_000 && (k === 0 || v > lines[k - 1])));
  draft.abandon();
});

test('addRows stores runs of rows given by column exactly as add stores them one by one, across blocks', () => {
  // Rows in one 4 MiB "read": starts a line apart; a run of 70,000 crosses the first (small) block and a full one.
  const n = 90_000;
  const starts = new Uint32Array(n);
  const ends = new Uint32Array(n);
  const type = new Uint8Array(n);
  const ts = new Float64Array(n);
  const cpu = new Float64Array(n);
  const sub = new Int32Array(n);
  const aux = new Float64Array(n);
  let x = 7;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    starts[i] = i * 45;
    ends[i] = starts[i] + 30 + (x % 14);
    type[i] = x % 3;
    ts[i] = x % 5 === 0 ? NaN : i / 7;
    cpu[i] = x % 7 === 0 ? -1 : x % 4;
    aux[i] = x % 11 === 0 ? NaN : x % 1000;
  }
  for (const offsets of [true, false]) {
    const layout = offsets ? { offsets: [1000, 1000 + n * 45] as [number, number] } : {};
    const one = new EventTableBuilder(TYPES, undefined, 't0.', layout);
    const bulk = new EventTableBuilder(TYPES, undefined, 't0.', layout);
    const names = ['', 'net', 'sched', 'mm'];
    // The same ids in both tables (`add` interns on first sight).
    for (const s of [...names, 'other']) one.subId(s);
    const ids = names.map((s) => bulk.subId(s));
    bulk.subId('other');
    for (let i = 0; i < n; i++) sub[i] = ids[(i >> 3) % names.length];
    const row = newScratch();
    // Runs of uneven lengths, with single rows added by `add` between them (as a scanner's other lines are).
    let from = 0;
    let line0 = 5;
    for (const len of [1, 300, 70_000, 2, 19_000]) {
      const to = Math.min(n, from + len);
      bulk.addRows(from, to, line0, 1000, { starts, ends, type, ts, cpu, sub, aux });
      for (let i = from; i < to; i++) {
        Object.assign(row, { type: type[i], ts: ts[i], cpu: cpu[i], aux: aux[i], sub: names[(i >> 3) % names.length] });
        one.add(line0 + i, 1000 + starts[i], ends[i] - starts[i], row);
      }
      Object.assign(row, { type: 1, ts: 1.5, cpu: 2, aux: 3, sub: 'other' });
      bulk.add(line0 + to, 1000 + n * 45, 3, row);
      one.add(line0 + to, 1000 + n * 45, 3, row);
      line0 += 1;
      from = to;
    }
    assert.deepEqual(bulk.view(), one.view(), `columns (offsets ${offsets ? 'from a base' : 'as numbers'})`);
    assert.deepEqual(bulk.summary(), one.summary());
    assert.equal(bulk.size, 89_303 + 5);
  }
});
