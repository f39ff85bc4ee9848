// End-to-end tests of the run registry through the CLI, as a user runs it: a spawned `kscope`
// against a real DuckDB file in a temp dir. Real Breenix serial captures (green and red runs)
// give real regressions and fixes; generated KTAP histories give flaky tests and fixes with
// ground truth; bad input (unknown arch, newer schema, a locked store) must give one line.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { generateHistory, statusMap, toKtap, type GeneratedHistory } from '../src/gen/test-history.js';

/** Compiled tests run from dist/test/, so the repo root is two levels up. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const SAMPLES = join(ROOT, '..', 'shared', 'samples', 'breenix');

const dirs: string[] = [];
function tmp(prefix = 'kscope-registry-cli-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const CLI = MAIN;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function kscope(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const env = { ...process.env, ...opts.env };
  if (!opts.env || !('KSCOPE_STORE' in opts.env)) delete env.KSCOPE_STORE;
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: opts.cwd, env, encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function noStack(r: CliResult, what: string): void {
  assert.ok(!/^\s+at /m.test(r.stderr + r.stdout), `${what}: stack trace:\n${r.stderr}`);
  assert.ok(!r.stderr.includes('internal error'), `${what}: internal error:\n${r.stderr}`);
}

function ok(r: CliResult, what: string): CliResult {
  noStack(r, what);
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}\n${r.stdout.slice(0, 2000)}`);
  return r;
}

/** A user error: non-zero exit, exactly one line on stderr, matching `re`. */
function userError(r: CliResult, re: RegExp, what: string): void {
  noStack(r, what);
  assert.notEqual(r.code, 0, `${what}: expected failure; stdout:\n${r.stdout}`);
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `${what}: expected one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0], re, what);
}

function json<T>(r: CliResult): T {
  return JSON.parse(r.stdout) as T;
}

interface RunJson {
  id: number;
  arch: string;
  commit: string | null;
  tests: number;
  pass: number;
  fail: number;
  timeout: number;
  error: number;
  skip: number;
  notrun: number;
}
interface AddJson {
  added: boolean;
  run: RunJson;
}
interface EntryJson {
  test: string;
  before: string | null;
  after: string | null;
}
type CompareJson = Record<'fixed' | 'regressed' | 'new' | 'disappeared' | 'still_failing' | 'not_run' | 'other', EntryJson[]>;
interface FlakyJson {
  flaky: { arch: string; test: string; flip_rate: number }[];
  changes: { arch: string; test: string; change: string }[];
}

const haveSamples = existsSync(SAMPLES);

describe('Breenix serial captures as aarch64 runs', { skip: haveSamples ? false : `no Breenix samples at ${SAMPLES}` }, () => {
  let dir: string;
  const store = () => ['--store', join(dir, 'runs.duckdb')];
  // Green and red captures of the same test suite, in the order they were taken; commits make
  // the red excursion a regression and its fix rather than flakiness.
  const runs = [
    { file: 'p5b-serials__589-fulltest-phase1c-20260817-230637.txt', commit: 'a1a1a1a', label: 'fulltest phase1c' },
    { file: 'p5b-serials__589-fulltest-phase1c-20260817-235600.txt', commit: 'a1a1a1a', label: 'fulltest phase1c rerun' },
    { file: 'p5b-serials__mutation-M2-guard-inverted.txt', commit: 'b2b2b2b', label: 'M2 guard inverted' },
    { file: 'p5b-serials__mutation-M3-pid-not-group.txt', commit: 'c3c3c3c', label: 'M3 pid not group' },
    { file: 'p5b-serials__green-quiesce-walk-max.txt', commit: 'd4d4d4d', label: 'quiesce walk fix' },
  ];
  const ids: number[] = [];

  /** The suite's own tally line, `[TESTS_COMPLETE:105/105:FAILED:1]`: the artifact's word on its counts. */
  function tally(file: string): { total: number; failed: number } {
    const m = /\[TESTS_COMPLETE:(\d+)\/(\d+)(?::FAILED:(\d+))?\]/.exec(readFileSync(join(SAMPLES, file), 'utf8'));
    assert.ok(m, `${file} has a tally`);
    return { total: Number(m[2]), failed: Number(m[3] ?? 0) };
  }

  before(() => {
    dir = tmp();
    runs.forEach((r, i) => {
      const out = ok(kscope(['runs', 'add', join(SAMPLES, r.file), '--arch', 'arm64', '--commit', r.commit, '--label', r.label, '--time', `2026-08-17T0${i + 1}:00:00Z`, '--json', ...store()]), `add ${r.file}`);
      const v = json<AddJson>(out);
      assert.equal(v.added, true);
      ids.push(v.run.id);
    });
  });

  it('stores each run with exactly the counts the suite itself printed, arch normalised', () => {
    const list = ok(kscope(['runs', 'list', '--json', ...store()]), 'list')
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l) as RunJson);
    assert.equal(list.length, runs.length);
    list.forEach((r, i) => {
      const t = tally(runs[i].file);
      assert.equal(r.arch, 'aarch64');
      assert.equal(r.tests, t.total, runs[i].file);
      assert.equal(r.fail + r.timeout + r.error, t.failed, runs[i].file);
      assert.equal(r.pass, t.total - t.failed, runs[i].file);
    });
    const text = ok(kscope(['runs', 'list', ...store()]), 'list text').stdout;
    assert.match(text, /M2 guard inverted/);
  });

  it('re-adding the same capture is a no-op that says so', () => {
    const r = ok(kscope(['runs', 'add', join(SAMPLES, runs[2].file), '--arch', 'aarch64', ...store()]), 're-add');
    assert.match(r.stdout, /already holds these artifacts for aarch64; nothing added/);
    assert.equal(ok(kscope(['runs', 'list', '--json', ...store()]), 'list').stdout.trim().split('\n').length, runs.length);
  });

  it('compare finds the real regression and its fix', () => {
    const reg = json<CompareJson>(ok(kscope(['compare', String(ids[1]), String(ids[2]), '--json', ...store()]), 'compare green→red'));
    assert.deepEqual(
      reg.regressed.map((e) => e.test),
      ['process:init_group_refusal_oracle'],
    );
    assert.deepEqual([reg.fixed.length, reg.new.length, reg.disappeared.length], [0, 0, 0]);
    const still = json<CompareJson>(ok(kscope(['compare', String(ids[2]), String(ids[3]), '--json', ...store()]), 'compare red→red'));
    assert.deepEqual(
      still.still_failing.map((e) => e.test),
      ['process:init_group_refusal_oracle'],
    );
    const fix = ok(kscope(['compare', 'latest~1', 'latest', ...store()]), 'compare red→green').stdout;
    assert.match(fix, /1 fixed, 0 regressed/);
    assert.match(fix, /process:init_group_refusal_oracle\s+fail → pass/);
  });

  it('flaky keeps the regression-and-fix apart from flakiness', () => {
    const f = json<FlakyJson>(ok(kscope(['flaky', '--json', ...store()]), 'flaky'));
    assert.deepEqual(f.flaky, []);
    assert.deepEqual(
      f.changes.map((c) => [c.test, c.change]),
      [['process:init_group_refusal_oracle', 'fixed']],
    );
  });

  it('runs show and failures name the failing test and its message', () => {
    const show = ok(kscope(['runs', 'show', String(ids[2]), ...store()]), 'show').stdout;
    assert.match(show, /init group refusal None arm refused a group/);
    assert.match(show, /process:init_group_refusal_oracle/);
    const q = ok(kscope(['failures', '--runs', String(ids[3]), ...store()]), 'failures').stdout;
    assert.match(q, /1\. fix .* → unblocks 1 test \(init_group_refusal_oracle\)/);
  });

  it('report --markdown reads like the parity notes', () => {
    const md = ok(kscope(['report', '--markdown', ...store()]), 'report').stdout;
    for (const h of ['# Test report: aarch64', '## Executive summary', '### Test inventory comparison', '## Priority queue: ordered by tests unblocked', '## Pass rate history', '## Changes since the previous run', '## Flaky tests', '## Passing tests']) {
      assert.ok(md.includes(h), `report has ${h}`);
    }
    assert.match(md, /#### Tests fixed by run \d+ \(quiesce walk fix\) \(1\)/);
    assert.match(md, /`process:init_group_refusal_oracle` \| fail \| pass/);
    assert.match(md, /99\.05% \(104\/105\)/);
  });

  it('rm removes a run', () => {
    const extra = ok(kscope(['runs', 'add', join(SAMPLES, '607-576-serials__legK-red-testcommit-c3b0133d-esr8600000d.txt'), '--arch', 'aarch64', '--json', ...store()]), 'add legK');
    const id = json<AddJson>(extra).run.id;
    ok(kscope(['runs', 'rm', String(id), ...store()]), 'rm');
    const list = ok(kscope(['runs', 'list', '--json', ...store()]), 'list').stdout;
    assert.ok(!list.split('\n').some((l) => l.includes(`"id":${id},`)), 'removed run is gone');
    userError(kscope(['runs', 'show', String(id), ...store()]), new RegExp(`no run ${id}`), 'show removed');
  });
});

const KUNIT = join(ROOT, 'test', 'fixtures', 'test-results');
const kunit = (name: string) => join(KUNIT, name);
const haveKunit = ['x86_64-kunit.log.gz', 'arm64-kunit.log.gz', 'arm64-kunit-hang.log.gz'].every((f) => existsSync(kunit(f)));

// Real KTAP from Debian 12's own kernels under QEMU on both architectures (test/fixtures/test-results/README.md
// says what each holds): the counts it states are the truth here.
describe('Debian KUnit captures on x86_64 and arm64', { skip: haveKunit ? false : `KUnit captures not in ${KUNIT} yet` }, () => {
  let dir: string;
  const store = () => ['--store', join(dir, 'runs.duckdb')];
  const ids: Record<string, number> = {};
  before(() => {
    dir = tmp();
    const add = (file: string, arch: string, time: string) =>
      json<AddJson>(ok(kscope(['runs', 'add', kunit(file), '--arch', arch, '--config', 'debian-6.1', '--time', time, '--json', ...store()]), `add ${file}`)).run;
    ids.x86 = add('x86_64-kunit.log.gz', 'amd64', '2026-03-01T10:00:00Z').id;
    ids.arm = add('arm64-kunit.log.gz', 'arm64', '2026-03-01T10:05:00Z').id;
  });

  it('stores exactly the counts the README states', () => {
    const list = ok(kscope(['runs', 'list', '--json', ...store()]), 'list')
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l) as RunJson);
    const x86 = list.find((r) => r.id === ids.x86);
    const arm = list.find((r) => r.id === ids.arm);
    assert.deepEqual([x86?.tests, x86?.pass, x86?.fail, x86?.skip], [111, 105, 2, 4]);
    assert.deepEqual([arm?.tests, arm?.pass, arm?.fail, arm?.skip], [111, 106, 2, 3]);
  });

  it('parity shows the one test that really differs between the architectures', () => {
    const p = json<{ rows: { test: string; differs: boolean; cells: Record<string, string> }[]; missing_on: Record<string, string[]> }>(ok(kscope(['parity', '--json', ...store()]), 'parity'));
    const differ = p.rows.filter((r) => r.differs);
    assert.deepEqual(
      differ.map((r) => [r.test, r.cells['x86_64/debian-6.1'], r.cells['aarch64/debian-6.1']]),
      [['kscope-demo:demo_arch', 'skip', 'pass']],
    );
    assert.deepEqual(p.missing_on, { aarch64: [], x86_64: [] });
  });

  it('one ENETUNREACH failure on both architectures is one root cause', () => {
    const f = json<{ groups: { signature: string; tests: number; columns: Record<string, number>; entries: { test: string }[] }[] }>(ok(kscope(['failures', '--json', ...store()]), 'failures'));
    const net = f.groups.find((g) => g.signature === 'errno:ENETUNREACH');
    assert.ok(net, 'ENETUNREACH group');
    assert.deepEqual(net.columns, { 'x86_64/debian-6.1': 1, 'aarch64/debian-6.1': 1 });
    assert.deepEqual([...new Set(net.entries.map((e) => e.test))], ['kscope-demo:demo_fail']);
  });

  it('the capture that hung: a regression, and the hang unblocks the test the plan never reached', () => {
    const hang = json<AddJson>(ok(kscope(['runs', 'add', kunit('arm64-kunit-hang.log.gz'), '--arch', 'arm64', '--config', 'debian-6.1', '--time', '2026-03-02T10:00:00Z', '--json', ...store()]), 'add hang')).run;
    assert.deepEqual([hang.tests, hang.timeout, hang.notrun], [111, 1, 1]);
    const c = json<CompareJson>(ok(kscope(['compare', String(ids.arm), String(hang.id), '--json', ...store()]), 'compare'));
    assert.deepEqual(
      c.regressed.map((e) => e.test),
      ['kscope-hang:hang_sleeps'],
    );
    const q = ok(kscope(['failures', '--runs', String(hang.id), ...store()]), 'failures').stdout;
    assert.match(q, /^\s+1\. fix hang: sleeping <n> ms → unblocks 2 tests \(hang_sleeps and 1 unnamed\)/m);
  });
});

describe('generated KTAP histories on two architectures', () => {
  let dir: string;
  let g: GeneratedHistory;
  const ids: number[] = [];
  const store = () => ['--store', join(dir, 'runs.duckdb')];

  before(() => {
    dir = tmp();
    // The hang is left out: a KTAP log cannot name the tests that never ran.
    g = generateHistory({ runs: 24, tests: 60, seed: 4, runsPerCommit: 3, hang: false, flaky: 3 });
    for (const r of g.runs) {
      const f = join(dir, `run-${r.index}.ktap`);
      writeFileSync(f, toKtap(r));
      const args = ['runs', 'add', f, '--arch', r.arch === 'x86_64' ? 'amd64' : 'arm64', '--label', r.label, '--time', String(r.timeMs / 1000), '--json', ...store()];
      if (r.commit) args.push('--commit', r.commit);
      ids.push(json<AddJson>(ok(kscope(args), `add run ${r.index}`)).run.id);
    }
  });

  it('every stored count matches the generated statuses', () => {
    const list = ok(kscope(['runs', 'list', '--json', ...store()]), 'list')
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l) as RunJson);
    assert.equal(list.length, g.runs.length);
    list.forEach((r, i) => {
      const want = { pass: 0, fail: 0, skip: 0, timeout: 0, error: 0 };
      for (const x of g.runs[i].results) if (x.status !== 'notrun') want[x.status]++;
      assert.deepEqual({ pass: r.pass, fail: r.fail, skip: r.skip, timeout: r.timeout, error: r.error }, want, `run ${i}`);
    });
  });

  it('flaky finds exactly the generated flaky tests', () => {
    const f = json<FlakyJson>(ok(kscope(['flaky', '--json', ...store()]), 'flaky'));
    assert.deepEqual(
      f.flaky.map((x) => `${x.arch} ${x.test}`).sort(),
      g.truth.flaky.map((x) => `${x.arch} ${x.test}`).sort(),
    );
  });

  it('compare classifies every test of consecutive runs as the generated statuses say', () => {
    for (const arch of ['x86_64', 'aarch64']) {
      const mine = g.runs.filter((r) => r.arch === arch);
      for (let i = 1; i < mine.length; i += 4) {
        const [a, b] = [mine[i - 1], mine[i]];
        const c = json<CompareJson>(ok(kscope(['compare', String(ids[a.index]), String(ids[b.index]), '--json', ...store()]), 'compare'));
        const sa = statusMap(a);
        const sb = statusMap(b);
        const fixed = [...sb].filter(([t, s]) => s === 'pass' && sa.has(t) && sa.get(t) !== 'pass' && sa.get(t) !== 'skip').map(([t]) => t);
        const regressed = [...sb].filter(([t, s]) => s !== 'pass' && s !== 'skip' && sa.get(t) === 'pass').map(([t]) => t);
        assert.deepEqual(c.fixed.map((e) => e.test).sort(), fixed.sort(), `${arch} fixed ${a.index}→${b.index}`);
        assert.deepEqual(c.regressed.map((e) => e.test).sort(), regressed.sort(), `${arch} regressed ${a.index}→${b.index}`);
      }
    }
  });

  it('parity shows the tests aarch64 lacks and the ones only it has', () => {
    const p = json<{ missing_on: Record<string, string[]>; only_on: Record<string, string[]>; columns: { key: string }[] }>(ok(kscope(['parity', '--json', ...store()]), 'parity'));
    assert.deepEqual(
      p.columns.map((c) => c.key),
      ['aarch64', 'x86_64'],
    );
    const [x86, arm] = [g.truth.tests.x86_64, g.truth.tests.aarch64];
    assert.deepEqual(p.missing_on.aarch64.sort(), x86.filter((t) => !arm.includes(t)).sort());
    assert.deepEqual(p.only_on.aarch64.sort(), arm.filter((t) => !x86.includes(t)).sort());
    const text = ok(kscope(['parity', ...store()]), 'parity text').stdout;
    assert.match(text, /missing on aarch64 \(\d+\):/);
    const md = ok(kscope(['parity', '--markdown', ...store()]), 'parity md').stdout;
    assert.match(md, /^\| Metric \| aarch64 \| x86_64 \|/m);
  });

  it('the report ranks root causes and port work by tests unblocked', () => {
    const md = ok(kscope(['report', ...store()]), 'report').stdout;
    assert.match(md, /# Test parity: x86_64 vs aarch64/);
    assert.match(md, /\| P1 \| /);
    assert.match(md, /Port .* tests to aarch64/);
    assert.match(md, /EFAULT \(14\)/);
    const out = join(dir, 'parity.md');
    ok(kscope(['report', '-o', out, ...store()]), 'report -o');
    assert.ok(readFileSync(out, 'utf8').startsWith('# Test parity'));
  });
});

describe('bad input', () => {
  it('refuses an unknown arch before touching the store', () => {
    const d = tmp();
    const f = join(d, 'a.ktap');
    writeFileSync(f, 'KTAP version 1\n1..1\nok 1 t\n');
    userError(kscope(['runs', 'add', f, '--arch', 'aarch46', '--store', join(d, 'runs.duckdb')]), /unknown architecture "aarch46"; known: x86_64 .*aarch64.*--arch-any/, 'unknown arch');
    assert.ok(!existsSync(join(d, 'runs.duckdb')), 'no store created');
    const any = ok(kscope(['runs', 'add', f, '--arch', 'sparc64', '--arch-any', '--store', join(d, 'runs.duckdb')]), '--arch-any');
    assert.match(any.stdout, /sparc64/);
  });

  it('refuses artifacts without test results, bad times and missing files, leaving the store as it was', () => {
    const d = tmp();
    const s = ['--store', join(d, 'runs.duckdb')];
    const good = join(d, 'good.ktap');
    writeFileSync(good, 'KTAP version 1\n1..2\nok 1 a\nnot ok 2 b\n');
    ok(kscope(['runs', 'add', good, '--arch', 'x86_64', ...s]), 'add good');
    const empty = join(d, 'nothing.log');
    writeFileSync(empty, 'just a boot log\nno tests here\n');
    userError(kscope(['runs', 'add', empty, '--arch', 'x86_64', ...s]), /no test results found/, 'no tests');
    userError(kscope(['runs', 'add', good, '--arch', 'x86_64', '--time', 'yesterday', ...s]), /--time "yesterday": expected an ISO 8601/, 'bad time');
    userError(kscope(['runs', 'add', join(d, 'missing.ktap'), '--arch', 'x86_64', ...s]), /missing\.ktap/, 'missing file');
    const xml = join(d, 'broken.xml');
    // Cut before its first whole <testcase>: nothing usable (a later cut keeps what precedes it).
    writeFileSync(xml, '<?xml version="1.0"?>\n<testsuite name="s" tests="2">\n<testcase name="a" classname="s"><failure message="boom');
    userError(kscope(['runs', 'add', good, xml, '--arch', 'x86_64', '--label', 'with broken xml', ...s]), /broken\.xml/, 'broken XML');
    userError(kscope(['runs', 'show', '42', ...s]), /no run 42/, 'unknown run');
    userError(kscope(['compare', '1', 'banana', ...s]), /bad run "banana"/, 'bad selector');
    assert.equal(ok(kscope(['runs', 'list', '--json', ...s]), 'list').stdout.trim().split('\n').length, 1);
  });

  it('a store from a newer schema gives one line', async () => {
    const d = tmp();
    const path = join(d, 'runs.duckdb');
    const f = join(d, 'a.ktap');
    writeFileSync(f, 'KTAP version 1\n1..1\nok 1 t\n');
    ok(kscope(['runs', 'add', f, '--arch', 'x86_64', '--store', path]), 'add');
    const inst = await DuckDBInstance.create(path);
    const c = await inst.connect();
    await c.run('UPDATE kscope_schema SET version = version + 1');
    c.closeSync();
    inst.closeSync();
    userError(kscope(['runs', 'list', '--store', path]), /schema version 2, newer than this kscope reads \(1\); upgrade kscope/, 'newer schema');
    userError(kscope(['runs', 'add', f, '--arch', 'arm64', '--store', path]), /newer than this kscope reads/, 'newer schema on add');
  });

  it('a store locked by another process gives one line, not a stack; a short lock is waited out', async () => {
    const d = tmp();
    const path = join(d, 'runs.duckdb');
    const f = join(d, 'a.ktap');
    writeFileSync(f, 'KTAP version 1\n1..1\nok 1 t\n');
    ok(kscope(['runs', 'add', f, '--arch', 'x86_64', '--store', path]), 'add');
    // Another process holds the file open for writing until its stdin closes.
    const hold = async () => {
      const holder = spawn(
        process.execPath,
        ['--input-type=module', '-e', `import { DuckDBInstance } from ${JSON.stringify(import.meta.resolve('@duckdb/node-api'))}; const i = await DuckDBInstance.create(${JSON.stringify(path)}); await i.connect(); console.log('ready'); process.stdin.resume(); process.stdin.on('end', () => process.exit(0));`],
        { stdio: ['pipe', 'pipe', 'inherit'] },
      );
      const closed = new Promise((r) => holder.on('close', r));
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (b: Buffer) => (b.toString().includes('ready') ? resolve() : undefined));
        holder.on('exit', (code) => reject(new Error(`holder exited ${code}`)));
      });
      return {
        release: async () => {
          holder.stdin.end();
          await closed;
        },
      };
    };
    const h = await hold();
    try {
      userError(kscope(['runs', 'list', '--store', path]), /run store is locked by another process, process \d+ .*waited/, 'locked list');
      userError(kscope(['runs', 'add', f, '--arch', 'arm64', '--store', path]), /locked by another process/, 'locked add');
    } finally {
      await h.release();
    }
    ok(kscope(['runs', 'list', '--store', path]), 'unlocked again');

    // A lock released while kscope waits for it: the command goes through.
    const h2 = await hold();
    const waiting = new Promise<CliResult>((resolve) => {
      const p = spawn(process.execPath, [CLI, 'runs', 'add', f, '--arch', 'arm64', '--store', path], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
      p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
    await new Promise((r) => setTimeout(r, 300));
    await h2.release();
    assert.match(ok(await waiting, 'add after the lock went').stdout, /added run 2: aarch64/);
  });

  it('finds the store through KSCOPE_STORE, else under .kscope/ in the working directory', () => {
    const d = tmp();
    const f = join(d, 'a.ktap');
    writeFileSync(f, 'KTAP version 1\n1..1\nok 1 t\n');
    const work = join(d, 'work');
    mkdirSync(work);
    ok(kscope(['runs', 'add', f, '--arch', 'x86_64'], { cwd: work }), 'default store');
    assert.ok(existsSync(join(work, '.kscope', 'runs.duckdb')));
    const env = join(d, 'env.duckdb');
    ok(kscope(['runs', 'add', f, '--arch', 'aarch64'], { cwd: work, env: { KSCOPE_STORE: env } }), 'env store');
    assert.ok(existsSync(env));
    userError(kscope(['runs', 'list'], { cwd: d }), /no run store here/, 'no store');
  });
});
