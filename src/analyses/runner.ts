import type { EventRecord } from '../model/event.js';
import type { EventCursor, EventSource } from '../model/source.js';
import type { Analysis, AnalysisConfig, AnalysisInstance, Finding, FindingDraft, Interest, SourceMeta } from './types.js';

/**
 * Orders analyses so each comes after everything it `needs` (depth-first,
 * keeping the given order otherwise). Throws naming the path on a cycle or
 * an unknown id: that is a registry bug, not a user error.
 */
export function orderByNeeds(all: readonly Analysis[]): Analysis[] {
  const byId = new Map(all.map((a) => [a.id, a]));
  const out: Analysis[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (a: Analysis, path: string[]) => {
    const s = state.get(a.id);
    if (s === 'done') return;
    if (s === 'visiting') throw new Error(`analysis dependency cycle: ${[...path, a.id].join(' -> ')}`);
    state.set(a.id, 'visiting');
    for (const d of a.needs ?? []) {
      const dep = byId.get(d);
      if (!dep) throw new Error(`analysis ${a.id} needs unknown analysis ${d}`);
      visit(dep, [...path, a.id]);
    }
    state.set(a.id, 'done');
    out.push(a);
  };
  for (const a of all) visit(a, []);
  return out;
}

/** How the pass went, for benchmarks and `--debug`. */
export interface RunStats {
  /** `scan`: every event through one cursor; `sparse`: only subscribed types, from their postings; `none`: nobody wanted events. */
  path: 'scan' | 'sparse' | 'none';
  events: number;
  ms: number;
}

export interface RunResult {
  findings: Finding[];
  stats: RunStats;
}

/** Event batch read per type on the sparse path. */
const SPARSE_BATCH = 4096;
/**
 * The sparse path is taken when the subscribed types hold at most this
 * share of a stream's events: a TII scan decodes every word (~30 ns per
 * event), while its postings reach a sparse type's events directly.
 */
export const SPARSE_MAX_SHARE = 0.01;
/** Formats whose scan costs enough per event that the sparse path pays. */
const SPARSE_FORMATS: ReadonlySet<string> = new Set(['tii-ftrace', 'tii-console']);

interface Slot {
  analysis: Analysis;
  inst: AnalysisInstance | null;
  failed: { stage: string; error: unknown; index?: number } | null;
  output: unknown;
}

function failure(slot: Slot, meta: SourceMeta): Finding {
  const f = slot.failed!;
  const e = f.error;
  const msg = e instanceof Error ? e.message : String(e);
  const at = f.index !== undefined ? ` at event ${f.index}` : '';
  return {
    id: slot.analysis.id,
    code: 'ANALYSIS_FAILED',
    severity: 'warning',
    title: `analysis ${slot.analysis.id} failed`,
    detail: `${slot.analysis.title}: ${f.stage}${at} threw: ${msg}. Its findings for this input are missing; the other analyses ran normally.`,
    evidence: [],
    hint: 'This is a kscope bug, not a finding about your kernel: re-run with --debug and report it with the input if you can.',
    data: { stage: f.stage, error: msg, ...(f.index !== undefined ? { index: f.index } : {}), ...(e instanceof Error && e.stack ? { stack: e.stack.split('\n').slice(0, 6).join('\n') } : {}) },
    source: meta.name,
  };
}

function complete(d: FindingDraft, id: string, source: string): Finding {
  return { id, code: d.code, severity: d.severity, title: d.title, detail: d.detail, evidence: d.evidence, hint: d.hint, data: d.data ?? {}, source };
}

/** A cursor over decoded records, for sources without `scan` and for the sparse path. */
function recordCursor(typeIds: Map<string, number>): EventCursor & { set(e: EventRecord): void } {
  let rec: EventRecord | null = null;
  const c = {
    index: 0, type: 0, ts: NaN, cpu: -1, vmid: -1, line: 0, offset: -1, aux: NaN,
    record: () => rec as EventRecord,
    set(e: EventRecord) {
      rec = e;
      c.index = e.index;
      c.type = typeIds.get(e.type) ?? 0;
      c.ts = e.ts ?? NaN;
      c.cpu = e.cpu ?? -1;
      c.vmid = e.vmid ?? -1;
      c.line = e.line ?? 0;
      c.offset = e.offset ?? -1;
      c.aux = NaN;
    },
  };
  return c;
}

/**
 * Every event of the given types in index order, read type by type from the
 * source's filter (postings) in batches and merged: the pass then costs in
 * proportion to the events the analyses asked for, not to the stream.
 */
function sparsePass(source: EventSource, types: readonly number[], visit: (c: EventCursor) => void): number {
  const typeIds = new Map(source.typeNames.map((n, i) => [n, i]));
  const cur = recordCursor(typeIds);
  const queues = types.map((t) => ({ name: source.typeNames[t], buf: [] as EventRecord[], pos: 0, from: 0, done: false }));
  const fill = (q: (typeof queues)[number]) => {
    q.buf = [];
    q.pos = 0;
    source.filter(q.name, q.from, SPARSE_BATCH, (e) => void q.buf.push(e));
    if (q.buf.length < SPARSE_BATCH) q.done = true;
    if (q.buf.length) q.from = q.buf[q.buf.length - 1].index + 1;
  };
  for (const q of queues) fill(q);
  let n = 0;
  for (;;) {
    let best = -1;
    for (let k = 0; k < queues.length; k++) {
      const q = queues[k];
      if (q.pos >= q.buf.length) {
        if (q.done) continue;
        fill(q);
        if (q.pos >= q.buf.length) continue;
      }
      if (best < 0 || q.buf[q.pos].index < queues[best].buf[queues[best].pos].index) best = k;
    }
    if (best < 0) return n;
    const q = queues[best];
    cur.set(q.buf[q.pos++]);
    visit(cur);
    n++;
  }
}

/** Every event through a cursor: the source's own scan, or decoded batches when it has none. */
export function fullPass(source: EventSource, visit: (c: EventCursor) => void): number {
  let n = 0;
  if (source.scan) {
    source.scan((c) => {
      n++;
      visit(c);
    });
    return n;
  }
  const cur = recordCursor(new Map(source.typeNames.map((name, i) => [name, i])));
  for (let from = 0; from < source.count; from += SPARSE_BATCH) {
    for (const e of source.events(from, SPARSE_BATCH)) {
      cur.set(e);
      visit(cur);
      n++;
    }
  }
  return n;
}

/**
 * Runs analyses over one source in ONE pass (the Chrome DevTools handler
 * model): each analysis says in `begin` which event types it wants, every
 * event goes to exactly the analyses that asked for its type, then each
 * `end` runs after the `end` of what it needs. An analysis that throws is
 * dropped from the rest of the pass and becomes one ANALYSIS_FAILED finding;
 * the others carry on. `selected` limits which analyses report (the ones
 * they need still run, silently).
 */
export function runAnalyses(
  source: EventSource,
  meta: SourceMeta,
  analyses: readonly Analysis[],
  config: AnalysisConfig,
  selected: ReadonlySet<string> | null = null,
): RunResult {
  const t0 = performance.now();
  const byId = new Map(analyses.map((a) => [a.id, a]));
  // What runs: the selection plus everything it needs, transitively.
  const wanted = new Set<string>();
  const want = (id: string) => {
    if (wanted.has(id)) return;
    wanted.add(id);
    for (const d of byId.get(id)?.needs ?? []) want(d);
  };
  for (const a of analyses) if (!selected || selected.has(a.id)) want(a.id);
  const order = orderByNeeds(analyses.filter((a) => wanted.has(a.id)));

  const slots: Slot[] = order.map((analysis) => ({ analysis, inst: null, failed: null, output: undefined }));
  const interests: Interest[] = [];
  for (const s of slots) {
    let interest: Interest = 'none';
    try {
      s.inst = s.analysis.create(config);
      interest = s.inst.begin(meta);
    } catch (error) {
      s.failed = { stage: s.inst ? 'begin' : 'create', error };
    }
    interests.push(s.failed ? 'none' : interest);
  }

  // Per type id, the slots that asked for it, in run order.
  const nTypes = meta.typeNames.length;
  const byType: number[][] = Array.from({ length: nTypes }, () => []);
  const anyAll = interests.some((i) => i === 'all');
  const subscribed = new Set<number>();
  interests.forEach((interest, k) => {
    if (interest === 'none') return;
    const types = interest === 'all' ? [...byType.keys()] : interest;
    for (const t of types) {
      if (t < 0 || t >= nTypes) continue;
      byType[t].push(k);
      subscribed.add(t);
    }
  });
  const insts = slots.map((s) => s.inst);
  const visit = (c: EventCursor) => {
    const list = byType[c.type];
    if (list === undefined) return;
    for (let k = 0; k < list.length; k++) {
      const i = list[k];
      const inst = insts[i];
      if (inst === null) continue;
      try {
        inst.onEvent(c);
      } catch (error) {
        slots[i].failed = { stage: 'onEvent', error, index: c.index };
        insts[i] = null;
      }
    }
  };

  let path: RunStats['path'] = 'none';
  let events = 0;
  if (subscribed.size > 0 && meta.count > 0) {
    const counts = meta.summary.types;
    const want = [...subscribed].sort((a, b) => a - b);
    const wantedEvents = want.reduce((n, t) => n + (counts[meta.typeNames[t]] ?? 0), 0);
    if (!anyAll && SPARSE_FORMATS.has(meta.format) && wantedEvents <= meta.count * SPARSE_MAX_SHARE) {
      path = 'sparse';
      events = sparsePass(source, want.filter((t) => (counts[meta.typeNames[t]] ?? 0) > 0), visit);
    } else {
      path = 'scan';
      events = fullPass(source, visit);
    }
  }

  const outputs = new Map<string, unknown>();
  for (const s of slots) {
    if (s.failed || !s.inst) continue;
    try {
      s.inst.end(new Map((s.analysis.needs ?? []).filter((d) => outputs.has(d)).map((d) => [d, outputs.get(d)])));
      if (s.inst.output) outputs.set(s.analysis.id, s.inst.output());
    } catch (error) {
      s.failed = { stage: 'end', error };
    }
  }

  const findings: Finding[] = [];
  for (const s of slots) {
    if (selected && !selected.has(s.analysis.id)) continue;
    if (!s.failed && s.inst) {
      try {
        for (const d of s.inst.findings()) findings.push(complete(d, s.analysis.id, meta.name));
      } catch (error) {
        s.failed = { stage: 'findings', error };
      }
    }
    if (s.failed) findings.push(failure(s, meta));
  }
  return { findings, stats: { path, events, ms: performance.now() - t0 } };
}
