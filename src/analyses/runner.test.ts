import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fullPass, orderByNeeds, runAnalyses } from './runner.js';
import { ANALYSES, selectAnalyses } from './registry.js';
import { ArraySource, type Row } from './testing.js';
import type { Analysis, AnalysisInstance, Interest, SourceMeta } from './types.js';

const TYPES = ['A', 'B', 'C'];

function meta(src: ArraySource, format = 'test'): SourceMeta {
  return { name: 'input', format, typeNames: src.typeNames, count: src.count, summary: src.summary(), tsUnit: null, path: null, text: null, event: (i) => src.event(i), rescan: (visit) => void fullPass(src, visit) };
}

/** An analysis that records what it saw; `throwAt` makes onEvent throw at that index. */
function recorder(id: string, interest: (m: SourceMeta) => Interest, opts: { needs?: string[]; throwAt?: number; log?: string[] } = {}): Analysis & { seen: number[][] } {
  const seen: number[][] = [];
  return {
    id,
    title: id,
    needs: opts.needs,
    seen,
    create(): AnalysisInstance {
      const mine: number[] = [];
      seen.push(mine);
      let got: unknown = null;
      return {
        begin: (m) => interest(m),
        onEvent(c) {
          if (c.index === opts.throwAt) throw new Error(`boom at ${c.index}`);
          mine.push(c.index);
        },
        end(deps) {
          opts.log?.push(`end ${id}`);
          got = deps.get(opts.needs?.[0] ?? '') ?? null;
        },
        findings: () => [{ code: 'SAW', severity: 'info', title: `${id} saw events`, detail: `${mine.length} events; dep output ${JSON.stringify(got)}`, evidence: mine.slice(0, 1).map((i) => ({ index: i, text: `event ${i}` })), hint: '' }],
        output: () => ({ from: id, events: mine.length }),
      };
    },
  };
}

const rows: Row[] = ['A', 'B', 'A', 'C', 'B', 'A'].map((type) => ({ type }));

test('one scan feeds every analysis the types it asked for, in order', () => {
  const src = new ArraySource(rows, TYPES);
  const all = recorder('all', () => 'all');
  const onlyB = recorder('only-b', (m) => [m.typeNames.indexOf('B')]);
  const none = recorder('none', () => 'none');
  const r = runAnalyses(src, meta(src), [all, onlyB, none], { expect: [] });
  assert.equal(src.scans, 1, 'exactly one pass');
  assert.deepEqual(all.seen[0], [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(onlyB.seen[0], [1, 4]);
  assert.deepEqual(none.seen[0], []);
  assert.equal(r.stats.path, 'scan');
  // Contract fields on every finding.
  for (const f of r.findings) {
    assert.deepEqual(Object.keys(f), ['id', 'code', 'severity', 'title', 'detail', 'evidence', 'hint', 'data', 'source']);
    assert.equal(f.source, 'input');
  }
});

test('nobody wanting events means no pass at all', () => {
  const src = new ArraySource(rows, TYPES);
  const r = runAnalyses(src, meta(src), [recorder('none', () => 'none')], { expect: [] });
  assert.equal(src.scans, 0);
  assert.equal(r.stats.path, 'none');
});

test('an analysis that throws becomes ANALYSIS_FAILED and the others still run', () => {
  const src = new ArraySource(rows, TYPES);
  const bad = recorder('bad', () => 'all', { throwAt: 2 });
  const good = recorder('good', () => 'all');
  const badBegin: Analysis = { id: 'bad-begin', title: 'x', create: () => ({ begin: () => { throw new Error('no'); }, onEvent() {}, end() {}, findings: () => [] }) };
  const r = runAnalyses(src, meta(src), [bad, good, badBegin], { expect: [] });
  assert.deepEqual(good.seen[0], [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(bad.seen[0], [0, 1], 'no events after it threw');
  const failed = r.findings.filter((f) => f.code === 'ANALYSIS_FAILED');
  assert.deepEqual(failed.map((f) => f.id).sort(), ['bad', 'bad-begin']);
  const f = failed.find((x) => x.id === 'bad')!;
  assert.equal(f.severity, 'warning');
  assert.equal(f.data.index, 2);
  assert.match(f.detail, /onEvent at event 2 threw: boom at 2/);
  assert.ok(r.findings.some((x) => x.id === 'good' && x.code === 'SAW'));
});

test('end runs after the end of what an analysis needs, which hands over its output', () => {
  const log: string[] = [];
  const src = new ArraySource(rows, TYPES);
  const user = recorder('user', () => 'none', { needs: ['provider'], log });
  const provider = recorder('provider', () => 'all', { log });
  const r = runAnalyses(src, meta(src), [user, provider], { expect: [] });
  assert.deepEqual(log, ['end provider', 'end user']);
  assert.match(r.findings.find((f) => f.id === 'user')!.detail, /"from":"provider","events":6/);
});

test('selecting an analysis runs what it needs silently', () => {
  const src = new ArraySource(rows, TYPES);
  const user = recorder('user', () => 'none', { needs: ['provider'] });
  const provider = recorder('provider', () => 'all');
  const r = runAnalyses(src, meta(src), [user, provider], { expect: [] }, new Set(['user']));
  assert.deepEqual(r.findings.map((f) => f.id), ['user']);
  assert.equal(provider.seen.length, 1, 'the dependency ran');
});

test('a dependency cycle is named', () => {
  const a = recorder('a', () => 'none', { needs: ['b'] });
  const b = recorder('b', () => 'none', { needs: ['a'] });
  assert.throws(() => orderByNeeds([a, b]), /cycle: a -> b -> a/);
  assert.throws(() => orderByNeeds([recorder('c', () => 'none', { needs: ['zz'] })]), /unknown analysis zz/);
});

test('the sparse path (TII) visits the same events as a scan, from the postings, in order', () => {
  const many: Row[] = [];
  for (let i = 0; i < 20_000; i++) many.push({ type: i % 997 === 0 ? 'B' : i % 1499 === 0 ? 'C' : 'A' });
  const scanSrc = new ArraySource(many, TYPES);
  const a = recorder('sparse', (m) => [m.typeNames.indexOf('B'), m.typeNames.indexOf('C')]);
  runAnalyses(scanSrc, meta(scanSrc), [a], { expect: [] });
  const tiiSrc = new ArraySource(many, TYPES, 'tii-ftrace');
  const b = recorder('sparse', (m) => [m.typeNames.indexOf('B'), m.typeNames.indexOf('C')]);
  const r = runAnalyses(tiiSrc, meta(tiiSrc, 'tii-ftrace'), [b], { expect: [] });
  assert.equal(r.stats.path, 'sparse');
  assert.equal(tiiSrc.scans, 0);
  assert.deepEqual(b.seen[0], a.seen[0]);
  assert.ok(b.seen[0].length > 20);
});

test('the registry has unique kebab-case ids and --only checks them', () => {
  const ids = ANALYSES.map((a) => a.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const id of ids) assert.match(id, /^[a-z]+(?:-[a-z]+)*$/);
  assert.doesNotThrow(() => orderByNeeds(ANALYSES));
  assert.equal(selectAnalyses(undefined), null);
  assert.deepEqual([...(selectAnalyses(['hang,crashes', 'locks']) ?? [])], ['hang', 'crashes', 'locks']);
  assert.throws(() => selectAnalyses(['nope']), /--only: unknown analysis "nope"; known: crashes/);
});
