import type { EventCursor } from '../model/source.js';
import { breenixId, breenixPayload, breenixTraceType } from './breenix.js';
import { eventEvidence, num, plural } from './evidence.js';
import { fmtDuration } from './stats.js';
import type { LineText } from './text.js';
import type { Analysis, AnalysisInstance, Evidence, FindingDraft, Interest, SourceMeta } from './types.js';

/** A lock still held this many events before the end is not just caught mid-critical-section by the trace's end. */
export const LOCK_HELD_MIN_EVENTS = 1000;
/** …or held this long (seconds of trace time, when the trace has time). */
export const LOCK_HELD_MIN_S = 1;
/** Locks reported per input at most. */
export const LOCK_MAX_FINDINGS = 8;

interface LockState {
  name: string;
  /** Acquires minus releases. */
  depth: number;
  acquireIndex: number;
  acquireTs: number;
  cpu: number;
  /** Attempts by another CPU (or contention events) while held: someone was waiting. */
  waiters: number[];
  unbalancedReleases: number;
}

// lockdep's tracepoints (include/trace/events/lock.h): `lock_acquire: <ptr> [try ][read ]<name>`, `lock_release: <ptr> <name>`, `lock_contended: <ptr> <name>`;
// and the always-on contention ones (5.19+, no lockdep): `contention_begin: <ptr> (flags=WRITE|PERCPU)`, `contention_end: <ptr> (ret=0)`.
const FTRACE_LOCK = ['lock_acquire: ', 'lock_release: ', 'lock_contended: ', 'contention_begin: ', 'contention_end: '];
const LOCK_LINE = /lock_(acquire|release|contended): (\S+) (?:try )?(?:read )?(.*)$/;
const CONTENTION_LINE = /^\s*(.*?)-(\d+)\s+(?:\(\s*[-\d]+\)\s+)?\[(\d+)\].*? contention_(begin|end): (\S+) \((?:flags|ret)=([^)]*)\)/;

/** A contention_begin not (yet) followed by its contention_end: a task waiting on a lock. */
interface Wait {
  lock: string;
  task: string;
  pid: number;
  cpu: number;
  flags: string;
  index: number;
  ts: number;
}

/**
 * Locks acquired and never released by the end of the trace, per lock and
 * CPU, with the waiters that piled up behind them: the deadlock of
 * seeds/000 ("a spinlock is held across a path that never returns"). Reads
 * Breenix LOCK_ACQUIRE/LOCK_RELEASE/LOCK_CONTEND trace events and Linux
 * ftrace lock:lock_acquire/lock_release/lock_contended lines. Also the
 * always-on lock:contention_begin/contention_end (no lockdep needed): paired
 * per (lock, pid), a begin with no end long before the trace's end is a task
 * still blocked on that lock (LOCK_WAIT_AT_END), e.g. a writer on a frozen
 * filesystem in percpu_rwsem_wait.
 */
export const locks: Analysis = {
  id: 'locks',
  title: 'locks acquired and never released',
  create(): AnalysisInstance {
    let meta: SourceMeta;
    let mode: 'breenix' | 'ftrace' | 'off' = 'off';
    let tTrace = -1;
    let tTracepoint = -1;
    let idAcq = -1;
    let idRel = -1;
    let idCont = -1;
    let wLock = 0;
    const byLock = new Map<string, LockState>();
    /** Open waits by `lock/pid` (pid 0, the idle tasks, also by CPU). */
    const waits = new Map<string, Wait>();
    /** contention_begin / contention_end counts per lock. */
    const contention = new Map<string, { begin: number; end: number }>();

    const state = (key: string, name: string): LockState => {
      let s = byLock.get(key);
      if (!s) byLock.set(key, (s = { name, depth: 0, acquireIndex: -1, acquireTs: NaN, cpu: -1, waiters: [], unbalancedReleases: 0 }));
      return s;
    };

    // The trace's last event: the last Breenix trace event (the console around a dump goes on), else the input's last event.
    let lastTrace = -1;
    let lastTraceTs = NaN;

    const acquire = (s: LockState, c: EventCursor) => {
      // Ring dumps print one CPU after another: only a later timestamp makes another CPU's attempt a waiter.
      const later = !(c.ts === c.ts && s.acquireTs === s.acquireTs) || c.ts >= s.acquireTs;
      if (s.depth > 0 && c.cpu !== s.cpu && later) {
        // Another CPU asks for a lock that is held: it waits (spinlocks log the attempt).
        if (s.waiters.length < 4) s.waiters.push(c.index);
        return;
      }
      if (s.depth === 0) {
        s.acquireIndex = c.index;
        s.acquireTs = c.ts;
        s.cpu = c.cpu;
      }
      s.depth++;
    };
    const release = (s: LockState) => {
      if (s.depth === 0) s.unbalancedReleases++;
      else s.depth--;
    };

    return {
      begin(m: SourceMeta): Interest {
        meta = m;
        tTrace = breenixTraceType(m);
        if (tTrace >= 0) {
          mode = 'breenix';
          idAcq = breenixId('LOCK_ACQUIRE');
          idRel = breenixId('LOCK_RELEASE');
          idCont = breenixId('LOCK_CONTEND');
          return [tTrace];
        }
        if (m.format === 'ftrace-text' && m.text) {
          tTracepoint = m.typeNames.indexOf('TRACEPOINT');
          if (tTracepoint < 0 || !(m.summary.types.TRACEPOINT > 0)) return 'none';
          mode = 'ftrace';
          wLock = m.text.watch(FTRACE_LOCK);
          return [tTracepoint];
        }
        return 'none';
      },
      onEvent(c) {
        if (mode === 'breenix') {
          lastTrace = c.index;
          if (c.ts === c.ts) lastTraceTs = c.ts;
          const id = c.aux;
          if (id !== idAcq && id !== idRel && id !== idCont) return;
          const lockId = breenixPayload(meta, c);
          const s = state(String(lockId), `lock_id ${lockId}`);
          if (id === idAcq) acquire(s, c);
          else if (id === idRel) release(s);
          else if (s.depth > 0 && s.waiters.length < 4) s.waiters.push(c.index);
          return;
        }
        if (mode === 'ftrace' && c.type === tTracepoint) {
          const t = meta.text as LineText;
          if (!t.seek(c.line, c.offset) || t.firstHit(wLock, FTRACE_LOCK.length) < 0) return;
          const line = t.text();
          const w = CONTENTION_LINE.exec(line);
          if (w) {
            const [, task, pidText, cpuText, kind, lock, flags] = w;
            const pid = Number(pidText);
            const key = pid === 0 ? `${lock}/0/${cpuText}` : `${lock}/${pid}`;
            let n = contention.get(lock);
            if (!n) contention.set(lock, (n = { begin: 0, end: 0 }));
            if (kind === 'begin') {
              n.begin++;
              waits.set(key, { lock, task, pid, cpu: Number(cpuText), flags, index: c.index, ts: c.ts });
            } else {
              n.end++;
              waits.delete(key);
            }
            return;
          }
          const m = LOCK_LINE.exec(line);
          if (!m) return;
          const s = state(m[2], m[3] || m[2]);
          if (m[1] === 'acquire') acquire(s, c);
          else if (m[1] === 'release') release(s);
          else if (s.depth > 0 && s.waiters.length < 4) s.waiters.push(c.index);
        }
      },
      end() {},
      findings(): FindingDraft[] {
        const out: FindingDraft[] = [];
        // The trace's end: its last event, read once.
        const lastIndex = mode === 'breenix' ? lastTrace : meta.count - 1;
        let lastTs = mode === 'breenix' ? lastTraceTs : NaN;
        const held = [...byLock.values()].filter((s) => s.depth > 0).sort((a, b) => b.waiters.length - a.waiters.length || a.acquireIndex - b.acquireIndex);
        if ((held.length || waits.size) && mode !== 'breenix') {
          try {
            lastTs = meta.event(lastIndex).ts ?? NaN;
          } catch {
            lastTs = NaN;
          }
        }
        for (const s of held) {
          const since = lastIndex - s.acquireIndex;
          const secs = s.acquireTs === s.acquireTs && lastTs === lastTs ? lastTs - s.acquireTs : NaN;
          const long = since >= LOCK_HELD_MIN_EVENTS || (meta.tsUnit === 's' && secs >= LOCK_HELD_MIN_S);
          if (!s.waiters.length && !long) continue;
          const ev: Evidence[] = [eventEvidence(meta, s.acquireIndex), ...s.waiters.map((i) => eventEvidence(meta, i))];
          if (lastIndex !== s.acquireIndex) ev.push(eventEvidence(meta, lastIndex));
          const heldFor = secs === secs && meta.tsUnit ? `, ${fmtDuration(secs, meta.tsUnit)}` : '';
          out.push({
            code: 'LOCK_HELD_AT_END',
            severity: s.waiters.length ? 'error' : 'warning',
            title: `lock acquired and never released: ${s.name}`,
            detail: `${s.name} was acquired on CPU ${s.cpu} at event ${num(s.acquireIndex)} (depth ${s.depth}) and is still held when the trace ends ${plural(since, 'event')} later${heldFor}.${s.waiters.length ? ` ${plural(s.waiters.length, 'attempt')} from other CPUs (or contention events) came after it: they wait on it, a deadlock if it is never released.` : ''}`,
            evidence: ev,
            hint: 'Find the path from the acquire that leaves without releasing: a function that never returns while holding it (a jump to user space, a scheduler switch), an early return, or a guard kept alive too long (seeds/000: drop the ext2 guard before ERET).',
            data: { lock: s.name, cpu: s.cpu, depth: s.depth, acquire_index: s.acquireIndex, events_since: since, seconds_since: secs === secs ? secs : null, waiters: s.waiters, unbalanced_releases: s.unbalancedReleases },
          });
          if (out.length >= LOCK_MAX_FINDINGS) break;
        }
        // Waiters still blocked when the trace ends: a contention_begin with no contention_end.
        for (const w of [...waits.values()].sort((a, b) => a.index - b.index)) {
          if (out.length >= LOCK_MAX_FINDINGS) break;
          const since = lastIndex - w.index;
          const secs = w.ts === w.ts && lastTs === lastTs ? lastTs - w.ts : NaN;
          if (!(since >= LOCK_HELD_MIN_EVENTS || secs >= LOCK_HELD_MIN_S)) continue;
          const n = contention.get(w.lock) ?? { begin: 0, end: 0 };
          const ev: Evidence[] = [eventEvidence(meta, w.index)];
          if (lastIndex !== w.index) ev.push(eventEvidence(meta, lastIndex));
          const waited = secs === secs ? `, ${fmtDuration(secs, 's')}` : '';
          out.push({
            code: 'LOCK_WAIT_AT_END',
            severity: 'error',
            title: `task still waiting on a lock at the end of the trace: ${w.task}-${w.pid} on ${w.lock}`,
            detail: `${w.task}-${w.pid} began waiting on lock ${w.lock} (flags=${w.flags}) on CPU ${w.cpu} at ${w.ts === w.ts ? `${w.ts.toFixed(6)} s, ` : ''}event ${num(w.index)}, and no contention_end for it follows: it is still blocked when the trace ends ${plural(since, 'event')} later${waited}. The lock saw ${plural(n.begin, 'contention_begin')} and ${plural(n.end, 'contention_end')}.`,
            evidence: ev,
            hint: 'Find who holds the lock and why it is not released: a frozen filesystem (flags=READ|PERCPU is a percpu rwsem such as sb_start_write), a holder blocked on I/O or on another lock, or a deadlock. The hung-task detector reports the same waiter after hung_task_timeout_secs.',
            data: { lock: w.lock, task: w.task, pid: w.pid, cpu: w.cpu, flags: w.flags, begin_index: w.index, begin_ts: w.ts === w.ts ? w.ts : null, events_since: since, seconds_since: secs === secs ? secs : null, contention_begin: n.begin, contention_end: n.end },
          });
        }
        return out;
      },
    };
  },
};
