/** x86 exception mnemonics by vector (Intel SDM vol. 3, table 6-1); vectors >= 32 are interrupts. */
export const X86_EXCEPTIONS: Readonly<Record<number, string>> = {
  0: '#DE',
  1: '#DB',
  2: 'NMI',
  3: '#BP',
  4: '#OF',
  5: '#BR',
  6: '#UD',
  7: '#NM',
  8: '#DF',
  9: 'CSO',
  10: '#TS',
  11: '#NP',
  12: '#SS',
  13: '#GP',
  14: '#PF',
  16: '#MF',
  17: '#AC',
  18: '#MC',
  19: '#XM',
  20: '#VE',
  21: '#CP',
  28: '#HV',
  29: '#VC',
  30: '#SX',
};

/** x86 vector 2 arrives like an interrupt (asynchronous), not as a fault of the interrupted instruction. */
export const X86_NMI = 2;

/**
 * QEMU's Arm exception numbers (target/arm/internals.h EXCP_*) that are
 * asynchronous interrupts: IRQ, FIQ, virtual IRQ, virtual FIQ. Everything
 * else (aborts, SVC/HVC/SMC, undefined instruction, breakpoints) is an
 * exception caused by the interrupted instruction.
 */
export const ARM_INTERRUPTS: ReadonlySet<number> = new Set([5, 6, 14, 15]);

/** AArch64 ESR_ELx exception classes (Arm ARM D17.2.37), named as Linux names them (ESR_ELx_EC_*). */
export const ESR_EC: Readonly<Record<number, string>> = {
  0x00: 'UNKNOWN',
  0x01: 'WFx',
  0x03: 'CP15_32',
  0x04: 'CP15_64',
  0x05: 'CP14_MR',
  0x06: 'CP14_LS',
  0x07: 'FP_ASIMD',
  0x08: 'CP10_ID',
  0x09: 'PAC',
  0x0c: 'CP14_64',
  0x0d: 'BTI',
  0x0e: 'ILL',
  0x11: 'SVC32',
  0x12: 'HVC32',
  0x13: 'SMC32',
  0x15: 'SVC64',
  0x16: 'HVC64',
  0x17: 'SMC64',
  0x18: 'SYS64',
  0x19: 'SVE',
  0x1a: 'ERET',
  0x1c: 'FPAC',
  0x1d: 'SME',
  0x1f: 'IMP_DEF',
  0x20: 'IABT_LOW',
  0x21: 'IABT_CUR',
  0x22: 'PC_ALIGN',
  0x24: 'DABT_LOW',
  0x25: 'DABT_CUR',
  0x26: 'SP_ALIGN',
  0x27: 'MOPS',
  0x28: 'FP_EXC32',
  0x2c: 'FP_EXC64',
  0x2f: 'SERROR',
  0x30: 'BREAKPT_LOW',
  0x31: 'BREAKPT_CUR',
  0x32: 'SOFTSTP_LOW',
  0x33: 'SOFTSTP_CUR',
  0x34: 'WATCHPT_LOW',
  0x35: 'WATCHPT_CUR',
  0x38: 'BKPT32',
  0x3a: 'VECTOR32',
  0x3c: 'BRK64',
};

/** Kind name for an x86 vector delivered as an exception (or a software `int N`). */
export function x86ExceptionKind(vector: number, software: boolean): string {
  if (software && vector !== 3 && vector !== 4) return 'INT';
  return X86_EXCEPTIONS[vector] ?? (vector < 32 ? `EXC${vector}` : 'INT');
}
