import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeEsr, esrContext, esrSummary, fscName } from './esr.js';

test('instruction abort, current EL, IFSC 0xe = permission fault level 2 (Arm ARM ISS encoding)', () => {
  const e = decodeEsr('0x8600000e');
  assert.ok(e);
  assert.equal(e.ec, '0x21');
  assert.equal(e.ec_name, 'IABT (current EL)');
  assert.equal(e.il, 1);
  assert.equal(e.fsc_kind, 'IFSC');
  assert.equal(e.fsc, '0xe');
  assert.equal(e.fsc_name, 'permission fault L2');
  assert.equal(esrContext(e), 'kernel');
  assert.equal(esrSummary(e), 'IFSC permission fault L2');
});

test('instruction abort from a lower EL is a user fault', () => {
  const e = decodeEsr('0x8200000e');
  assert.ok(e);
  assert.equal(e.ec, '0x20');
  assert.equal(esrContext(e), 'user');
});

test('data abort, current EL, DFSC 0x5 = translation fault level 1, read', () => {
  const e = decodeEsr('0x96000005');
  assert.ok(e);
  assert.equal(e.ec, '0x25');
  assert.equal(e.ec_name, 'DABT (current EL)');
  assert.equal(e.fsc_kind, 'DFSC');
  assert.equal(e.fsc_name, 'translation fault L1');
  assert.equal(e.wnr, false);
});

test('agrees with the kernel\'s own decode in the arm64 oops fixture (ESR 0x96000006: "level 2 translation fault")', () => {
  const e = decodeEsr('0x0000000096000006');
  assert.ok(e);
  assert.equal(e.value, '0x96000006');
  assert.equal(e.ec_name, 'DABT (current EL)');
  assert.equal(e.fsc_name, 'translation fault L2');
});

test('a write is flagged (WnR, ISS bit 6)', () => {
  assert.equal(decodeEsr('0x96000045')?.wnr, true);
});

test('BRK carries its immediate (Linux BUG() is brk #0x800) and PC alignment has no FSC', () => {
  const brk = decodeEsr('00000000f2000800');
  assert.equal(brk?.ec_name, 'BRK (AArch64)');
  assert.equal(brk?.comment, '0x800');
  assert.equal(brk?.fsc, undefined);
  const pc = decodeEsr('0x8a000000');
  assert.ok(pc);
  assert.equal(pc.ec, '0x22');
  assert.equal(esrSummary(pc), 'PC alignment fault');
});

test('fault status names cover every level of the four level-encoded families', () => {
  assert.equal(fscName(0x00), 'address size fault L0');
  assert.equal(fscName(0x07), 'translation fault L3');
  assert.equal(fscName(0x0b), 'access flag fault L3');
  assert.equal(fscName(0x0d), 'permission fault L1');
  assert.equal(fscName(0x21), 'alignment fault');
  assert.equal(fscName(0x10), 'synchronous external abort');
});

test('non-hex input is not an ESR', () => {
  assert.equal(decodeEsr('0xzz'), null);
  assert.equal(decodeEsr(''), null);
});
