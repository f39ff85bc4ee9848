/**
 * Breenix (Rust hobby kernel) crash reports, per formats/breenix.md and the
 * real captures in samples/breenix:
 *
 * - aarch64 fatal exceptions: a fault line (`[INSTRUCTION_ABORT] FAR=… ELR=…
 *   ESR=… IFSC=… TTBR0=… from_el0=…`, `[DATA_ABORT] …`, `[PC_ALIGN] …`), then
 *   `[FATAL_REGS] label=… cpu=… spsr=… esr=… far=… elr=… sp=…`, register rows,
 *   a `DISPATCH_TRACE cpu=N:` block, the faulting CPU's trace ring,
 *   `[FATAL_POSTMORTEM]` with snapshots and a full trace dump, `[DIAG]`, and
 *   finally `[LABEL] deferring process cleanup` / `deferred_tid=N`. All of it
 *   is ONE record with the registers merged; FATAL_REGS wins over the fault
 *   line because the fault line is the one most often garbled by other CPUs.
 * - the panic handler: `KERNEL PANIC!` banner, `panicked at file:line:col:`,
 *   the message, a counter dump, or `====== PANIC TRACE DUMP ======`.
 * - x86_64 exception handlers: `EXCEPTION: PAGE FAULT` and friends.
 *
 * Several CPUs write to the UART at once, so markers can sit in the middle of
 * a line, values can be cut, and foreign lines appear inside a dump: a record
 * stays open through up to IDLE_LINES lines that do not belong to it.
 */
import { decodeEsr, esrContext, esrSummary } from './esr.js';
import { isMessageLine, panicTitle, parsePanickedAt } from './rust.js';
import { maskMessage, normHex } from './title.js';
import type { CrashFamilyMatcher, CrashRecord, Emit, LineCtx } from './types.js';

/** Foreign lines tolerated inside a fault dump before the record is closed. */
export const IDLE_LINES = 16;
/** The same for a panic banner and an x86 exception report, which are short. */
const IDLE_LINES_SHORT = 8;

const FAULT_LINE =
  /\[((?:[A-Z0-9]+_)*(?:ABORT|ALIGN|FAULT)|SERROR|UNDEF(?:INED)?(?:_[A-Z]+)*|BRK|ILLEGAL_STATE|UNKNOWN_EXCEPTION)\]\s+[A-Z][A-Z0-9]{1,5}=/;
const FATAL_REGS = /\[FATAL_REGS\]\s*label=([A-Z0-9_]+)/;
const POSTMORTEM = /\[FATAL_POSTMORTEM\]\s*cpu=(\d+)\s+label=([A-Z0-9_]+)/;
const DISPATCH = /DISPATCH_TRACE cpu=(\d+):/;
const DISPATCH_ENTRY =
  /^\s*\[(\d+)\] ([A-Z]) old=(\d+)->tid=(\d+) elr=(0x[0-9a-f]+) spsr=(0x[0-9a-f]+) x30=(0x[0-9a-f]+) sp=(0x[0-9a-f]+)/;
const DIAG = /\[DIAG\] ELR=(0x[0-9a-f]+) from EL(\d) cpu=(\d+) tid=(\d+)(?: name=(\S+))?/;
const DEFER = /\[([A-Z0-9_]+)\] (?:deferring process cleanup|deferred_tid=(\d+))/;
const CURRENT = /^\s+current_tid=(\d+)(?: owner_pid=(\d+))?/;
const RING_HEADER = /\[TRACE\] === CPU (\d+) Buffer ===/;
const KV = /\b([A-Za-z][A-Za-z0-9_]*)=(0x[0-9a-fA-F]+|\d+)\b/g;
const XREG = /\b(x\d{1,2}|sp|lr|pc)=(0x[0-9a-fA-F]+)\b/g;
/** Lines a fatal dump is made of (ring and counter dumps, postmortem sections, register rows). */
const DUMPISH =
  /\[(?:TRAC|COUNTER|PROVIDER|SUMMARY|DEFER_SNAP|IDLE_REDIRECT_HISTORY|SAVE_SKEW|INLINE_SAVE_SKEW|LAST_DISPATCHED_TID|DIAG|FATAL_|STACK_PIVOT)|DISPATCH_TRACE|\bidx=\d|\bts=\d|type=0x[0-9a-f]{4}|write_idx=|\bx\d{1,2}=0x|={4,}/;
const PANIC_BANNER = /KERNEL PANIC/;
/**
 * Substrings every line that starts or revives a record contains one of (the
 * skip gate in extract.ts). `from_el0` tails and `====` rules start nothing
 * but are listed so a record can look back at the line above it.
 */
export const TRIGGERS = [
  'ABORT]', 'ALIGN]', 'FAULT]', 'SERROR]', 'UNDEF', 'BRK]', 'ILLEGAL_STATE]', 'EXCEPTION', 'PANIC', '[FATAL_', '[DIAG]',
  'DISPATCH_TRACE', 'deferr', 'from_el0', '========',
];
/** Cheap test that a line may start or revive a record at all. */
const START_HINT = /ABORT\]|ALIGN\]|FAULT\]|SERROR\]|UNDEF|BRK\]|ILLEGAL_STATE\]|EXCEPTION|PANIC|\[FATAL_|\[DIAG\]|DISPATCH_TRACE|deferr/;
const CUT_TAG = /^\[[A-Z_]*$/;
const PANIC_DUMP = /={3,} PANIC TRACE DUMP ={3,}/;
const PANIC_COMPLETE = /END PANIC DUMP|END COUNTERS/;
const X86_EXCEPTION = /(?:^|\s)EXCEPTION: ([A-Z][A-Z0-9 #()-]*[A-Z0-9)])/;

/** How much a source of the CPU number is trusted (higher wins). */
const CPU_RANK = { ring: 0, dispatch: 1, postmortem: 2, faultLine: 3, fatalRegs: 4 } as const;

type Closed = 'idle' | 'end' | 'next' | 'eof';

interface Open {
  rec: CrashRecord;
  type: 'fault' | 'panic' | 'exception';
  foreign: number;
  /** The latest unclaimed foreign line, while it is the only one since the record's last line. */
  lastForeign: LineCtx | null;
  complete: boolean;
  emitted: boolean;
  closedBy?: Closed;
  hasFatalRegs: boolean;
  /** Register rows after DISPATCH_TRACE/[DIAG] repeat earlier ones: ignore them. */
  regsFrozen: boolean;
  inDispatch: boolean;
  cpuRank: number;
  fromEl0?: number;
  messageLines: string[];
  inMessage: boolean;
  errorFlags?: string;
}

function newRecord(l: LineCtx, kind: CrashRecord['kind'], message: string): CrashRecord {
  return {
    kind,
    title: '',
    line: l.no,
    end_line: l.no,
    cpu: null,
    registers: {},
    frames: [],
    family: 'breenix',
    message,
    byte_offset: l.offset,
    truncated: false,
  };
}

/** The fault line's own text: interleaved output from other CPUs starts at the next '['. */
function faultFields(raw: string, markerEnd: number): Map<string, string> {
  const next = raw.indexOf('[', markerEnd);
  const part = next < 0 ? raw.slice(markerEnd) : raw.slice(markerEnd, next);
  const out = new Map<string, string>();
  for (const m of part.matchAll(KV)) if (!out.has(m[1])) out.set(m[1], m[2]);
  return out;
}

/** Whether an ESR's exception class agrees with the label (a cut-off ESR decodes to nonsense). */
function esrFits(label: string, ec: string): boolean {
  switch (label) {
    case 'INSTRUCTION_ABORT':
      return ec === '0x20' || ec === '0x21';
    case 'DATA_ABORT':
      return ec === '0x24' || ec === '0x25';
    case 'PC_ALIGN':
      return ec === '0x22';
    case 'SP_ALIGN':
      return ec === '0x26';
  }
  return true;
}

export function makeBreenixMatcher(emit: Emit): CrashFamilyMatcher {
  let open: Open | null = null;
  /** The latest record; a record closed for being idle may be reopened by a strong continuation marker. */
  let last: Open | null = null;
  let prev: LineCtx | null = null;
  let prevInRecord = false;
  /** The line right above `l` (noise aside) was fed, and belongs to no record. */
  const looseAbove = (l: LineCtx, re: RegExp): LineCtx | null => (prev && prev.no === (l.above ?? l.no - 1) && !prevInRecord && re.test(prev.raw) ? prev : null);

  const setCpu = (o: Open, cpu: number, rank: number) => {
    if (rank > o.cpuRank) {
      o.rec.cpu = cpu;
      o.cpuRank = rank;
    }
  };

  const setReg = (o: Open, name: string, value: string, override: boolean) => {
    if (!/^0x[0-9a-fA-F]+$/.test(value)) return;
    if (override || o.rec.registers[name] === undefined) o.rec.registers[name] = normHex(value);
  };

  const finishFault = (o: Open) => {
    const r = o.rec;
    const label = r.label ?? 'FAULT';
    const esrText = r.registers.ESR;
    const esr = esrText ? decodeEsr(esrText) : null;
    if (esr && esrFits(label, esr.ec)) r.esr = esr;
    let ctx: 'kernel' | 'user' | undefined = r.esr ? esrContext(r.esr) : undefined;
    if (!ctx && o.fromEl0 !== undefined) ctx = o.fromEl0 ? 'user' : 'kernel';
    if (!ctx && r.registers.SPSR) ctx = (Number.parseInt(r.registers.SPSR, 16) & 0xf) === 0 ? 'user' : 'kernel';
    if (ctx) r.context = ctx;
    r.arch = 'arm64';
    let t = label;
    if (r.esr) t += ` ESR=${r.esr.value} (${esrSummary(r.esr)})`;
    if (ctx) t += ` at ${ctx}`;
    r.title = t;
  };

  const finishPanic = (o: Open) => {
    const r = o.rec;
    if (r.location) r.title = panicTitle(r.location, o.messageLines[0] ?? '');
    else r.title = o.messageLines.length ? `KERNEL PANIC: ${maskMessage(o.messageLines[0])}` : 'KERNEL PANIC';
  };

  const finishException = (o: Open) => {
    const r = o.rec;
    let t = r.message.replace(/^.*?(EXCEPTION: )/, '$1').replace(/ at 0x[0-9a-fA-F]+.*$/, '');
    if (o.errorFlags) t += ` (${o.errorFlags})`;
    const cs = r.registers.CS;
    if (cs) {
      r.context = (Number.parseInt(cs, 16) & 3) === 3 ? 'user' : 'kernel';
      t += ` at ${r.context}`;
    }
    r.arch = 'x86_64';
    r.title = maskMessage(t);
  };

  /** `cutLine`: the log stopped inside this line (no newline after it). */
  const close = (how: Closed, cutLine = -1) => {
    if (!open) return;
    const o = open;
    open = null;
    o.closedBy = how;
    // A last line the log cut inside a `[TAG]` (`[TRA`, `[DIA`) is the start of one more dump line:
    // the record's own, though nothing in it says so yet.
    const c = o.lastForeign;
    const cut = !o.complete && o.foreign === 1 && c !== null && c.no === cutLine && CUT_TAG.test(c.raw);
    if (cut) o.rec.end_line = cutLine;
    // Only a log that stops on a line of the record, before the record's own end, is cut.
    o.rec.truncated = how === 'eof' && !o.complete && (o.foreign === 0 || cut);
    if (o.type === 'fault') finishFault(o);
    else if (o.type === 'panic') finishPanic(o);
    else finishException(o);
    if (!o.emitted) {
      o.emitted = true;
      emit(o.rec);
    }
  };

  const start = (l: LineCtx, type: Open['type'], kind: CrashRecord['kind'], message: string): Open => {
    close('next');
    const o: Open = {
      rec: newRecord(l, kind, message),
      type,
      foreign: 0,
      lastForeign: null,
      complete: false,
      emitted: false,
      hasFatalRegs: false,
      regsFrozen: false,
      inDispatch: false,
      cpuRank: -1,
      messageLines: [],
      inMessage: false,
    };
    open = o;
    last = o;
    return o;
  };

  /** A strong continuation marker after the record went idle: it was one dump after all. */
  const reopen = (label: string | undefined): Open | null => {
    if (open || !last || last.closedBy !== 'idle' || last.type !== 'fault') return null;
    if (label !== undefined && last.rec.label !== label) return null;
    open = last;
    open.foreign = 0;
    open.closedBy = undefined;
    return open;
  };

  const touch = (o: Open, l: LineCtx) => {
    o.rec.end_line = l.no;
    o.foreign = 0;
  };

  const onFault = (l: LineCtx, m: RegExpExecArray) => {
    const label = m[1];
    const o = start(l, 'fault', 'fault', l.raw.slice(m.index).trim());
    o.rec.label = label;
    const f = faultFields(l.raw, m.index + m[1].length + 2);
    for (const k of ['FAR', 'ELR', 'ESR', 'TTBR0']) {
      const v = f.get(k);
      if (v) setReg(o, k, v, false);
    }
    const el0 = f.get('from_el0');
    if (el0 !== undefined) o.fromEl0 = Number(el0);
    const cpu = f.get('cpu');
    if (cpu !== undefined) setCpu(o, Number(cpu), CPU_RANK.faultLine);
  };

  const onFatalRegs = (l: LineCtx, label: string) => {
    let o = open;
    const fits = o !== null && o.type === 'fault' && !o.hasFatalRegs && o.rec.label === label;
    if (!fits) {
      o = start(l, 'fault', 'fault', l.raw.slice(l.raw.indexOf('[FATAL_REGS]')).trim());
      o.rec.label = label;
      // The fault line itself may survive only as a cut-off tail just above (`…IFSC=0xd TTBR0=… from_el0=0`).
      const tail = looseAbove(l, /from_el0=\d/);
      if (tail) {
        o.rec.line = tail.no;
        o.rec.byte_offset = tail.offset;
        const el0 = /from_el0=(\d)/.exec(tail.raw);
        if (el0) o.fromEl0 = Number(el0[1]);
      }
    }
    if (!o) return;
    o.hasFatalRegs = true;
    const f = faultFields(l.raw, l.raw.indexOf('[FATAL_REGS]') + 12);
    const cpu = f.get('cpu');
    if (cpu !== undefined) setCpu(o, Number(cpu), CPU_RANK.fatalRegs);
    for (const [k, name] of [
      ['spsr', 'SPSR'],
      ['esr', 'ESR'],
      ['far', 'FAR'],
      ['elr', 'ELR'],
      ['sp', 'SP'],
    ] as const) {
      const v = f.get(k);
      if (v) setReg(o, name, v, true);
    }
    touch(o, l);
  };

  /** Lines that belong to an open fault record (true when used). */
  const faultBody = (o: Open, l: LineCtx): boolean => {
    const raw = l.raw;
    const r = o.rec;
    // Most lines of a fatal dump are ring entries: answer those before any regex.
    if (raw.startsWith('[TRACE] CPU')) return true;
    const pm = POSTMORTEM.exec(raw);
    if (pm) {
      setCpu(o, Number(pm[1]), CPU_RANK.postmortem);
      o.regsFrozen = true;
      o.inDispatch = false;
      return true;
    }
    const d = DISPATCH.exec(raw);
    if (d) {
      setCpu(o, Number(d[1]), CPU_RANK.dispatch);
      o.regsFrozen = true;
      o.inDispatch = r.dispatch_trace === undefined;
      if (o.inDispatch) r.dispatch_trace = [];
      return true;
    }
    const e = o.inDispatch ? DISPATCH_ENTRY.exec(raw) : null;
    if (e && r.dispatch_trace) {
      const index = Number(e[1]);
      const last = r.dispatch_trace[r.dispatch_trace.length - 1];
      // Entries count up from [0]; one that starts over is another block's.
      if (last !== undefined && index <= last.index) o.inDispatch = false;
      else {
        r.dispatch_trace.push({ index, mode: e[2], old_tid: Number(e[3]), tid: Number(e[4]), elr: e[5], spsr: e[6], x30: e[7], sp: e[8] });
        return true;
      }
    }
    // Any other line inside the block (another CPU's output, an entry it garbled) does not end it.
    const diag = DIAG.exec(raw);
    if (diag) {
      o.regsFrozen = true;
      setCpu(o, Number(diag[3]), CPU_RANK.dispatch);
      if (r.tid === undefined) r.tid = Number(diag[4]);
      if (diag[5] && r.comm === undefined) r.comm = diag[5];
      return true;
    }
    const def = DEFER.exec(raw);
    if (def && def[1] === r.label) {
      if (def[2] !== undefined) {
        r.deferred_tid = Number(def[2]);
        o.complete = true;
      }
      return true;
    }
    if (!o.hasFatalRegs && /from_el0=\d|[ID]FSC=0x/.test(raw)) {
      // The rest of a fault line that another CPU's output pushed onto the next line.
      const f = faultFields(raw, 0);
      for (const k of ['FAR', 'ELR', 'ESR', 'TTBR0']) {
        const v = f.get(k);
        if (v) setReg(o, k, v, false);
      }
      const el0 = f.get('from_el0');
      if (el0 !== undefined && o.fromEl0 === undefined) o.fromEl0 = Number(el0);
      return true;
    }
    if (!o.regsFrozen && /\bx\d{1,2}=0x|\bsp=0x/.test(raw)) {
      for (const m of raw.matchAll(XREG)) setReg(o, m[1].toUpperCase(), m[2], false);
      return true;
    }
    const cur = CURRENT.exec(raw);
    if (cur) {
      if (r.tid === undefined) r.tid = Number(cur[1]);
      if (cur[2] !== undefined && r.pid === undefined) r.pid = Number(cur[2]);
      return true;
    }
    const ring = RING_HEADER.exec(raw);
    if (ring) {
      setCpu(o, Number(ring[1]), CPU_RANK.ring);
      return true;
    }
    if (raw.includes(`[${r.label}]`)) return true;
    return /^\s/.test(raw) || DUMPISH.test(raw);
  };

  /** Lines that belong to an open panic record. */
  const panicBody = (o: Open, l: LineCtx): boolean => {
    const t = l.text;
    const p = parsePanickedAt(t);
    if (p && o.rec.location === undefined) {
      o.rec.location = p.location;
      if (p.message) o.messageLines.push(p.message);
      o.inMessage = p.messageFollows;
      if (p.thread !== undefined) o.rec.context = 'user';
      return true;
    }
    if (o.inMessage) {
      if (isMessageLine(t, o.messageLines.length)) {
        if (o.messageLines.length < 16) o.messageLines.push(t.trim());
        return true;
      }
      o.inMessage = false;
    }
    if (PANIC_COMPLETE.test(l.raw)) o.complete = true;
    return /^\s/.test(l.raw) || DUMPISH.test(l.raw) || PANIC_BANNER.test(l.raw) || PANIC_DUMP.test(l.raw);
  };

  /** Lines that belong to an open x86 exception report. */
  const exceptionBody = (o: Open, l: LineCtx): boolean => {
    const t = l.text;
    let m = /^Accessed Address: (?:VirtAddr\()?(0x[0-9a-fA-F]+)/.exec(t);
    if (m) {
      setReg(o, 'CR2', m[1], false);
      return true;
    }
    m = /^Error Code: (?:\w+\()?([^)]*)\)?/.exec(t);
    if (m) {
      o.errorFlags = m[1].trim();
      return true;
    }
    m = /^RIP: (0x[0-9a-fA-F]+)(?:, CS: (0x[0-9a-fA-F]+))?/.exec(t);
    if (m) {
      setReg(o, 'RIP', m[1], false);
      if (m[2]) setReg(o, 'CS', m[2], false);
      return true;
    }
    m = /^CS: (0x[0-9a-fA-F]+)/.exec(t);
    if (m) {
      setReg(o, 'CS', m[1], false);
      return true;
    }
    return /^\s|^[A-Za-z]*(?:Interrupt|Exception)StackFrame|^\}|^\s*[a-z_]+: /.test(t);
  };

  return {
    line(l: LineCtx, claimed: boolean): boolean {
      const raw = l.raw;
      let used = false;
      if (!claimed && START_HINT.test(raw)) {
        const fm = FAULT_LINE.exec(raw);
        const fr = fm ? null : FATAL_REGS.exec(raw);
        if (fm) {
          onFault(l, fm);
          used = true;
        } else if (fr) {
          onFatalRegs(l, fr[1]);
          used = true;
        } else if (PANIC_BANNER.test(raw) && !(open && open.type === 'panic' && !open.rec.location)) {
          const o = start(l, 'panic', 'panic', raw.slice(raw.indexOf('KERNEL PANIC')).trim());
          const rule = looseAbove(l, /^\s*={8,}\s*$/);
          if (rule) {
            o.rec.line = rule.no;
            o.rec.byte_offset = rule.offset;
          }
          used = true;
        } else if (PANIC_DUMP.test(raw) && !(open && open.type === 'panic')) {
          start(l, 'panic', 'panic', raw.trim());
          used = true;
        } else {
          const x = X86_EXCEPTION.exec(l.text);
          if (x && !x[1].startsWith('BREAKPOINT')) {
            start(l, 'exception', 'fault', l.text.slice(x.index).trim());
            used = true;
          }
        }
        if (!used && !open) {
          // Strong continuation markers of a fault dump that went quiet for a while.
          const pm = POSTMORTEM.exec(raw);
          const def = pm ? null : DEFER.exec(raw);
          const label = pm ? pm[2] : def ? def[1] : undefined;
          if (pm || def || DIAG.test(raw) || DISPATCH.test(raw)) {
            const o = reopen(label);
            if (o) used = faultBody(o, l);
            else if (pm) {
              // A postmortem whose fault and FATAL_REGS lines were lost is still a fatal fault.
              const n = start(l, 'fault', 'fault', raw.slice(pm.index).trim());
              n.rec.label = pm[2];
              used = faultBody(n, l);
            }
            if (used && open) touch(open, l);
          }
        }
      }
      if (used) {
        if (open?.complete && open.type === 'fault') close('end');
        prev = l;
        prevInRecord = true;
        return true;
      }
      const o = open;
      if (o && !claimed) {
        const belongs = o.type === 'fault' ? faultBody(o, l) : o.type === 'panic' ? panicBody(o, l) : exceptionBody(o, l);
        if (belongs) {
          touch(o, l);
          if (o.complete && o.type === 'fault') close('end');
          prev = l;
          prevInRecord = true;
          return true;
        }
      }
      // Blank lines are neutral: they neither extend a record nor count against it.
      if (o && raw.trim() !== '') {
        o.lastForeign = o.foreign === 0 && !claimed ? l : null;
        o.foreign++;
        if (o.foreign > (o.type === 'fault' ? IDLE_LINES : IDLE_LINES_SHORT)) close('idle');
      }
      prev = l;
      prevInRecord = false;
      return false;
    },
    active(): boolean {
      return open !== null;
    },
    ringLine(l: LineCtx): boolean {
      // What line() does with such a line in a fault record: faultBody takes every ring entry.
      const o = open;
      if (!o || o.type !== 'fault') return false;
      touch(o, l);
      if (o.complete) close('end');
      prev = l;
      prevInRecord = true;
      return true;
    },
    end(lastLine: number, cut: boolean): void {
      close('eof', cut ? lastLine : -1);
    },
  };
}
