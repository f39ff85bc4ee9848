import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractFromText, isNoise, lineCtx, TRIGGERS, TriggerScanner } from './extract.js';

test('the trigger scanner agrees with a plain substring search', () => {
  const scan = new TriggerScanner(TRIGGERS);
  const samples = [
    '[TRACE] CPU3 idx=689 ts=571473687 type=0xff46 SCHED_DIAG_STAGE stage<<16|tid=65543',
    '[    2.376059] Kernel panic - not syncing: sysrq triggered crash',
    'T2T3[INSTRUCTION_ABORT] FAR=0x0',
    'plain boot line with nothing in it',
    'ABORT ] almost',
    '[heartbeat] tid=190 uptime_ms=10614 kbd_nonzero=0',
    'deferred_tid=8',
    'xx\x1b[0mxx',
    'a\0b',
    '',
    'checks', // contains "check"
    'Ooops', // contains "Oops"
    '=======', // seven: not the trigger
  ];
  // Random lines built from trigger fragments exercise the failure links.
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  const alphabet = 'aBUGOopsPANIC[]=_ deferrcheckLOCKUPerror';
  for (let i = 0; i < 2000; i++) {
    let s = '';
    for (let j = rnd() % 40; j > 0; j--) s += alphabet[rnd() % alphabet.length];
    samples.push(s);
  }
  for (const s of samples) {
    const b = Buffer.from(`xx${s}yy`, 'latin1');
    const want = TRIGGERS.some((t) => `xx${s}yy`.includes(t));
    assert.equal(scan.hit(b, 0, b.length), want, JSON.stringify(s));
    // Only the range is searched.
    assert.equal(scan.hit(b, 2, 2 + s.length), TRIGGERS.some((t) => s.includes(t)), JSON.stringify(s));
  }
});

test('lineCtx strips escapes, NULs, CR and printk prefixes, and reads the caller CPU', () => {
  const l = lineCtx('\x1b[0m[   14.329180][    C1] watchdog: BUG: soft\0 lockup\r', 3, 10);
  assert.equal(l.raw, '[   14.329180][    C1] watchdog: BUG: soft lockup');
  assert.equal(l.text, 'watchdog: BUG: soft lockup');
  assert.equal(l.callerCpu, 1);
  assert.equal(lineCtx('[ INFO] kernel::memory: EXCEPTION: PAGE FAULT', 1, 0).text, 'EXCEPTION: PAGE FAULT');
  assert.equal(lineCtx('<4>[    1.0] Oops: 0000 [#1]', 1, 0).text, 'Oops: 0000 [#1]');
});

test('undecodable bytes are cleaned like control bytes; a line of nothing else is noise, not a blank line', () => {
  const decoded = Buffer.from([0x00, 0x01, 0x02, 0xff, 0xfe]).toString('utf8');
  const l = lineCtx(decoded, 1, 0);
  assert.equal(l.raw, '');
  assert.equal(isNoise(decoded, l), true);
  assert.equal(isNoise('', lineCtx('', 1, 0)), false);
  assert.equal(isNoise('  ', lineCtx('  ', 1, 0)), false);
  assert.equal(isNoise('\r', lineCtx('\r', 1, 0)), false, 'a CR CR LF line ending leaves a blank line');
  assert.equal(lineCtx('\ufffd[    2.2] Call trace:', 1, 0).text, 'Call trace:');
});

test('empty and crash-free input give no records', () => {
  assert.deepEqual(extractFromText(''), { crashes: [], lines: 0 });
  assert.deepEqual(extractFromText('hello\nworld\n').crashes, []);
});

test('binary junk is survived', () => {
  let junk = '';
  for (let i = 0; i < 5000; i++) junk += String.fromCharCode((i * 7919) % 256);
  const { crashes } = extractFromText(`${junk}\n[    1.0] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\n${junk}\n`);
  assert.equal(crashes.length, 1);
  assert.equal(crashes[0].title, 'Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(N,N)');
});
