import { normHex } from './pc.js';

/**
 * The line shapes QEMU's `-d` logging prints (QEMU 2.x … 9.x), one parser
 * each. The indexer tries them only on lines whose first byte can start a
 * record; the decoder runs them again on the stored bytes of one event.
 */

/** `check_exception old: 0xffffffff new 0xe` (x86, before an exception is delivered). */
export const CHECK_EXCEPTION = /^check_exception old: 0x([0-9a-f]+) new 0x([0-9a-f]+)/;

/** `Servicing hardware INT=0xec` (x86, a hardware interrupt is taken). */
export const SERVICING = /^Servicing hardware INT=0x([0-9a-f]+)/;

/**
 * The x86 delivery record (`do_interrupt_all`, printed in protected mode only):
 * `     0: v=0e e=0000 i=0 cpl=0 IP=0010:ffffffff… pc=ffffffff… SP=0000:ffff… CR2=…`
 * or `… env->regs[R_EAX]=…` (older QEMU: ` EAX=…`).
 */
export const X86_RECORD =
  /^\s*(\d+): v=([0-9a-f]+) e=([0-9a-f]+) i=(\d) cpl=(\d) IP=([0-9a-f]+):([0-9a-f]+) pc=([0-9a-f]+) SP=([0-9a-f]+):([0-9a-f]+)(?: CR2=([0-9a-f]+)| (?:env->regs\[R_EAX\]|EAX)=([0-9a-f]+))?/;

/** `CPU Reset (CPU 0)`, followed by a register dump. */
export const CPU_RESET = /^CPU Reset \(CPU (\d+)\)/;

/** `Taking exception 5 [IRQ] on CPU 0` (Arm; `on CPU` since QEMU 5.1). */
export const ARM_TAKING = /^Taking exception (\d+) \[([^\]]*)\](?: on CPU (\d+))?/;

/** `Exception return from AArch64 EL1 to AArch64 EL0 PC 0x4006d4`. */
export const ARM_RETURN = /^Exception return from AArch(32|64) EL(\d) to AArch(32|64) EL(\d) PC 0x([0-9a-f]+)/;

/** `Illegal exception return at EL1: …` (the return did not happen; PSTATE.IL is set instead). */
export const ARM_ILLEGAL_RETURN = /^Illegal exception return at EL(\d)/;

/** `Trace 0: 0x7f… [0000000000000000/ffffffff81000000/0000c2b0/ff080200] symbol` (`-d exec`; older QEMU had fewer bracket parts). */
export const TRACE = /^Trace (\d+): (0x[0-9a-f]+|\(nil\)) \[([0-9a-fx/]*)\] ?(.*)$/;

/** `Stopped execution of TB chain before 0x7eff58245940 [ffffffffb40795b2] symbol`. */
export const STOPPED = /^Stopped execution of TB chain before (0x[0-9a-f]+|\(nil\)) \[([0-9a-f]+)\] ?(.*)$/;

/** An `in_asm` instruction line: `0xffffffffb20000d4:  0f 01 15 …  lgdtq …`. */
export const INSN = /^0x([0-9a-f]+):/;

/** One `...xxx` continuation of an Arm exception record. */
export const ARM_FROM = /^\.\.\.from EL(\d) to EL(\d)/;
/** QEMU before 2.9 printed the class without `0x`. */
export const ARM_ESR = /^\.\.\.with ESR (?:0x)?([0-9a-f]+)\/0x([0-9a-f]+)/;
export const ARM_FAR = /^\.\.\.with FAR 0x([0-9a-f]+)/;
export const ARM_ELR = /^\.\.\.with ELR 0x([0-9a-f]+)/;
export const ARM_TO = /^\.\.\.to EL(\d) PC 0x([0-9a-f]+) PSTATE 0x([0-9a-f]+)/;
/** AArch32 targets report fault status/address registers instead of ESR/FAR. */
export const ARM_FSR = /^\.\.\.with ([DI])FSR 0x([0-9a-f]+) [DI]FAR 0x([0-9a-f]+)/;

/**
 * Register names kept from dumps as decoded fields: general-purpose
 * registers, pc/flags and the control registers a fault analysis needs.
 * Segment, FPU and vector registers are left in the raw text.
 */
export const DUMP_REGISTER = /^(?:[RE](?:AX|BX|CX|DX|SI|DI|BP|SP|IP|FL)|R\d{1,2}|CR[0-4]|EFER|PC|SP|X\d\d|PSTATE|PSR)$/;
const DUMP_TOKEN = /(?:^|\s)([A-Z][A-Z0-9]*)\s?=\s*([0-9a-f]+)\b/g;

/** The kept registers of one dump line: lower-cased names to `0x…` text without leading zeros, like every other address field. */
export function dumpRegisters(line: string, out: Record<string, string>): void {
  DUMP_TOKEN.lastIndex = 0;
  for (let m = DUMP_TOKEN.exec(line); m; m = DUMP_TOKEN.exec(line)) {
    if (DUMP_REGISTER.test(m[1])) {
      const k = m[1].toLowerCase();
      if (!(k in out)) out[k] = normHex(m[2]);
    }
  }
}
