// `npm run bench:export`: `kscope export` on a generated TII stream of 10 M events (the goal in
// issue 5: ≤ 10 s, bounded memory). Each export runs in a fresh child process so its peak RSS is
// its own; the index is built first and not counted. A 1 M-event run next to the 10 M one shows
// whether memory grows with the input (it should not: the writers stream through fixed buffers).
//
//   node dist/bench/export.js [--words N] [--small N] [--runs N] [--out DIR]
//
// Inputs are cached in bench/out/export/w<N>/ (git-ignored) and reused.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { exportInput } from '../src/export/index.js';
import { generateTii, metaJson } from '../src/gen/tii-generator.js';
import { indexInput } from '../src/index/bundle-cache.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SELF = fileURLToPath(import.meta.url);

const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    words: { type: 'string', default: '10030000' },
    small: { type: 'string', default: '1003000' },
    runs: { type: 'string', default: '3' },
    out: { type: 'string', default: join(ROOT, 'bench', 'out', 'export') },
    child: { type: 'string' },
  },
});

interface ChildResult {
  seconds: number;
  maxRssMb: number;
  events: number;
  slices: number;
  instants: number;
  bytes: number[];
}

// ------------------------------------------------------------------ child: one export, measured

async function child(kind: string, bin: string, outDir: string): Promise<void> {
  const t0 = performance.now();
  const r = await exportInput(bin, {
    perfetto: kind !== 'chrome' ? join(outDir, 'out.pftrace') : undefined,
    chrome: kind !== 'perfetto' ? join(outDir, 'out.json') : undefined,
  });
  const res: ChildResult = {
    seconds: (performance.now() - t0) / 1000,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    events: r.events,
    slices: r.slices,
    instants: r.instants,
    bytes: r.outputs.map((o) => o.bytes),
  };
  process.stdout.write(JSON.stringify(res));
}

// ------------------------------------------------------------------ parent

function input(words: number): string {
  const dir = resolve(opt.out ?? '', `w${words}`);
  const bin = join(dir, 'ftrace.bin');
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    const g = generateTii({ words, seed: 1, unknownMarkers: true });
    writeFileSync(bin, g.words);
    writeFileSync(join(dir, 'ftrace.meta'), metaJson(g));
  }
  return bin;
}

function measure(kind: string, bin: string): ChildResult {
  const outDir = join(resolve(opt.out ?? ''), `run-${kind}`);
  mkdirSync(outDir, { recursive: true });
  const r = spawnSync(process.execPath, [SELF, '--child', kind, bin, outDir], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`export child failed: ${r.stderr}`);
  const res = JSON.parse(r.stdout) as ChildResult;
  rmSync(outDir, { recursive: true, force: true });
  return res;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  if (opt.child) return child(opt.child, positionals[0], positionals[1]);
  const runs = Math.max(1, Number(opt.runs));
  const rows: string[] = [];
  for (const words of [Number(opt.small), Number(opt.words)]) {
    const bin = input(words);
    const t0 = performance.now();
    await indexInput(bin, {});
    const indexS = (performance.now() - t0) / 1000;
    for (const kind of ['perfetto', 'chrome', 'both']) {
      const rs = Array.from({ length: runs }, () => measure(kind, bin));
      const best = rs[0];
      rows.push(
        `| ${(best.events / 1e6).toFixed(2)} M | ${kind} | ${median(rs.map((r) => r.seconds)).toFixed(2)} s | ${(best.events / median(rs.map((r) => r.seconds)) / 1e6).toFixed(1)} M/s | ${Math.max(...rs.map((r) => r.maxRssMb)).toFixed(0)} MB | ${best.bytes.map((b) => `${(b / 1e6).toFixed(0)} MB`).join(' + ')} | ${(best.slices / 1e6).toFixed(2)} M + ${(best.instants / 1e6).toFixed(2)} M |`,
      );
      process.stderr.write(`${words} words, ${kind}: ${rows[rows.length - 1]}\n`);
    }
    process.stderr.write(`index of ${(statSync(bin).size / 1e6).toFixed(0)} MB built/checked in ${indexS.toFixed(2)} s (not counted)\n`);
  }
  console.log(`Export of a generated TII stream (seed 1; no timestamps, so time = event order), median of ${runs} runs, each in a fresh process; peak RSS = the child's maxRSS.\n`);
  console.log('| events | output | time | rate | peak RSS | file size | slices + instants |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

await main();
