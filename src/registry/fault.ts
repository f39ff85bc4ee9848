/**
 * CPU fault kinds and syndromes found in a failed test's own output: an
 * arm64 ESR (exception class + fault status code) or an x86 exception with
 * its page-fault error code. Two failures with the same syndrome are almost
 * always one bug, whatever the faulting address, so the signature keeps the
 * syndrome and drops addresses.
 *
 * The crash extractor (src/analyses/crashes/esr.ts) has a fuller decoder; the
 * fault status names both use live in model/.
 */

import { fscName } from '../model/arm64-fault-status.js';

export interface Fault {
  /** Stable grouping key, e.g. `esr:ec=0x21:fsc=0x0d` or `x86:#PF:err=0x2`. */
  key: string;
  /** For people: "instruction abort (current EL), permission fault L1 (ESR 0x8600000d)". */
  label: string;
}

/** Exception classes worth naming (Arm ARM D17.2.37); others print as their number. */
const EC_NAMES: Record<number, string> = {
  0x00: 'unknown exception',
  0x01: 'WFI/WFE trap',
  0x07: 'SIMD/FP access trap',
  0x0e: 'illegal execution state',
  0x15: 'SVC',
  0x16: 'HVC',
  0x17: 'SMC',
  0x18: 'MSR/MRS trap',
  0x19: 'SVE trap',
  0x20: 'instruction abort (lower EL)',
  0x21: 'instruction abort (current EL)',
  0x22: 'PC alignment fault',
  0x24: 'data abort (lower EL)',
  0x25: 'data abort (current EL)',
  0x26: 'SP alignment fault',
  0x2c: 'FP exception',
  0x2f: 'SError',
  0x30: 'breakpoint (lower EL)',
  0x31: 'breakpoint (current EL)',
  0x32: 'software step (lower EL)',
  0x33: 'software step (current EL)',
  0x34: 'watchpoint (lower EL)',
  0x35: 'watchpoint (current EL)',
  0x3c: 'BRK',
};

const ABORT_ECS = new Set([0x20, 0x21, 0x24, 0x25]);


const hex2 = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;

/** Decodes one ESR value into a fault; the ISS beyond the fault status (WnR, …) is left out of the key on purpose. */
export function esrFault(esr: number): Fault {
  const ec = (esr >>> 26) & 0x3f;
  const name = EC_NAMES[ec] ?? `exception class ${hex2(ec)}`;
  const value = `0x${(esr >>> 0).toString(16)}`;
  if (ABORT_ECS.has(ec)) {
    const fsc = esr & 0x3f;
    return { key: `esr:ec=${hex2(ec)}:fsc=${hex2(fsc)}`, label: `${name}, ${fscName(fsc)} (ESR ${value})` };
  }
  if (ec === 0x3c) {
    const imm = esr & 0xffff;
    return { key: `esr:ec=${hex2(ec)}:imm=0x${imm.toString(16)}`, label: `${name} #0x${imm.toString(16)}${imm === 0x800 ? ' (BUG)' : ''} (ESR ${value})` };
  }
  return { key: `esr:ec=${hex2(ec)}`, label: `${name} (ESR ${value})` };
}

/** Page-fault error code bits (Intel SDM vol. 3, 4.7), named as Linux's #PF report does. */
export function pageFaultLabel(code: number): string {
  const parts = [code & 1 ? 'protection violation' : 'not-present page', code & 2 ? 'write' : 'read', code & 4 ? 'user' : 'kernel'];
  if (code & 8) parts.push('reserved bit');
  if (code & 16) parts.push('instruction fetch');
  if (code & 32) parts.push('protection key');
  if (code & 64) parts.push('shadow stack');
  return parts.join(', ');
}

const ESR_RE = /\bESR(?:_EL[123])?\s*(?:[=:]\s*(?:0x)?|0x)([0-9a-f]{1,16})\b/i;
const BREENIX_LABEL_RE = /\b(INSTRUCTION_ABORT|DATA_ABORT|PC_ALIGN|SP_ALIGN|SERROR|UNDEFINED_INSTRUCTION)\b/;
const PF_CODE_RE = /(?:error[_ ]?code|err(?:or)?)\s*(?:[=:(]|is)?\s*\(?\s*(0x[0-9a-f]+|\d+)\b/i;
const PF_FLAGS_RE = /PageFaultErrorCode\(\s*([A-Z_ |]*)\)/;
const PAGE_FAULT_RE = /\bpage[ _-]?fault\b|#PF\b|\bPAGE FAULT\b/i;

/** x86 exceptions by their mnemonic and the words kernels print for them. */
const X86_EXCEPTIONS: readonly (readonly [RegExp, string, string])[] = [
  [/#GP\b|general[ _-]protection(?: fault)?/i, '#GP', 'general protection fault'],
  [/#UD\b|invalid[ _-]opcode/i, '#UD', 'invalid opcode'],
  [/#DF\b|double[ _-]fault/i, '#DF', 'double fault'],
  [/#DE\b|divide[ _-](?:error|by[ _-]zero)/i, '#DE', 'divide error'],
  [/#SS\b|stack[ _-]segment(?: fault)?/i, '#SS', 'stack-segment fault'],
  [/#AC\b|alignment[ _-]check/i, '#AC', 'alignment check'],
  [/#NP\b|segment not present/i, '#NP', 'segment not present'],
  [/#TS\b|invalid TSS/i, '#TS', 'invalid TSS'],
  [/#MC\b|machine[ _-]check/i, '#MC', 'machine check'],
];

/**
 * The first CPU fault a block of lines describes. Looks at all lines
 * together because kernels split one fault report over several lines
 * (label on one, `ESR=` on the next, the error code a line later).
 */
export function findFault(lines: readonly string[]): Fault | undefined {
  for (const l of lines) {
    const m = ESR_RE.exec(l);
    if (m) {
      // Linux prints the 64-bit register (`0x0000000096000045`); EC and ISS sit in the low 32 bits.
      const v = parseInt(m[1].slice(-8), 16);
      // ESR 0 is "no syndrome recorded"; keep looking for something better.
      if (v !== 0) return esrFault(v);
    }
  }
  for (let i = 0; i < lines.length; i++) {
    if (!PAGE_FAULT_RE.test(lines[i])) continue;
    // The error code follows the "page fault" line within a few lines on every kernel we read.
    for (let j = i; j < Math.min(lines.length, i + 4); j++) {
      const f = PF_FLAGS_RE.exec(lines[j]);
      if (f) {
        const flags = f[1].split('|').map((s) => s.trim()).filter(Boolean).sort().join('|') || 'none';
        return { key: `x86:#PF:${flags}`, label: `page fault (${flags})` };
      }
      const c = PF_CODE_RE.exec(lines[j]);
      if (c) {
        const code = c[1].toLowerCase().startsWith('0x') ? parseInt(c[1], 16) : Number(c[1]);
        return { key: `x86:#PF:err=0x${code.toString(16)}`, label: `page fault, error code 0x${code.toString(16)} (${pageFaultLabel(code)})` };
      }
    }
    return { key: 'x86:#PF', label: 'page fault' };
  }
  for (const l of lines) {
    for (const [re, mnemonic, name] of X86_EXCEPTIONS) {
      if (re.test(l)) return { key: `x86:${mnemonic}`, label: `${name} (${mnemonic})` };
    }
  }
  for (const l of lines) {
    const b = BREENIX_LABEL_RE.exec(l);
    if (b) return { key: `label:${b[1]}`, label: b[1].toLowerCase().replace(/_/g, ' ') };
  }
  return undefined;
}
