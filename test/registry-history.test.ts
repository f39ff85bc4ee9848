// The registry's answers over generated histories (hundreds of runs, two architectures), checked
// against the generator's hand-written ground truth: every bug's signature and tests, the flaky
// tests, the fixes. In-process (adding hundreds of runs through the CLI would take minutes);
// test/registry-cli.test.ts drives the same logic through the real CLI on smaller histories.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateHistory, statusMap, type GeneratedHistory, type GenRun } from '../src/gen/test-history.js';
import { buildReport, classify, compareRuns, failureGroups, flakyTests, parity, prepareRun, RunStore, type RunInput } from '../src/registry/index.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'kscope-registry-history-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function genInput(r: GenRun): RunInput {
  return {
    arch: r.arch,
    config: r.config,
    commit: r.commit,
    label: r.label,
    timeMs: r.timeMs,
    artifacts: [{ path: `/gen/${r.index}.ktap`, size: 1, sha256: `gen-${r.index}`, mtimeMs: r.timeMs, format: 'generated', results: r.results, crashes: r.crashes }],
  };
}

describe('generated failures group by their root cause (ground truth)', () => {
  it('every bug of a generated history gets exactly its hand-written signature, blocked tests the hang', () => {
    const g = generateHistory({ runs: 60, tests: 120, seed: 3 });
    for (const run of g.runs) {
      const p = prepareRun({ arch: run.arch, timeMs: run.timeMs, artifacts: [{ path: 'x', size: 0, sha256: `s${run.index}`, mtimeMs: 0, format: 'gen', results: run.results, crashes: run.crashes }] });
      const byTest = new Map(p.results.map((r) => [r.test, r]));
      for (const b of g.truth.bugs) {
        if (b.arch !== run.arch || run.commitIndex < b.from || (b.to !== null && run.commitIndex >= b.to)) continue;
        for (const t of b.tests) assert.equal(byTest.get(t)?.signature, b.signature, `${b.id} ${t} run ${run.index}`);
        for (const t of b.blocks) {
          assert.equal(byTest.get(t)?.status, 'notrun');
          assert.equal(byTest.get(t)?.signature, b.signature);
          assert.equal(byTest.get(t)?.blocked, true);
        }
      }
      // No failure of one bug lands in another bug's group.
      const bugKeys = new Map(g.truth.bugs.filter((b) => b.arch === run.arch).map((b) => [b.signature, new Set([...b.tests, ...b.blocks])]));
      for (const r of p.results) {
        const members = r.signature ? bugKeys.get(r.signature) : undefined;
        if (members) assert.ok(members.has(r.test), `${r.test} wrongly in ${r.signature}`);
      }
    }
  });
});

describe('generated history against its ground truth', () => {
  let g: GeneratedHistory;
  let store: RunStore;
  before(async () => {
    g = generateHistory({ runs: 200, tests: 150, seed: 11 });
    store = await RunStore.open(join(tmp(), 'gen.duckdb'), { write: true });
    for (const r of g.runs) await store.addRun(genInput(r));
  });
  after(() => store.close());

  it('flaky finds exactly the generated flaky tests, and lists bug fixes and regressions apart', async () => {
    const f = await flakyTests(store.db);
    const want = g.truth.flaky.map((x) => `${x.arch} ${x.test}`).sort();
    assert.deepEqual(
      f.flaky.map((x) => `${x.arch} ${x.test}`).sort(),
      want,
    );
    for (let i = 1; i < f.flaky.length; i++) assert.ok(f.flaky[i - 1].flip_rate >= f.flaky[i].flip_rate, 'ordered by flip rate');
    const bugTests = new Set(g.truth.bugs.flatMap((b) => b.tests.map((t) => `${b.arch} ${t}`)));
    for (const c of f.changes) assert.ok(bugTests.has(`${c.arch} ${c.test}`) || g.truth.bugs.some((b) => b.blocks.includes(c.test)), `${c.test} changed but has no bug`);
    // Every bug that was fixed and not re-broken shows as a consistent fix of each of its tests.
    for (const b of g.truth.bugs.filter((x) => x.to !== null && x.to < g.truth.commits && !x.blocks.length)) {
      for (const t of b.tests) assert.ok(f.changes.some((c) => c.arch === b.arch && c.test === t && c.change === 'fixed'), `${b.id} ${t} fixed`);
    }
  });

  it('compare classifies a bug fix exactly: its tests fixed, nothing else but flaky noise', async () => {
    const runs = await store.listRuns();
    for (const b of g.truth.bugs.filter((x) => x.to !== null && x.to < g.truth.commits)) {
      const archRuns = g.runs.filter((r) => r.arch === b.arch);
      const i = archRuns.findIndex((r) => r.commitIndex === b.to);
      const [ga, gb] = [archRuns[i - 1], archRuns[i]];
      const [ra, rb] = [runs[ga.index], runs[gb.index]];
      const c = await compareRuns(store.db, ra, rb);
      const flaky = new Set(g.truth.flaky.filter((f) => f.arch === b.arch).map((f) => f.test));
      const otherEvents = g.truth.bugs.filter((x) => x !== b && x.arch === b.arch && (x.to === b.to || x.from === b.to));
      const expectedFixed = new Set([...b.tests, ...b.blocks, ...otherEvents.filter((x) => x.to === b.to).flatMap((x) => [...x.tests, ...x.blocks])]);
      assert.deepEqual(
        c.fixed.map((e) => e.test).filter((t) => !flaky.has(t)).sort(),
        [...expectedFixed].sort(),
        `fix of ${b.id}`,
      );
      // And the classification of every test agrees with the generated statuses.
      const sa = statusMap(ga);
      const sb = statusMap(gb);
      for (const t of new Set([...sa.keys(), ...sb.keys()])) {
        const want = classify(sa.get(t) ?? null, sb.get(t) ?? null);
        if (want === 'still_passing' || want === 'unchanged') continue;
        assert.ok(c[want].some((e) => e.test === t), `${t}: ${want}`);
      }
    }
  });

  it('failure groups of the latest runs are exactly the active bugs (plus flaky noise under its own signatures)', async () => {
    const latest = await store.latestRuns();
    const groups = await failureGroups(store.db, latest);
    const flakyKeys = new Set(g.truth.flaky.map((f) => `${f.arch} ${f.test}`));
    for (const b of g.truth.bugs) {
      const active = b.to === null || b.to >= g.truth.commits;
      const grp = groups.find((x) => x.signature === b.signature);
      if (!active) {
        assert.ok(!grp || !grp.entries.some((e) => e.arch === b.arch), `${b.id} is fixed`);
        continue;
      }
      assert.ok(grp, `${b.id} group`);
      assert.deepEqual(
        grp.entries.filter((e) => e.arch === b.arch).map((e) => e.test).sort(),
        [...b.tests, ...b.blocks].sort(),
        b.id,
      );
    }
    for (const grp of groups) {
      if (g.truth.bugs.some((b) => b.signature === grp.signature)) continue;
      for (const e of grp.entries) assert.ok(flakyKeys.has(`${e.arch} ${e.test}`), `${e.test} in ${grp.signature} is not flaky`);
    }
    for (let i = 1; i < groups.length; i++) assert.ok(groups[i - 1].tests >= groups[i].tests, 'ranked by tests unblocked');
  });

  it('parity shows the tests each architecture lacks', async () => {
    const p = await parity(store.db, await store.latestRuns());
    const [x86, arm] = [g.truth.tests.x86_64, g.truth.tests.aarch64];
    assert.deepEqual(
      [...p.missing_on.aarch64].sort(),
      x86.filter((t) => !arm.includes(t)).sort(),
    );
    assert.deepEqual(
      [...p.only_on.aarch64].sort(),
      arm.filter((t) => !x86.includes(t)).sort(),
    );
    assert.equal(p.common, x86.filter((t) => arm.includes(t)).length);
  });

  it('the report has every section filled', async () => {
    const d = await buildReport(store);
    assert.equal(d.total_runs, 200);
    assert.deepEqual(
      d.history.map((h) => [h.key, h.points.length]),
      [
        ['aarch64', 100],
        ['x86_64', 100],
      ],
    );
    assert.equal(d.changes.length, 2);
    assert.ok(d.queue.some((q) => q.kind === 'port' && q.id.startsWith('port:aarch64:')));
    assert.ok(d.queue.some((q) => q.kind === 'fix' && q.id === 'errno:EFAULT'));
    assert.equal(d.flaky.flaky.length, g.truth.flaky.length);
  });
});

describe('flakiness without commits', () => {
  it('still finds exactly the flaky tests from short excursions, and not the regressions', async () => {
    const g = generateHistory({ runs: 120, tests: 80, seed: 5, commits: false });
    const s = await RunStore.open(join(tmp(), 'nocommit.duckdb'), { write: true });
    try {
      for (const r of g.runs) await s.addRun(genInput(r));
      const f = await flakyTests(s.db);
      assert.deepEqual(
        f.flaky.map((x) => `${x.arch} ${x.test}`).sort(),
        g.truth.flaky.map((x) => `${x.arch} ${x.test}`).sort(),
      );
    } finally {
      s.close();
    }
  });
});
