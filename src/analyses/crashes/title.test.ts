import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskMessage, normHex, titleFunction } from './title.js';

test('hex values, bare addresses and decimal numbers are masked', () => {
  assert.equal(maskMessage('Attempted to kill init! exitcode=0x00000100'), 'Attempted to kill init! exitcode=0x...');
  assert.equal(maskMessage('bad page at ffff8880123456f8 pfn 1234'), 'bad page at ... pfn N');
  assert.equal(maskMessage('scheduling while atomic: sh/94/0x00000002'), 'scheduling while atomic: sh/N/0x...');
});

test('pids, CPU numbers, durations and timestamps are masked', () => {
  assert.equal(maskMessage('CPU#1 stuck for 26s! [sh:94]'), 'CPU#N stuck for Ns! [sh:N]');
  assert.equal(maskMessage('took 3.5ms at 12.345678'), 'took Nms at N');
});

test('symbols lose their offsets; identifiers with digits survive', () => {
  assert.equal(maskMessage('use-after-free in ext4_find_entry+0x1c/0x3a0 [ext4]'), 'use-after-free in ext4_find_entry');
  assert.equal(maskMessage('x86_64 ext4 sysrq triggered crash'), 'x86_64 ext4 sysrq triggered crash');
});

test('titleFunction drops compiler clone suffixes; normHex strips zeros', () => {
  assert.equal(titleFunction('el0_svc_common.constprop.0'), 'el0_svc_common');
  assert.equal(titleFunction('direct_write.cold'), 'direct_write');
  assert.equal(titleFunction('finish_task_switch.isra.0'), 'finish_task_switch');
  assert.equal(normHex('0000000000000000'), '0x0');
  assert.equal(normHex('0xFFFF000054243F00'), '0xffff000054243f00');
});
