import type { Diagnostic, DiagnosticLog } from '../../model/diagnostics.js';
import { EventTableBuilder, newScratch } from '../../model/event-table.js';
import type { ColumnSink } from '../../model/bundle.js';
import type { ScanOptions } from '../../model/two-parts.js';
import { statInput } from '../../util/file-source.js';
import { forEachLine, INDEX_READ_BYTES } from '../../util/lines.js';
import {
  ARM_ELR,
  ARM_ESR,
  ARM_FROM,
  ARM_ILLEGAL_RETURN,
  ARM_RETURN,
  ARM_TAKING,
  CHECK_EXCEPTION,
  CPU_RESET,
  INSN,
  SERVICING,
  STOPPED,
  TRACE,
  X86_RECORD,
} from './lines.js';
import { ARM_INTERRUPTS, ESR_EC, X86_NMI, x86ExceptionKind } from './names.js';
import { auxToPc, hexBytesToAux, normHex, pcToAux } from './pc.js';
import { TII_DUMP_START_BYTES } from '../../model/format.js';

/** The event types of a QEMU `-d` log, in table order (the index is the stored type id). */
export const TYPE_NAMES = [
  'LINE',
  'INTERRUPT',
  'EXCEPTION',
  'CHECK_EXCEPTION',
  'EXCEPTION_RETURN',
  'CPU_RESET',
  'SMM_ENTER',
  'SMM_EXIT',
  'TRIPLE_FAULT',
  'TB',
  'EXEC',
  'EXEC_STOP',
  'TB_LINK',
] as const;
export type QemuType = (typeof TYPE_NAMES)[number];

export const T = Object.fromEntries(TYPE_NAMES.map((n, i) => [n, i])) as Record<QemuType, number>;

/** How many entries the summary's top-pc lists keep. */
export const TOP_PCS = 10;

/** What a QEMU `-d` log summary adds to the common fields. */
export interface QemuSummaryExtra {
  arch: 'x86' | 'arm' | null;
  lines: number;
  /** INTERRUPT + EXCEPTION per vector: x86 `0xec`, Arm exception type (`IRQ`, `Data Abort`). */
  vectors: Record<string, number>;
  /** INTERRUPT + EXCEPTION per kind: `IRQ`, `NMI`, `#PF`, `INT` (x86 software int); Arm exception type. */
  kinds: Record<string, number>;
  /** Arm ESR exception classes (`DABT_LOW`, `SVC64`, …) of the exceptions taken. */
  esr_classes: Record<string, number>;
  /** INTERRUPT + EXCEPTION per privilege level they interrupted (x86 cpl, Arm source EL). */
  privilege_levels: Record<string, number>;
  /** The pcs interrupted most often (x86 `pc=`, Arm ELR): the no-progress signal. */
  top_pcs: { pc: string; count: number }[];
  /** The guest pcs of `-d exec` `Trace` lines seen most often. */
  top_exec_pcs: { pc: string; count: number }[];
  /** First and last x86 record counter (`N: v=…`); a window cut from a longer log starts above 0. */
  record_counter: { first: number; last: number } | null;
  /** Lines that are not QEMU's (console output sharing the stream) found inside a record, which was read across them. */
  interleaved_lines: number;
}

const enum Open {
  NONE,
  /** A register dump follows (x86 records, CPU Reset, SMM). */
  DUMP,
  /** `...` lines follow (Arm exception record). */
  ARM,
  /** Instruction lines follow until a blank line (`in_asm`). */
  TB,
}

const enum Pending {
  NONE,
  CHECK,
  SERVICING,
  DASHES,
}

const lit = (s: string) => Buffer.from(s, 'latin1');
const P_CPU_RESET = lit('CPU Reset (CPU ');
const P_CHECK = lit('check_exception old:');
const P_SERVICING = lit('Servicing hardware INT=');
const P_SMM_ENTER = lit('SMM: enter');
const P_SMM_EXIT = lit('SMM: after RSM');
const P_STOPPED = lit('Stopped execution of TB chain');
const P_TAKING = lit('Taking exception ');
const P_TRACE = lit('Trace ');
const P_TRIPLE = lit('Triple fault');
const P_RETURN = lit('Exception return from ');
const P_ILLEGAL = lit('Illegal exception return');
const P_IN = lit('IN:');
const P_LINKING = lit('Linking TBs');
const P_DASHES = lit('----------------');
const P_EFER = lit('EFER=');

function startsWith(buf: Buffer, s: number, e: number, p: Buffer): boolean {
  if (e - s < p.length) return false;
  for (let i = 0; i < p.length; i++) if (buf[s + i] !== p[i]) return false;
  return true;
}

/** ` 123: v=` — the x86 record, told apart from other lines without a regex. */
export function isX86Record(buf: Buffer, s: number, e: number): boolean {
  let j = s;
  while (j < e && buf[j] === 32) j++;
  const d = j;
  while (j < e && buf[j] >= 48 && buf[j] <= 57) j++;
  return j > d && j + 4 <= e && buf[j] === 58 && buf[j + 1] === 32 && buf[j + 2] === 118 && buf[j + 3] === 61;
}

/** A register dump line: `RAX=…`, `R8 =…`, ` PC=…`, `GDT=     …`, `XMM00=…`, `FPCR: …`. */
export function isDumpLine(buf: Buffer, s: number, e: number): boolean {
  const c = buf[s];
  if (!(c === 32 || (c >= 65 && c <= 90))) return false;
  const lim = Math.min(e, s + 10);
  for (let j = s + 1; j < lim; j++) if (buf[j] === 61 || buf[j] === 58) return true;
  return false;
}

/** An `in_asm` block line: `0x…:` instructions, indented ones, `OBJD-…` host disassembly. */
export function isTbLine(buf: Buffer, s: number, e: number): boolean {
  const c = buf[s];
  return c === 32 || c === 9 || (c === 48 && e - s > 1 && buf[s + 1] === 120) || c === 79;
}

/** `...from`, `...with`: a line of an Arm exception record. */
export function isArmLine(buf: Buffer, s: number, e: number): boolean {
  return e - s >= 3 && buf[s] === 46 && buf[s + 1] === 46 && buf[s + 2] === 46;
}

/**
 * A line some QEMU record grammar accepts even where it does not continue
 * the open record: such a line ends the record, any other one is console
 * output that landed inside it.
 */
function isQemuShaped(buf: Buffer, s: number, e: number): boolean {
  return isDumpLine(buf, s, e) || isArmLine(buf, s, e) || (buf[s] === 48 && e - s > 1 && buf[s + 1] === 120);
}

/**
 * Console lines held inside one open record at most; a longer run means the
 * record is over, so dump-like console lines after it are not taken in.
 */
const MAX_HELD = 64;

function hasControl(buf: Buffer, s: number, e: number): number {
  let bad = 0;
  for (let j = s; j < e; j++) {
    const c = buf[j];
    if ((c < 32 && c !== 9) || c === 127) bad++;
  }
  return bad;
}

/** Counter map helpers: top N by count, ties by key so the output is stable. */
function bump<K>(m: Map<K, number>, k: K): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}
function obj(m: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) out[k] = v;
  return out;
}
function topPcs(m: Map<number | string, number>): { pc: string; count: number }[] {
  return [...m]
    .map(([k, count]) => ({ pc: typeof k === 'number' ? auxToPc(k) : k, count }))
    .sort((a, b) => b.count - a.count || (a.pc < b.pc ? -1 : 1))
    .slice(0, TOP_PCS);
}
/** A pc as a map key: the exact signed value when it is exact, else its hex text. */
function pcKey(aux: number, hex: string): number | string {
  return Number.isSafeInteger(aux) ? aux : normHex(hex);
}

export interface QemuBuild {
  table: EventTableBuilder;
  /** The file holds a TII dump's start mark. */
  dumpInside: boolean;
  extra: QemuSummaryExtra;
}

/**
 * What reading a line depends on from the lines before a record start,
 * beyond what parts of a log read apart can add up afterwards.
 */
export interface QemuState {
  /** The CPU the last record named; events that name none take it. */
  lastCpu: number;
  /** AArch64 records (with ELR) were seen: a record stopping at ESR was cut. */
  a64Log: boolean;
  /** The last x86 record counter (-1: none yet): the next one is checked for a gap. */
  lastCounter: number;
}

export const START_STATE: QemuState = { lastCpu: -1, a64Log: false, lastCounter: -1 };

/** What one pass over a log, or a byte range of it from a record start, found (plain data: it may come from a worker). */
export interface QemuPart {
  /** Lines, counted from 1 at the range's start. */
  lines: number;
  dumpInside: boolean;
  x86: boolean;
  arm: boolean;
  vectors: Map<string, number>;
  kinds: Map<string, number>;
  esr: Map<string, number>;
  levels: Map<string, number>;
  pcs: Map<number | string, number>;
  execPcs: Map<number | string, number>;
  /** This part's own first and last x86 record counters (-1: none), the first's line, and the first warning's line. */
  firstCounter: number;
  lastCounter: number;
  firstCounterLine: number;
  firstWarningLine: number;
  interleaved: number;
  firstInterleaved: number;
  /** Whether the last record reached its last line, and which record that is. */
  complete: boolean;
  openLine: number;
  openWhat: string;
  /** The range ends without a newline. */
  endsMidLine: boolean;
  /** An event took the starting lastCpu, an ESR line read the starting a64Log (before the part set its own). */
  usedStartCpu: boolean;
  usedStartA64: boolean;
  start: QemuState;
  end: QemuState;
}

/**
 * One streaming pass over a QEMU `-d` log. Each record (an interrupt or
 * exception with its register dump, a CPU reset dump, an `in_asm` block, an
 * `exec` line) becomes one event; continuation lines extend it. The x86
 * `check_exception` / `Servicing hardware INT` line that announces a
 * delivery record is merged into it when the record follows directly;
 * alone it is an event of its own (CHECK_EXCEPTION, or an INTERRUPT taken
 * in real mode, where QEMU prints no record).
 */
export function buildQemu(
  path: string,
  name: string,
  diags: DiagnosticLog,
  progress?: (done: number, total: number) => void,
  /** Read size; tests shrink it so lines and records straddle chunk edges. */
  chunkBytes?: number,
  /** Where the columns go: the bundle being built, or memory (tests). */
  sink?: ColumnSink,
): QemuBuild {
  const table = new EventTableBuilder(TYPE_NAMES, sink);
  const part = scanQemu(path, name, diags, table, { progress, chunkBytes });
  return { table, dumpInside: part.dumpInside, extra: qemuExtra([part], [0], table.size, diags, name) };
}

/**
 * scanQemu over bytes [range.start, range.end) of a log (from a record
 * start; with `claim`, to where it says: see Handoff), beginning in state
 * `start`; line numbers count from 1 there.
 */
export function scanQemu(
  path: string,
  name: string,
  diags: DiagnosticLog,
  b: EventTableBuilder,
  opts: ScanOptions<QemuState>,
): QemuPart {
  const { progress, chunkBytes, range, claim } = opts;
  const start = opts.start ?? START_STATE;
  const row = newScratch();
  const vectors = new Map<string, number>();
  const kinds = new Map<string, number>();
  const esr = new Map<string, number>();
  const levels = new Map<string, number>();
  const pcs = new Map<number | string, number>();
  const execPcs = new Map<number | string, number>();
  let x86 = false;
  let arm = false;
  let firstCounter = -1;
  let firstCounterLine = 0;
  let lastCounter = start.lastCounter;
  let firstWarningLine = Infinity;
  const warn = (d: Diagnostic & { line: number }) => {
    if (d.line < firstWarningLine) firstWarningLine = d.line;
    diags.add(d);
  };

  /** The CPU of the last record that named one (Arm `on CPU N`, `Trace N:`); events that do not say inherit it. */
  let lastCpu = start.lastCpu;
  let cpuSet = false;
  let usedStartCpu = false;
  /** lastCpu for an event; notes when it is still the one the part started with. */
  const cpuNow = () => {
    if (!cpuSet) usedStartCpu = true;
    return lastCpu;
  };
  let open = Open.NONE;
  /** Whether the open record reached its last line (a log cut mid-record is reported). */
  let complete = true;
  let openLine = 0;
  let openWhat = '';

  // The record being built, committed to the statistics when the next one starts.
  let recStats = false;
  let recVector = '';
  let recKind = '';
  let recLevel = -1;
  let recPc = NaN;
  let recPcHex = '';

  /** The open Arm record printed ELR, so it is an AArch64 one that ends with `...to EL`. */
  let armElr = false;
  /** Some record printed ELR: exceptions in this log are taken to AArch64. */
  let a64Log = start.a64Log;
  let a64Set = false;
  let usedStartA64 = false;
  let pending = Pending.NONE;
  let pLine = 0;
  let pOff = 0;
  let pEnd = 0;
  let pVector = 0;

  // Console lines met inside the open or pending record, in file order; they become LINE events
  // once the record is added and over, so events stay in line order.
  let held = 0;
  /** How many of the held lines the record has since continued past (truly interleaved). */
  let inside = 0;
  let interleaved = 0;
  let firstInterleaved = 0;
  const heldLine = new Float64Array(MAX_HELD);
  const heldOff = new Float64Array(MAX_HELD);
  const heldEnd = new Float64Array(MAX_HELD);

  const commit = () => {
    if (!recStats) return;
    recStats = false;
    bump(vectors, recVector);
    bump(kinds, recKind);
    if (recLevel >= 0) bump(levels, String(recLevel));
    if (recPc === recPc) bump(pcs, pcKey(recPc, recPcHex));
  };

  const put = (type: number, line: number, off: number, end: number, cpu: number, sub: string, aux: number) => {
    commit();
    row.type = type;
    row.cpu = cpu;
    row.sub = sub;
    row.aux = aux;
    b.add(line, off, end - off, row);
  };

  const release = () => {
    if (inside > 0 && interleaved === 0) firstInterleaved = heldLine[0];
    interleaved += inside;
    inside = 0;
    const n = held;
    held = 0;
    for (let i = 0; i < n; i++) put(T.LINE, heldLine[i], heldOff[i], heldEnd[i], -1, '', NaN);
  };

  /** A new event: an announcing line still waiting goes first, then the console lines held before this one. */
  const add = (type: number, line: number, off: number, end: number, cpu: number, sub: string, aux: number) => {
    if (pending !== Pending.NONE) flushPending();
    if (held > 0 && line > heldLine[0]) release();
    put(type, line, off, end, cpu, sub, aux);
  };

  /** A continuation line: the record now spans every console line held so far. */
  const extend = (end: number) => {
    b.extendLast(end);
    if (held > 0) inside = held;
  };

  /** A line that announces the record on the next line: what was pending or held before it is over. */
  const announce = (p: Pending, line: number, off: number, end: number) => {
    flushPending();
    if (held > 0) release();
    pending = p;
    pLine = line;
    pOff = off;
    pEnd = end;
    // The record open before has ended; the next line can only continue the announced one.
    open = Open.NONE;
  };

  const openRecord = (kind: Open, line: number, what: string, done: boolean) => {
    open = kind;
    openLine = line;
    openWhat = what;
    complete = done;
  };

  /** The announced-but-not-followed prefix line becomes an event of its own. */
  function flushPending(): void {
    if (pending === Pending.NONE) return;
    const p = pending;
    pending = Pending.NONE;
    if (p === Pending.CHECK) {
      put(T.CHECK_EXCEPTION, pLine, pOff, pEnd, cpuNow(), x86ExceptionKind(pVector, false), NaN);
      openRecord(Open.NONE, pLine, '', true);
    } else if (p === Pending.SERVICING) {
      put(T.INTERRUPT, pLine, pOff, pEnd, cpuNow(), pVector === X86_NMI ? 'NMI' : 'IRQ', NaN);
      recStats = true;
      recVector = `0x${pVector.toString(16)}`;
      recKind = pVector === X86_NMI ? 'NMI' : 'IRQ';
      recLevel = -1;
      recPc = NaN;
      openRecord(Open.NONE, pLine, '', true);
    } else {
      put(T.LINE, pLine, pOff, pEnd, -1, '', NaN);
      openRecord(Open.NONE, pLine, '', true);
    }
  }

  let lastEnd = 0;
  const fileSize = statInput(path).size;
  const { lines, bytes, found: dumpInside } = forEachLine(path, (buf, s, e, lineNo, off, piece) => {
    const end = off + (e - s);
    lastEnd = end;
    if (piece > 1) {
      b.extendLast(end);
      return;
    }
    if (piece === 1) warn({ code: 'LONG_LINE', severity: 'warning', file: name, line: lineNo, message: 'line is longer than 1 MiB; indexed as one event, classified by its first MiB' });
    // Now and then, not per line: the callback may redraw a terminal progress bar.
    if (progress && (lineNo & 0xffff) === 0) progress(off, fileSize);
    if (s === e) {
      // A blank line ends an in_asm block; register dumps never contain one.
      flushPending();
      if (open === Open.TB) complete = true;
      open = Open.NONE;
      return;
    }
    const c = buf[s];

    // A line that is not the announced record's leaves the announcement pending: console
    // output may come between; the next record start (add, announce) or QEMU line flushes it.
    if (pending !== Pending.NONE) {
      if (pending === Pending.DASHES && startsWith(buf, s, e, P_IN)) {
        pending = Pending.NONE;
        const sym = buf.toString('latin1', s + 3, e).trim();
        put(T.TB, pLine, pOff, end, cpuNow(), sym, NaN);
        inside = held;
        openRecord(Open.TB, pLine, 'in_asm block', false);
        return;
      }
      if ((pending === Pending.CHECK || pending === Pending.SERVICING) && (c === 32 || (c >= 48 && c <= 57)) && isX86Record(buf, s, e)) {
        const m = X86_RECORD.exec(buf.toString('latin1', s, e));
        if (m) {
          const via = pending;
          pending = Pending.NONE;
          inside = held;
          x86Record(m, lineNo, end, via);
          return;
        }
      }
    }

    switch (c) {
      case 67 /* C */: {
        if (startsWith(buf, s, e, P_CPU_RESET)) {
          const m = CPU_RESET.exec(buf.toString('latin1', s, e));
          if (m) {
            add(T.CPU_RESET, lineNo, off, end, Number(m[1]), '', NaN);
            openRecord(Open.DUMP, lineNo, 'CPU reset dump', true);
            return;
          }
        }
        break;
      }
      case 99 /* c */: {
        if (startsWith(buf, s, e, P_CHECK)) {
          const m = CHECK_EXCEPTION.exec(buf.toString('latin1', s, e));
          if (m) {
            x86 = true;
            announce(Pending.CHECK, lineNo, off, end);
            pVector = parseInt(m[2], 16);
            return;
          }
        }
        break;
      }
      case 83 /* S */: {
        if (startsWith(buf, s, e, P_SERVICING)) {
          const m = SERVICING.exec(buf.toString('latin1', s, e));
          if (m) {
            x86 = true;
            announce(Pending.SERVICING, lineNo, off, end);
            pVector = parseInt(m[1], 16);
            return;
          }
        } else if (startsWith(buf, s, e, P_SMM_ENTER) || startsWith(buf, s, e, P_SMM_EXIT)) {
          x86 = true;
          add(buf[s + 5] === 101 ? T.SMM_ENTER : T.SMM_EXIT, lineNo, off, end, cpuNow(), '', NaN);
          openRecord(Open.DUMP, lineNo, 'SMM register dump', true);
          return;
        } else if (startsWith(buf, s, e, P_STOPPED)) {
          const m = STOPPED.exec(buf.toString('latin1', s, e));
          if (m) {
            add(T.EXEC_STOP, lineNo, off, end, cpuNow(), m[3].trim(), pcToAux(m[2]));
            openRecord(Open.NONE, lineNo, '', true);
            return;
          }
        }
        break;
      }
      case 84 /* T */: {
        if (startsWith(buf, s, e, P_TAKING)) {
          const m = ARM_TAKING.exec(buf.toString('latin1', s, e));
          if (m) {
            arm = true;
            // A line still pending is over, on the CPU of its own time.
            flushPending();
            if (m[3] !== undefined) {
              lastCpu = Number(m[3]);
              cpuSet = true;
            }
            const num = Number(m[1]);
            const kind = m[2];
            add(ARM_INTERRUPTS.has(num) ? T.INTERRUPT : T.EXCEPTION, lineNo, off, end, cpuNow(), kind, NaN);
            recStats = true;
            recVector = kind;
            recKind = kind;
            recLevel = -1;
            recPc = NaN;
            armElr = false;
            openRecord(Open.ARM, lineNo, 'Arm exception record', false);
            return;
          }
        } else if (startsWith(buf, s, e, P_TRACE)) {
          if (fastTrace(buf, s, e, lineNo, off, end)) return;
          const m = TRACE.exec(buf.toString('latin1', s, e));
          if (m) {
            flushPending();
            lastCpu = Number(m[1]);
            cpuSet = true;
            const parts = m[3].split('/');
            const hex = parts.length >= 2 ? parts[1] : parts[0];
            const aux = pcToAux(hex);
            add(T.EXEC, lineNo, off, end, cpuNow(), m[4].trim(), aux);
            if (aux === aux) bump(execPcs, pcKey(aux, hex));
            openRecord(Open.NONE, lineNo, '', true);
            return;
          }
        } else if (startsWith(buf, s, e, P_TRIPLE)) {
          x86 = true;
          add(T.TRIPLE_FAULT, lineNo, off, end, cpuNow(), '', NaN);
          openRecord(Open.NONE, lineNo, '', true);
          return;
        }
        break;
      }
      case 69 /* E */: {
        if (startsWith(buf, s, e, P_RETURN)) {
          const m = ARM_RETURN.exec(buf.toString('latin1', s, e));
          if (m) {
            arm = true;
            add(T.EXCEPTION_RETURN, lineNo, off, end, cpuNow(), `EL${m[2]}->EL${m[4]}`, pcToAux(m[5]));
            openRecord(Open.NONE, lineNo, '', true);
            return;
          }
        }
        break;
      }
      case 73 /* I */: {
        if (startsWith(buf, s, e, P_IN)) {
          // `IN:` without the dashes QEMU prints before it (a log starting mid-block).
          add(T.TB, lineNo, off, end, cpuNow(), buf.toString('latin1', s + 3, e).trim(), NaN);
          openRecord(Open.TB, lineNo, 'in_asm block', false);
          return;
        }
        if (startsWith(buf, s, e, P_ILLEGAL)) {
          const m = ARM_ILLEGAL_RETURN.exec(buf.toString('latin1', s, e));
          if (m) {
            arm = true;
            add(T.EXCEPTION_RETURN, lineNo, off, end, cpuNow(), 'illegal', NaN);
            openRecord(Open.NONE, lineNo, '', true);
            return;
          }
        }
        break;
      }
      case 76 /* L */: {
        if (startsWith(buf, s, e, P_LINKING)) {
          add(T.TB_LINK, lineNo, off, end, cpuNow(), '', NaN);
          openRecord(Open.NONE, lineNo, '', true);
          return;
        }
        break;
      }
      case 45 /* - */: {
        if (startsWith(buf, s, e, P_DASHES)) {
          // Held until the next line says what the block is (`IN:` → TB).
          announce(Pending.DASHES, lineNo, off, end);
          return;
        }
        break;
      }
      case 46 /* . */: {
        if (open === Open.ARM && buf[s + 1] === 46 && buf[s + 2] === 46) {
          extend(end);
          armContinuation(buf.toString('latin1', s, e));
          return;
        }
        break;
      }
      default: {
        if ((c === 32 || (c >= 48 && c <= 57)) && isX86Record(buf, s, e)) {
          const m = X86_RECORD.exec(buf.toString('latin1', s, e));
          if (m) {
            x86Record(m, lineNo, end, Pending.NONE, off);
            return;
          }
        }
      }
    }

    // Not a record start: a continuation of the open record, or a line of its own.
    if (open === Open.DUMP && isDumpLine(buf, s, e)) {
      extend(end);
      if (!complete && startsWith(buf, s, e, P_EFER)) complete = true;
      return;
    }
    if (open === Open.TB && isTbLine(buf, s, e)) {
      extend(end);
      if (row.aux !== row.aux && c === 48) {
        const m = INSN.exec(buf.toString('latin1', s, Math.min(e, s + 24)));
        if (m) {
          row.aux = pcToAux(m[1]);
          b.setLastAux(row.aux);
        }
      }
      return;
    }
    if (hasControl(buf, s, e) > 4) warn({ code: 'BINARY_JUNK', severity: 'warning', file: name, line: lineNo, message: 'binary data in a QEMU log; kept as a LINE event' });
    if ((open !== Open.NONE || pending !== Pending.NONE) && held < MAX_HELD && piece === 0 && !isQemuShaped(buf, s, e)) {
      // Console output inside a record (a shared stream): the record goes on after it.
      heldLine[held] = lineNo;
      heldOff[held] = off;
      heldEnd[held] = end;
      held++;
      return;
    }
    add(T.LINE, lineNo, off, end, -1, '', NaN);
    openRecord(Open.NONE, lineNo, '', true);
  }, chunkBytes ?? INDEX_READ_BYTES, range, { bytes: TII_DUMP_START_BYTES, found: false }, claim);

  /** An x86 delivery record, merged with the announcing line when `via` says there was one. */
  function x86Record(m: RegExpExecArray, lineNo: number, end: number, via: Pending, off = 0): void {
    x86 = true;
    const counter = Number(m[1]);
    if (lastCounter >= 0 && counter > lastCounter + 1) {
      warn({
        code: 'RECORD_GAP',
        severity: 'warning',
        file: name,
        line: lineNo,
        message: `QEMU's interrupt counter jumps from ${lastCounter} to ${counter}: ${counter - lastCounter - 1} record(s) missing here`,
      });
    }
    if (firstCounter < 0) {
      firstCounter = counter;
      firstCounterLine = lineNo;
    }
    lastCounter = counter;
    const v = parseInt(m[2], 16);
    const software = m[4] === '1';
    let type: number;
    let kind: string;
    if (via === Pending.SERVICING || (via === Pending.NONE && !software && (v === X86_NMI || v >= 32))) {
      type = T.INTERRUPT;
      kind = v === X86_NMI ? 'NMI' : 'IRQ';
    } else {
      type = T.EXCEPTION;
      kind = x86ExceptionKind(v, software);
    }
    const aux = pcToAux(m[8]);
    const start = via === Pending.NONE ? off : pOff;
    const line = via === Pending.NONE ? lineNo : pLine;
    add(type, line, start, end, cpuNow(), kind, aux);
    recStats = true;
    recVector = `0x${v.toString(16)}`;
    recKind = kind;
    recLevel = Number(m[5]);
    recPc = aux;
    recPcHex = m[8];
    openRecord(Open.DUMP, line, 'x86 interrupt record', false);
  }

  /**
   * `Trace N: 0xHOST [a/PC/c/d] sym` read straight from the bytes: exec logs
   * hold millions of these. Returns false to let the regex handle anything unusual.
   */
  function fastTrace(buf: Buffer, s: number, e: number, lineNo: number, off: number, end: number): boolean {
    let j = s + 6;
    let cpu = 0;
    const d0 = j;
    while (j < e && buf[j] >= 48 && buf[j] <= 57) cpu = cpu * 10 + buf[j++] - 48;
    if (j === d0 || buf[j] !== 58) return false;
    while (j < e && buf[j] !== 91) j++;
    const open = j;
    let slash1 = -1;
    let slash2 = -1;
    while (j < e && buf[j] !== 93) {
      if (buf[j] === 47) {
        if (slash1 < 0) slash1 = j;
        else if (slash2 < 0) slash2 = j;
      }
      j++;
    }
    if (open >= e || j >= e) return false;
    const close = j;
    const aux = slash1 < 0 ? hexBytesToAux(buf, open + 1, close) : hexBytesToAux(buf, slash1 + 1, slash2 < 0 ? close : slash2);
    if (aux !== aux) return false;
    let se = e;
    while (se > close + 1 && buf[se - 1] === 32) se--;
    const sym = se > close + 2 ? buf.toString('latin1', close + 2, se) : '';
    flushPending();
    lastCpu = cpu;
    cpuSet = true;
    add(T.EXEC, lineNo, off, end, cpu, sym, aux);
    if (Number.isSafeInteger(aux)) bump(execPcs, aux);
    else bump(execPcs, normHex(buf.toString('latin1', slash1 < 0 ? open + 1 : slash1 + 1, slash2 < 0 ? close : slash2)));
    openRecord(Open.NONE, lineNo, '', true);
    return true;
  }

  function armContinuation(text: string): void {
    let m: RegExpExecArray | null;
    if (text.startsWith('...with ELR')) {
      armElr = true;
      a64Log = true;
      a64Set = true;
      complete = false;
      if ((m = ARM_ELR.exec(text))) {
        recPc = pcToAux(m[1]);
        recPcHex = m[1];
        b.setLastAux(recPc);
      }
    } else if (text.startsWith('...from')) {
      if ((m = ARM_FROM.exec(text))) recLevel = Number(m[1]);
    } else if (text.startsWith('...with ESR')) {
      // Both the AArch64 and the AArch32 paths print ESR; only AArch64 goes on with ELR and
      // `...to EL`. Once the log has shown AArch64 records, a record stopping here was cut.
      if (!a64Set) usedStartA64 = true;
      complete = !a64Log;
      // QEMU prints the syndrome for IRQs too, but it is stale there: ESR is written only for synchronous exceptions.
      if (b.lastType() === T.EXCEPTION && (m = ARM_ESR.exec(text))) {
        const ec = parseInt(m[1], 16);
        bump(esr, ESR_EC[ec] ?? `EC_0x${ec.toString(16)}`);
      }
    } else if (text.startsWith('...to EL') || (text.startsWith('...handled as ') && !armElr)) {
      // `...to EL` ends an AArch64 record; PSCI and semihosting calls end right after ESR.
      complete = true;
    }
  }

  flushPending();
  release();
  commit();
  return {
    lines,
    // A TII dump inside: tii-console reads this input better (see BuildResult.better).
    dumpInside,
    x86,
    arm,
    vectors,
    kinds,
    esr,
    levels,
    pcs,
    execPcs,
    firstCounter,
    lastCounter: firstCounter >= 0 ? lastCounter : -1,
    firstCounterLine,
    firstWarningLine,
    interleaved,
    firstInterleaved,
    complete,
    openLine,
    openWhat,
    endsMidLine: bytes > 0 && lastEnd === (range?.start ?? 0) + bytes,
    usedStartCpu,
    usedStartA64,
    start,
    end: { lastCpu, a64Log, lastCounter },
  };
}

/**
 * The summary fields of a log read in parts (in file order; part k's lines
 * count from 1 after `lineBases[k]` lines), and the warnings only the whole
 * can tell; `events` in all parts.
 */
export function qemuExtra(parts: QemuPart[], lineBases: number[], events: number, diags: DiagnosticLog, name: string): QemuSummaryExtra {
  const sum = <K>(pick: (p: QemuPart) => Map<K, number>) => {
    const m = new Map<K, number>();
    for (const p of parts) for (const [k, v] of pick(p)) m.set(k, (m.get(k) ?? 0) + v);
    return m;
  };
  const last = parts[parts.length - 1];
  const lastBase = lineBases[parts.length - 1];
  let lines = 0;
  let interleaved = 0;
  let firstInterleaved = 0;
  parts.forEach((p, k) => {
    lines += p.lines;
    if (p.interleaved > 0 && interleaved === 0) firstInterleaved = p.firstInterleaved + lineBases[k];
    interleaved += p.interleaved;
  });
  if (interleaved > 0) {
    diags.add({
      code: 'INTERLEAVED_LINES',
      severity: 'info',
      file: name,
      line: firstInterleaved,
      message: `${interleaved} line(s) that are not QEMU's (console output in the same stream?) sit inside QEMU records, first at line ${firstInterleaved}; the records are read across them and each line is kept as a LINE event`,
    });
  }
  if (!last.complete && events > 0) {
    diags.add({ code: 'TRUNCATED_RECORD', severity: 'warning', file: name, line: last.openLine + lastBase, message: `the log ends inside this ${last.openWhat}; the event keeps the lines that are there` });
  }
  if (last.endsMidLine) {
    diags.add({ code: 'TRUNCATED_LINE', severity: 'warning', file: name, line: lines, message: 'the file ends mid-line (no newline after the last line)' });
  }
  if (events === 0) {
    diags.add({ code: 'NO_EVENTS', severity: 'error', file: name, line: 1, message: lines === 0 ? 'file is empty' : 'no QEMU -d record in this file' });
  }
  const counted = parts.filter((p) => p.firstCounter >= 0);
  return {
    arch: parts.some((p) => p.x86) ? 'x86' : parts.some((p) => p.arm) ? 'arm' : null,
    lines,
    vectors: obj(sum((p) => p.vectors)),
    kinds: obj(sum((p) => p.kinds)),
    esr_classes: obj(sum((p) => p.esr)),
    privilege_levels: obj(sum((p) => p.levels)),
    top_pcs: topPcs(sum((p) => p.pcs)),
    top_exec_pcs: topPcs(sum((p) => p.execPcs)),
    record_counter: counted.length > 0 ? { first: counted[0].firstCounter, last: counted[counted.length - 1].lastCounter } : null,
    interleaved_lines: interleaved,
  };
}
