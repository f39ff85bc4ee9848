import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanLine, normalizeEvent, normalizeLine, severityOf } from './normalize.js';

test('printk time and caller prefixes go; numbers and addresses are masked as in crash titles', () => {
  assert.equal(normalizeLine('[    2.655976] Kernel panic - not syncing: sysrq triggered crash'), 'Kernel panic - not syncing: sysrq triggered crash');
  assert.equal(normalizeLine('[    0.004000][    T1] smpboot: CPU0: Intel 0x306a9'), 'smpboot: CPUN: Intel 0x...'.replace('CPUN', 'CPU0'));
  assert.equal(normalizeLine('[    3.464255] Run /init as init process'), normalizeLine('[    2.001000] Run /init as init process'));
  assert.equal(normalizeLine('[ 0.7] audit: type=2000 audit(1795444483.744:1): state=initialized'), normalizeLine('[ 0.8] audit: type=2000 audit(1795444213.496:1): state=initialized'));
});

test('the same line from two runs with different pids, CPUs and addresses normalizes alike', () => {
  const a = normalizeLine('[FATAL_REGS] label=INSTRUCTION_ABORT cpu=2 spsr=0x80000305 esr=0x8600000d far=0x0 elr=0x0 sp=0xffff000054265ef0');
  const b = normalizeLine('[FATAL_REGS] label=INSTRUCTION_ABORT cpu=3 spsr=0x20000305 esr=0x8600000e far=0x1000000 elr=0x1000000 sp=0xffff000054265f00');
  assert.equal(a, b);
  assert.match(a, /^\[FATAL_REGS\] label=INSTRUCTION_ABORT cpu=N /);
});

test('another CPU\'s bytes in front of a bracketed record are dropped; names with a pid are kept', () => {
  assert.equal(normalizeLine('T4T5[BOOT_TESTS:START]'), '[BOOT_TESTS:START]');
  assert.equal(normalizeLine('FG1[gic] EOImode=1 (split EOI/DIR)'), normalizeLine('[gic] EOImode=1 (split EOI/DIR)'));
  assert.equal(normalizeLine('systemd[1]: Started'), 'systemd[N]: Started');
});

test('escapes and control bytes are removed; blank lines normalize to nothing', () => {
  assert.equal(cleanLine('\x1b[0mok\x1b[2J\r'), 'ok');
  assert.equal(normalizeLine('\x1bc\x1b[?7l\x1b[2J'), '');
  assert.equal(normalizeLine('   '), '');
});

test('events compare by type, named function and masked text, not by their index', () => {
  assert.equal(normalizeEvent('FUNC_ENTER', '2:[50000] ENTER 0xffffff8040011040 (id=1089)', { function_id: 1089, address: '0xffffff8040011040' }), normalizeEvent('FUNC_ENTER', '1:[7] ENTER 0xffffff8040011040 (id=1089)', { function_id: 1089 }));
  assert.notEqual(normalizeEvent('FUNC_ENTER', '2:[5] ENTER fn#300', { function_id: 300 }), normalizeEvent('FUNC_ENTER', '2:[5] ENTER fn#301', { function_id: 301 }));
});

test('severity: faults over errors over failures over plain lines', () => {
  assert.equal(severityOf('[FATAL_POSTMORTEM] cpu=N label=INSTRUCTION_ABORT'), 3);
  assert.equal(severityOf('Kernel panic - not syncing'), 3);
  assert.equal(severityOf('[ISSUE831] *** debug-write hits CODE page ... ***'), 2);
  assert.equal(severityOf('[TEST:ipc:pipe:FAIL]'), 1);
  assert.equal(severityOf('[boot] Memory management ready'), 0);
});

test('severity words used as parameters are configuration, not trouble', () => {
  assert.equal(severityOf('Command line: console=ttyS0 loglevel=7 panic=-1 kscope=panic'), 0);
  assert.equal(severityOf('[FATAL_REGS] label=INSTRUCTION_ABORT cpu=N'), 3);
});

test('a quoted parameter value is configuration too', () => {
  assert.equal(severityOf('Unknown kernel command line parameters "kscope=panic", will be passed to user space.'), 0);
});
