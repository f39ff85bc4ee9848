// kscope diagnose as a user runs it: the built CLI on real fixtures (a spinning PID 1 under
// QEMU -d int, a clean boot, a panic), the shared Breenix captures (a data abort), the
// generator's TII stream (all-zero durations), expectation files, and bad input.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, assertUserError, cleanup, cliOkAsync, jsonLines, runCliAsync, tmpdir } from './helpers.js';

after(cleanup);

const FIX = join(ROOT, 'test', 'fixtures', 'linux');
const EXPECT = join(ROOT, 'test', 'fixtures', 'expect');
const BREENIX = join(ROOT, '..', 'shared', 'samples', 'breenix');
const dir = tmpdir('kscope-diagnose-cli-');

const kscope = runCliAsync;

const ok = cliOkAsync;

/** A private copy (bundles are written beside the input, never beside the fixtures). */
function copy(from: string, name = from.split('/').pop() as string): string {
  const p = join(dir, name);
  if (!existsSync(p)) copyFileSync(from, p);
  return p;
}
const fixture = (f: string) => copy(join(FIX, f));

interface JsonFinding {
  id: string;
  code: string;
  severity: string;
  title: string;
  detail: string;
  evidence: { line?: number; index?: number; text: string }[];
  hint: string;
  data: Record<string, unknown>;
  source: string;
}
const findings = (stdout: string) => jsonLines(stdout) as unknown as JsonFinding[];

describe('diagnose', { concurrency: true }, () => {
  test('a spinning PID 1 under QEMU -d int: no progress at pc 0x401619, one JSON finding per line', async () => {
    const out = findings(await ok(['diagnose', fixture('x86_64-spin-qemu-int.log.gz'), '--json']));
    const f = out.find((x) => x.code === 'NO_PROGRESS_INTERRUPTS');
    assert.ok(f, JSON.stringify(out));
    assert.equal(f.id, 'no-progress');
    assert.equal(f.severity, 'error');
    assert.equal(f.data.pc, '0x401619');
    assert.ok(f.evidence.every((e) => typeof e.line === 'number' && typeof e.index === 'number' && e.text.includes('pc=0000000000401619')));
    for (const x of out) for (const k of ['id', 'severity', 'title', 'detail', 'evidence', 'hint', 'code', 'data', 'source']) assert.ok(k in x, `${k} in ${x.code}`);
  });

  test('real interrupt-timing faults: a 20 µs hrtimer storm and returns to user with the tick pending', async () => {
    const storm = findings(await ok(['diagnose', fixture('x86_64-irq-storm-ftrace-trace.txt.gz'), '--json']));
    const s = storm.find((x) => x.code === 'IRQ_STORM');
    assert.ok(s, JSON.stringify(storm.map((x) => x.code)));
    assert.equal(s.severity, 'warning');
    assert.equal(s.data.cpu, 1);
    assert.ok(!storm.some((x) => x.code === 'TIMER_RIGHT_AFTER_RETURN'));
    const ret = findings(await ok(['diagnose', fixture('x86_64-timer-after-return-ftrace-trace.txt.gz'), '--json']));
    const t = ret.find((x) => x.code === 'TIMER_RIGHT_AFTER_RETURN');
    assert.ok(t, JSON.stringify(ret.map((x) => x.code)));
    assert.ok(!ret.some((x) => x.code === 'IRQ_STORM'));
    assert.deepEqual(t.evidence.map((e) => e.text.match(/(sys_exit|local_timer_entry)/)?.[1]), ['sys_exit', 'local_timer_entry']);
  });

  test('human output is grouped by severity, errors first, with evidence lines and hints', async () => {
    const out = await ok(['diagnose', fixture('x86_64-spin.log.gz'), fixture('arm64-spin-qemu-int.log.gz')]);
    const e = out.indexOf('\nERROR (1)');
    const w = out.indexOf('\nWARNING (1)');
    const i = out.indexOf('\nINFO (');
    assert.ok(e > 0 && w > e && i > w, out);
    assert.match(out, /\[no-progress\] CPU interrupted again and again at the same user pc \(no progress\)/);
    assert.match(out, /line 8,985, event 2,988: \[INTERRUPT\] Taking exception 5 \[IRQ\] on CPU 1 from EL0/);
    assert.match(out, /\[hang\] log stops without a shutdown or verdict/);
    assert.match(out, /line 366, event 361: \[ +4\.318173\] Run \/spin as init process/);
    assert.match(out, /\n {4}hint: /);
    assert.match(out, /^.*x86_64-spin\.log\.gz: console-log, 362 events — \d+ findings?$/m);
  });

  test('a clean boot: no errors or warnings, exit 0', async () => {
    const out = findings(await ok(['diagnose', fixture('x86_64-boot.log.gz'), '--json']));
    assert.deepEqual(out.filter((f) => f.severity !== 'info'), []);
    assert.ok(out.some((f) => f.code === 'EXPECTATIONS_MET' && f.data.set === 'linux-init'));
  });

  test('--only runs the named analyses', async () => {
    const out = findings(await ok(['diagnose', fixture('x86_64-panic.log.gz'), '--only', 'crashes', '--json']));
    assert.deepEqual([...new Set(out.map((f) => f.id))], ['crashes']);
    assert.equal(out[0].code, 'CRASH_PANIC');
    assert.deepEqual(out[0].evidence, [{ line: 364, text: 'Kernel panic - not syncing: sysrq triggered crash' }]);
  });

  test('--expect FILE: every marker seen on a boot; the first missing one on the spin log', async () => {
    const exp = join(EXPECT, 'linux-boot.expect');
    const good = findings(await ok(['diagnose', fixture('arm64-boot.log.gz'), '--expect', exp, '--only', 'expectations', '--json']));
    const met = good.find((f) => f.code === 'EXPECTATIONS_MET' && f.data.set === 'linux-boot.expect');
    assert.ok(met, JSON.stringify(good));
    assert.deepEqual(met.evidence.map((x) => x.line), [2, 39, 232, 233, 235]);
    const bad = findings(await ok(['diagnose', fixture('x86_64-spin.log.gz'), '--expect', exp, '--only', 'expectations', '--json']));
    const miss = bad.find((f) => f.code === 'EXPECTATION_MISSING' && f.data.set === 'linux-boot.expect');
    assert.ok(miss, JSON.stringify(bad));
    assert.equal(miss.severity, 'error');
    assert.equal(miss.title, 'expected marker never appeared: KSCOPE: init reached');
    assert.equal(miss.evidence[0].line, 366);
  });

  test('the generator’s TII stream: all-zero durations and exits without entries', async () => {
    const g = join(dir, 'gen');
    await ok(['generate', 'tii', '-o', g, '--words', '300000', '--no-console']);
    const out = findings(await ok(['diagnose', join(g, 'ftrace.bin'), '--json']));
    const zero = out.find((f) => f.code === 'PAIR_ALL_DURATIONS_ZERO');
    assert.ok(zero, JSON.stringify(out.map((f) => f.code)));
    assert.match(zero.title, /timing is not configured/);
    assert.ok(typeof zero.evidence[0].index === 'number' && zero.evidence[0].text.includes('KEXIT duration=0'));
    const unpaired = out.find((f) => f.code === 'PAIR_UNPAIRED');
    assert.equal(unpaired?.title, 'KERNEL_EXIT without a matching KERNEL_ENTRY');
  });

  test('a Breenix capture with a data abort', async (t) => {
    const src = join(BREENIX, 'p5b-serials__dataabort-schedule-from-kernel-cortexa72-boot55.txt');
    if (!existsSync(src)) return t.skip(`shared Breenix samples not found at ${BREENIX}`);
    const out = findings(await ok(['diagnose', copy(src), '--json']));
    const f = out.find((x) => x.code === 'CRASH_FAULT');
    assert.ok(f);
    assert.equal(f.evidence[0].line, 731);
    assert.match(f.title, /^DATA_ABORT ESR=0x96000005/);
    // The boot tests passed before the abort: no hang, verdict markers met.
    assert.ok(!out.some((x) => x.code === 'HANG_NO_VERDICT'));
  });
});

describe('bad input: one line, non-zero exit, no stack', { concurrency: true }, () => {
  test('a broken regex in the expectation file names file:line', async () => {
    const exp = join(EXPECT, 'broken-regex.expect');
    const r = await kscope(['diagnose', fixture('x86_64-boot.log.gz'), '--expect', exp]);
    assertUserError(r, 'broken-regex.expect:3', /invalid regular expression \/Run \(\\S\+ as init process\/: .*Unterminated group/);
  });
  test('an unknown analysis id', async () => {
    const r = await kscope(['diagnose', fixture('x86_64-boot.log.gz'), '--only', 'nope']);
    assertUserError(r, 'nope', /unknown analysis "nope"; known: crashes, pairing-latency, no-progress, hang, expectations, locks, interrupt-timing/);
  });
  test('a missing input', async () => {
    const r = await kscope(['diagnose', join(dir, 'missing.log')]);
    assertUserError(r, 'missing.log', /no such file/);
  });
  test('a missing expectation file', async () => {
    const r = await kscope(['diagnose', fixture('x86_64-boot.log.gz'), '--expect', join(dir, 'nope.expect')]);
    assertUserError(r, 'nope.expect', /no such file/);
  });
});
