/**
 * arm64 ESR_ELx decoding (Arm ARM D17.2.37): the exception class says what
 * kind of exception it was, and for aborts the fault status code says why.
 * Both are what makes a fault title meaningful ("permission fault, level 2"
 * rather than a bare 0x8600000e), and both are stable for one bug.
 */
import type { EsrInfo } from './types.js';
import { fscName } from '../../model/arm64-fault-status.js';

export { fscName };

/** Exception classes, named as Linux's esr_class_str() does. */
const EC_NAMES: Record<number, string> = {
  0x00: 'Unknown/Uncategorized',
  0x01: 'WFI/WFE',
  0x03: 'CP15 MCR/MRC',
  0x04: 'CP15 MCRR/MRRC',
  0x05: 'CP14 MCR/MRC',
  0x06: 'CP14 LDC/STC',
  0x07: 'ASIMD',
  0x08: 'CP10 MRC/VMRS',
  0x09: 'PAC',
  0x0a: 'LD64B/ST64B',
  0x0c: 'CP14 MCRR/MRRC',
  0x0d: 'BTI',
  0x0e: 'PSTATE.IL',
  0x11: 'SVC (AArch32)',
  0x12: 'HVC (AArch32)',
  0x13: 'SMC (AArch32)',
  0x15: 'SVC (AArch64)',
  0x16: 'HVC (AArch64)',
  0x17: 'SMC (AArch64)',
  0x18: 'MSR/MRS (AArch64)',
  0x19: 'SVE',
  0x1a: 'ERET/ERETAA/ERETAB',
  0x1c: 'FPAC',
  0x1d: 'SME',
  0x1f: 'EL3 IMP DEF',
  0x20: 'IABT (lower EL)',
  0x21: 'IABT (current EL)',
  0x22: 'PC Alignment',
  0x24: 'DABT (lower EL)',
  0x25: 'DABT (current EL)',
  0x26: 'SP Alignment',
  0x27: 'MOPS',
  0x28: 'FP (AArch32)',
  0x2c: 'FP (AArch64)',
  0x2f: 'SError',
  0x30: 'Breakpoint (lower EL)',
  0x31: 'Breakpoint (current EL)',
  0x32: 'Software Step (lower EL)',
  0x33: 'Software Step (current EL)',
  0x34: 'Watchpoint (lower EL)',
  0x35: 'Watchpoint (current EL)',
  0x38: 'BKPT (AArch32)',
  0x3a: 'Vector catch (AArch32)',
  0x3c: 'BRK (AArch64)',
};

/** Exception classes whose ISS carries an instruction/data fault status code. */
const ABORT_ECS = new Set([0x20, 0x21, 0x24, 0x25]);


/** Decodes an ESR value given as hex text (with or without 0x); null when it is not hex. */
export function decodeEsr(text: string): EsrInfo | null {
  const h = text.replace(/^0x/i, '');
  if (!/^[0-9a-fA-F]{1,16}$/.test(h)) return null;
  const v = Number.parseInt(h.slice(-8), 16) >>> 0;
  const ec = v >>> 26;
  const iss = v & 0x1ffffff;
  const info: EsrInfo = {
    value: `0x${v.toString(16).padStart(8, '0')}`,
    ec: `0x${ec.toString(16).padStart(2, '0')}`,
    ec_name: EC_NAMES[ec] ?? `EC 0x${ec.toString(16)}`,
    il: (v >>> 25) & 1,
    iss: `0x${iss.toString(16).padStart(7, '0')}`,
  };
  if (ABORT_ECS.has(ec)) {
    const fsc = iss & 0x3f;
    info.fsc_kind = ec === 0x20 || ec === 0x21 ? 'IFSC' : 'DFSC';
    info.fsc = `0x${fsc.toString(16)}`;
    info.fsc_name = fscName(fsc);
    if (info.fsc_kind === 'DFSC') info.wnr = ((iss >>> 6) & 1) === 1;
  }
  if (ec === 0x3c) info.comment = `0x${(iss & 0xffff).toString(16)}`;
  return info;
}

/** Where the exception was taken from, when the class says it (lower EL = user, current EL = kernel). */
export function esrContext(e: EsrInfo): 'kernel' | 'user' | undefined {
  const ec = Number.parseInt(e.ec, 16);
  if ([0x20, 0x24, 0x30, 0x32, 0x34].includes(ec)) return 'user';
  if ([0x21, 0x25, 0x31, 0x33, 0x35].includes(ec)) return 'kernel';
  return undefined;
}

/** The part of a title that says what kind of fault it was, e.g. "IFSC permission fault L2". */
export function esrSummary(e: EsrInfo): string {
  if (e.fsc_kind && e.fsc_name) return `${e.fsc_kind} ${e.fsc_name}`;
  if (e.ec === '0x22') return 'PC alignment fault';
  if (e.ec === '0x26') return 'SP alignment fault';
  return e.ec_name;
}
