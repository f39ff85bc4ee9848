/**
 * What each format's events become on a timeline. One handler per event type
 * (resolved once from the source's type table, so the per-event cost is an
 * array lookup), fed through the source's reused cursor. Events whose payload
 * matters (names, keys, arguments) are decoded with `record()`; the TII hot
 * path (function enter/exit, 99 % of a stream) is not, see TiiWords.
 *
 *   TII         one "seL4 kernel" group: function calls nested on one track,
 *               KERNEL_ENTRY/EXIT slices, VM context slices + a VMID counter,
 *               markers as instants inside the current call.
 *   Breenix     per-CPU groups: SYSCALL/IRQ/FORK/EXEC entry/exit
 *               slices, locks in lanes, everything else instants; COUNTER
 *               lines as counters.
 *   ftrace      per-CPU groups: function_graph calls (leaves with their
 *               duration), *_entry/*_exit and *_start/*_end tracepoint pairs,
 *               the running task from sched_switch, cpu_frequency counters.
 *   QEMU -d     per-CPU groups: exception/interrupt slices closed by
 *               "Exception return" when the log has them, instants otherwise.
 *   console     instants per line (per CPU when printk names it); Breenix
 *               boot tests START → verdict as slices in lanes.
 */
import { breenixEventName } from '../model/breenix-names.js';
import type { EventRecord, FieldValue } from '../model/event.js';
import type { EventCursor } from '../model/source.js';
import type { Args, Name } from './sink.js';
import type { Timeline, Track } from './timeline.js';

export interface Mapper {
  event(c: EventCursor, ts: number): void;
  /** Events deliberately left out, with why (for the notes). */
  skipped(): string[];
}

/** Word reader for the TII hot path: the function id of the event at a word offset. */
export interface FunctionIds {
  idAt(offset: number): number;
}

type Handler = (c: EventCursor, ts: number) => void;

const MAX_NAME = 96;
const MAX_TEXT = 1000;

function short(s: string): string {
  return s.length > MAX_NAME ? `${s.slice(0, MAX_NAME - 1)}…` : s;
}

/** The event's scalar fields plus where it came from, so a viewer's selection leads back to `kscope event N`. */
function argsOf(c: EventCursor, r: EventRecord | null): Args {
  const a: Args = { index: c.index };
  if (c.line > 0) a.line = c.line;
  if (!r) return a;
  for (const [k, v] of Object.entries(r.fields)) if (isScalar(v) && !(k in a)) a[k] = v;
  a.text = r.text.length > MAX_TEXT ? r.text.slice(0, MAX_TEXT) : r.text;
  return a;
}

function isScalar(v: FieldValue): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** The message of a text event without the `N: ` line prefix records carry. */
function messageOf(r: EventRecord): string {
  const m = r.fields.message;
  if (typeof m === 'string' && m) return m;
  return r.text.replace(/^\d+: /, '');
}

/** Per-CPU groups, made on first use; events without a CPU go to one default group. */
class Groups {
  private readonly byCpu: Track[] = [];
  private fallback: Track | null = null;
  constructor(
    private readonly tl: Timeline,
    private readonly defaultName: string,
  ) {}
  of(cpu: number): Track {
    if (cpu < 0 || cpu > 4095) return (this.fallback ??= this.tl.group('default', this.defaultName));
    return (this.byCpu[cpu] ??= this.tl.group(`cpu${cpu}`, `CPU ${cpu}`));
  }
}

// ------------------------------------------------------------------ TII

/**
 * TII ftrace streams. The kernel's function stack is one stack whatever VM it
 * runs for (a VMID switch happens inside calls), so calls nest on one track
 * and VM context gets a track of its own.
 */
export function tiiMapper(tl: Timeline, typeNames: readonly string[], ids: FunctionIds | null): Mapper {
  const g = tl.group('kernel', 'seL4 kernel');
  const calls = tl.slices(g, 'functions', 'function calls');
  const kernel = tl.slices(g, 'kernel', 'kernel entries');
  const vms = tl.slices(g, 'vm', 'VM context');
  const vmid = tl.counterTrack(g, 'VMID');
  // Function id → interned name; ids are 15 bits in the default spec, but a custom spec may shift less.
  let fnName = new Int32Array(1 << 16).fill(-1);
  let fast = ids;
  let dropped = false;
  let vmOpen = -1;
  const nameOf = (c: EventCursor, id: number): number => {
    if (id >= fnName.length) {
      const grown = new Int32Array(Math.max(id + 1, fnName.length * 2)).fill(-1);
      grown.set(fnName);
      fnName = grown;
    }
    let n = fnName[id];
    if (n < 0) {
      const f = c.record().fields;
      n = fnName[id] = tl.name(String(f.symbol ?? f.address ?? `fn#${id}`));
    }
    return n;
  };
  /**
   * The event's function id: from the words when the fast path is on, else
   * decoded. The first event of every function id is decoded anyway (for its
   * name), so the fast path is checked there; one disagreement turns it off.
   */
  const fnId = (c: EventCursor): number => {
    if (!fast) return Number(c.record().fields.function_id);
    const id = fast.idAt(c.offset);
    if (id < fnName.length && fnName[id] >= 0) return id;
    const real = Number(c.record().fields.function_id);
    if (real !== id) {
      fast = null;
      dropped = true;
    }
    return real;
  };
  const handlers: Handler[] = typeNames.map((type) => {
    switch (type) {
      case 'FUNC_ENTER':
        return (c, ts) => {
          const id = fnId(c);
          tl.begin(calls, ts, nameOf(c, id), id);
        };
      case 'FUNC_EXIT':
        return (c, ts) => {
          const id = fnId(c);
          tl.end(calls, ts, id, nameOf(c, id));
        };
      case 'KERNEL_ENTRY':
        return (c, ts) => {
          const r = c.record();
          const what = [r.fields.path_name, r.fields.syscall_no_name].filter((x) => typeof x === 'string').join(' ');
          tl.begin(kernel, ts, tl.name(what || 'kernel'), 0, argsOf(c, r));
        };
      case 'KERNEL_EXIT':
        return (c, ts) => tl.end(kernel, ts, 0, tl.name('KERNEL_EXIT'), argsOf(c, c.record()));
      case 'VMID':
        return (c, ts) => {
          tl.counter(vmid, ts, c.vmid);
          if (vmOpen >= 0) tl.end(vms, ts, vmOpen, tl.name(`VM ${vmOpen}`));
          vmOpen = c.vmid;
          tl.begin(vms, ts, tl.name(`VM ${c.vmid}`), c.vmid);
        };
      default:
        return (c, ts) => tl.instant(calls, ts, tl.name(type), argsOf(c, c.record()));
    }
  });
  return {
    event: (c, ts) => handlers[c.type](c, ts),
    skipped: () => (dropped ? ['function ids read from the words disagreed with the decoder; they were decoded per event from there on'] : []),
  };
}

// ------------------------------------------------------------------ tables (text formats, Breenix rings)

/** `X_ENTRY`/`X_ENTER`/`X_START`/`X_BEGIN` and `X_EXIT`/`X_END`: the family and which side. */
const PAIR = /^(.+)_(ENTRY|ENTER|START|BEGIN|EXIT|END)$/;
const BEGIN_SIDES = new Set(['ENTRY', 'ENTER', 'START', 'BEGIN']);
/** Fields that tell nested instances of a family apart (irq number, softirq vector). */
const KEY_FIELDS = ['irq', 'vec', 'vector'];
/**
 * Breenix families whose entry/exit nest on their CPU. Locks overlap and go to
 * lanes; context-switch entry/exit mark one moment (the exit is often not in
 * the ring), so they stay instants.
 */
const BREENIX_NESTED = new Set(['SYSCALL', 'IRQ', 'FORK', 'EXEC']);

interface PairSide {
  family: string;
  begin: boolean;
}

/** Pairs in a type table: only where both sides exist, so `SCHED_PROCESS_EXIT` stays an instant. */
function tablePairs(typeNames: readonly string[]): (PairSide | null)[] {
  const sides = typeNames.map((t) => {
    const m = PAIR.exec(t);
    return m ? { family: m[1], begin: BEGIN_SIDES.has(m[2]) } : null;
  });
  return sides.map((s) => (s && sides.some((o) => o && o.family === s.family && o.begin !== s.begin) ? s : null));
}

function keyOf(f: Record<string, FieldValue>): number {
  for (const k of KEY_FIELDS) {
    const v = f[k];
    if (typeof v === 'number') return v;
  }
  return 0;
}

/** A slice name for a pair: the family, and what the begin event names (irq name, syscall number, function). */
function pairName(family: string, f: Record<string, FieldValue>): string {
  const what = f.function ?? f.name ?? f.nr ?? f.irq ?? f.vec;
  const fam = family.toLowerCase();
  return what === undefined || what === null ? fam : `${fam} ${String(what)}`;
}

/** `IRQ 0xec`, `#PF`, `Data Abort`: what kind of interrupt or exception, without its addresses. */
function exceptionName(type: string, f: Record<string, FieldValue>): string {
  const kind = f.kind ?? f.name;
  const vector = f.vector;
  if (typeof kind === 'string') return typeof vector === 'string' && !kind.includes(vector) ? `${kind} ${vector}` : kind;
  return typeof vector === 'string' ? `${type.toLowerCase()} ${vector}` : type.toLowerCase();
}

export interface TableOptions {
  format: string;
  /** The QEMU log has `Exception return` lines, so exceptions can be slices. */
  exceptionReturns: boolean;
}

export function tableMapper(tl: Timeline, typeNames: readonly string[], opts: TableOptions): Mapper {
  const defaultName = opts.format === 'console-log' ? 'console' : opts.format === 'qemu-d' ? 'QEMU' : 'trace';
  const groups = new Groups(tl, defaultName);
  const pairs = tablePairs(typeNames);
  const skipped = new Map<string, number>();
  const skip = (why: string) => skipped.set(why, (skipped.get(why) ?? 0) + 1);
  const tracks = new Map<string, Track>();
  const track = (g: Track, family: string, name = family): Track => {
    const k = `${g.info.uuid}/${family}`;
    let t = tracks.get(k);
    if (!t) tracks.set(k, (t = tl.slices(g, family, name)));
    return t;
  };
  const events = (g: Track) => track(g, 'events');
  const counterTracks = new Map<string, Track>();
  const counterTrack = (name: string): Track => {
    let t = counterTracks.get(name);
    if (!t) counterTracks.set(name, (t = tl.counterTrack(null, name)));
    return t;
  };
  let lastExceptionCpu = -1;
  /** Running task per CPU (ftrace sched_switch): its slice key. */
  const running: number[] = [];
  let testGroup: Track | null = null;
  const tests = () => (testGroup ??= tl.group('tests', 'boot tests'));

  const instant = (c: EventCursor, ts: number, name: Name, r: EventRecord | null) => tl.instant(events(groups.of(c.cpu)), ts, name, argsOf(c, r));
  const textInstant: Handler = (c, ts) => {
    const r = c.record();
    instant(c, ts, short(messageOf(r)), r);
  };

  const breenixEvent: Handler = (c, ts) => {
    const r = c.record();
    const f = r.fields;
    // The "Latest N events" dump repeats ring events newest first, across CPUs: its events are already on the timeline.
    if (f.dump === 'latest') return skip('events of Breenix "Latest N Events" dumps (they repeat ring events)');
    const name = typeof f.name === 'string' ? f.name : breenixEventName(c.aux);
    const g = groups.of(c.cpu);
    const payload = typeof f.payload === 'number' ? f.payload : 0;
    const m = PAIR.exec(name);
    const args = argsOf(c, r);
    if (name === 'LOCK_ACQUIRE') return tl.laneBegin(g, 'locks', ts, tl.name(`lock ${payload}`), payload, args);
    if (name === 'LOCK_RELEASE') return tl.laneEnd(g, 'locks', ts, payload, tl.name(`lock ${payload}`), args);
    if (m && BREENIX_NESTED.has(m[1])) {
      const fam = m[1].toLowerCase();
      const t = track(g, fam, `${fam.replace('_', ' ')}`);
      // IRQs nest by vector; the other families carry results, not ids, in their exit payload.
      const key = m[1] === 'IRQ' ? payload : 0;
      if (BEGIN_SIDES.has(m[2])) return tl.begin(t, ts, tl.name(m[1] === 'SYSCALL' ? `syscall ${payload}` : m[1] === 'IRQ' ? `irq ${payload}` : fam), key, args);
      return tl.end(t, ts, key, tl.name(name), args);
    }
    tl.instant(events(g), ts, tl.name(name), args);
  };

  const handlers: Handler[] = typeNames.map((type, t) => {
    switch (type) {
      case 'LINE':
        // The unclassified lines of a trace or QEMU log are its noise; of a console log, its content.
        if (opts.format !== 'console-log') return () => skip('unclassified lines (LINE events)');
        return textInstant;
      case 'TRACE_EVENT':
        return breenixEvent;
      case 'COUNTER':
        return (c, ts) => {
          const r = c.record();
          const name = typeof r.fields.counter === 'string' ? r.fields.counter : typeof r.fields.subsystem === 'string' ? r.fields.subsystem : 'counter';
          const v = typeof r.fields.total === 'number' ? r.fields.total : c.aux;
          if (Number.isFinite(v)) tl.counter(counterTrack(name), ts, v);
        };
      case 'CPU_FREQUENCY':
        return (c, ts) => {
          const f = c.record().fields;
          const v = Number(f.state ?? f.frequency ?? NaN);
          const cpu = Number(f.cpu_id ?? c.cpu);
          if (Number.isFinite(v)) tl.counter(counterTrack(`CPU ${cpu} frequency`), ts, v);
        };
      case 'TEST_MARKER':
        return (c, ts) => {
          const r = c.record();
          const f = r.fields;
          if (typeof f.test !== 'string') return textInstant(c, ts);
          const name = `${String(f.suite)}:${f.test}`;
          const key = tl.name(name);
          if (f.verdict === 'START') tl.laneBegin(tests(), 'tests', ts, key, key, argsOf(c, r));
          else tl.laneEnd(tests(), 'tests', ts, key, tl.name(`${name} ${String(f.verdict)}`), argsOf(c, r));
        };
      case 'SCHED_SWITCH':
      case 'CONTEXT_SWITCH':
        return (c, ts) => {
          const r = c.record();
          const f = r.fields;
          const g = groups.of(c.cpu);
          const tasks = track(g, 'tasks', 'running task');
          const next = String(f.next_comm ?? f.next_task ?? '?');
          const nextPid = Number(f.next_pid ?? 0);
          const cur = running[c.cpu < 0 ? 0 : c.cpu];
          if (cur !== undefined) tl.end(tasks, ts, cur, tl.name('task'));
          const key = tl.name(`${next} ${nextPid}`);
          running[c.cpu < 0 ? 0 : c.cpu] = key;
          tl.begin(tasks, ts, key, key, argsOf(c, r));
        };
      case 'FUNC_LEAF':
        return (c, ts) => {
          const r = c.record();
          const f = r.fields;
          const dur = typeof f.duration_us === 'number' ? f.duration_us : c.aux;
          tl.complete(track(groups.of(c.cpu), 'functions', 'function calls'), ts, Number.isFinite(dur) ? Math.round(dur * 1000) : 0, tl.name(String(f.function ?? '?')), argsOf(c, r));
        };
      case 'INTERRUPT':
      case 'EXCEPTION':
        return (c, ts) => {
          const r = c.record();
          const name = tl.name(exceptionName(type, r.fields));
          // PSCI calls are served by QEMU itself and never return through the guest's vectors: no slice to close.
          if (!opts.exceptionReturns || r.fields.psci === true) return tl.instant(events(groups.of(c.cpu)), ts, name, argsOf(c, r));
          lastExceptionCpu = c.cpu;
          tl.begin(track(groups.of(c.cpu), 'exceptions'), ts, name, 0, argsOf(c, r));
        };
      case 'EXCEPTION_RETURN':
        // QEMU prints no CPU on Arm's "Exception return" line: it belongs to the CPU that took the last exception
        // (TCG runs one vCPU at a time, so that is right unless another vCPU ran in between without an exception).
        return (c, ts) => tl.end(track(groups.of(c.cpu >= 0 ? c.cpu : lastExceptionCpu), 'exceptions'), ts, 0, tl.name('exception return'), argsOf(c, c.record()));
    }
    const p = pairs[t];
    if (p) {
      const fam = p.family === 'FUNC' ? 'functions' : p.family.toLowerCase();
      return (c, ts) => {
        const r = c.record();
        const f = r.fields;
        const tr = track(groups.of(c.cpu), fam, fam === 'functions' ? 'function calls' : fam.replace(/_/g, ' '));
        // Calls pair by function name; other families by their id field (irq, vector), else innermost first.
        const key = fam === 'functions' ? tl.name(String(f.function ?? '?')) : keyOf(f);
        if (p.begin) tl.begin(tr, ts, fam === 'functions' ? key : tl.name(pairName(p.family, f)), key, argsOf(c, r));
        else tl.end(tr, ts, key, fam === 'functions' ? key : tl.name(type), argsOf(c, r));
      };
    }
    return textInstant;
  });

  return {
    event: (c, ts) => handlers[c.type](c, ts),
    skipped: () => [...skipped].map(([why, n]) => `${n} ${why} were left out`),
  };
}
