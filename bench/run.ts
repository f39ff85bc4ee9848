// `npm run bench`: the TII ftrace engine on the user's size (90,310,000 words, 180 MB).
// Measures index build (in-process and CLI), peak RSS, bundle size, event N and
// type-filter latency (in-process and CLI over `node -e 0`), the console-log (v3 dump)
// index, a single-pass C decoder as the floor, and spot-checks answers against the
// generator's ground truth. Prints a Markdown table next to the goals (PRODUCT.md) and
// the user's own tools' figures (seed 004).
//
//   node dist/bench/run.js [--words N] [--runs N] [--out DIR] [--json FILE]
//
// The generated inputs are cached in bench/out/w<N>/ (git-ignored) and reused.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { consoleLog, dumpLines, generateTii, metaJson } from '../src/gen/tii-generator.js';
import { rng } from '../src/util/rng.js';
import { indexInput, openForQuery } from '../src/index/bundle-cache.js';
import type { EventRecord } from '../src/model/event.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const USER_WORDS = 90_310_000;
const SEED = 1;
/** Bumped when what the generator writes for the bench changes, so the cache is remade. */
const CACHE_VERSION = 1;

const { values: opt } = parseArgs({
  options: {
    words: { type: 'string', default: String(USER_WORDS) },
    runs: { type: 'string', default: '10' },
    out: { type: 'string', default: join(ROOT, 'bench', 'out') },
    json: { type: 'string' },
    generate: { type: 'boolean', default: false },
  },
});
const WORDS = Number(opt.words);
const RUNS = Math.max(3, Number(opt.runs));
const DIR = resolve(opt.out ?? '', `w${WORDS}`);
const BIN = join(DIR, 'ftrace.bin');
const LOG = join(DIR, 'console.log');
const TRUTH = join(DIR, 'truth.json');
const STAMP = join(DIR, 'stamp.json');

/** What the bench keeps of the ground truth: counts and samples (the full truth is 7 bytes per event). */
interface TruthSample {
  events: number;
  counts: Record<string, number>;
  /** [n, type, offset, vmid] of random events and checkpoint seams. */
  events_sample: [number, string, number, number | null][];
  /** Expected indexes of `filter --type T --from F --limit 30`. */
  filters: { type: string; from: number; expect: number[] }[];
}

const FILTER_LIMIT = 30;

// ---------------------------------------------------------------- generation (child process)

function generate(): void {
  mkdirSync(DIR, { recursive: true });
  const t0 = performance.now();
  const g = generateTii({ words: WORDS, seed: SEED, unknownMarkers: true, truth: true });
  const ty = g.truth.type as Uint8Array;
  const off = g.truth.offset as Uint32Array;
  const vm = g.truth.vmid as Int16Array;
  const events = g.truth.events;
  const rand = rng(SEED + 1);
  const picks = new Set<number>([0, 1, 255, 256, 257, events - 1]);
  while (picks.size < Math.min(events, 2000)) picks.add(Math.floor(rand() * events));
  const sample: TruthSample['events_sample'] = [...picks].map((n) => [n, g.spec.typeNames[ty[n]], off[n], vm[n] < 0 ? null : vm[n]]);
  const filters: TruthSample['filters'] = [];
  for (const type of ['KERNEL_ENTRY', 'FUNC_ENTER']) {
    const t = g.spec.typeNames.indexOf(type);
    for (let k = 0; k < 20; k++) {
      const from = k === 0 ? 0 : Math.floor(rand() * events);
      const expect: number[] = [];
      for (let n = from; n < events && expect.length < FILTER_LIMIT; n++) if (ty[n] === t) expect.push(n);
      filters.push({ type, from, expect });
    }
  }
  writeFileSync(BIN, g.words);
  writeFileSync(join(DIR, 'ftrace.meta'), metaJson(g));
  writeFileSync(TRUTH, JSON.stringify({ events, counts: g.truth.counts, events_sample: sample, filters } satisfies TruthSample));
  writeFileSync(LOG, consoleLog([dumpLines(g.words, g.dictionary, { version: 3 })]));
  writeFileSync(STAMP, JSON.stringify({ version: CACHE_VERSION, words: WORDS, seed: SEED, bin: statSync(BIN).size, log: statSync(LOG).size }));
  process.stderr.write(`bench: generated ${WORDS.toLocaleString('en-US')} words in ${((performance.now() - t0) / 1000).toFixed(1)} s → ${DIR}\n`);
}

function cacheValid(): boolean {
  try {
    const s = JSON.parse(readFileSync(STAMP, 'utf8')) as { version: number; words: number; seed: number; bin: number; log: number };
    return s.version === CACHE_VERSION && s.words === WORDS && s.seed === SEED && statSync(BIN).size === s.bin && statSync(LOG).size === s.log && existsSync(TRUTH);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- measuring helpers

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

interface Run {
  ms: number;
  code: number;
  stdout: string;
  stderr: string;
  /** Peak RSS of the child in bytes, when measured. */
  rss?: number;
  /** CPU time (user + system) of the child in ms, when /usr/bin/time is there. */
  cpu?: number;
}

const HAVE_TIME = existsSync('/usr/bin/time');

/**
 * Runs a command and times it from spawn to exit (the same overhead for `node -e 0`).
 * Under /usr/bin/time when present, for peak RSS and CPU time: on a shared machine
 * CPU time says what the work cost when wall time also counts waiting for a core.
 */
function run(cmd: string, args: string[], rss = false): Run {
  let file = cmd;
  let argv = args;
  if (HAVE_TIME) {
    file = '/usr/bin/time';
    argv = ['-f', 'KSCOPE_MAXRSS_KB=%M KSCOPE_CPU=%U+%S', cmd, ...args];
  } else if (rss && cmd === process.execPath) {
    // No /usr/bin/time: the child reports its own peak RSS when it exits.
    const hook = `process.on('exit', () => process.stderr.write('KSCOPE_MAXRSS_KB=' + process.resourceUsage().maxRSS + '\\n'));`;
    argv = ['--input-type=module', '-e', `${hook} process.argv.splice(1, Infinity, ${JSON.stringify(args[0])}, ...${JSON.stringify(args.slice(1))}); await import(${JSON.stringify(args[0])});`];
  }
  const t0 = performance.now();
  const r = spawnSync(file, argv, { encoding: 'utf8', maxBuffer: 1 << 30 });
  const ms = performance.now() - t0;
  if (r.error) throw r.error;
  const m = /KSCOPE_MAXRSS_KB=(\d+)/.exec(r.stderr);
  const c = /KSCOPE_CPU=([\d.]+)\+([\d.]+)/.exec(r.stderr);
  return { ms, code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, rss: m ? Number(m[1]) * 1024 : undefined, cpu: c ? (Number(c[1]) + Number(c[2])) * 1000 : undefined };
}

function cli(args: string[], rss = false): Run {
  const r = run(process.execPath, [CLI, ...args], rss);
  if (r.code !== 0) throw new Error(`kscope ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}

function dirBytes(d: string): number {
  let n = 0;
  for (const f of readdirSync(d, { withFileTypes: true })) n += f.isDirectory() ? dirBytes(join(d, f.name)) : statSync(join(d, f.name)).size;
  return n;
}

const checks: { what: string; ok: boolean; detail?: string }[] = [];
function check(what: string, ok: boolean, detail?: string): void {
  checks.push({ what, ok, detail });
  if (!ok) process.stderr.write(`bench: CHECK FAILED: ${what}${detail ? `: ${detail}` : ''}\n`);
}

function sameEvent(e: EventRecord, t: TruthSample['events_sample'][number]): boolean {
  return e.index === t[0] && e.type === t[1] && e.offset === t[2] && (e.vmid ?? null) === t[3];
}

function sameCounts(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if ((a[k] ?? 0) !== (b[k] ?? 0)) return false;
  return true;
}

// ---------------------------------------------------------------- the benchmark

async function main(): Promise<void> {
  if (opt.generate) return generate();
  if (!cacheValid()) {
    process.stderr.write(`bench: generating the ${WORDS.toLocaleString('en-US')}-word stream once (cached in ${DIR})…\n`);
    rmSync(DIR, { recursive: true, force: true });
    const r = spawnSync(process.execPath, ['--max-old-space-size=8192', fileURLToPath(import.meta.url), '--generate', '--words', String(WORDS), '--out', opt.out ?? ''], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('generation failed');
  }
  const truth = JSON.parse(readFileSync(TRUTH, 'utf8')) as TruthSample;
  const inputBytes = statSync(BIN).size;
  const logBytes = statSync(LOG).size;
  const bundle = `${BIN}.kscope`;
  const logBundle = `${LOG}.kscope`;
  const say = (m: string) => process.stderr.write(`bench: ${m}\n`);
  // Warm the page cache, so every contender reads from memory alike.
  readFileSync(BIN);

  say('node -e 0 …');
  const nodeRuns = Array.from({ length: RUNS }, () => run(process.execPath, ['-e', '0']));
  const nodeStart = median(nodeRuns.map((r) => r.ms));
  const nodeCpu = nodeRuns[0].cpu !== undefined ? median(nodeRuns.map((r) => r.cpu ?? 0)) : null;

  // C floor.
  let cMs: number | null = null;
  let cCpu: number | null = null;
  const gcc = spawnSync('gcc', ['--version']);
  if (!gcc.error && gcc.status === 0) {
    const exe = join(DIR, 'baseline');
    const cc = spawnSync('gcc', ['-O2', '-o', exe, join(ROOT, 'bench', 'baseline.c')], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`gcc failed: ${cc.stderr}`);
    say('C single-pass decoder …');
    const runs = Array.from({ length: 3 }, () => run(exe, [BIN]));
    cMs = median(runs.map((r) => r.ms));
    cCpu = runs[0].cpu !== undefined ? median(runs.map((r) => r.cpu ?? 0)) : null;
    // /usr/bin/time counts CPU in 10 ms steps: too coarse to compare a short run.
    if (cCpu !== null && cCpu < 100) cCpu = null;
    const out = JSON.parse(runs[0].stdout) as { events: number; types: Record<string, number> };
    check('C decoder counts equal the ground truth', out.events === truth.events && sameCounts(out.types, truth.counts));
  } else say('gcc not found: no C baseline');

  // Index build, in-process (forced rebuild each time).
  say('index build in-process …');
  const inproc: number[] = [];
  const inprocCpu: number[] = [];
  for (let k = 0; k < 3; k++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await indexInput(BIN, {}, {}, true);
    inproc.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    inprocCpu.push((c.user + c.system) / 1000);
  }
  // Through the CLI, with the child's peak RSS.
  say('index build through the CLI …');
  const cliIndex = Array.from({ length: 3 }, () => cli(['index', BIN, '--force'], true));
  const cliIndexMs = median(cliIndex.map((r) => r.ms));
  const cliIndexCpu = cliIndex[0].cpu !== undefined ? median(cliIndex.map((r) => r.cpu ?? 0)) : null;
  const peakRss = Math.max(...cliIndex.map((r) => r.rss ?? 0));
  const bundleBytes = dirBytes(bundle);

  // Queries in-process on an open source.
  say('queries in-process …');
  const o = await openForQuery(BIN, {});
  const src = o.source;
  check('summary counts equal the ground truth', sameCounts(src.summary().types, truth.counts) && src.count === truth.events);
  const eventMs: number[] = [];
  let eventOk = 0;
  for (let rep = 0; rep < 3; rep++) {
    for (const t of truth.events_sample) {
      const t0 = performance.now();
      const e = src.event(t[0]);
      eventMs.push(performance.now() - t0);
      if (rep === 0 && sameEvent(e, t)) eventOk++;
    }
  }
  check(`event N equals the truth (${eventOk}/${truth.events_sample.length} sampled events)`, eventOk === truth.events_sample.length);
  const filterMs: Record<string, number[]> = { KERNEL_ENTRY: [], FUNC_ENTER: [] };
  let filterOk = 0;
  for (let rep = 0; rep < 10; rep++) {
    for (const f of truth.filters) {
      const got: number[] = [];
      const t0 = performance.now();
      src.filter(f.type, f.from, FILTER_LIMIT, (e) => void got.push(e.index));
      filterMs[f.type].push(performance.now() - t0);
      if (rep === 0 && got.join() === f.expect.join()) filterOk++;
    }
  }
  check(`filter --from F --limit ${FILTER_LIMIT} equals the truth (${filterOk}/${truth.filters.length})`, filterOk === truth.filters.length);
  src.close();
  // A whole query as a CLI process makes it: open (fingerprint check, manifest), query, close.
  const openMs: number[] = [];
  for (let k = 0; k < 50; k++) {
    const t = truth.events_sample[k];
    const t0 = performance.now();
    const q = await openForQuery(BIN, {});
    q.source.event(t[0]);
    q.source.close();
    openMs.push(performance.now() - t0);
  }

  // Queries through the CLI, each paired with a `node -e 0` just before it, so both see the
  // same machine load; the overhead is the median of the pairwise differences.
  say('queries through the CLI …');
  interface Paired {
    total: number[];
    over: number[];
    overCpu: number[];
  }
  const paired = (): Paired => ({ total: [], over: [], overCpu: [] });
  const measure = (p: Paired, args: string[]): Run => {
    const base = run(process.execPath, ['-e', '0']);
    const r = cli(args);
    p.total.push(r.ms);
    p.over.push(r.ms - base.ms);
    if (r.cpu !== undefined && base.cpu !== undefined) p.overCpu.push(r.cpu - base.cpu);
    return r;
  };
  const cliEvent = paired();
  let cliEventOk = 0;
  const pick = truth.events_sample.slice(10, 10 + RUNS);
  for (const t of pick) {
    const e = JSON.parse(measure(cliEvent, ['event', BIN, String(t[0]), '--json']).stdout) as EventRecord;
    if (sameEvent(e, t)) cliEventOk++;
  }
  check(`CLI event N equals the truth (${cliEventOk}/${pick.length})`, cliEventOk === pick.length);
  const cliFilter: Record<string, Paired> = { KERNEL_ENTRY: paired(), FUNC_ENTER: paired() };
  let cliFilterOk = 0;
  for (const type of ['KERNEL_ENTRY', 'FUNC_ENTER']) {
    const fs = truth.filters.filter((f) => f.type === type);
    for (let k = 0; k < RUNS; k++) {
      const f = fs[k % fs.length];
      const r = measure(cliFilter[type], ['filter', BIN, '--type', type, '--from', String(f.from), '--limit', String(FILTER_LIMIT), '--json']);
      const got = r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as EventRecord).index);
      if (got.join() === f.expect.join()) cliFilterOk++;
    }
  }
  check(`CLI filter equals the truth (${cliFilterOk}/${2 * RUNS})`, cliFilterOk === 2 * RUNS);

  // The console log with the v3 dump (LZ4 blocks in base64).
  say('console log (v3 dump) …');
  const logInproc: number[] = [];
  for (let k = 0; k < 2; k++) {
    const t0 = performance.now();
    await indexInput(LOG, {}, {}, true);
    logInproc.push(performance.now() - t0);
  }
  const logCli = cli(['index', LOG, '--force'], true);
  const lo = await openForQuery(LOG, {});
  check('console log: summary counts equal the ground truth', sameCounts(lo.source.summary().types, truth.counts));
  const logEvents = truth.events_sample.slice(0, 200);
  const logEventMs: number[] = [];
  let logOk = 0;
  for (const t of logEvents) {
    const t0 = performance.now();
    const e = lo.source.event(t[0]);
    logEventMs.push(performance.now() - t0);
    if (sameEvent(e, t)) logOk++;
  }
  check(`console log: event N equals the truth (${logOk}/${logEvents.length})`, logOk === logEvents.length);
  lo.source.close();
  const logBundleBytes = dirBytes(logBundle);

  // ------------------------------------------------------------ report
  const MB = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
  const s = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 0)} ms`);
  const ms3 = (ms: number) => `${ms < 0.1 ? ms.toFixed(3) : ms.toFixed(2)} ms`;
  const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');
  const idxMs = median(inproc);
  const idxCpu = median(inprocCpu);
  const cpuNote = (c: number | null) => (c === null ? '' : ` (${s(c)} CPU)`);
  const rows: [string, string, string, string, string][] = [];
  const row = (what: string, value: string, goal: string, ok: boolean | null, theirs = '') => rows.push([what, value, goal, ok === null ? '' : verdict(ok), theirs]);
  const words = `${(WORDS / 1e6).toFixed(2)} M words, ${MB(inputBytes)}`;
  row(`index build, in-process (${words}; median of 3)`, `${s(idxMs)}${cpuNote(idxCpu)}`, '≤ 1 s', idxMs <= 1000, 'Rust: 2.1 s convert + 0.8 s index; Python: 1 m 52 s + 7 s');
  row('index build, `kscope index --force` (median of 3)', `${s(cliIndexMs)}${cpuNote(cliIndexCpu)}`, '≤ 1 s', cliIndexMs <= 1000);
  if (cMs !== null) {
    const ratio = cCpu !== null ? `; ${(idxCpu / cCpu).toFixed(1)}× in CPU time` : '';
    row('  single-pass C decoder (gcc -O2, counts only)', `${s(cMs)}${cpuNote(cCpu)} → kscope in-process is ${(idxMs / cMs).toFixed(1)}× in wall time${ratio}`, 'within 2×', idxMs <= 2 * cMs);
  }
  row('peak RSS of `kscope index`', `${MB(peakRss)} (${(peakRss / inputBytes).toFixed(2)}× input)`, '≤ 2× input', peakRss > 0 && peakRss <= 2 * inputBytes);
  row('bundle on disk', `${MB(bundleBytes)} (${((100 * bundleBytes) / inputBytes).toFixed(2)} % of input)`, '≤ 10 %', bundleBytes <= inputBytes / 10, `Rust: 16-byte record per event ≈ ${MB(truth.events * 16)}`);
  row(`event N, in-process (median / p99 of ${eventMs.length})`, `${ms3(median(eventMs))} / ${ms3(pct(eventMs, 0.99))}`, '≤ 1 ms', median(eventMs) <= 1, 'Rust: 28 ms');
  for (const type of ['KERNEL_ENTRY', 'FUNC_ENTER']) {
    const xs = filterMs[type];
    row(`filter --type ${type} --limit ${FILTER_LIMIT}, in-process (median / p99 of ${xs.length})`, `${ms3(median(xs))} / ${ms3(pct(xs, 0.99))}`, '≤ 1 ms', median(xs) <= 1, type === 'KERNEL_ENTRY' ? 'Rust: 35 ms; Python: 8 s' : '');
  }
  row('open bundle + event N + close, in-process (median of 50)', ms3(median(openMs)), '', null);
  row(`\`node -e 0\` (median of ${RUNS})`, `${s(nodeStart)}${cpuNote(nodeCpu)}`, '', null);
  // Over `node -e 0` in wall time, and in CPU time (what it costs when cores are shared).
  const over = (p: Paired) => `+${s(median(p.over))} (${s(median(p.total))} total${p.overCpu.length ? `; +${s(median(p.overCpu))} CPU` : ''})`;
  row(`\`kscope event N\` over \`node -e 0\` (median of ${RUNS} pairs)`, over(cliEvent), '≤ +100 ms', median(cliEvent.over) <= 100, 'Rust: 28 ms');
  for (const type of ['KERNEL_ENTRY', 'FUNC_ENTER']) {
    const p = cliFilter[type];
    row(`\`kscope filter --type ${type} --from F --limit ${FILTER_LIMIT}\` over \`node -e 0\``, over(p), '≤ +100 ms', median(p.over) <= 100, type === 'KERNEL_ENTRY' ? 'Rust: 35 ms' : '');
  }
  const logMs = median(logInproc);
  row(`console log with the v3 dump (${MB(logBytes)}): index in-process (median of 2)`, s(logMs), '', null, 'Python: 1 m 52 s convert');
  row('  the same through `kscope index --force`', `${s(logCli.ms)}, peak RSS ${MB(logCli.rss ?? 0)}`, '', null);
  row('  its bundle; event N in-process (median)', `${MB(logBundleBytes)}; ${ms3(median(logEventMs))}`, '', null);
  const passed = checks.filter((c) => c.ok).length;
  row('correctness spot checks vs ground truth', `${passed}/${checks.length} passed`, 'all', passed === checks.length);

  const cpu = /model name\s*:\s*(.*)/.exec(existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '')?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const machine = {
    date: new Date().toISOString(),
    nproc: os.availableParallelism(),
    cpu,
    memory: MB(os.totalmem()),
    node: process.version,
    load: os.loadavg().map((x) => x.toFixed(2)).join(' '),
    words: WORDS,
    events: truth.events,
  };
  const lines = [
    `Machine: ${machine.nproc} CPUs (${machine.cpu}), ${machine.memory} RAM, Node ${machine.node}, load average ${machine.load} at the end; ${machine.date}.`,
    `Input: ${WORDS.toLocaleString('en-US')} words (${MB(inputBytes)}), ${truth.events.toLocaleString('en-US')} events, generated with seed ${SEED}; page cache warm.`,
    '',
    '| measure | kscope | goal | | user\'s tools (seed 004) |',
    '|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
  for (const c of checks) if (!c.ok) process.stdout.write(`\nFAILED CHECK: ${c.what}${c.detail ? `: ${c.detail}` : ''}\n`);
  if (opt.json) writeFileSync(opt.json, JSON.stringify({ machine, rows, checks }, null, 1));
  if (passed !== checks.length) process.exitCode = 1;
}

await main();
