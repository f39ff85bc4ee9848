// `kscope diff` end to end, as a user runs it: two real Linux boots (one panics), a boot of
// each architecture, generated TII streams, and red/green Breenix CI captures where the
// expected red-only lines are found independently with a plain text search.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { generateTii, metaJson } from '../src/gen/tii-generator.js';
import { cliEntry } from '../src/export/testing.js';
import type { DiffResult, RedGreenResult } from '../src/analyses/diff/index.js';
import { assertNoStack, assertUserError, cleanup, runCli, ROOT, tmpdir, type CliResult } from './helpers.js';

after(cleanup);

const LINUX = join(ROOT, 'test', 'fixtures', 'linux');
const SAMPLES = join(ROOT, '..', 'shared', 'samples', 'breenix');
const noSamples = existsSync(SAMPLES) ? false : `shared Breenix samples not found at ${SAMPLES}`;
const work = tmpdir();
const bundles = join(work, 'bundles');
// The real CLI once `diff` is wired into main.ts; until then an entry registering just this command.
const ENTRY = cliEntry(ROOT, 'diff', work, /\bdiff\b/.test(runCli(['--help']).stdout));

function kscope(args: string[]): CliResult {
  const r = spawnSync(process.execPath, [ENTRY, ...args], { encoding: 'utf8', maxBuffer: 256 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** `kscope diff … --json` (bundles kept in the test's temp dir: the inputs' folders stay untouched). */
function run(args: string[], code: number): string {
  const r = kscope(['diff', ...args, '--bundle-dir', bundles, '--json']);
  assertNoStack(r, args.join(' '));
  assert.equal(r.code, code, r.stderr);
  return r.stdout;
}
function diffJson(args: string[], code = 1): DiffResult {
  return JSON.parse(run(args, code)) as DiffResult;
}
function redGreenJson(args: string[], code = 0): RedGreenResult {
  return JSON.parse(run(args, code)) as RedGreenResult;
}

/** A value the test needs to be there. */
function must<T>(v: T | null | undefined, what: string): T {
  assert.ok(v !== null && v !== undefined, `${what} is missing`);
  return v;
}

function lines(path: string): string[] {
  const raw = readFileSync(path);
  const text = (path.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
  return text.split('\n').map((l) => l.replace(/\r$/, ''));
}

/** 1-based number of the first line containing `s`. */
function lineOf(path: string, s: string): number {
  const k = lines(path).findIndex((l) => l.includes(s));
  assert.ok(k >= 0, `${path} has no line with ${s}`);
  return k + 1;
}

const BOOT = join(LINUX, 'x86_64-boot.log.gz');
const PANIC = join(LINUX, 'x86_64-panic.log.gz');

test('boot vs panic (x86_64): the runs part at the panic; the panic is the crash and the lines only the panic run has', () => {
  const r = diffJson([BOOT, PANIC]);
  assert.equal(r.identical, false);
  assert.equal(r.a.format, 'console-log');
  assert.equal(r.a.unit, 'line');
  const init = lineOf(PANIC, 'KSCOPE: init reached (scenario=panic');
  const panic = lineOf(PANIC, 'Kernel panic - not syncing: sysrq triggered crash');
  // Where they part for good: the scenario line right before the panic (nothing after agrees on 8 lines).
  const div = must(r.divergence, 'divergence');
  assert.equal(div.b.line, init);
  assert.equal(div.a.line, lineOf(BOOT, 'KSCOPE: init reached (scenario=boot'));
  assert.ok(panic - init <= 2, `panic at ${panic}, divergence at ${init}`);
  assert.ok(div.b.entries.some((e) => e.line === panic && e.text.includes('Kernel panic')));
  assert.match(must(div.last_common, 'last common line').a.text, /Run \/init as init process/);
  // The first difference is earlier (the kernel command line differs), and is reported as such.
  assert.ok((must(r.first_difference, 'first difference').b.line ?? Infinity) < init);
  const crashes = must(r.crashes, 'crashes');
  assert.deepEqual(crashes.only_in_b.map((c) => [c.kind, c.line]), [['panic', panic]]);
  assert.deepEqual(crashes.only_in_a, []);
  assert.ok(r.only_in_b.entries.length > 0);
  assert.match(r.only_in_b.entries[0].example, /Kernel panic/, 'the most severe line first');
  assert.equal(r.only_in_b.entries[0].at[0], panic);
  const printk = r.type_counts.find((t) => t.type === 'PRINTK');
  assert.ok(printk && printk.b > printk.a);
});

test('human output: both runs, where they differ and part, the crash, the new lines; exit 1 for different runs', () => {
  const r = kscope(['diff', BOOT, PANIC, '--bundle-dir', bundles, '--limit', '5']);
  assert.equal(r.code, 1, r.stderr);
  for (const s of ['A ', 'B ', 'first difference: A line', 'divergence (no 8 consecutive lines agree after it)', 'crashes only in B:', 'PANIC  Kernel panic - not syncing: sysrq triggered crash', 'lines only in B', 'event types that changed']) {
    assert.ok(r.stdout.includes(s), `missing "${s}" in:\n${r.stdout}`);
  }
});

test('a run against a copy of itself is identical: exit 0', () => {
  const copy = join(work, 'boot-copy.log.gz');
  copyFileSync(BOOT, copy);
  const r = diffJson([BOOT, copy], 0);
  assert.equal(r.identical, true);
  assert.equal(r.first_difference, null);
  assert.equal(r.divergence, null);
  assert.deepEqual(r.type_counts, []);
});

test('boots of two architectures: same format, compared, with many differences', () => {
  const r = diffJson([BOOT, join(LINUX, 'arm64-boot.log.gz')]);
  assert.equal(r.a.format, r.b.format);
  assert.ok(r.hunks > 10);
  assert.ok(r.only_in_a.total > 50 && r.only_in_b.total > 50);
  assert.notEqual(r.first_difference, null);
});

test('mixed artifacts: one line naming both files and both formats, exit 2', () => {
  const trace = join(LINUX, 'x86_64-ftrace-trace.txt.gz');
  const r = kscope(['diff', BOOT, trace, '--bundle-dir', bundles]);
  assertUserError(r, 'x86_64-ftrace-trace.txt.gz', /x86_64-boot\.log\.gz \(console-log\) with .*\(ftrace-text\): diff needs artifacts of the same kind/);
  assert.equal(r.code, 2);
});

test('bad arguments are one-line errors', () => {
  assertUserError(kscope(['diff', BOOT]), 'diff', /expected two runs A B/);
  assertUserError(kscope(['diff', '--red', BOOT]), 'diff', /--red needs --green/);
  assertUserError(kscope(['diff', BOOT, PANIC, '--limit', 'x']), '--limit', /integer/);
  assertUserError(kscope(['diff', BOOT, join(work, 'missing.log'), '--bundle-dir', bundles]), 'missing.log', /no such file/);
});

test('TII streams compare event by event: a changed function id is the first difference, at its event', () => {
  const dirs = ['a', 'b'].map((d) => tmpdir(`kscope-diff-tii-${d}-`));
  const k = 5000;
  for (const [i, d] of dirs.entries()) {
    const g = generateTii({ words: 40_000, seed: 5, truth: true });
    const off = (g.truth.offset as Uint32Array)[k];
    // Event k is a function event in this stream; another id keeps it one (same low bit).
    assert.ok(g.words[off] < 0xff00);
    if (i === 1) g.words[off] ^= 0x40;
    writeFileSync(join(d, 'ftrace.bin'), g.words);
    writeFileSync(join(d, 'ftrace.meta'), metaJson(g));
  }
  const r = diffJson([join(dirs[0], 'ftrace.bin'), join(dirs[1], 'ftrace.bin')]);
  assert.equal(r.a.unit, 'event');
  const first = must(r.first_difference, 'first difference');
  assert.equal(first.a.index, k);
  assert.equal(first.b.index, k);
  assert.equal(first.a.count, 1);
  assert.equal(r.divergence, null, 'the streams agree again right after');
  assert.deepEqual(r.type_counts, []);
});

/** Red-capture lines holding `marker` whose text no green capture has: found with a plain search. */
function redOnly(red: string, greens: string[], marker: RegExp): number[] {
  const greenText = greens.flatMap(lines);
  return lines(red)
    .map((l, i) => ({ l, n: i + 1 }))
    .filter(({ l }) => marker.test(l) && !greenText.some((g) => g.includes(l.replace(/^.*?(\[[A-Z_]+\])/, '$1').slice(0, 40))))
    .map(({ n }) => n);
}

test('red/green legK: the instruction-abort lines only the red capture has are ranked first, with their line numbers', { skip: noSamples }, () => {
  const red = join(SAMPLES, '607-576-serials__legK-red-testcommit-c3b0133d-esr8600000d.txt');
  const green = join(SAMPLES, '607-576-serials__legK-green-head-6b3e143d-refused.txt');
  const expected = redOnly(red, [green], /\[(FATAL_REGS|FATAL_POSTMORTEM|INSTRUCTION_ABORT)\]/);
  assert.ok(expected.length >= 4, `grep found ${expected.length} fault lines`);
  for (const g of lines(green)) assert.ok(!/FATAL_REGS|FATAL_POSTMORTEM|INSTRUCTION_ABORT/.test(g), `green has a fault line: ${g}`);
  const r = redGreenJson(['--red', red, '--green', green, '--limit', '10']);
  assert.equal(r.unit, 'line');
  const top = r.entries.map((e) => e.red[0].at[0]);
  for (const n of expected) assert.ok(top.includes(n), `red-only fault line ${n} (${lines(red)[n - 1]}) not in the top 10: ${top}`);
  assert.ok(r.entries.slice(0, expected.length).every((e) => e.severity >= 2));
  const crashes = must(r.crashes, 'crashes');
  assert.deepEqual(crashes.map((c) => c.kind), ['fault']);
  // The crash record starts at the abort report, right before its register dump.
  const regs = lineOf(red, '[FATAL_REGS]');
  const at = crashes[0].red[0].line;
  assert.ok(regs - at >= 0 && regs - at <= 2, `crash at ${at}, registers at ${regs}`);
});

test('red/green legS: the oracle FAIL line of the red capture comes first; its PASS twin in green is not an answer', { skip: noSamples }, () => {
  const red = join(SAMPLES, '607-576-serials__legS-red-testcommit-c3b0133d-stranded1.txt');
  const green = join(SAMPLES, '607-576-serials__legS-green-head-6b3e143d-stranded0.txt');
  const fail = lineOf(red, 'STRAND_LIVE_OUTGOING_ORACLE');
  assert.match(lines(red)[fail - 1], /:FAIL\]$/);
  assert.match(lines(green)[lineOf(green, 'STRAND_LIVE_OUTGOING_ORACLE') - 1], /:PASS\]$/);
  const r = redGreenJson(['--red', red, '--green', green]);
  assert.deepEqual(r.entries[0].red[0].at, [fail]);
  const human = kscope(['diff', '--red', red, '--green', green, '--bundle-dir', bundles, '--limit', '3']);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /appear in every red run and in no green run/);
  assert.ok(human.stdout.includes(`line ${fail}`));
});

test('red/green with two red runs: only what both red runs show and neither green run does', () => {
  const dir = tmpdir();
  const common = Array.from({ length: 40 }, (_, i) => `[    ${i}.000000] boot step ${i % 7} of pid ${100 + i}`);
  const write = (name: string, ls: string[]) => (writeFileSync(join(dir, name), ls.join('\n') + '\n'), join(dir, name));
  const r1 = write('r1.log', [...common.slice(0, 5), '[ISSUE831] *** debug-write hits CODE page 0xffff1000 ***', ...common.slice(5), 'only r1']);
  const r2 = write('r2.log', [...common.slice(0, 30), '[ISSUE831] *** debug-write hits CODE page 0xffff7000 ***', ...common.slice(30), 'only r2']);
  const g1 = write('g1.log', [...common, 'only r1']);
  const g2 = write('g2.log', common);
  const r = redGreenJson(['--red', r1, r2, '--green', g1, g2]);
  assert.equal(r.total, 1);
  assert.deepEqual(r.entries[0].red.map((h) => h.at), [[6], [31]]);
  const none = redGreenJson(['--red', g2, '--green', g1], 1);
  assert.equal(none.total, 0);
});
