/**
 * Deterministic test histories with ground truth: hundreds of runs of
 * hundreds of tests over two (or more) architectures, with the things the
 * user's parity notes track — tests one architecture lacks, root causes
 * that fail a group of tests until a fix lands (ENETUNREACH, EFAULT,
 * ENOSYS, a read-only disk, a data abort, a hang after exec that leaves the
 * rest of the suite not run, an assertion, a kernel panic), regressions that
 * stay, and flaky tests that flip under one commit.
 *
 * The truth is written here by hand (each bug's expected signature key, its
 * tests, the commits it spans, the flaky tests), never computed with the
 * registry's own code, so tests that compare the registry's answers against
 * it check something.
 */
import type { TestResult, TestStatus } from '../model/test-result.js';
import { rng } from '../util/rng.js';

export interface HistoryOptions {
  seed?: number;
  /** Runs in all, spread round-robin over the archs (default 400). */
  runs?: number;
  /** Tests on the first (reference) arch (default 300). */
  tests?: number;
  archs?: readonly string[];
  /** Runs per commit on each arch (default 3): several runs of one commit are what exposes flakiness. */
  runsPerCommit?: number;
  /** Flaky tests per arch (default 6). */
  flaky?: number;
  /** Include the hang bug, whose not-run tests cannot be named in a text artifact (default true). */
  hang?: boolean;
  /** Runs carry commit ids (default true). */
  commits?: boolean;
  config?: string;
  startMs?: number;
  stepMs?: number;
}

export interface GenCrash {
  kind: string;
  title: string;
  line: number;
  end_line: number;
  cpu: number | null;
  registers: Record<string, string>;
  frames: unknown[];
}

export interface GenRun {
  index: number;
  arch: string;
  config: string;
  commit: string | null;
  /** Commit number on this arch's timeline (0-based). */
  commitIndex: number;
  label: string;
  timeMs: number;
  results: TestResult[];
  crashes: GenCrash[];
}

export interface GenBug {
  id: string;
  /** The signature key kscope must derive for these failures. */
  signature: string;
  arch: string;
  /** Test keys (`suite:name`) that fail while the bug is active. */
  tests: string[];
  /** Tests that do not run while it is active (they follow a hung test). */
  blocks: string[];
  status: TestStatus;
  /** Active on commits [from, to) of its arch; `to` is null when never fixed. */
  from: number;
  to: number | null;
}

export interface GenFlaky {
  arch: string;
  test: string;
  p: number;
}

export interface HistoryTruth {
  /** Arch → its test keys in run order. */
  tests: Record<string, string[]>;
  /** Arch → tests it skips every run. */
  skipped: Record<string, string[]>;
  flaky: GenFlaky[];
  bugs: GenBug[];
  /** Commits per arch timeline. */
  commits: number;
}

export interface GeneratedHistory {
  runs: GenRun[];
  truth: HistoryTruth;
}

const SUITES = ['process', 'memory', 'signal', 'network', 'filesystem', 'ipc', 'timer', 'tty', 'syscall', 'scheduler'];
const WORDS = ['fork', 'exec', 'pipe', 'cow', 'mmap', 'brk', 'kill', 'alarm', 'socket', 'udp', 'tcp', 'open', 'read', 'write', 'poll', 'select', 'clock', 'pty', 'wait', 'sched'];

interface BugTemplate {
  id: string;
  signature: string;
  /** Index into the archs list (clamped). */
  arch: number;
  suite: string;
  size: number;
  status: TestStatus;
  /** Window as fractions of the commit timeline; null `to` = never fixed. */
  from: number;
  to: number | null;
  message: (rnd: () => number) => string;
  output?: (rnd: () => number) => string[];
  crash?: string;
  hang?: boolean;
}

const hex = (rnd: () => number, digits: number) =>
  Array.from({ length: digits }, () => '0123456789abcdef'[Math.floor(rnd() * 16)]).join('');
const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];

/** The root causes, modelled on the user's notes. Signatures are the keys kscope must produce. */
const BUGS: readonly BugTemplate[] = [
  {
    id: 'hang-after-exec',
    signature: 'hang',
    arch: 1,
    suite: 'process',
    size: 1,
    status: 'timeout',
    from: 0,
    to: 0.2,
    message: () => 'timeout',
    hang: true,
  },
  {
    id: 'enosys-cow',
    signature: 'errno:ENOSYS',
    arch: 1,
    suite: 'memory',
    size: 6,
    status: 'fail',
    from: 0,
    to: 0.3,
    message: (r) => pick(r, ['COW_STATS returned ENOSYS', `syscall ${400 + Math.floor(r() * 60)} failed: Function not implemented`, 'SIMULATE_OOM: errno 38']),
  },
  {
    id: 'net-unreachable',
    signature: 'errno:ENETUNREACH',
    arch: 1,
    suite: 'network',
    size: 6,
    status: 'fail',
    from: 0,
    to: 0.55,
    message: (r) => pick(r, [`sendto returned -101`, 'connect: Network is unreachable (os error 101)', `ENETUNREACH (101) on port ${1024 + Math.floor(r() * 5000)}`]),
  },
  {
    id: 'readonly-disk',
    signature: 'errno:EROFS',
    arch: 1,
    suite: 'filesystem',
    size: 6,
    status: 'fail',
    from: 0,
    to: 0.7,
    message: (r) => pick(r, [`write /tmp/f${Math.floor(r() * 99)}: Read-only file system`, 'open(O_CREAT) returned -30']),
  },
  {
    id: 'socketpair-efault',
    signature: 'errno:EFAULT',
    arch: 1,
    suite: 'ipc',
    size: 1,
    status: 'fail',
    from: 0,
    to: null,
    message: () => 'socketpair returned -14',
  },
  {
    id: 'data-abort',
    signature: 'fault:esr:ec=0x25:fsc=0x05',
    arch: 1,
    suite: 'signal',
    size: 3,
    status: 'error',
    from: 0.4,
    to: null,
    message: () => 'exception in kernel',
    output: (r) => [`[DATA_ABORT] FAR=0x${hex(r, 4)} ELR=0xffff0000${hex(r, 8)} ESR=0x96000005 DFSC=0x5 from_el0=0 cpu=${Math.floor(r() * 4)}`],
  },
  {
    id: 'timer-assert',
    signature: 'assert:assertion failed: expected <n> ticks, got <n>',
    arch: 0,
    suite: 'timer',
    size: 4,
    status: 'fail',
    from: 0.45,
    to: 0.8,
    message: (r) => `assertion failed: expected ${10 + Math.floor(r() * 90)} ticks, got ${Math.floor(r() * 10)}`,
  },
  {
    id: 'mount-panic',
    signature: 'crash:Kernel panic - not syncing: VFS: Unable to mount root fs',
    arch: 0,
    suite: 'filesystem',
    size: 2,
    status: 'error',
    from: 0.6,
    to: null,
    message: () => 'PANIC',
    crash: 'Kernel panic - not syncing: VFS: Unable to mount root fs',
  },
];

/** Messages of flaky failures; their signatures differ from every bug's. */
const FLAKY_MESSAGES: readonly ((r: () => number) => { status: TestStatus; message: string })[] = [
  (r) => ({ status: 'timeout', message: `timed out waiting for wakeup after ${100 + Math.floor(r() * 900)}ms` }),
  (r) => ({ status: 'fail', message: `race detected: counter ${Math.floor(r() * 1000)} != ${Math.floor(r() * 1000)}` }),
];

/** Lines one test occupies in a generated artifact: output lines, then its result line. */
const LINES_PER_TEST = 4;

export function generateHistory(opts: HistoryOptions = {}): GeneratedHistory {
  const rnd = rng(opts.seed ?? 1);
  const archs = opts.archs ?? ['x86_64', 'aarch64'];
  const totalRuns = opts.runs ?? 400;
  const nTests = opts.tests ?? 300;
  const rpc = Math.max(1, opts.runsPerCommit ?? 3);
  const nFlaky = opts.flaky ?? 6;
  const config = opts.config ?? '';
  const start = opts.startMs ?? Date.UTC(2026, 0, 1);
  const step = opts.stepMs ?? 3_600_000;
  const runsPerArch = Math.ceil(totalRuns / archs.length);
  const nCommits = Math.max(1, Math.ceil(runsPerArch / rpc));
  const commitIds = Array.from({ length: nCommits }, () => hex(rnd, 40));
  const scale = nTests / 300;

  // Test inventory: the reference arch has them all; others lack ~1 in 8 and have a few of their own.
  const reference: string[] = [];
  for (let i = 0; i < nTests; i++) reference.push(`${SUITES[i % SUITES.length]}:${WORDS[i % WORDS.length]}_${i}_test`);
  const tests: Record<string, string[]> = {};
  const skipped: Record<string, string[]> = {};
  archs.forEach((a, k) => {
    if (k === 0) tests[a] = [...reference];
    else {
      const own = Array.from({ length: Math.max(1, Math.round(nTests / 50)) }, (_, i) => `${SUITES[i % SUITES.length]}:${a}_only_${i}_test`);
      tests[a] = [...reference.filter((_, i) => (i * 7 + k) % 8 !== 0), ...own];
    }
    // A few tests an arch skips every time (feature not built there): neither failing nor flaky.
    skipped[a] = k === 0 ? [] : tests[a].filter((_, i) => i % 37 === 5);
  });

  // Each test gets at most one role (bug, flaky, skipped, blocked), so the truth stays exact.
  const used: Record<string, Set<string>> = Object.fromEntries(archs.map((a) => [a, new Set(skipped[a])]));
  const take = (arch: string, suite: string, n: number, exclude: ReadonlySet<string>): string[] => {
    const pool = tests[arch].filter((t) => !used[arch].has(t) && !exclude.has(t));
    const preferred = pool.filter((t) => t.startsWith(`${suite}:`));
    const out: string[] = [];
    for (const list of [preferred, pool]) {
      while (out.length < n && list.length) {
        const t = list.splice(Math.floor(rnd() * list.length), 1)[0];
        if (out.includes(t)) continue;
        out.push(t);
        used[arch].add(t);
      }
    }
    return out;
  };

  const bugs: (GenBug & { template: BugTemplate })[] = [];
  for (const tpl of BUGS) {
    if (tpl.hang && opts.hang === false) continue;
    const arch = archs[Math.min(tpl.arch, archs.length - 1)];
    const order = tests[arch];
    let chosen: string[];
    let blocks: string[] = [];
    if (tpl.hang) {
      // The hung test sits 6th from the end; the 5 after it never run while the hang is there.
      const i = Math.max(0, order.length - 6);
      chosen = [order[i]];
      blocks = order.slice(i + 1).filter((t) => !skipped[arch].includes(t));
      for (const t of [order[i], ...blocks]) used[arch].add(t);
    } else {
      chosen = take(arch, tpl.suite, Math.max(1, Math.round(tpl.size * scale)), new Set());
    }
    const from = Math.round(tpl.from * nCommits);
    const to = tpl.to === null ? null : Math.max(from + 1, Math.round(tpl.to * nCommits));
    bugs.push({ id: tpl.id, signature: tpl.signature, arch, tests: chosen, blocks, status: tpl.status, from, to, template: tpl });
  }
  // Keep bug tests out of the hang's tail (already reserved above only when the hang came first).
  const flaky: GenFlaky[] = [];
  for (const a of archs) {
    const tail = new Set(tests[a].slice(-6));
    for (const t of take(a, '', nFlaky, tail)) flaky.push({ arch: a, test: t, p: 0.2 + rnd() * 0.25 });
  }

  const runs: GenRun[] = [];
  const perArch: Record<string, number> = Object.fromEntries(archs.map((a) => [a, 0]));
  const flakyByArch = new Map(archs.map((a) => [a, new Map(flaky.filter((f) => f.arch === a).map((f) => [f.test, f]))]));
  for (let r = 0; r < totalRuns; r++) {
    const arch = archs[r % archs.length];
    const k = perArch[arch]++;
    const ci = Math.min(nCommits - 1, Math.floor(k / rpc));
    const active = bugs.filter((b) => b.arch === arch && b.from <= ci && (b.to === null || ci < b.to));
    const bugOf = new Map<string, (typeof bugs)[number]>();
    const blocked = new Set<string>();
    for (const b of active) {
      for (const t of b.tests) bugOf.set(t, b);
      for (const t of b.blocks) blocked.add(t);
    }
    const results: TestResult[] = [];
    const crashes: GenCrash[] = [];
    const skips = new Set(skipped[arch]);
    const fl = flakyByArch.get(arch) as Map<string, GenFlaky>;
    tests[arch].forEach((key, j) => {
      const colon = key.indexOf(':');
      const suite = key.slice(0, colon);
      const name = key.slice(colon + 1);
      const startLine = 10 + j * LINES_PER_TEST;
      const line = startLine + LINES_PER_TEST - 1;
      let status: TestStatus = 'pass';
      let message = '';
      let output: string[] | undefined;
      const bug = bugOf.get(key);
      const f = fl.get(key);
      if (skips.has(key)) {
        status = 'skip';
        message = `not built for ${arch}`;
      } else if (blocked.has(key)) {
        status = 'notrun';
      } else if (bug) {
        status = bug.status;
        message = bug.template.message(rnd);
        output = bug.template.output ? bug.template.output(rnd) : [message];
        if (bug.template.crash) {
          crashes.push({ kind: 'panic', title: bug.template.crash, line: startLine + 1, end_line: startLine + 2, cpu: 0, registers: {}, frames: [] });
        }
      } else if (f && rnd() < f.p) {
        const m = pick(rnd, FLAKY_MESSAGES)(rnd);
        status = m.status;
        message = m.message;
        output = [message];
      }
      const res: TestResult = { name, suite, status, message, line, start_line: startLine, end_line: line, source: 'generated' };
      if (output) res.output = output;
      results.push(res);
    });
    const events = bugs.filter((b) => b.arch === arch && k % rpc === 0 && (b.from === ci || b.to === ci) && ci > 0);
    const label = events.length ? events.map((b) => `${b.to === ci ? 'fix' : 'regress'} ${b.id}`).join(', ') : `${arch} ${commitIds[ci].slice(0, 7)} #${(k % rpc) + 1}`;
    runs.push({
      index: r,
      arch,
      config,
      commit: opts.commits === false ? null : commitIds[ci],
      commitIndex: ci,
      label,
      timeMs: start + r * step,
      results,
      crashes,
    });
  }
  ensureFlips(runs, flaky, rpc);
  return {
    runs,
    truth: { tests, skipped, flaky, bugs: bugs.map(({ template: _t, ...b }) => b), commits: nCommits },
  };
}

/**
 * Every flaky test must both pass and fail under one commit somewhere (that
 * is what makes it flaky rather than changed); where chance did not do it,
 * one run's outcome is flipped.
 */
function ensureFlips(runs: GenRun[], flaky: readonly GenFlaky[], rpc: number): void {
  for (const f of flaky) {
    const byCommit = new Map<number, TestResult[]>();
    for (const r of runs) {
      if (r.arch !== f.arch) continue;
      const res = r.results.find((x) => `${x.suite}:${x.name}` === f.test);
      if (!res) continue;
      byCommit.set(r.commitIndex, [...(byCommit.get(r.commitIndex) ?? []), res]);
    }
    const mixed = [...byCommit.values()].some((list) => list.some((x) => x.status === 'pass') && list.some((x) => x.status !== 'pass'));
    if (mixed) continue;
    const group = [...byCommit.values()].find((list) => list.length >= Math.min(2, rpc));
    if (!group || group.length < 2) continue;
    const x = group[0];
    if (group.every((y) => y.status === 'pass')) {
      x.status = 'fail';
      x.message = 'race detected: counter 1 != 2';
      x.output = [x.message];
    } else {
      x.status = 'pass';
      x.message = '';
      delete x.output;
    }
  }
}

/** Test key → status of one generated run (for truth checks). */
export function statusMap(run: GenRun): Map<string, TestStatus> {
  return new Map(run.results.map((r) => [`${r.suite}:${r.name}`, r.status]));
}

/**
 * The run as KTAP: one subtest per suite, failure messages as diagnostic
 * lines before the result (where kunit puts them), `# SKIP` and `# TIMEOUT`
 * directives. Not-run tests are left out: a text artifact cannot name them.
 */
export function toKtap(run: GenRun): string {
  const bySuite = new Map<string, TestResult[]>();
  for (const r of run.results) {
    if (r.status === 'notrun') continue;
    bySuite.set(r.suite, [...(bySuite.get(r.suite) ?? []), r]);
  }
  // The header comment makes every run's log unique, as real logs are (timestamps): identical bytes would be a re-add.
  const out = ['KTAP version 1', `# generated run ${run.index} (${run.arch}, ${run.label}) at ${new Date(run.timeMs).toISOString()}`, `1..${bySuite.size}`];
  let s = 0;
  for (const [suite, list] of bySuite) {
    s++;
    out.push('    KTAP version 1', `    # Subtest: ${suite}`, `    1..${list.length}`);
    list.forEach((r, i) => {
      const n = i + 1;
      if (r.status === 'pass') out.push(`    ok ${n} ${r.name}`);
      else if (r.status === 'skip') out.push(`    ok ${n} ${r.name} # SKIP ${r.message}`);
      else {
        for (const l of r.output ?? (r.message ? [r.message] : [])) out.push(`    # ${r.name}: ${l}`);
        out.push(`    not ok ${n} ${r.name}${r.status === 'timeout' ? ' # TIMEOUT' : r.status === 'error' ? ' # ERROR' : ''}`);
      }
    });
    const bad = list.some((r) => r.status !== 'pass' && r.status !== 'skip');
    out.push(`${bad ? 'not ok' : 'ok'} ${s} ${suite}`);
  }
  return `${out.join('\n')}\n`;
}

/** A KTAP artifact with `n` results (for the `runs add` benchmark): suites of 100, one failure in 50. */
export function bigKtap(n: number, seed = 7): string {
  const rnd = rng(seed);
  const out = ['KTAP version 1', `1..${Math.ceil(n / 100)}`];
  for (let s = 0; s * 100 < n; s++) {
    const k = Math.min(100, n - s * 100);
    out.push('    KTAP version 1', `    # Subtest: suite_${s}`, `    1..${k}`);
    for (let i = 1; i <= k; i++) {
      if (rnd() < 0.02) {
        out.push(`    # case_${s}_${i}: ${pick(rnd, ['sendto returned -101', 'socketpair returned -14', `expected ${i}, got ${i + 1}`])}`);
        out.push(`    not ok ${i} case_${s}_${i}`);
      } else out.push(`    ok ${i} case_${s}_${i}`);
    }
    out.push(`ok ${s + 1} suite_${s}`);
  }
  return `${out.join('\n')}\n`;
}
