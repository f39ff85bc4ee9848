// `npm run bench:registry`: the run registry against issue 4's goals.
//   - `runs add` of one KTAP artifact with 10,000 results: ≤ 1 s;
//   - `parity`, `flaky` and `report` over 1,000 runs × 500 tests: ≤ 1 s each.
// Each is measured in-process (the command's work: open the store, query, render, close)
// and end-to-end as a spawned CLI (which adds Node's start-up and loading DuckDB's
// 70 MB native library). Prints a table next to the goals and keeps a section of
// BENCHMARKS.md up to date (between its own markers; the rest of the file is left alone).
//
//   node dist/bench/registry.js [--runs N] [--tests N] [--reps N] [--out DIR] [--no-md]
//
// The 1,000-run store is cached in bench/out/registry/ (git-ignored) and reused.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { addRun } from '../src/cli/commands/runs.js';
import { reportMarkdown } from '../src/cli/commands/report.js';
import { parityText } from '../src/cli/commands/parity.js';
import { flakyText } from '../src/cli/commands/flaky.js';
import { bigKtap, generateHistory } from '../src/gen/test-history.js';
import { buildReport, flakyTests, parity, RunStore } from '../src/registry/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');
/** Bumped when the generated store changes, so the cache is remade. */
const CACHE_VERSION = 1;
const GOAL_MS = 1000;

const { values: opt } = parseArgs({
  options: {
    runs: { type: 'string', default: '1000' },
    tests: { type: 'string', default: '500' },
    results: { type: 'string', default: '10000' },
    reps: { type: 'string', default: '5' },
    out: { type: 'string', default: join(ROOT, 'bench', 'out', 'registry') },
    'no-md': { type: 'boolean', default: false },
  },
});
const RUNS = Number(opt.runs);
const TESTS = Number(opt.tests);
const RESULTS = Number(opt.results);
const REPS = Math.max(1, Number(opt.reps));
const DIR = resolve(opt.out ?? '');
const STORE = join(DIR, `store-${RUNS}x${TESTS}-v${CACHE_VERSION}.duckdb`);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function time(f: () => Promise<unknown>, reps = REPS): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await f();
    ms.push(performance.now() - t);
  }
  return median(ms);
}

function cli(entry: string, args: string[]): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, [entry, ...args], { encoding: 'utf8', maxBuffer: 256 << 20 });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`kscope ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return ms;
}

function cliMedian(entry: string, args: string[], reps = REPS): number {
  return median(Array.from({ length: reps }, () => cli(entry, args)));
}

async function buildStore(): Promise<void> {
  if (existsSync(STORE)) return;
  const tmp = `${STORE}.tmp`;
  rmSync(tmp, { force: true });
  process.stderr.write(`generating ${RUNS} runs × ${TESTS} tests into ${STORE} (once; cached)…\n`);
  const g = generateHistory({ runs: RUNS, tests: TESTS, seed: 1 });
  const s = await RunStore.open(tmp, { write: true });
  try {
    for (const r of g.runs) {
      await s.addRun({
        arch: r.arch,
        config: r.config,
        commit: r.commit,
        label: r.label,
        timeMs: r.timeMs,
        artifacts: [{ path: `/generated/run-${r.index}.ktap`, size: 0, sha256: `generated-${r.index}`, mtimeMs: r.timeMs, format: 'generated', results: r.results, crashes: r.crashes }],
      });
    }
  } finally {
    s.close();
  }
  const { renameSync } = await import('node:fs');
  renameSync(tmp, STORE);
}

interface Row {
  what: string;
  goal: string;
  inproc: number;
  cli: number | null;
}

async function main(): Promise<void> {
  mkdirSync(DIR, { recursive: true });
  const entry = MAIN;
  const rows: Row[] = [];

  // runs add: one KTAP artifact with RESULTS results, into a fresh store each time (a re-add would be a no-op).
  const artifact = join(DIR, `big-${RESULTS}.ktap`);
  if (!existsSync(artifact)) writeFileSync(artifact, bigKtap(RESULTS));
  let k = 0;
  const addIn = await time(async () => {
    const store = join(DIR, `add-${process.pid}-${k++}.duckdb`);
    try {
      const v = await addRun([artifact], { arch: 'x86_64', store, config: '' });
      if (v.run.tests !== RESULTS) throw new Error(`stored ${v.run.tests} results, expected ${RESULTS}`);
    } finally {
      rmSync(store, { force: true });
      rmSync(`${store}.wal`, { force: true });
    }
  });
  const addCli = median(
    Array.from({ length: REPS }, () => {
      const store = join(DIR, `add-cli-${process.pid}-${k++}.duckdb`);
      try {
        return cli(entry, ['runs', 'add', artifact, '--arch', 'x86_64', '--store', store]);
      } finally {
        rmSync(store, { force: true });
        rmSync(`${store}.wal`, { force: true });
      }
    }),
  );
  rows.push({ what: `runs add, 1 artifact × ${RESULTS.toLocaleString('en-US')} results`, goal: '≤ 1 s', inproc: addIn, cli: addCli });

  await buildStore();
  const open = () => RunStore.open(STORE);
  const parityIn = await time(async () => {
    const s = await open();
    try {
      parityText(await parity(s.db, await s.latestRuns()), false);
    } finally {
      s.close();
    }
  });
  rows.push({ what: `parity, ${RUNS} runs × ${TESTS} tests`, goal: '≤ 1 s', inproc: parityIn, cli: cliMedian(entry, ['parity', '--store', STORE]) });
  const flakyIn = await time(async () => {
    const s = await open();
    try {
      flakyText(await flakyTests(s.db), 50);
    } finally {
      s.close();
    }
  });
  rows.push({ what: `flaky, ${RUNS} runs × ${TESTS} tests`, goal: '≤ 1 s', inproc: flakyIn, cli: cliMedian(entry, ['flaky', '--store', STORE]) });
  let size = 0;
  const reportIn = await time(async () => {
    const s = await open();
    try {
      size = reportMarkdown(await buildReport(s), { historyRows: 20, max: 10 }).length;
    } finally {
      s.close();
    }
  });
  rows.push({ what: `report --markdown, ${RUNS} runs × ${TESTS} tests`, goal: '≤ 1 s', inproc: reportIn, cli: cliMedian(entry, ['report', '--markdown', '--store', STORE]) });
  const nodeStart = cliMedianNode();

  const fmt = (ms: number | null) => (ms === null ? '-' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
  const ok = (r: Row) => (Math.max(r.inproc, r.cli ?? 0) <= GOAL_MS ? 'yes' : r.inproc <= GOAL_MS ? 'in-process only' : 'no');
  const table = [
    '| operation | goal | in-process | CLI end-to-end | meets goal |',
    '|---|---|---:|---:|---|',
    ...rows.map((r) => `| ${r.what} | ${r.goal} | ${fmt(r.inproc)} | ${fmt(r.cli)} | ${ok(r)} |`),
  ].join('\n');
  const env = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load average ${os.loadavg()[0].toFixed(2)}; median of ${REPS}; \`node -e 0\` takes ${fmt(nodeStart)}; report is ${(size / 1024).toFixed(0)} KiB`;
  process.stdout.write(`\n${table}\n\n${env}\n`);
  if (!opt['no-md']) updateBenchmarksMd(table, env);
}

function cliMedianNode(): number {
  return median(
    Array.from({ length: REPS }, () => {
      const t = performance.now();
      spawnSync(process.execPath, ['-e', '0']);
      return performance.now() - t;
    }),
  );
}

const START = '<!-- registry-bench:start -->';
const END = '<!-- registry-bench:end -->';

/** Replaces this benchmark's own section of BENCHMARKS.md (appending it the first time); other sections stay as they are. */
function updateBenchmarksMd(table: string, env: string): void {
  const path = join(ROOT, 'BENCHMARKS.md');
  const section = [
    START,
    '## Run registry (`npm run bench:registry`)',
    '',
    'Issue 4 goals: `runs add` of an artifact with 10,000 results ≤ 1 s; `parity`, `flaky` and `report` over 1,000 runs × 500 tests ≤ 1 s each.',
    'In-process = the command\'s own work (open the DuckDB store, query, render, close); CLI end-to-end adds Node\'s start-up and loading DuckDB\'s native library (~70 MB).',
    'The store is generated by `src/gen/test-history.ts` (2 architectures, fixes, regressions, flaky tests); `runs add` reads a generated KTAP file.',
    '',
    table,
    '',
    `_${env}; ${new Date().toISOString().slice(0, 10)}._`,
    END,
  ].join('\n');
  const old = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const i = old.indexOf(START);
  const j = old.indexOf(END);
  const next = i >= 0 && j > i ? `${old.slice(0, i)}${section}${old.slice(j + END.length)}` : `${old.trimEnd()}\n\n${section}\n`;
  writeFileSync(path, next);
  process.stdout.write(`updated the registry section of ${path}\n`);
}

await main();
