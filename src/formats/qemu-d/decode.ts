import type { FieldValue } from '../../model/event.js';
import type { RowDecoder } from '../../model/event-table.js';
import {
  ARM_ELR,
  ARM_ESR,
  ARM_FAR,
  ARM_FROM,
  ARM_FSR,
  ARM_ILLEGAL_RETURN,
  ARM_RETURN,
  ARM_TAKING,
  ARM_TO,
  CHECK_EXCEPTION,
  CPU_RESET,
  INSN,
  SERVICING,
  STOPPED,
  TRACE,
  X86_RECORD,
  dumpRegisters,
} from './lines.js';
import { ARM_INTERRUPTS, ESR_EC, X86_EXCEPTIONS } from './names.js';
import { T, TYPE_NAMES, isArmLine, isDumpLine, isTbLine, isX86Record } from './build.js';
import { normHex } from './pc.js';

type Fields = Record<string, FieldValue>;

const hex = (s: string) => normHex(s);

/**
 * Whether a line after the first belongs to a record of this type. The
 * builder read the record across any other line (console output in the same
 * stream) and indexed that line as a LINE event of its own.
 */
function ownLine(type: number, arm: boolean, buf: Buffer, s: number, e: number): boolean {
  switch (type) {
    case T.INTERRUPT:
    case T.EXCEPTION:
    case T.CHECK_EXCEPTION:
      return arm ? isArmLine(buf, s, e) : isX86Record(buf, s, e) || isDumpLine(buf, s, e);
    case T.CPU_RESET:
    case T.SMM_ENTER:
    case T.SMM_EXIT:
      return isDumpLine(buf, s, e);
    case T.TB:
      return isTbLine(buf, s, e) || (e - s >= 3 && buf[s] === 73 && buf[s + 1] === 78 && buf[s + 2] === 58) /* IN: */;
    default:
      return true;
  }
}

/** The lines of one stored event (the raw bytes of a record and its continuation lines). */
function linesOf(raw: Buffer, type: number): string[] {
  const out: string[] = [];
  let arm = false;
  for (let s = 0; s < raw.length; ) {
    let e = raw.indexOf(10, s);
    if (e < 0) e = raw.length;
    const next = e + 1;
    if (e > s && raw[e - 1] === 13) e--;
    if (e > s && (out.length === 0 || ownLine(type, arm, raw, s, e))) {
      const l = raw.toString('latin1', s, e);
      if (out.length === 0) arm = l.startsWith('Taking exception');
      out.push(l);
    }
    s = next;
  }
  return out;
}

function more(n: number): string {
  return n > 0 ? ` [+${n} line${n === 1 ? '' : 's'}]` : '';
}

/** An x86 interrupt/exception: optional announcing line, the `v=` record, its register dump. */
function x86(lines: string[], f: Fields): string {
  f.arch = 'x86';
  let at = 0;
  let m = CHECK_EXCEPTION.exec(lines[0]);
  if (m) {
    f.raised = hex(m[2]);
    if (m[1] !== 'ffffffff') f.old_exception = hex(m[1]);
    at = 1;
  } else if ((m = SERVICING.exec(lines[0]))) {
    f.serviced = true;
    f.vector = hex(m[1]);
    at = 1;
  }
  const r = lines.length > at ? X86_RECORD.exec(lines[at]) : null;
  if (!r) {
    // Announced but not delivered here: real mode (no record), or the record comes later.
    if (f.raised !== undefined) f.vector = f.raised;
    const v = parseInt(String(f.vector), 16);
    if (X86_EXCEPTIONS[v] && f.serviced === undefined) f.name = X86_EXCEPTIONS[v];
    return lines[0] + more(lines.length - 1);
  }
  const v = parseInt(r[2], 16);
  f.vector = hex(r[2]);
  if (v < 32 && X86_EXCEPTIONS[v]) f.name = X86_EXCEPTIONS[v];
  f.error_code = hex(r[3]);
  f.software = r[4] === '1';
  f.cpl = Number(r[5]);
  f.level = f.cpl;
  f.cs = hex(r[6]);
  f.ip = hex(r[7]);
  f.pc = hex(r[8]);
  f.ss = hex(r[9]);
  f.sp = hex(r[10]);
  if (r[11] !== undefined) f.cr2 = hex(r[11]);
  if (r[12] !== undefined) f.eax = hex(r[12]);
  f.qemu_count = Number(r[1]);
  const regs: Record<string, string> = {};
  for (let i = at + 1; i < lines.length; i++) dumpRegisters(lines[i], regs);
  f.dump_lines = lines.length - at - 1;
  for (const [k, val] of Object.entries(regs)) if (!(k in f)) f[k] = val;
  return lines[at].trim() + more(lines.length - at - 1);
}

/** An Arm `Taking exception` record and its `...` lines. */
function armTaking(lines: string[], f: Fields): string {
  f.arch = 'arm';
  const m = ARM_TAKING.exec(lines[0]);
  if (m) {
    f.exception = Number(m[1]);
    f.name = m[2];
  }
  // An IRQ's logged syndrome is stale (ESR is written only for synchronous exceptions): left out.
  const irq = m !== null && ARM_INTERRUPTS.has(Number(m[1]));
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i];
    let c: RegExpExecArray | null;
    if ((c = ARM_FROM.exec(l))) {
      f.from_el = Number(c[1]);
      f.to_el = Number(c[2]);
      f.level = f.from_el;
    } else if (!irq && (c = ARM_ESR.exec(l))) {
      const ec = parseInt(c[1], 16);
      f.esr_ec = hex(c[1]);
      f.ec_name = ESR_EC[ec] ?? `EC_0x${ec.toString(16)}`;
      f.esr = hex(c[2]);
    } else if ((c = ARM_FAR.exec(l))) f.far = hex(c[1]);
    else if ((c = ARM_ELR.exec(l))) {
      f.elr = hex(c[1]);
      // The interrupted (or faulting) instruction, comparable with x86 `pc=`.
      f.pc = f.elr;
    } else if ((c = ARM_TO.exec(l))) {
      f.vector_pc = hex(c[2]);
      f.pstate = hex(c[3]);
    } else if ((c = ARM_FSR.exec(l))) {
      f[`${c[1].toLowerCase()}fsr`] = hex(c[2]);
      f[`${c[1].toLowerCase()}far`] = hex(c[3]);
    } else if (l.startsWith('...handled as PSCI call')) f.psci = true;
  }
  return [lines[0], ...lines.slice(1).map((l) => (l.startsWith('...') ? l.slice(3) : l))].join(' ');
}

function dump(lines: string[], f: Fields): string {
  const regs: Record<string, string> = {};
  for (let i = 1; i < lines.length; i++) dumpRegisters(lines[i], regs);
  if (lines.length > 1) {
    const first = lines[1].trimStart();
    if (/^[RE]AX=/.test(first)) f.arch = 'x86';
    else if (/^(?:PC=|R00=|X00=)/.test(first)) f.arch = 'arm';
  }
  f.dump_lines = lines.length - 1;
  for (const [k, v] of Object.entries(regs)) if (!(k in f)) f[k] = v;
  return lines[0] + more(lines.length - 1);
}

function tb(lines: string[], f: Fields): string {
  let at = 0;
  if (lines[0].startsWith('---')) at = 1;
  f.symbol = lines[at]?.startsWith('IN:') ? lines[at].slice(3).trim() : '';
  let n = 0;
  for (let i = at + 1; i < lines.length; i++) {
    const m = INSN.exec(lines[i]);
    if (!m) continue;
    if (n === 0) f.pc = hex(m[1]);
    f.end_pc = hex(m[1]);
    n++;
  }
  f.insns = n;
  return `TB ${f.pc ?? '?'}${f.symbol ? ` <${f.symbol}>` : ''}: ${n} insn${n === 1 ? '' : 's'}`;
}

/**
 * Decodes one stored QEMU `-d` event from its raw bytes: the record line's
 * values plus the kept registers of its dump, as `0x…` text (64-bit
 * addresses do not fit a JSON number exactly).
 */
export const decoder: RowDecoder = {
  decode(raw, type, row) {
    const lines = linesOf(raw, type);
    const f: Fields = {};
    if (lines.length === 0) return { fields: { message: '' }, text: `${row.line}:` };
    let ownCpu = false;
    let text: string;
    switch (type) {
      case T.INTERRUPT:
      case T.EXCEPTION:
      case T.CHECK_EXCEPTION:
        f.kind = row.sub;
        if (lines[0].startsWith('Taking exception')) {
          ownCpu = / on CPU \d+/.test(lines[0]);
          text = armTaking(lines, f);
        } else text = x86(lines, f);
        break;
      case T.EXCEPTION_RETURN: {
        f.arch = 'arm';
        const m = ARM_RETURN.exec(lines[0]);
        if (m) {
          f.from_aarch = Number(m[1]);
          f.from_el = Number(m[2]);
          f.to_aarch = Number(m[3]);
          f.to_el = Number(m[4]);
          f.pc = hex(m[5]);
        } else {
          const i = ARM_ILLEGAL_RETURN.exec(lines[0]);
          f.illegal = true;
          if (i) f.from_el = Number(i[1]);
        }
        text = lines[0];
        break;
      }
      case T.CPU_RESET: {
        ownCpu = CPU_RESET.test(lines[0]);
        text = dump(lines, f);
        break;
      }
      case T.SMM_ENTER:
      case T.SMM_EXIT:
        f.arch = 'x86';
        text = dump(lines, f);
        break;
      case T.TB:
        text = tb(lines, f);
        break;
      case T.EXEC: {
        const m = TRACE.exec(lines[0]);
        if (m) {
          ownCpu = true;
          const parts = m[3].split('/');
          f.host_tb = m[2];
          f.pc = hex(parts.length >= 2 ? parts[1] : parts[0]);
          if (parts.length >= 2) f.cs_base = hex(parts[0]);
          if (parts.length >= 3) f.flags = hex(parts[2]);
          if (parts.length >= 4) f.cflags = hex(parts[3]);
          f.symbol = m[4].trim();
        }
        text = lines[0].trimEnd();
        break;
      }
      case T.EXEC_STOP: {
        const m = STOPPED.exec(lines[0]);
        if (m) {
          f.host_tb = m[1];
          f.pc = hex(m[2]);
          f.symbol = m[3].trim();
        }
        text = lines[0].trimEnd();
        break;
      }
      default:
        f.message = lines.join('\n');
        text = lines[0] + more(lines.length - 1);
    }
    if (row.cpu >= 0 && !ownCpu) f.cpu_inferred = true;
    return { fields: f, text: `${row.line}: ${TYPE_NAMES[type] === 'LINE' ? '' : `[${TYPE_NAMES[type]}] `}${text}` };
  },
};
