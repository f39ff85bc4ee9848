import type { EventCursor } from '../model/source.js';
import { breenixId, breenixPayload, breenixTraceType } from './breenix.js';
import { eventEvidence, num, plural } from './evidence.js';
import { Samples, fmtDuration, type Distribution } from './stats.js';
import type { LineText } from './text.js';
import type { Analysis, AnalysisInstance, Evidence, FindingDraft, Interest, SourceMeta } from './types.js';

/** Mid-trace unpaired events (not explained by the trace starting or stopping) before they are worth a warning. */
export const PAIR_MIN_UNPAIRED = 3;
/** …and their share of the pairs: a few lost events in a long trace are noise. */
export const PAIR_UNPAIRED_SHARE = 0.01;
/** A probe counts as "never fired" only when its partner fired at least this often (a ring dump may hold just one event of a pair). */
export const PAIR_NEVER_FIRED_MIN = 10;
/** Unpaired events given as evidence. */
export const PAIR_EVIDENCE = 3;
/** Keys (syscalls, IRQs, functions) with a distribution in a latency finding's data. */
export const PAIR_TOP_KEYS = 20;

/** Entry/exit pairing of one kind (kernel entries, syscalls, IRQ handlers, function calls). */
class PairKind {
  entries = 0;
  exits = 0;
  pairs = 0;
  /** Exits with no open entry after entries were seen: an entry path is not instrumented. */
  midExits = 0;
  /** Entries replaced by another entry before their exit, after exits were seen: a return path skips the probe. */
  midEntries = 0;
  /** Unpaired at the edges: exits before any entry, entries before any exit, entries open at the end. */
  edgeExits = 0;
  edgeEntries = 0;
  openAtEnd = 0;
  readonly unpairedSample: number[] = [];
  readonly all = new Samples();
  readonly byKey = new Map<string, Samples>();
  zero = 0;
  /** Entry index and time per context (CPU, pid, or one for the kernel). */
  readonly openIndex = new Map<number, number>();
  readonly openTs = new Map<number, number>();
  readonly openKey = new Map<number, string>();
  /** Contexts that have had an entry / an exit: unpaired events before those are the trace's edge, not lost probes. */
  private readonly hadEntry = new Set<number>();
  private readonly hadExit = new Set<number>();

  constructor(
    readonly label: string,
    readonly entryName: string,
    readonly exitName: string,
    /** Unit of latencies: `s`, `ticks`, `us`, … */
    readonly unit: string,
    readonly keyName: string,
  ) {}

  firstEntry = -1;
  firstExit = -1;

  entry(ctx: number, index: number, ts: number, key: string): void {
    if (this.entries++ === 0) this.firstEntry = index;
    this.hadEntry.add(ctx);
    if (this.openIndex.has(ctx)) {
      if (!this.hadExit.has(ctx)) this.edgeEntries++;
      else {
        this.midEntries++;
        if (this.unpairedSample.length < PAIR_EVIDENCE) this.unpairedSample.push(this.openIndex.get(ctx) as number);
      }
    }
    this.openIndex.set(ctx, index);
    this.openTs.set(ctx, ts);
    this.openKey.set(ctx, key);
  }

  /** An exit; returns the open entry's key (for a latency measured by the caller) or null when unpaired. */
  exit(ctx: number, index: number): string | null {
    if (this.exits++ === 0) this.firstExit = index;
    const open = this.openIndex.get(ctx);
    const first = !this.hadExit.has(ctx);
    this.hadExit.add(ctx);
    if (open === undefined) {
      if (!this.hadEntry.has(ctx) || first) this.edgeExits++;
      else {
        this.midExits++;
        if (this.unpairedSample.length < PAIR_EVIDENCE) this.unpairedSample.push(index);
      }
      return null;
    }
    this.openIndex.delete(ctx);
    this.lastEntry = open;
    this.pairs++;
    return this.openKey.get(ctx) ?? '';
  }

  /** Entry index of the pair closed last, and of the slowest pair (evidence shows both ends). */
  lastEntry = -1;
  maxEntry = -1;

  latency(key: string, v: number, index: number): void {
    if (v > this.all.maxValue) this.maxEntry = this.lastEntry;
    this.all.add(v, index);
    if (v === 0) this.zero++;
    let s = this.byKey.get(key);
    if (!s) this.byKey.set(key, (s = new Samples()));
    s.add(v, index);
  }

  finish(): void {
    this.openAtEnd = this.openIndex.size;
  }
}

/** `NR 61` / `irq=11`: the number after `what` in the line's bytes, without making a string. */
function numberAfter(t: LineText, what: string): number {
  const buf = t.buf;
  outer: for (let i = t.start; i + what.length <= t.end; i++) {
    for (let k = 0; k < what.length; k++) if (buf[i + k] !== what.charCodeAt(k)) continue outer;
    let j = i + what.length;
    let neg = false;
    if (buf[j] === 45) {
      neg = true;
      j++;
    }
    let v = 0;
    const d0 = j;
    while (j < t.end && buf[j] >= 48 && buf[j] <= 57) v = v * 10 + buf[j++] - 48;
    return j > d0 ? (neg ? -v : v) : NaN;
  }
  return NaN;
}

/** `prefix N` strings made once per distinct N (syscall numbers, vectors): no string per event. */
class KeyNames {
  private readonly names = new Map<number, string>();
  constructor(private readonly prefix: string) {}
  of(n: number): string {
    let s = this.names.get(n);
    if (s === undefined) this.names.set(n, (s = `${this.prefix} ${n}`));
    return s;
  }
}

const GRAPH_ENTRY = /\|\s*([\w.$:]+)\(\)\s*\{/;
const GRAPH_LEAF = /\|\s*([\w.$:]+)\(\);/;
const IRQ_NAME = /name=(\S+)/;

/**
 * Entry/exit pairs and their latencies: TII KERNEL_ENTRY/KERNEL_EXIT (the
 * kernel's own duration field), ftrace irq_handler_entry/exit (per CPU, per
 * IRQ) and sys_enter/sys_exit (per pid, per syscall), function_graph calls,
 * Breenix SYSCALL_ENTRY/EXIT and IRQ_ENTRY/EXIT trace events. Reports
 * unpaired events that the trace's start or end cannot explain, all-zero
 * durations ("timing is not configured", seeds/004), probes that never
 * fired, and latency percentiles with a histogram per syscall/IRQ/function.
 */
export const pairingLatency: Analysis = {
  id: 'pairing-latency',
  title: 'entry/exit pairing and latency',
  create(): AnalysisInstance {
    let meta: SourceMeta;
    let mode: 'tii' | 'ftrace' | 'breenix' | 'off' = 'off';
    const kinds: PairKind[] = [];
    let tEntry = -1;
    let tExit = -1;
    let tIrqIn = -1;
    let tIrqOut = -1;
    let tSysIn = -1;
    let tSysOut = -1;
    let tFnIn = -1;
    let tFnOut = -1;
    let tFnLeaf = -1;
    let tTrace = -1;
    let kernel: PairKind;
    let irq: PairKind;
    let sys: PairKind;
    let fn: PairKind;
    let bSys: PairKind;
    let bIrq: PairKind;
    const ids = { sysIn: -1, sysOut: -1, irqIn: -1, irqOut: -1 };
    const irqNames = new Map<number, string>();
    const nrKeys = new KeyNames('NR');
    const bNrKeys = new KeyNames('nr');
    const vectorKeys = new KeyNames('vector');
    // function_graph: per CPU, the names of the open calls.
    const stacks = new Map<number, string[]>();
    const neverFired: string[] = [];

    const onTii = (c: EventCursor) => {
      if (c.type === tEntry) kernel.entry(0, c.index, NaN, 'kernel');
      else if (c.type === tExit) {
        const key = kernel.exit(0, c.index);
        if (key === null) kernel.lastEntry = -1;
        const d = c.record().fields.duration;
        // The kernel measures the duration itself; an exit without a logged entry (fastpath) still has one.
        if (typeof d === 'number') kernel.latency(key ?? 'unpaired', d, c.index);
      }
    };

    const onFtrace = (c: EventCursor) => {
      const t = meta.text as LineText;
      if (!t.seek(c.line, c.offset)) return;
      if (c.type === tSysIn || c.type === tSysOut) {
        const nr = numberAfter(t, 'NR ');
        // raw_syscalls events are per task: the pid is in aux.
        const ctx = c.aux === c.aux ? c.aux : c.cpu;
        if (c.type === tSysIn) sys.entry(ctx, c.index, c.ts, nrKeys.of(nr));
        else {
          const open = sys.openTs.get(ctx);
          const key = sys.exit(ctx, c.index);
          if (key !== null && open !== undefined && c.ts === c.ts) sys.latency(key, c.ts - open, c.index);
        }
      } else if (c.type === tIrqIn || c.type === tIrqOut) {
        const n = numberAfter(t, 'irq=');
        if (c.type === tIrqIn) {
          let key = irqNames.get(n);
          if (key === undefined) {
            // The handler's name is read once per IRQ number.
            const m = IRQ_NAME.exec(t.text());
            irqNames.set(n, (key = `irq ${n}${m ? ` ${m[1]}` : ''}`));
          }
          irq.entry(c.cpu, c.index, c.ts, key);
        } else {
          const open = irq.openTs.get(c.cpu);
          const key = irq.exit(c.cpu, c.index);
          if (key !== null && open !== undefined && c.ts === c.ts) irq.latency(key, c.ts - open, c.index);
        }
      } else if (c.type === tFnIn) {
        const m = GRAPH_ENTRY.exec(t.text());
        let st = stacks.get(c.cpu);
        if (!st) stacks.set(c.cpu, (st = []));
        st.push(m ? m[1] : '?');
        fn.entry(c.cpu * 4096 + st.length, c.index, c.ts, m ? m[1] : '?');
      } else if (c.type === tFnOut) {
        const st = stacks.get(c.cpu);
        const depth = st ? st.length : 0;
        if (depth === 0) {
          // The graph tracer starts mid-call on every CPU: closing braces of calls entered before it are expected.
          fn.exits++;
          fn.edgeExits++;
          return;
        }
        const key = fn.exit(c.cpu * 4096 + depth, c.index);
        if (st && depth) st.pop();
        // The graph tracer prints the call's duration on its closing line.
        if (key !== null && c.aux === c.aux) fn.latency(key, c.aux, c.index);
      } else if (c.type === tFnLeaf) {
        const m = GRAPH_LEAF.exec(t.text());
        fn.entries++;
        fn.exits++;
        fn.pairs++;
        fn.lastEntry = -1;
        if (c.aux === c.aux) fn.latency(m ? m[1] : '?', c.aux, c.index);
      }
    };

    const onBreenix = (c: EventCursor) => {
      const id = c.aux;
      if (id === ids.sysIn) bSys.entry(c.cpu, c.index, c.ts, bNrKeys.of(breenixPayload(meta, c)));
      else if (id === ids.irqIn) bIrq.entry(c.cpu, c.index, c.ts, vectorKeys.of(breenixPayload(meta, c)));
      else if (id === ids.sysOut || id === ids.irqOut) {
        const k = id === ids.sysOut ? bSys : bIrq;
        const open = k.openTs.get(c.cpu);
        // A ring dump restarts the CPU's history: time going backwards closes nothing.
        if (open !== undefined && c.ts < open) {
          k.openIndex.delete(c.cpu);
          k.exits++;
          k.edgeExits++;
          return;
        }
        const key = k.exit(c.cpu, c.index);
        if (key !== null && open !== undefined && c.ts === c.ts) k.latency(key, c.ts - open, c.index);
      }
    };

    return {
      begin(m: SourceMeta): Interest {
        meta = m;
        const types = m.summary.types;
        const idx = (n: string) => m.typeNames.indexOf(n);
        if (m.format === 'tii-ftrace' || m.format === 'tii-console') {
          mode = 'tii';
          tEntry = idx('KERNEL_ENTRY');
          tExit = idx('KERNEL_EXIT');
          kernel = new PairKind('kernel entry/exit (TII)', 'KERNEL_ENTRY', 'KERNEL_EXIT', 'ticks', 'kernel');
          kinds.push(kernel);
          const nf = (m.summary.never_fired as string[] | undefined) ?? [];
          if (m.count > 0) neverFired.push(...nf);
          return [tEntry, tExit].filter((t) => t >= 0);
        }
        if (m.format === 'ftrace-text' && m.text) {
          mode = 'ftrace';
          tIrqIn = idx('IRQ_HANDLER_ENTRY');
          tIrqOut = idx('IRQ_HANDLER_EXIT');
          tSysIn = idx('SYS_ENTER');
          tSysOut = idx('SYS_EXIT');
          tFnIn = idx('FUNC_ENTRY');
          tFnOut = idx('FUNC_EXIT');
          tFnLeaf = idx('FUNC_LEAF');
          irq = new PairKind('IRQ handlers (irq_handler_entry/exit)', 'IRQ_HANDLER_ENTRY', 'IRQ_HANDLER_EXIT', 's', 'irq');
          sys = new PairKind('syscalls (sys_enter/sys_exit)', 'SYS_ENTER', 'SYS_EXIT', 's', 'syscall');
          fn = new PairKind('function calls (function_graph)', 'FUNC_ENTRY', 'FUNC_EXIT', 'us', 'function');
          kinds.push(irq, sys, fn);
          return [tIrqIn, tIrqOut, tSysIn, tSysOut, tFnIn, tFnOut, tFnLeaf].filter((t) => t >= 0 && (types[m.typeNames[t]] ?? 0) > 0);
        }
        tTrace = breenixTraceType(m);
        if (tTrace >= 0) {
          mode = 'breenix';
          ids.sysIn = breenixId('SYSCALL_ENTRY');
          ids.sysOut = breenixId('SYSCALL_EXIT');
          ids.irqIn = breenixId('IRQ_ENTRY');
          ids.irqOut = breenixId('IRQ_EXIT');
          const unit = m.tsUnit === 's' ? 's' : 'ticks';
          bSys = new PairKind('Breenix syscalls (SYSCALL_ENTRY/EXIT)', 'SYSCALL_ENTRY', 'SYSCALL_EXIT', unit, 'syscall');
          bIrq = new PairKind('Breenix interrupts (IRQ_ENTRY/EXIT)', 'IRQ_ENTRY', 'IRQ_EXIT', unit, 'vector');
          kinds.push(bSys, bIrq);
          return [tTrace];
        }
        return 'none';
      },
      onEvent(c) {
        if (mode === 'tii') onTii(c);
        else if (mode === 'ftrace') onFtrace(c);
        else if (mode === 'breenix') onBreenix(c);
      },
      end() {
        for (const k of kinds) k.finish();
      },
      findings(): FindingDraft[] {
        const out: FindingDraft[] = [];
        for (const k of kinds) {
          if (k.entries === 0 && k.exits === 0) continue;
          const counts = { entries: k.entries, exits: k.exits, pairs: k.pairs, mid_trace_unpaired_exits: k.midExits, mid_trace_unpaired_entries: k.midEntries, exits_before_first_entry: k.edgeExits, entries_before_first_exit: k.edgeEntries, open_at_end: k.openAtEnd };
          // A probe that never fired while its partner did: half of the pair is not hooked.
          if (k.entries === 0 || k.exits === 0) {
            if (Math.max(k.entries, k.exits) < PAIR_NEVER_FIRED_MIN) continue;
            const missing = k.entries === 0 ? k.entryName : k.exitName;
            const present = k.entries === 0 ? k.exitName : k.entryName;
            out.push({
              code: 'PAIR_PROBE_NEVER_FIRED',
              severity: 'warning',
              title: `${missing} never fired while ${present} did`,
              detail: `${k.label}: ${plural(Math.max(k.entries, k.exits), present)} and no ${missing} at all.`,
              evidence: [eventEvidence(meta, k.entries === 0 ? k.firstExit : k.firstEntry)],
              hint: `The ${missing} probe is not hooked (or not enabled) on this kernel: without it nothing can be paired.`,
              data: counts,
            });
            continue;
          }
          const mid = k.midExits + k.midEntries;
          if (mid >= PAIR_MIN_UNPAIRED && mid >= k.pairs * PAIR_UNPAIRED_SHARE) {
            const exitsWin = k.midExits >= k.midEntries;
            const ev: Evidence[] = k.unpairedSample.map((i) => eventEvidence(meta, i));
            out.push({
              code: 'PAIR_UNPAIRED',
              severity: 'warning',
              title: exitsWin ? `${k.exitName} without a matching ${k.entryName}` : `${k.entryName} without a matching ${k.exitName}`,
              detail: `${k.label}: ${num(k.exits)} ${k.exitName} vs ${num(k.entries)} ${k.entryName}; ${num(k.pairs)} paired. In mid-trace ${plural(k.midExits, 'exit')} had no open entry and ${plural(k.midEntries, 'entry', 'entries')} were followed by another entry instead of an exit (the trace's start and end explain ${num(k.edgeExits + k.edgeEntries + k.openAtEnd)} more).`,
              evidence: ev,
              hint: exitsWin
                ? 'Exits outnumber entries in the middle of the trace: some entry path is not instrumented (seeds/004: only the slow path logged KERNEL_ENTRY, the fastpath did not).'
                : 'Entries without exits: some return path skips the exit probe (an early return, a path that never returns to the caller, or lost events).',
              data: counts,
            });
          }
          if (k.all.count > 0 && k.zero === k.all.count) {
            out.push({
              code: 'PAIR_ALL_DURATIONS_ZERO',
              severity: 'warning',
              title: `every ${k.exitName} duration is 0 (timing is not configured)`,
              detail: `${k.label}: all ${plural(k.all.count, 'duration')} are 0: the entry and exit timestamps are not being captured, so no latency can be measured.`,
              evidence: [eventEvidence(meta, k.all.firstIndex)],
              hint: 'Enable the timestamps the durations are computed from (seL4: the benchmark/tracking config that sets ksEnter/ksExit, e.g. CONFIG_BENCHMARK_TRACK_KERNEL_ENTRIES with a cycle counter), then trace again.',
              data: counts,
            });
            continue;
          }
          if (k.all.count > 0) {
            const d = k.all.distribution();
            const keys = [...k.byKey.entries()].sort((a, b) => b[1].count - a[1].count).slice(0, PAIR_TOP_KEYS);
            const per: Record<string, Distribution> = {};
            for (const [key, s] of keys) per[key] = s.distribution();
            const worst = [...k.byKey.entries()].find(([, s]) => s.maxIndex === k.all.maxIndex)?.[0] ?? '';
            const f = (v: number) => fmtDuration(v, k.unit);
            out.push({
              code: 'PAIR_LATENCY',
              severity: 'info',
              title: `${k.label}: latency`,
              detail: `${plural(k.all.count, 'measured pair')} over ${plural(k.byKey.size, k.keyName)}: p50 ${f(d.p50)}, p90 ${f(d.p90)}, p99 ${f(d.p99)}, max ${f(d.max)}${worst ? ` (${worst})` : ''}. Unpaired: ${num(k.midExits + k.midEntries)} mid-trace, ${num(k.edgeExits + k.edgeEntries + k.openAtEnd)} at the trace's start or end.`,
              evidence: [...(k.maxEntry >= 0 && k.maxEntry !== k.all.maxIndex ? [eventEvidence(meta, k.maxEntry)] : []), eventEvidence(meta, k.all.maxIndex)],
              hint: 'The per-key distributions and power-of-two histograms are in the data (--json).',
              data: { ...counts, unit: k.unit, all: d, [`by_${k.keyName}`]: per },
            });
          }
        }
        if (neverFired.length) {
          const interrupt = neverFired.includes('INTERRUPT');
          out.push({
            code: 'PAIR_PROBE_NEVER_FIRED',
            severity: 'info',
            title: interrupt ? 'INTERRUPT never fired (the interrupt path is not hooked)' : 'some trace probes never fired',
            detail: `Event types of the format that never occur in this stream: ${neverFired.join(', ')}.`,
            evidence: [],
            hint: interrupt ? 'No interrupt was logged at all: the interrupt handler does not call the trace hook yet (seeds/004: “Interrupts: 0 (not hooked yet)”).' : 'A probe that never fires is either not compiled in or its path never ran.',
            data: { never_fired: neverFired },
          });
        }
        return out;
      },
    };
  },
};
