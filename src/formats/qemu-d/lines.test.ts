// One regex or helper per test, on single lines in the exact printf shapes QEMU uses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ARM_RETURN, ARM_TAKING, STOPPED, TRACE, X86_RECORD, dumpRegisters } from './lines.js';
import { auxToPc, hexBytesToAux, normHex, pcToAux } from './pc.js';

test('x86 record: page fault (CR2 variant), counter padded to 6 columns', () => {
  const m = X86_RECORD.exec('     3: v=0e e=0002 i=0 cpl=0 IP=0010:ffffffff9fdf69d2 pc=ffffffff9fdf69d2 SP=0000:ffffffffa0e03d38 CR2=ffff8cc30a601000');
  assert.ok(m);
  assert.equal(m[1], '3');
  assert.equal(m[2], '0e');
  assert.equal(m[3], '0002');
  assert.equal(m[8], 'ffffffff9fdf69d2');
  assert.equal(m[11], 'ffff8cc30a601000');
});

test('x86 record: software int3 (i=1, EAX variant), counter wider than 6', () => {
  const m = X86_RECORD.exec('1234567: v=03 e=0000 i=1 cpl=3 IP=0033:0000000000401619 pc=0000000000401619 SP=002b:00007ffd99970900 env->regs[R_EAX]=0000000000401615');
  assert.ok(m);
  assert.equal(m[4], '1');
  assert.equal(m[5], '3');
  assert.equal(m[12], '0000000000401615');
  // QEMU before 2.12 printed ` EAX=`.
  assert.ok(X86_RECORD.exec('   12: v=80 e=0000 i=1 cpl=3 IP=0073:b7f0e428 pc=b7f0e428 SP=007b:bf9d6d4c EAX=00000004')?.[12]);
});

test('Arm: Taking exception with and without the CPU (QEMU < 5.1)', () => {
  assert.deepEqual([...(ARM_TAKING.exec('Taking exception 5 [IRQ] on CPU 1') ?? [])].slice(1), ['5', 'IRQ', '1']);
  assert.deepEqual([...(ARM_TAKING.exec('Taking exception 4 [Data Abort]') ?? [])].slice(1), ['4', 'Data Abort', undefined]);
  const r = ARM_RETURN.exec('Exception return from AArch64 EL1 to AArch64 EL0 PC 0x4006d4');
  assert.deepEqual(r?.slice(1), ['64', '1', '64', '0', '4006d4']);
});

test('exec: Trace lines of QEMU 7 (4 parts), 5-6 (3 parts) and the chain stop line', () => {
  const t7 = TRACE.exec('Trace 1: 0x7eff58242b00 [0000000000000000/ffffffffb20000d4/0000c2b0/ff080200] start_kernel');
  assert.equal(t7?.[1], '1');
  assert.equal(t7?.[3].split('/')[1], 'ffffffffb20000d4');
  assert.equal(t7?.[4], 'start_kernel');
  const t5 = TRACE.exec('Trace 0: 0x7f2c4c000100 [00000000/000fe05b/0xb0] ');
  assert.equal(t5?.[3].split('/')[1], '000fe05b');
  const s = STOPPED.exec('Stopped execution of TB chain before 0x7eff58245940 [ffffffffb40795b2] ');
  assert.equal(s?.[2], 'ffffffffb40795b2');
});

test('register dumps: general registers kept, segments and vectors left out', () => {
  const regs: Record<string, string> = {};
  dumpRegisters('RAX=0000000000000000 RBX=ffff888000014790 RCX=0000000000000400 RDX=0000000000000000', regs);
  dumpRegisters('R8 =ffffffffe7e00000 R9 =0000000000014790 R10=00000000092ef000 R11=0000000000000114', regs);
  dumpRegisters('RIP=ffffffffa1479246 RFL=00000046 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=0', regs);
  dumpRegisters('CS =0010 0000000000000000 ffffffff 00af9b00 DPL=0 CS64 [-RA]', regs);
  dumpRegisters('XMM00=0000000000000000 0000000000000000 XMM01=0000000000000000 0000000000000000', regs);
  dumpRegisters(' PC=ffffdd1fc5668fdc X00=0000000000000000 X01=0000000000000001', regs);
  assert.equal(regs.rbx, '0xffff888000014790');
  assert.equal(regs.r8, '0xffffffffe7e00000');
  assert.equal(regs.rip, '0xffffffffa1479246');
  assert.equal(regs.pc, '0xffffdd1fc5668fdc');
  assert.equal(regs.x01, '0x1');
  assert.ok(!('cs' in regs) && !('xmm00' in regs) && !('cpl' in regs));
});

test('pc in aux: kernel addresses stay exact as signed 64-bit values', () => {
  for (const hex of ['ffffffff81e0c0a1', 'ffffdd1fc5668fdc', 'ffff888000014790', '0000000000401619', '4006d4', '0', '7fffffffffff', 'ffffffffffffffff']) {
    const aux = pcToAux(hex);
    assert.ok(Number.isSafeInteger(aux), hex);
    assert.equal(auxToPc(aux), normHex(hex), hex);
    assert.equal(hexBytesToAux(Buffer.from(hex), 0, hex.length), aux, `bytes ${hex}`);
  }
  // Two kernel pcs 1 byte apart stay apart (a double of the unsigned value would merge them).
  assert.notEqual(pcToAux('ffffffff81e0c0a1'), pcToAux('ffffffff81e0c0a0'));
  assert.equal(pcToAux('0x10'), 16);
  assert.ok(Number.isNaN(pcToAux('xyz')) && Number.isNaN(pcToAux('1ffffffffffffffff')));
});
