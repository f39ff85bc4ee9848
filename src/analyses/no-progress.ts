import type { EventCursor } from '../model/source.js';
import { breenixId, breenixPayload, breenixTraceType } from './breenix.js';
import { eventEvidence, lineEvidence, num } from './evidence.js';
import type { Analysis, AnalysisInstance, Evidence, FindingDraft, Interest, SourceMeta } from './types.js';

/**
 * Interrupts in a row at one user pc on one CPU before it counts as no
 * progress. A timer at 100-250 Hz gets there in well under a second of a
 * spinning or live-locked thread; ordinary user code is almost never
 * interrupted twice running at the same instruction.
 */
export const NO_PROGRESS_MIN_INTERRUPTS = 50;
/** Scheduler log lines in a row that put one thread at the same pc (seeds/001: `SCHEDULER ENTRY: thread 5 RIP=0x10000018`). */
export const NO_PROGRESS_MIN_RESCHEDULES = 10;
/**
 * Breenix trace: dispatches to EL0 of one thread at the same ELR in a row.
 * Higher than for interrupts: a thread looping on a syscall (yield, a
 * polling read) also returns to the same ELR, right after its `svc`.
 */
export const NO_PROGRESS_MIN_USER_RETURNS = 50;
/** Runs reported per input at most (the longest first). */
export const NO_PROGRESS_MAX_FINDINGS = 8;

/**
 * Lower-half addresses are user space on x86_64 and arm64 (kernels live in
 * the upper half, which QEMU's pc column stores as negative numbers).
 * Repeats at a kernel pc are not reported: the idle loop is interrupted at
 * its `hlt`/`wfi` again and again on every healthy machine.
 */
const USER_LIMIT = 2 ** 47;

interface Run {
  key: number;
  cpu: number;
  tid: number;
  pc: number;
  pcText: string;
  count: number;
  firstIndex: number;
  lastIndex: number;
  firstLine: number;
  lastLine: number;
  /** Set when a record was checked and says the pc was not user mode after all. */
  kernel: boolean;
  /** Kind of line/event counted (first line's kind for scheduler lines). */
  kind: string;
  /** Indexes of a few events in the run, for evidence. */
  sample: number[];
  lines: string[];
  /** The run was still going when the input ended. */
  toEnd: boolean;
}

function minFor(kind: string): number {
  return kind === 'interrupt' ? NO_PROGRESS_MIN_INTERRUPTS : kind.startsWith('eret') ? NO_PROGRESS_MIN_USER_RETURNS : NO_PROGRESS_MIN_RESCHEDULES;
}

function newRun(key: number, cpu: number, tid: number, pc: number, pcText: string, index: number, line: number, kind: string): Run {
  return { key, cpu, tid, pc, pcText, count: 1, firstIndex: index, lastIndex: index, firstLine: line, lastLine: line, kernel: false, kind, sample: [index], lines: [], toEnd: false };
}

function hex(v: number): string {
  return v < 0 ? `0x${BigInt.asUintN(64, BigInt(v)).toString(16)}` : `0x${v.toString(16)}`;
}

// Scheduler and context-switch lines naming a thread and its pc, either order:
// `SCHEDULER ENTRY: thread 5 RIP=0x10000018`, `[DIAG] ELR=0x0 from EL1 cpu=2 tid=10`.
const THREAD_THEN_PC = /\b(?:thread|tid|TID|Thread)[\s=:#]*(\d+)\b.*?\b(?:RIP|ELR|PC|rip|elr|pc)\s*[=:]\s*(0x[0-9a-fA-F]+)\b/;
const PC_THEN_THREAD = /\b(?:RIP|ELR|PC|rip|elr|pc)\s*[=:]\s*(0x[0-9a-fA-F]+)\b.*?\b(?:thread|tid|TID|Thread)[\s=:#]*(\d+)\b/;
const PC_NEEDLES = ['RIP=', 'RIP: ', 'ELR=', 'rip=', 'elr=', 'PC=', 'pc='];

/** A hex pc string is a user (lower-half) address. */
function userHex(h: string): boolean {
  const digits = h.replace(/^0x0*/i, '');
  return digits.length < 12 || (digits.length === 12 && parseInt(digits[0], 16) < 8);
}

/**
 * A CPU or thread that keeps being interrupted (or rescheduled) at the same
 * user pc with no other progress in between: the live-lock of seeds/001
 * ("the child is interrupted before its first instruction, forever") or a
 * spin. Read from QEMU `-d int` records (interrupted pc per CPU), from
 * scheduler log lines that print a thread's RIP/ELR, and from Breenix trace
 * returns to EL0 (ERET_DISPATCH stage/ELR/SPSR).
 */
export const noProgress: Analysis = {
  id: 'no-progress',
  title: 'no progress: interrupted again and again at the same pc',
  create(): AnalysisInstance {
    let meta: SourceMeta;
    let mode: 'qemu' | 'lines' | 'breenix' | 'off' = 'off';
    let tInt = -1;
    let tExc = -1;
    let tRet = -1;
    let tTrace = -1;
    // Run keys: the CPU for interrupts; 1e9 + tid for scheduler lines; 2e9 + tid for Breenix returns (numbers: no string per event).
    const current = new Map<number, Run>();
    const done: Run[] = [];
    // Breenix: per CPU, the thread and ELR of the return being dispatched.
    const eretTid = new Map<number, number>();
    const eretStage = new Map<number, number>();
    const eretElr = new Map<number, number>();
    let idStage = -1;
    let idElr = -1;
    let idSpsr = -1;
    let idStage0 = -1;
    let idElr0 = -1;
    let idSpsr0 = -1;
    let wPc = 0;

    const close = (key: number) => {
      const r = current.get(key);
      if (!r) return;
      current.delete(key);
      if (r.count >= minFor(r.kind) && !r.kernel) done.push(r);
    };

    /** Reads the level from the QEMU record (once per run): a run at a low address that the record says was kernel mode (a 32-bit kernel) is not reported. */
    const confirmUser = (r: Run, c: EventCursor) => {
      const f = c.record().fields;
      if (f.arch === 'x86' && typeof f.level === 'number') r.kernel = f.level !== 3;
      else if (f.arch === 'arm' && typeof f.level === 'number') r.kernel = f.level !== 0;
    };

    const onQemu = (c: EventCursor) => {
      const pc = c.aux;
      if (pc !== pc || pc < 0 || pc >= USER_LIMIT) return;
      const key = c.cpu;
      const r = current.get(key);
      if (c.type === tInt) {
        if (r && r.pc === pc) {
          r.count++;
          r.lastIndex = c.index;
          r.lastLine = c.line;
          if (r.sample.length < 2) r.sample.push(c.index);
          if (r.count === NO_PROGRESS_MIN_INTERRUPTS) confirmUser(r, c);
          return;
        }
        close(key);
        current.set(key, newRun(key, c.cpu, -1, pc, hex(pc), c.index, c.line, 'interrupt'));
        return;
      }
      // A fault or a return to user at another pc means this CPU ran other user code.
      if (r && r.pc !== pc) close(key);
    };

    const onLine = (c: EventCursor) => {
      const t = meta.text!;
      if (!t.seek(c.line, c.offset) || t.firstHit(wPc, PC_NEEDLES.length) < 0) return;
      const text = t.text();
      let tid: number;
      let pcText: string;
      let at: number;
      let m = THREAD_THEN_PC.exec(text);
      if (m) {
        tid = Number(m[1]);
        pcText = m[2].toLowerCase();
        at = m.index;
      } else {
        m = PC_THEN_THREAD.exec(text);
        if (!m) return;
        tid = Number(m[2]);
        pcText = m[1].toLowerCase();
        at = m.index;
      }
      const pcNorm = `0x${pcText.replace(/^0x0*/, '') || '0'}`;
      const key = 1e9 + tid;
      const r = current.get(key);
      // The line's kind: what precedes the thread or pc, digits masked (`SCHEDULER ENTRY:`).
      const kind = text.slice(0, at).replace(/\d+/g, '#').trim() || text.replace(/0x[0-9a-fA-F]+|\d+/g, '#').slice(0, 40);
      if (r && r.pcText === pcNorm) {
        // One count per cycle: only lines of the run's first kind count (a cycle may log several).
        if (kind === r.kind) {
          r.count++;
          r.lastIndex = c.index;
          r.lastLine = c.line;
          if (r.lines.length < 2) r.lines.push(text);
          else r.lines[1] = text;
        }
        return;
      }
      close(key);
      if (!userHex(pcNorm)) return;
      const run = newRun(key, -1, tid, NaN, pcNorm, c.index, c.line, kind);
      run.lines.push(text);
      current.set(key, run);
    };

    const onBreenix = (c: EventCursor) => {
      const id = c.aux;
      if (id === idStage || id === idStage0) {
        const p = breenixPayload(meta, c);
        if (p === p) {
          eretTid.set(c.cpu, p & 0xffff);
          eretStage.set(c.cpu, p >>> 16);
        }
      } else if (id === idElr || id === idElr0) {
        const p = breenixPayload(meta, c);
        if (p === p) eretElr.set(c.cpu, p);
      } else if (id === idSpsr || id === idSpsr0) {
        const spsr = breenixPayload(meta, c);
        const tid = eretTid.get(c.cpu);
        const elr = eretElr.get(c.cpu);
        const stage = eretStage.get(c.cpu) ?? 0;
        eretTid.delete(c.cpu);
        eretElr.delete(c.cpu);
        if (spsr !== spsr || tid === undefined || elr === undefined) return;
        // SPSR.M[3:0] = 0: the return goes to EL0 (user); kernel threads resume at fixed points all the time.
        if ((spsr & 0xf) !== 0) return;
        const key = 2e9 + tid;
        const r = current.get(key);
        // One dispatch logs several stages; only the stage the run started with counts, once per dispatch.
        const kind = `eret stage ${stage}`;
        if (r && r.pc === elr) {
          if (r.kind !== kind) return;
          r.count++;
          r.lastIndex = c.index;
          r.lastLine = c.line;
          return;
        }
        close(key);
        current.set(key, newRun(key, c.cpu, tid, elr, hex(elr), c.index, c.line, kind));
      }
    };

    return {
      begin(m: SourceMeta): Interest {
        meta = m;
        if (m.format === 'qemu-d') {
          mode = 'qemu';
          tInt = m.typeNames.indexOf('INTERRUPT');
          tExc = m.typeNames.indexOf('EXCEPTION');
          tRet = m.typeNames.indexOf('EXCEPTION_RETURN');
          return [tInt, tExc, tRet].filter((t) => t >= 0);
        }
        tTrace = breenixTraceType(m);
        if (tTrace >= 0) {
          mode = 'breenix';
          idStage = breenixId('ERET_DISPATCH_STAGE');
          idElr = breenixId('ERET_DISPATCH_ELR');
          idSpsr = breenixId('ERET_DISPATCH_SPSR');
          idStage0 = breenixId('CPU0_USER_DISPATCH_STAGE');
          idElr0 = breenixId('CPU0_USER_DISPATCH_ELR');
          idSpsr0 = breenixId('CPU0_USER_DISPATCH_SPSR');
        }
        if (m.text && (m.format === 'console-log' || m.format === 'lines')) {
          wPc = m.text.watch(PC_NEEDLES);
          // Scheduler lines and a trace dump can share one log: lines are checked too.
          if (mode !== 'breenix') mode = 'lines';
          return 'all';
        }
        return mode === 'breenix' ? [tTrace] : 'none';
      },
      onEvent(c) {
        if (mode === 'qemu') onQemu(c);
        else if (mode === 'breenix') {
          if (c.type === tTrace) onBreenix(c);
          else if (meta.text) onLine(c);
        } else if (mode === 'lines') onLine(c);
      },
      end() {
        for (const key of [...current.keys()]) {
          current.get(key)!.toEnd = true;
          close(key);
        }
      },
      findings(): FindingDraft[] {
        const runs = done.sort((a, b) => b.count - a.count).slice(0, NO_PROGRESS_MAX_FINDINGS);
        return runs.map((r) => {
          const toEnd = r.toEnd;
          const where = r.firstLine > 0 ? `lines ${num(r.firstLine)}-${num(r.lastLine)}` : `events ${num(r.firstIndex)}-${num(r.lastIndex)}`;
          const tail = toEnd ? '; it lasts to the end of the input' : '';
          if (r.kind === 'interrupt') {
            const ev: Evidence[] = [...new Set([...r.sample, r.lastIndex])].map((i) => eventEvidence(meta, i));
            return {
              code: 'NO_PROGRESS_INTERRUPTS',
              severity: 'error',
              title: 'CPU interrupted again and again at the same user pc (no progress)',
              detail: `${r.cpu >= 0 ? `CPU ${r.cpu}` : 'The CPU'} was interrupted ${num(r.count)} times in a row at pc ${r.pcText} (${where}) with no other user pc interrupted, faulting or resumed on it in between${tail}.`,
              evidence: ev,
              hint: `The code at ${r.pcText} never gets past one instruction: a tight loop (jmp/b to itself), a wait on something that never changes, or an interrupt that fires before the first instruction runs after each return (seeds/001). Disassemble ${r.pcText} (objdump -d) and see interrupt-timing for how soon the timer fires after a return to user.`,
              data: { cpu: r.cpu, pc: r.pcText, count: r.count, first_index: r.firstIndex, last_index: r.lastIndex, first_line: r.firstLine, last_line: r.lastLine, to_end: toEnd },
            };
          }
          if (r.kind.startsWith('eret')) {
            return {
              code: 'NO_PROGRESS_USER_RETURNS',
              severity: 'warning',
              title: 'thread returned to user again and again at the same pc (no progress)',
              detail: `Thread ${r.tid} was dispatched to EL0 ${num(r.count)} times in a row at ELR ${r.pcText} (low 32 bits; ${where}) without ever resuming anywhere else${tail}.`,
              evidence: [eventEvidence(meta, r.firstIndex), eventEvidence(meta, r.lastIndex)],
              hint: 'The thread is interrupted or rescheduled before it executes its first instruction at that ELR, or it faults there and the fault is retried: check what the kernel does between the return and the next entry (timer, pending IRQ, fault path). If the ELR follows an svc, a loop around one syscall (yield, polling) looks the same: check what the thread does there.',
              data: { tid: r.tid, cpu: r.cpu, elr_low32: r.pcText, count: r.count, first_index: r.firstIndex, last_index: r.lastIndex, to_end: toEnd },
            };
          }
          const ev: Evidence[] = [lineEvidence(r.firstLine, r.lines[0], r.firstIndex)];
          if (r.lastLine !== r.firstLine) ev.push(lineEvidence(r.lastLine, r.lines[r.lines.length - 1], r.lastIndex));
          return {
            code: 'NO_PROGRESS_RESCHEDULED',
            severity: 'warning',
            title: 'thread scheduled again and again at the same pc (no progress)',
            detail: `Thread ${r.tid} was logged ${num(r.count)} times in a row at pc ${r.pcText} (“${r.kind}” lines, ${where}) and never at another pc${tail}.`,
            evidence: ev,
            hint: `Each time the thread runs it is interrupted or switched out before ${r.pcText} executes (seeds/001: the timer fired right after the return to user), or it faults and restarts there. Compare with a thread that progresses; see interrupt-timing for the time from return-to-user to the next timer interrupt. (A thread looping around one syscall also shows one pc, the one after the syscall instruction.)`,
            data: { tid: r.tid, pc: r.pcText, count: r.count, kind: r.kind, first_line: r.firstLine, last_line: r.lastLine, to_end: toEnd },
          };
        });
      },
    };
  },
};
