import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadExpectations, parseExpectations, parseMarker } from './expect-file.js';
import { alarms, breenix, byCode, diagnose, linux, NO_BREENIX, removeScratch, writeScratch } from './testing.js';
import { UserError } from '../util/errors.js';

after(removeScratch);

test('markers: literal, "quoted", /regex/flags, !forbidden, within N lines/ms', () => {
  const lit = parseMarker('Run /init as init process', 'f:1', 1);
  assert.equal(lit.literal?.toString(), 'Run /init as init process');
  assert.equal(lit.regex, null);
  const q = parseMarker('"/usr/bin/"', 'f:2', 2);
  assert.equal(q.literal?.toString(), '/usr/bin/', 'quotes make a slash-delimited text literal');
  const re = parseMarker('/Linux version \\d+/i', 'f:3', 3);
  assert.ok(re.regex?.test('linux VERSION 6'));
  const forb = parseMarker('!Kernel panic', 'f:4', 4);
  assert.ok(forb.forbidden);
  const w = parseMarker('within 20 lines: /Freeing unused/', 'f:5', 5);
  assert.deepEqual(w.within, { n: 20, unit: 'lines' });
  assert.ok(w.regex);
  assert.deepEqual(parseMarker('within 150 ms: x', 'f:6', 6).within, { n: 150, unit: 'ms' });
});

test('mistakes are one-line user errors naming file:line', () => {
  const bad = (text: string, re: RegExp) => {
    assert.throws(() => parseExpectations(text, 'boot.expect'), (e: unknown) => e instanceof UserError && re.test(e.message) && !e.message.includes('\n'));
  };
  bad('ok\n# comment\n/foo(/\n', /^boot\.expect:3: invalid regular expression \/foo\(\/: .*Unterminated group/);
  bad('/x/g\n', /^boot\.expect:1: regular expression flags g and y/);
  bad('within ten lines: x\n', /^boot\.expect:1: expected "within N lines: MARKER"/);
  bad('within 3 lines:\n', /^boot\.expect:1: empty marker/);
  bad('!within 3 lines: x\n', /^boot\.expect:1: a forbidden marker \(!\) cannot have "within"/);
  bad('# only comments\n\n', /^boot\.expect: no markers/);
  bad('//\n', /^boot\.expect:1: empty regular expression/);
  assert.throws(() => loadExpectations('/nonexistent/x.expect'), (e: unknown) => e instanceof UserError && e.message === '/nonexistent/x.expect: no such file');
});

test('a user file on a real boot: all seen → one info finding with the lines', async () => {
  const set = parseExpectations('Linux version\n/Kernel command line: .*kscope=boot/\nwithin 300 lines: Run /init as init process\n!Kernel panic\n', 'boot.expect');
  const r = await diagnose(linux('x86_64-boot.log.gz'), ['expectations'], [set]);
  const met = byCode(r, 'EXPECTATIONS_MET').filter((f) => f.data.set === 'boot.expect');
  assert.equal(met.length, 1);
  assert.deepEqual(met[0].evidence.map((e) => e.line), [10, 81, 366]);
  assert.deepEqual(alarms(r), []);
});

test('a missing marker names the last one seen before it, and the log goes on without it', async () => {
  const set = parseExpectations('Linux version\nRun /init as init process\nKSCOPE: init reached\nKSCOPE: never printed\nreboot: Power down\n', 'init.expect');
  const r = await diagnose(linux('x86_64-boot.log.gz'), ['expectations'], [set]);
  const [miss] = byCode(r, 'EXPECTATION_MISSING');
  assert.ok(miss, 'missing marker reported');
  assert.equal(miss.title, 'expected marker never appeared: KSCOPE: never printed');
  // The marker after the missing one did appear: the gap is reported one level lower.
  assert.equal(miss.severity, 'warning');
  assert.match(miss.detail, /first missing is #4 KSCOPE: never printed \(init\.expect:4\)/);
  assert.match(miss.detail, /last seen before it is #3 KSCOPE: init reached at line 367/);
  assert.match(miss.detail, /#5 reboot: Power down \(line 370\)/);
  assert.equal(miss.evidence[0].line, 367);
  assert.equal(miss.evidence.at(-1)?.line, 370, 'the last line of the log');
});

test('a marker that never comes and nothing after it: error for a user file', async () => {
  const set = parseExpectations('Run /spin as init process\nKSCOPE: init reached\n', 'spin.expect');
  const r = await diagnose(linux('x86_64-spin.log.gz'), ['expectations'], [set]);
  const [miss] = byCode(r, 'EXPECTATION_MISSING');
  assert.equal(miss.severity, 'error');
  assert.equal(miss.evidence[0].line, 366);
  assert.match(miss.evidence[0].text, /Run \/spin as init process/);
});

test('within N lines too far → late; forbidden marker seen → error', async () => {
  const set = parseExpectations('Linux version\nwithin 5 lines: Kernel command line\n!Kernel panic - not syncing\n', 'late.expect');
  const r = await diagnose(linux('x86_64-panic.log.gz'), ['expectations'], [set]);
  const [late] = byCode(r, 'EXPECTATION_LATE');
  assert.match(late.detail, /appeared at line 81, 72 lines after #1/);
  const [forb] = byCode(r, 'EXPECTATION_FORBIDDEN');
  assert.equal(forb.severity, 'error');
  assert.equal(forb.evidence[0].line, 364);
});

test('built-in sets: Linux reaching init on a real boot, silent on a Breenix log', async () => {
  const r = await diagnose(linux('arm64-boot.log.gz'), ['expectations']);
  const met = byCode(r, 'EXPECTATIONS_MET');
  assert.deepEqual(met.map((f) => f.data.set), ['linux-init']);
  assert.deepEqual(met[0].evidence.map((e) => e.line), [2, 39, 230, 232]);
});

test('built-in Breenix sets: a FAIL verdict is a forbidden marker, a clean run meets every set', async (t) => {
  const red = breenix('607-576-serials__legT-green-stack-pc-refused.txt');
  const green = breenix('p5b-serials__589-fulltest-phase1c-20260817-230637.txt');
  if (!red || !green) return t.skip(NO_BREENIX);
  const r = await diagnose(red, ['expectations']);
  const forb = byCode(r, 'EXPECTATION_FORBIDDEN').find((f) => f.title.includes('[BOOT_TESTS:FAIL'));
  assert.ok(forb);
  assert.match(forb.evidence[0].text, /\[BOOT_TESTS:FAIL/);
  const g = await diagnose(green, ['expectations']);
  assert.deepEqual(alarms(g), []);
  assert.deepEqual(byCode(g, 'EXPECTATIONS_MET').map((f) => f.data.set).sort(), ['breenix-boot', 'breenix-boot-tests']);
  // [STAGE:serial:COMPLETE:2/105] at 187 … [BOOT_TESTS:PASS] at 574 (the first of two).
  const tests = byCode(g, 'EXPECTATIONS_MET').find((f) => f.data.set === 'breenix-boot-tests');
  assert.deepEqual(tests?.evidence.map((e) => e.line), [174, 187, 444, 538, 573, 574]);
});

test('a marker garbled by interleaved output: missing, but later ones seen, so only info', async (t) => {
  const p = breenix('607-576-serials__mutation-1-rust-bound-reverted-legT-red.txt');
  if (!p) return t.skip(NO_BREENIX);
  const r = await diagnose(p, ['expectations']);
  const miss = byCode(r, 'EXPECTATION_MISSING').find((f) => f.data.set === 'breenix-boot-tests');
  assert.ok(miss);
  assert.equal(miss.severity, 'info');
  assert.match(miss.detail, /Later markers did appear after it: .*\[TESTS_COMPLETE: \(line 3,0\d\d\)/);
});

test('an expectation file on an event stream says it does not apply', async () => {
  const set = parseExpectations('x\n', 'x.expect');
  const bin = writeScratch('ftrace.bin', Buffer.from(new Uint16Array([0xffee, 0x31, 0, 0, 0xffea, 0, 0]).buffer));
  const r = await diagnose(bin, ['expectations'], [set]);
  assert.deepEqual(r.findings.map((f) => f.code), ['EXPECTATIONS_NOT_APPLICABLE']);
});
