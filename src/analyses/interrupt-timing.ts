import type { EventCursor } from '../model/source.js';
import { breenixId, breenixPayload, breenixTraceType } from './breenix.js';
import { eventEvidence, num, plural } from './evidence.js';
import { Samples, fmt, fmtDuration } from './stats.js';
import type { LineText } from './text.js';
import type { Analysis, AnalysisInstance, FindingDraft, Interest, SourceMeta } from './types.js';

/** Width of the rate bins, in seconds of trace time. */
export const IRQ_RATE_BIN_S = 1;
/** A bin is a storm when it has at least this many interrupts per second on one CPU… */
export const IRQ_STORM_MIN_PER_S = 10_000;
/** …and this many times the CPU's median bin. */
export const IRQ_STORM_FACTOR = 10;
/** Return-to-user → timer samples needed before their timing is judged. */
export const RETURN_TIMER_MIN_SAMPLES = 10;
/** The timer "fires right after the return" when the median gap is below this share of the timer period. */
export const RETURN_TIMER_IMMEDIATE_SHARE = 0.01;

const TIMER_NAME = /timer|^LOC$|tick/i;
const IRQ_NAME = /irq=(\d+) name=(\S+)/;

/** The number after `irq=` in the line's bytes, NaN when none. */
function numberAfterIrq(t: LineText): number {
  const b = t.buf;
  for (let i = t.start; i + 4 < t.end; i++) {
    if (b[i] !== 105 || b[i + 1] !== 114 || b[i + 2] !== 113 || b[i + 3] !== 61) continue;
    let v = 0;
    let j = i + 4;
    const d0 = j;
    while (j < t.end && b[j] >= 48 && b[j] <= 57) v = v * 10 + b[j++] - 48;
    return j > d0 ? v : NaN;
  }
  return NaN;
}

interface CpuState {
  /** Interrupts per rate bin (index = floor((ts - t0) / bin)). */
  bins: number[];
  firstInBin: number[];
  count: number;
  firstTs: number;
  lastIrqTs: number;
  lastReturnTs: number;
  lastReturnIndex: number;
  lastTimerTs: number;
  lastTs: number;
  /** Arm QEMU logs: the user pc of the last return to EL0, NaN when none is pending. */
  returnPc: number;
}

/**
 * Interrupt rate per CPU over time (1 s bins), interrupt storms, and the
 * time from a return to user space to the next timer interrupt on that CPU
 * (the open question of seeds/001: does the timer fire before the first
 * user instruction?). Reads ftrace irq_handler_entry / sys_exit /
 * local_timer_entry, Breenix IRQ_ENTRY / TIMER_TICK / return-to-EL0 trace
 * events; QEMU Arm logs (no time) give how often the next IRQ after a
 * return to EL0 is taken at the very pc returned to.
 */
export const interruptTiming: Analysis = {
  id: 'interrupt-timing',
  title: 'interrupt rate, storms and timer timing after return to user',
  create(): AnalysisInstance {
    let meta: SourceMeta;
    let mode: 'ftrace' | 'breenix' | 'qemu' | 'off' = 'off';
    const cpus = new Map<number, CpuState>();
    let t0 = NaN;
    const gaps = new Samples();
    const periods = new Samples();
    // The quickest return → timer pair, for evidence.
    let minGap = Infinity;
    let minGapTimer = -1;
    let minGapReturn = -1;
    const irqCounts = new Map<string, number>();
    // Per IRQ number: its key (`irq 11 arch_timer`) and whether it is a timer, read once from the first line naming it.
    const irqKey = new Map<number, string>();
    const irqIsTimer = new Map<number, boolean>();
    let tIrq = -1;
    let tSysExit = -1;
    let tTracepoint = -1;
    let tTrace = -1;
    let tInt = -1;
    let tRet = -1;
    let idIrq = -1;
    let idTick = -1;
    let idToUser = -1;
    let idSpsr = -1;
    let idSpsr0 = -1;
    let breenixHasIrq = false;
    let wLocalTimer = 0;
    let returns = 0;
    let samePc = 0;
    let sameSample = -1;

    const cpu = (c: number): CpuState => {
      let s = cpus.get(c);
      if (!s) cpus.set(c, (s = { bins: [], firstInBin: [], count: 0, firstTs: NaN, lastIrqTs: NaN, lastReturnTs: NaN, lastReturnIndex: -1, lastTimerTs: NaN, lastTs: NaN, returnPc: NaN }));
      return s;
    };

    const interrupt = (c: EventCursor, key: string) => {
      const s = cpu(c.cpu);
      s.count++;
      if (key) irqCounts.set(key, (irqCounts.get(key) ?? 0) + 1);
      if (c.ts !== c.ts || meta.tsUnit !== 's') return;
      if (s.firstTs !== s.firstTs) s.firstTs = c.ts;
      s.lastIrqTs = c.ts;
      if (t0 !== t0) t0 = c.ts;
      const b = Math.floor((c.ts - t0) / IRQ_RATE_BIN_S);
      if (b < 0) return;
      while (s.bins.length <= b) {
        s.bins.push(0);
        s.firstInBin.push(-1);
      }
      if (s.bins[b]++ === 0) s.firstInBin[b] = c.index;
    };

    const timer = (c: EventCursor) => {
      const s = cpu(c.cpu);
      if (c.ts !== c.ts) return;
      if (s.lastTimerTs === s.lastTimerTs && c.ts > s.lastTimerTs) periods.add(c.ts - s.lastTimerTs, c.index);
      s.lastTimerTs = c.ts;
      if (s.lastReturnTs === s.lastReturnTs) {
        const gap = c.ts - s.lastReturnTs;
        gaps.add(gap, c.index);
        if (gap < minGap) {
          minGap = gap;
          minGapTimer = c.index;
          minGapReturn = s.lastReturnIndex;
        }
        s.lastReturnTs = NaN;
      }
    };

    const returned = (c: EventCursor) => {
      if (c.ts !== c.ts) return;
      const s = cpu(c.cpu);
      s.lastReturnTs = c.ts;
      s.lastReturnIndex = c.index;
    };

    /** Ring dumps list one CPU after another: time going back on a CPU starts its history again. */
    const restartIfBack = (c: EventCursor) => {
      const s = cpus.get(c.cpu);
      if (!s || c.ts !== c.ts) return;
      if (s.lastTs === s.lastTs && c.ts < s.lastTs) {
        s.lastReturnTs = NaN;
        s.lastTimerTs = NaN;
      }
      s.lastTs = c.ts;
    };

    return {
      begin(m: SourceMeta): Interest {
        meta = m;
        const idx = (n: string) => m.typeNames.indexOf(n);
        if (m.format === 'ftrace-text' && m.text) {
          mode = 'ftrace';
          tIrq = idx('IRQ_HANDLER_ENTRY');
          tSysExit = idx('SYS_EXIT');
          tTracepoint = idx('TRACEPOINT');
          wLocalTimer = m.text.watch(['local_timer_entry']);
          return [tIrq, tSysExit, tTracepoint].filter((t) => t >= 0 && (m.summary.types[m.typeNames[t]] ?? 0) > 0);
        }
        tTrace = breenixTraceType(m);
        if (tTrace >= 0) {
          mode = 'breenix';
          idIrq = breenixId('IRQ_ENTRY');
          idTick = breenixId('TIMER_TICK');
          idToUser = breenixId('CTX_SWITCH_TO_USER');
          idSpsr = breenixId('ERET_DISPATCH_SPSR');
          idSpsr0 = breenixId('CPU0_USER_DISPATCH_SPSR');
          return [tTrace];
        }
        if (m.format === 'qemu-d') {
          mode = 'qemu';
          tInt = idx('INTERRUPT');
          tRet = idx('EXCEPTION_RETURN');
          return tRet >= 0 && (m.summary.types.EXCEPTION_RETURN ?? 0) > 0 ? [tInt, tRet] : 'none';
        }
        return 'none';
      },
      onEvent(c) {
        if (mode === 'ftrace') {
          const t = meta.text as LineText;
          if (c.type === tSysExit) returned(c);
          else if (c.type === tIrq) {
            if (!t.seek(c.line, c.offset)) return;
            const n = numberAfterIrq(t);
            let key = irqKey.get(n);
            if (key === undefined) {
              const m = IRQ_NAME.exec(t.text());
              irqKey.set(n, (key = m ? `irq ${m[1]} ${m[2]}` : `irq ${n}`));
              irqIsTimer.set(n, m !== null && TIMER_NAME.test(m[2]));
            }
            interrupt(c, key);
            if (irqIsTimer.get(n)) timer(c);
          } else if (c.type === tTracepoint) {
            // x86's local APIC timer is not an irq_handler_entry; irq_vectors:local_timer_entry is.
            if (!t.seek(c.line, c.offset) || !t.hit(wLocalTimer)) return;
            interrupt(c, 'local_timer');
            timer(c);
          }
          return;
        }
        if (mode === 'breenix') {
          const id = c.aux;
          if (id !== idIrq && id !== idTick && id !== idToUser && id !== idSpsr && id !== idSpsr0) return;
          restartIfBack(c);
          if (id === idIrq) {
            breenixHasIrq = true;
            const v = breenixPayload(meta, c);
            let key = irqKey.get(v);
            if (key === undefined) irqKey.set(v, (key = `vector ${v}`));
            interrupt(c, key);
          } else if (id === idTick) {
            if (!breenixHasIrq) interrupt(c, 'timer tick');
            timer(c);
          } else if (id === idToUser) returned(c);
          else if ((breenixPayload(meta, c) & 0xf) === 0) returned(c);
          return;
        }
        if (mode === 'qemu') {
          const s = cpu(c.cpu);
          if (c.type === tRet) {
            // A return to EL0 (user pcs are lower-half addresses).
            s.returnPc = c.aux >= 0 && c.aux < 2 ** 47 ? c.aux : NaN;
          } else if (c.type === tInt && s.returnPc === s.returnPc) {
            returns++;
            if (c.aux === s.returnPc) {
              samePc++;
              if (sameSample < 0) sameSample = c.index;
            }
            s.returnPc = NaN;
          }
        }
      },
      end() {},
      findings(): FindingDraft[] {
        const out: FindingDraft[] = [];
        if (mode === 'qemu') {
          if (returns === 0) return out;
          out.push({
            code: 'RETURN_TO_USER_INTERRUPTED',
            severity: 'info',
            title: 'interrupts right after returns to user (same pc)',
            detail: `${plural(returns, 'return')} to EL0 were followed by an IRQ on the same CPU; ${num(samePc)} (${fmt((100 * samePc) / returns)}%) of those IRQs were taken at the very pc returned to. The log has no time: a tight loop and an interrupt that fires before the first instruction look the same here (see no-progress).`,
            evidence: sameSample >= 0 ? [eventEvidence(meta, sameSample)] : [],
            hint: 'Record with timestamps (ftrace, a trace ring) to measure how soon the timer fires after the return.',
            data: { returns, interrupted_at_return_pc: samePc },
          });
          return out;
        }
        const perCpu = [...cpus.entries()].filter(([, s]) => s.count > 0).sort((a, b) => a[0] - b[0]);
        if (perCpu.length) {
          for (const [c, s] of perCpu) {
            const nonEmpty = s.bins.filter((b) => b > 0).sort((a, b) => a - b);
            if (!nonEmpty.length) continue;
            const median = nonEmpty[Math.floor(nonEmpty.length / 2)];
            const minCount = IRQ_STORM_MIN_PER_S * IRQ_RATE_BIN_S;
            const storm = s.bins.findIndex((b) => b >= minCount && b >= IRQ_STORM_FACTOR * median);
            if (storm < 0) continue;
            out.push({
              code: 'IRQ_STORM',
              severity: 'warning',
              title: 'interrupt storm',
              detail: `CPU ${c} took ${num(s.bins[storm])} interrupts in ${IRQ_RATE_BIN_S} s starting at t=${fmt(t0 + storm * IRQ_RATE_BIN_S)} s, ${fmt(s.bins[storm] / median)} times its median of ${num(median)} per bin.`,
              evidence: [eventEvidence(meta, s.firstInBin[storm])],
              hint: 'A device that keeps its interrupt line asserted (not acknowledged or not masked), or a timer re-armed with a tiny interval; the per-IRQ counts in the data say which source.',
              data: { cpu: c, bin_s: IRQ_RATE_BIN_S, bins: s.bins, by_irq: Object.fromEntries(irqCounts) },
            });
          }
          const timed = perCpu.some(([, s]) => s.bins.length > 0);
          out.push({
            code: 'IRQ_RATE',
            severity: 'info',
            title: 'interrupt rate per CPU',
            detail: perCpu
              .map(([c, s]) => {
                const max = s.bins.length ? Math.max(...s.bins) : 0;
                const span = s.lastIrqTs - s.firstTs;
                const rate = span > 0 ? `, ${fmt((s.count - 1) / span)}/s over ${fmtDuration(span, 's')}` : '';
                return `CPU ${c}: ${plural(s.count, 'interrupt')}${rate}${s.bins.length ? `, at most ${num(max)} in one ${IRQ_RATE_BIN_S} s bin` : ''}`;
              })
              .join('; ') + (timed ? '.' : ' (no trace time in seconds: no rates).'),
            evidence: [],
            hint: 'Per-CPU counts per bin and per-IRQ totals are in the data (--json).',
            data: { bin_s: IRQ_RATE_BIN_S, per_cpu: Object.fromEntries(perCpu.map(([c, s]) => [String(c), { count: s.count, bins: s.bins }])), by_irq: Object.fromEntries(irqCounts) },
          });
        }
        if (gaps.count > 0) {
          const d = gaps.distribution();
          const p = periods.count ? periods.distribution().p50 : NaN;
          const unit = meta.tsUnit ?? 's';
          const immediate = gaps.count >= RETURN_TIMER_MIN_SAMPLES && p === p && d.p50 < p * RETURN_TIMER_IMMEDIATE_SHARE;
          const ev = minGapTimer >= 0 ? [eventEvidence(meta, minGapReturn), eventEvidence(meta, minGapTimer)] : [];
          out.push({
            code: immediate ? 'TIMER_RIGHT_AFTER_RETURN' : 'RETURN_TO_TIMER',
            severity: immediate ? 'warning' : 'info',
            title: immediate ? 'timer interrupt fires right after the return to user' : 'time from return-to-user to the next timer interrupt',
            detail: `${plural(gaps.count, 'return')} to user followed by a timer interrupt on the same CPU: p50 ${fmtDuration(d.p50, unit)}, p90 ${fmtDuration(d.p90, unit)}, min ${fmtDuration(d.min, unit)}, max ${fmtDuration(d.max, unit)}${p === p ? `; the timer period is about ${fmtDuration(p, unit)}` : ''}.${immediate ? ' Half the returns are interrupted within 1% of a period: user code barely runs before the next tick (the live-lock of seeds/001).' : ''}`,
            evidence: ev,
            hint: immediate
              ? 'The timer is pending when the kernel returns to user: acknowledge/re-arm it before the return, or check that the deadline is not already in the past when it is programmed.'
              : 'For reference: a return is followed by the timer after a random share of the period on a healthy system.',
            data: { samples: d, timer_period_p50: p === p ? p : null, unit },
          });
        }
        return out;
      },
    };
  },
};
