import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import type { TestResult } from '../model/test-result.js';
import { UserError } from '../util/errors.js';
import { classify, compareRuns } from './compare.js';
import { failureGroups } from './failures.js';
import { analyseHistory, flakyTests, judge, type TestHistoryStats } from './flaky.js';
import { parity } from './parity.js';
import { RunStore, SCHEMA_VERSION, storePath } from './store.js';
import type { RunInput } from './types.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'kscope-registry-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function result(name: string, status: TestResult['status'], message = '', suite = 'net'): TestResult {
  return { name, suite, status, message, line: 1, source: 'test' };
}

function runInput(arch: string, sha: string, results: TestResult[], extra: Partial<RunInput> = {}): RunInput {
  return { arch, timeMs: Date.UTC(2026, 1, 2), artifacts: [{ path: `/a/${sha}.log`, size: 10, sha256: sha, mtimeMs: 0, format: 'test', results, crashes: [] }], ...extra };
}

async function rejects(p: Promise<unknown>, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.match(e.message, re);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
}

describe('store path', () => {
  it('--store beats KSCOPE_STORE beats .kscope/runs.duckdb under the working directory', () => {
    assert.equal(storePath(undefined, {}, '/w'), '/w/.kscope/runs.duckdb');
    assert.equal(storePath(undefined, { KSCOPE_STORE: '/s/x.duckdb' }, '/w'), '/s/x.duckdb');
    assert.equal(storePath('rel.duckdb', { KSCOPE_STORE: '/s/x.duckdb' }, '/w'), '/w/rel.duckdb');
  });
});

describe('run store', () => {
  it('adds a run, says so when the same artifacts come again, and removes it with everything stored for it', async () => {
    const path = join(tmp(), 'runs.duckdb');
    const s = await RunStore.open(path, { write: true });
    try {
      const a = await s.addRun(runInput('aarch64', 'aaa', [result('udp', 'fail', 'sendto returned -101'), result('tcp', 'pass'), result('dns', 'skip')], { commit: 'c0ffee', label: 'first' }));
      assert.equal(a.added, true);
      assert.equal(a.run.id, 1);
      assert.deepEqual([a.run.tests, a.run.pass, a.run.fail, a.run.skip], [3, 1, 1, 1]);
      assert.equal(a.run.pass_rate, 0.5);
      assert.equal(a.run.artifacts?.[0].sha256, 'aaa');
      const again = await s.addRun(runInput('aarch64', 'aaa', [result('udp', 'fail')]));
      assert.equal(again.added, false);
      assert.equal(again.run.id, 1);
      // Same artifacts under another arch are another run.
      assert.equal((await s.addRun(runInput('x86_64', 'aaa', [result('udp', 'pass')]))).added, true);
      assert.equal((await s.listRuns()).length, 2);
      const sig = await s.db.one(`SELECT signature FROM results WHERE run_id = 1 AND name = 'udp'`);
      assert.equal(sig?.signature, 'errno:ENETUNREACH');
      const removed = await s.removeRuns([1]);
      assert.equal(removed[0].id, 1);
      assert.deepEqual(
        (await s.listRuns()).map((r) => r.id),
        [2],
      );
      for (const t of ['results', 'artifacts', 'crashes']) assert.equal((await s.db.one(`SELECT count(*) AS n FROM ${t} WHERE run_id = 1`))?.n, 0, t);
      assert.equal((await s.db.one(`SELECT count(*) AS n FROM signatures`))?.n, 0, 'orphaned signatures go too');
      await rejects(s.removeRuns([99]), /no run 99/);
      // Ids are never reused, so a removed run's id cannot silently name another.
      assert.equal((await s.addRun(runInput('aarch64', 'bbb', [result('udp', 'pass')]))).run.id, 3);
    } finally {
      s.close();
    }
  });

  it('a run that fails half-way leaves nothing behind (one transaction per add)', async () => {
    const path = join(tmp(), 'runs.duckdb');
    const s = await RunStore.open(path, { write: true });
    try {
      await s.addRun(runInput('aarch64', 'ok1', [result('a', 'pass')]));
      // A null suite violates NOT NULL when the results are written, after the run row went in.
      const bad = { ...result('b', 'pass'), suite: null as unknown as string };
      await assert.rejects(s.addRun(runInput('aarch64', 'bad', [result('a', 'pass'), bad])));
      assert.equal((await s.listRuns()).length, 1);
      for (const t of ['runs', 'results', 'artifacts']) assert.equal((await s.db.one(`SELECT count(*) AS n FROM ${t}`))?.n, 1, t);
    } finally {
      s.close();
    }
  });

  it('resolves run selectors', async () => {
    const s = await RunStore.open(join(tmp(), 'runs.duckdb'), { write: true });
    try {
      for (const [i, arch] of ['x86_64', 'aarch64', 'x86_64', 'aarch64'].entries()) {
        await s.addRun(runInput(arch, `s${i}`, [result('t', 'pass')], { timeMs: Date.UTC(2026, 0, 1 + i) }));
      }
      assert.equal((await s.resolveRun('2')).id, 2);
      assert.equal((await s.resolveRun('latest')).id, 4);
      assert.equal((await s.resolveRun('latest~1')).id, 3);
      assert.equal((await s.resolveRun('previous:x86_64')).id, 1);
      assert.equal((await s.resolveRun('latest:amd64')).id, 3);
      await rejects(s.resolveRun('latest~5:aarch64'), /no run matches/);
      await rejects(s.resolveRun('banana'), /expected a run id/);
      assert.deepEqual(
        (await s.latestRuns()).map((r) => r.id),
        [4, 3],
      );
    } finally {
      s.close();
    }
  });

  it('refuses a store from a newer schema, a foreign database, a non-database and a missing store, in one line each', async () => {
    const d = tmp();
    const path = join(d, 'runs.duckdb');
    (await RunStore.open(path, { write: true })).close();
    const inst = await DuckDBInstance.create(path);
    const c = await inst.connect();
    await c.run(`UPDATE kscope_schema SET version = ${SCHEMA_VERSION + 98}`);
    c.closeSync();
    inst.closeSync();
    await rejects(RunStore.open(path), new RegExp(`schema version ${SCHEMA_VERSION + 98}, newer than this kscope reads \\(${SCHEMA_VERSION}\\)`));
    await rejects(RunStore.open(path, { write: true }), /newer than this kscope reads/);

    const foreign = join(d, 'other.duckdb');
    const i2 = await DuckDBInstance.create(foreign);
    const c2 = await i2.connect();
    await c2.run('CREATE TABLE t (x INTEGER)');
    c2.closeSync();
    i2.closeSync();
    await rejects(RunStore.open(foreign, { write: true }), /not a kscope run store/);

    const junk = join(d, 'junk.duckdb');
    writeFileSync(junk, 'this is not a database\n'.repeat(400));
    await rejects(RunStore.open(junk), /not a run store/);
    await rejects(RunStore.open(join(d, 'missing.duckdb')), /no run store here/);
  });
});

describe('flaky judgement', () => {
  it('cuts an outcome string into segments: flips, interior blips, current outcome and where it began', () => {
    const ids = Array.from({ length: 12 }, (_, i) => 100 + i);
    assert.deepEqual(analyseHistory('PPPPFFFFPPPP', ids), { flips: 2, blips: 0, passes: 8, last: 'pass', sinceRun: 108 });
    assert.deepEqual(analyseHistory('PPPFPPPPFFPP', ids), { flips: 4, blips: 2, passes: 9, last: 'pass', sinceRun: 110 });
    // Short first and last segments are not blips: one is the past, the other may be the start of a change.
    assert.deepEqual(analyseHistory('FPPPPPPPPPPF', ids), { flips: 2, blips: 0, passes: 10, last: 'fail', sinceRun: 111 });
    assert.deepEqual(analyseHistory('PPPP', ids), { flips: 0, blips: 0, passes: 4, last: 'pass', sinceRun: 100 });
  });

  const base: TestHistoryStats = {
    arch: 'a', config: '', test: 't', suite: '', name: 't', runs: 10, passes: 8, failures: 2, flips: 2, flip_rate: 0.2, fail_rate: 0.2,
    mixed_commits: 0, blips: 0, commits_known: false, last_outcome: 'pass', since_run: 1, history: 'PPPPFFPPPP',
  };
  it('same commit, both outcomes: flaky; a short excursion without commits: flaky; with commits it takes two', () => {
    assert.equal(judge({ ...base, mixed_commits: 1 }).kind, 'flaky');
    assert.equal(judge({ ...base, blips: 1 }).kind, 'flaky');
    assert.equal(judge({ ...base, blips: 1, commits_known: true }).kind, 'fixed');
    assert.equal(judge({ ...base, blips: 2, commits_known: true }).kind, 'flaky');
    assert.equal(judge({ ...base, flips: 1, last_outcome: 'fail' }).kind, 'regressed');
    assert.equal(judge({ ...base, flips: 0 }).kind, 'stable');
  });
});

describe('queries over a small hand-made history', () => {
  it('compare, parity, failures and flaky agree with what was stored', async () => {
    const s = await RunStore.open(join(tmp(), 'small.duckdb'), { write: true });
    try {
      const t = (d: number) => Date.UTC(2026, 1, d);
      // aarch64: udp fails with ENETUNREACH until the fix in run 3; arm-only test exists only there.
      await s.addRun(runInput('aarch64', 'a1', [result('udp', 'fail', 'sendto returned -101'), result('tcp', 'pass'), result('arm_only', 'pass')], { timeMs: t(1), commit: 'c1' }));
      await s.addRun(runInput('aarch64', 'a2', [result('udp', 'fail', 'errno 101'), result('tcp', 'pass'), result('arm_only', 'pass')], { timeMs: t(2), commit: 'c2' }));
      await s.addRun(runInput('aarch64', 'a3', [result('udp', 'pass'), result('tcp', 'fail', 'socketpair returned -14'), result('arm_only', 'pass'), result('new_one', 'pass')], { timeMs: t(3), commit: 'c3' }));
      await s.addRun(runInput('x86_64', 'x1', [result('udp', 'pass'), result('tcp', 'pass'), result('x86_only', 'fail', 'expected 3, got 4')], { timeMs: t(1), commit: 'c1' }));
      const runs = await s.listRuns();
      const c = await compareRuns(s.db, runs.find((r) => r.id === 2)!, runs.find((r) => r.id === 3)!);
      assert.deepEqual(c.fixed.map((e) => e.test), ['net:udp']);
      assert.deepEqual(c.regressed.map((e) => e.test), ['net:tcp']);
      assert.deepEqual(c.new.map((e) => e.test), ['net:new_one']);
      assert.equal(c.signatures['errno:EFAULT'], 'EFAULT (14)');
      assert.equal(classify('notrun', 'pass'), 'fixed');
      assert.equal(classify('pass', 'skip'), 'not_run');
      assert.equal(classify('skip', 'fail'), 'other');

      const latest = await s.latestRuns();
      const p = await parity(s.db, latest);
      assert.deepEqual(p.columns.map((x) => x.key), ['aarch64', 'x86_64']);
      assert.deepEqual(p.missing_on, { aarch64: ['net:x86_only'], x86_64: ['net:arm_only', 'net:new_one'] });
      assert.equal(p.rows.find((r) => r.test === 'net:tcp')?.differs, true);

      const groups = await failureGroups(s.db, latest);
      assert.deepEqual(groups.map((g) => [g.signature, g.tests, g.columns]), [
        ['errno:EFAULT', 1, { aarch64: 1 }],
        ['assert:expected <n>, got <n>', 1, { x86_64: 1 }],
      ]);

      const f = await flakyTests(s.db);
      assert.deepEqual(f.flaky, []);
      assert.deepEqual(f.changes.map((x) => [x.test, x.change, x.since_run]), [['net:tcp', 'regressed', 3], ['net:udp', 'fixed', 3]]);
    } finally {
      s.close();
    }
  });
});
