/**
 * Run comparison: two runs side by side (first difference, where they part
 * for good, type counts, entries and crashes only one has), and many runs
 * split red/green (entries every red run has and no green run has).
 */
import { extractCrashes, type CrashRecord } from '../crashes/index.js';
import { align, hunksOf, type Hunk } from './align.js';
import { cleanLine, severityOf } from './normalize.js';
import { checkSameKind, Interner, linesOf, probeRun, readRun, type ReadOptions, type Run, type RunInfo } from './runs.js';

/** After the divergence point the runs never again agree on this many consecutive entries. */
export const SYNC_ENTRIES = 8;
/** Entries shown on each side of a difference. */
export const SHOW_ENTRIES = 5;
/** Positions kept per entry and run in "only in" and red-only lists. */
export const MAX_POSITIONS = 5;
export const DEFAULT_LIMIT = 50;

/** One position in a run: `line` (1-based) for text runs, `index` (0-based) for event streams, and what is there. */
export interface Shown {
  line?: number;
  index?: number;
  text: string;
}

export interface Side {
  /** Where the difference starts in this run (line or index); absent when this side has nothing there. */
  line?: number;
  index?: number;
  /** The entries of this side's part of the change (up to SHOW_ENTRIES). */
  entries: Shown[];
  /** Entries in this side's part of the change. */
  count: number;
}

export interface Difference {
  a: Side;
  b: Side;
  /** The last entry both runs agree on before the difference, when there is one. */
  last_common: { a: Shown; b: Shown } | null;
}

export interface OnlyIn {
  /** Normalized (masked) form: what was compared. */
  text: string;
  /** As it first appears in the run (cleaned, unmasked). */
  example: string;
  count: number;
  /** First positions (line numbers or event indexes), at most MAX_POSITIONS. */
  at: number[];
  severity: number;
}

export interface TypeCount {
  type: string;
  a: number;
  b: number;
  delta: number;
}

export interface CrashRef {
  title: string;
  kind: string;
  line: number;
  end_line: number;
}

export interface DiffResult {
  a: RunInfo;
  b: RunInfo;
  identical: boolean;
  /** Entries the alignment matched, and changes between them. */
  matched: number;
  hunks: number;
  /** Changes that only move entries (each stands unaligned in another change of the other run); skipped by first_difference and divergence. */
  reordered: number;
  /** The first change that is not a reordering; null when the runs differ only in order (or not at all). */
  first_difference: Difference | null;
  /** Where the runs part for good: no SYNC_ENTRIES consecutive entries agree after it. Null when they end in agreement. */
  divergence: Difference | null;
  sync_entries: number;
  type_counts: TypeCount[];
  only_in_a: { total: number; entries: OnlyIn[] };
  only_in_b: { total: number; entries: OnlyIn[] };
  /** Crash titles only one run has (text runs; null for event streams). */
  crashes: { only_in_a: CrashRef[]; only_in_b: CrashRef[]; in_both: string[] } | null;
}

export interface DiffOptions extends ReadOptions {
  /** Entries listed per "only in" side (the totals count them all). */
  limit?: number;
}

function posKey(run: Run): 'line' | 'index' {
  return run.info.unit === 'line' ? 'line' : 'index';
}

/** Shows original entries of a run by position, reading a text file once for all of them. */
class Shower {
  private readonly text = new Map<number, string>();
  private readonly wanted = new Set<number>();
  constructor(private readonly run: Run) {}
  want(pos: number): void {
    this.wanted.add(pos);
  }
  load(): void {
    if (this.run.info.unit === 'line') {
      for (const [k, v] of linesOf(this.run.plain, this.wanted, cleanLine)) this.text.set(k, v);
    } else {
      for (const n of this.wanted) this.text.set(n, this.run.source.event(n).text);
    }
  }
  shown(pos: number): Shown {
    const s: Shown = { text: this.text.get(pos) ?? '' };
    s[posKey(this.run)] = pos;
    return s;
  }
}

function sideOf(run: Run, sh: Shower, from: number, to: number): Side {
  const side: Side = { entries: [], count: to - from };
  if (from < run.ids.length) side[posKey(run)] = run.pos[from];
  for (let k = from; k < Math.min(to, from + SHOW_ENTRIES); k++) side.entries.push(sh.shown(run.pos[k]));
  return side;
}

function want(run: Run, sh: Shower, from: number, to: number): void {
  for (let k = from; k < Math.min(to, from + SHOW_ENTRIES); k++) sh.want(run.pos[k]);
}

/** Which normalized entries a run holds at all. */
function presence(run: Run, ids: number): Uint8Array {
  const has = new Uint8Array(ids);
  for (let k = 0; k < run.ids.length; k++) has[run.ids[k]] = 1;
  return has;
}

/** How often each entry stands unaligned (inside some change) in a run. */
function unaligned(run: Run, hunks: Hunk[], side: 'a' | 'b', ids: number): Int32Array {
  const n = new Int32Array(ids);
  for (const h of hunks) {
    const [from, to] = side === 'a' ? [h.a0, h.a1] : [h.b0, h.b1];
    for (let k = from; k < to; k++) n[run.ids[k]]++;
  }
  return n;
}

/**
 * A change that only moves entries: each entry on either side of it stands
 * unaligned in another change of the other run. Parallel boot tests and SMP
 * output reorder lines from run to run; that is not where two runs differ.
 * (An entry replaced by another that merely exists elsewhere is a real change.)
 */
function isReorder(h: Hunk, a: Run, b: Run, freeA: Int32Array, freeB: Int32Array): boolean {
  const here = new Map<number, number>();
  for (let k = h.b0; k < h.b1; k++) here.set(b.ids[k], (here.get(b.ids[k]) ?? 0) + 1);
  for (let k = h.a0; k < h.a1; k++) if (freeB[a.ids[k]] - (here.get(a.ids[k]) ?? 0) <= 0) return false;
  here.clear();
  for (let k = h.a0; k < h.a1; k++) here.set(a.ids[k], (here.get(a.ids[k]) ?? 0) + 1);
  for (let k = h.b0; k < h.b1; k++) if (freeA[b.ids[k]] - (here.get(b.ids[k]) ?? 0) <= 0) return false;
  return true;
}

/**
 * Where the runs part for good: the first real change after the last
 * stretch of SYNC_ENTRIES entries of A without one (reorderings count as
 * agreement). Null when the runs end on such a stretch.
 */
function divergenceHunk(real: Hunk[], lenA: number): Hunk | null {
  if (real.length === 0) return null;
  let after = 0;
  for (let k = 0; k <= real.length; k++) {
    const start = k === 0 ? 0 : real[k - 1].a1;
    const end = k < real.length ? real[k].a0 : lenA;
    if (end - start >= SYNC_ENTRIES) after = k;
  }
  return after < real.length ? real[after] : null;
}

function typeCounts(a: RunInfo, b: RunInfo): TypeCount[] {
  const names = new Set([...Object.keys(a.types), ...Object.keys(b.types)]);
  const out: TypeCount[] = [];
  for (const type of names) {
    const x = a.types[type] ?? 0;
    const y = b.types[type] ?? 0;
    if (x !== y) out.push({ type, a: x, b: y, delta: y - x });
  }
  return out.sort((p, q) => Math.abs(q.delta) - Math.abs(p.delta) || p.type.localeCompare(q.type));
}

function crashRef(c: CrashRecord): CrashRef {
  return { title: c.title, kind: c.kind, line: c.line, end_line: c.end_line };
}

function crashDiff(a: Run, b: Run): DiffResult['crashes'] {
  if (a.info.unit !== 'line') return null;
  const ca = extractCrashes(a.plain).crashes;
  const cb = extractCrashes(b.plain).crashes;
  const ta = new Set(ca.map((c) => c.title));
  const tb = new Set(cb.map((c) => c.title));
  const firstOf = (list: CrashRecord[], other: Set<string>) => {
    const seen = new Set<string>();
    const out: CrashRef[] = [];
    for (const c of list) {
      if (other.has(c.title) || seen.has(c.title)) continue;
      seen.add(c.title);
      out.push(crashRef(c));
    }
    return out;
  };
  return { only_in_a: firstOf(ca, tb), only_in_b: firstOf(cb, ta), in_both: [...ta].filter((t) => tb.has(t)) };
}

/** `kscope diff A B`: two runs of the same kind compared entry by entry. */
export async function diffRuns(pathA: string, pathB: string, opts: DiffOptions = {}): Promise<DiffResult> {
  const probes: Awaited<ReturnType<typeof probeRun>>[] = [];
  try {
    probes.push(await probeRun(pathA, opts));
    probes.push(await probeRun(pathB, opts));
    checkSameKind(probes.map((p) => p.info));
    const interner = new Interner();
    const a = readRun(probes[0], interner, opts);
    const b = readRun(probes[1], interner, opts);
    return compareTwo(a, b, interner, opts);
  } finally {
    for (const p of probes) p.source.close();
  }
}

function compareTwo(a: Run, b: Run, interner: Interner, opts: DiffOptions): DiffResult {
  const limit = opts.limit ?? DEFAULT_LIMIT;
  const al = align(a.ids, b.ids, interner.size);
  const hunks = hunksOf(al, a.ids.length, b.ids.length);
  const inA = presence(a, interner.size);
  const inB = presence(b, interner.size);
  const freeA = unaligned(a, hunks, 'a', interner.size);
  const freeB = unaligned(b, hunks, 'b', interner.size);
  const real = hunks.filter((h) => !isReorder(h, a, b, freeA, freeB));
  const sa = new Shower(a);
  const sb = new Shower(b);
  const first = real[0] ?? null;
  const div = divergenceHunk(real, a.ids.length);
  for (const h of [first, div]) {
    if (!h) continue;
    want(a, sa, h.a0, h.a1);
    want(b, sb, h.b0, h.b1);
    if (h.a0 > 0 && h.b0 > 0) {
      sa.want(a.pos[h.a0 - 1]);
      sb.want(b.pos[h.b0 - 1]);
    }
  }
  const oa = collectOnly(a, inB, interner, limit, sa);
  const ob = collectOnly(b, inA, interner, limit, sb);
  sa.load();
  sb.load();
  const difference = (h: Hunk | null): Difference | null =>
    h && {
      a: sideOf(a, sa, h.a0, h.a1),
      b: sideOf(b, sb, h.b0, h.b1),
      last_common: h.a0 > 0 && h.b0 > 0 ? { a: sa.shown(a.pos[h.a0 - 1]), b: sb.shown(b.pos[h.b0 - 1]) } : null,
    };
  return {
    a: a.info,
    b: b.info,
    identical: hunks.length === 0,
    matched: al.a.length,
    hunks: hunks.length,
    reordered: hunks.length - real.length,
    first_difference: difference(first),
    divergence: difference(div),
    sync_entries: SYNC_ENTRIES,
    type_counts: typeCounts(a.info, b.info),
    only_in_a: oa.finish(sa),
    only_in_b: ob.finish(sb),
    crashes: crashDiff(a, b),
  };
}

/**
 * Entries of `run` the other run never has: the most severe first (a fault
 * matters more than a changed banner), then in order of first appearance.
 * Texts are filled in after the shower loads.
 */
function collectOnly(run: Run, inOther: Uint8Array, interner: Interner, limit: number, sh: Shower): { finish(sh: Shower): { total: number; entries: OnlyIn[] } } {
  const slotOf = new Int32Array(interner.size).fill(-1);
  const order: number[] = [];
  const counts: number[] = [];
  const at: number[][] = [];
  for (let k = 0; k < run.ids.length; k++) {
    const id = run.ids[k];
    if (inOther[id]) continue;
    let slot = slotOf[id];
    if (slot < 0) {
      slot = slotOf[id] = order.length;
      order.push(id);
      counts.push(0);
      at.push([]);
    }
    counts[slot]++;
    if (at[slot].length < MAX_POSITIONS) at[slot].push(run.pos[k]);
  }
  const sev = order.map((id) => severityOf(interner.texts[id]));
  const ranked = order.map((_, s) => s).sort((p, q) => sev[q] - sev[p] || p - q).slice(0, limit);
  for (const s of ranked) sh.want(at[s][0]);
  return {
    finish(shower) {
      const entries = ranked.map((s) => ({ text: interner.texts[order[s]], example: shower.shown(at[s][0]).text, count: counts[s], at: at[s], severity: sev[s] }));
      return { total: order.length, entries };
    },
  };
}

// ------------------------------------------------------------------ red / green

export interface RedHit {
  path: string;
  count: number;
  /** First positions (line numbers or event indexes) in this red run. */
  at: number[];
}

export interface RedOnly {
  text: string;
  /** As it first appears in the first red run. */
  example: string;
  severity: number;
  red: RedHit[];
}

export interface RedGreenResult {
  red: RunInfo[];
  green: RunInfo[];
  unit: 'line' | 'event';
  /** Normalized entries in every red run and in no green run. */
  total: number;
  /** The `limit` best, ranked: severity of the wording first, then how early they appear (causes come before consequences). */
  entries: RedOnly[];
  /** Crash titles in every red run and no green run. */
  crashes: { title: string; kind: string; red: { path: string; line: number }[] }[] | null;
}

/** `kscope diff --red … --green …`: what every red run shows and no green run does. */
export async function redGreen(reds: string[], greens: string[], opts: DiffOptions = {}): Promise<RedGreenResult> {
  const probes: Awaited<ReturnType<typeof probeRun>>[] = [];
  try {
    for (const p of [...reds, ...greens]) probes.push(await probeRun(p, opts));
    checkSameKind(probes.map((p) => p.info));
    const interner = new Interner();
    const runs = probes.map((p) => readRun(p, interner, opts));
    return redGreenOf(runs.slice(0, reds.length), runs.slice(reds.length), interner, opts.limit ?? DEFAULT_LIMIT);
  } finally {
    for (const p of probes) p.source.close();
  }
}

function redGreenOf(reds: Run[], greens: Run[], interner: Interner, limit: number): RedGreenResult {
  const n = interner.size;
  // How many red runs hold each entry (counted once per run), and whether any green run does.
  const inRed = new Int32Array(n);
  const lastRun = new Int32Array(n).fill(-1);
  reds.forEach((r, k) => {
    for (let i = 0; i < r.ids.length; i++) {
      const id = r.ids[i];
      if (lastRun[id] !== k) {
        lastRun[id] = k;
        inRed[id]++;
      }
    }
  });
  const inGreen = new Uint8Array(n);
  for (const g of greens) for (let i = 0; i < g.ids.length; i++) inGreen[g.ids[i]] = 1;
  const cand = new Int32Array(n).fill(-1);
  const ids: number[] = [];
  for (let id = 0; id < n; id++) {
    if (inRed[id] === reds.length && !inGreen[id]) {
      cand[id] = ids.length;
      ids.push(id);
    }
  }
  // Per candidate and red run: count, first positions, and first relative position (0 = start of the run).
  const hits: RedHit[][] = ids.map(() => reds.map((r) => ({ path: r.info.path, count: 0, at: [] as number[] })));
  const rel = new Float64Array(ids.length);
  reds.forEach((r, k) => {
    for (let i = 0; i < r.ids.length; i++) {
      const c = cand[r.ids[i]];
      if (c < 0) continue;
      const h = hits[c][k];
      if (h.count === 0) rel[c] += i / Math.max(1, r.ids.length) / reds.length;
      h.count++;
      if (h.at.length < MAX_POSITIONS) h.at.push(r.pos[i]);
    }
  });
  const sev = ids.map((id) => severityOf(interner.texts[id]));
  const order = ids.map((_, c) => c).sort((p, q) => sev[q] - sev[p] || rel[p] - rel[q] || interner.texts[ids[p]].localeCompare(interner.texts[ids[q]]));
  const top = order.slice(0, limit);
  const sh = reds.length ? new Shower(reds[0]) : null;
  for (const c of top) sh?.want(hits[c][0].at[0]);
  sh?.load();
  const entries: RedOnly[] = top.map((c) => ({ text: interner.texts[ids[c]], example: sh?.shown(hits[c][0].at[0]).text ?? '', severity: sev[c], red: hits[c] }));
  return {
    red: reds.map((r) => r.info),
    green: greens.map((g) => g.info),
    unit: reds[0]?.info.unit ?? 'line',
    total: ids.length,
    entries,
    crashes: redOnlyCrashes(reds, greens),
  };
}

function redOnlyCrashes(reds: Run[], greens: Run[]): RedGreenResult['crashes'] {
  if (!reds.length || reds[0].info.unit !== 'line') return null;
  const redCrashes = reds.map((r) => extractCrashes(r.plain).crashes);
  const greenTitles = new Set(greens.flatMap((g) => extractCrashes(g.plain).crashes.map((c) => c.title)));
  const out: NonNullable<RedGreenResult['crashes']> = [];
  for (const c of redCrashes[0]) {
    if (greenTitles.has(c.title) || out.some((o) => o.title === c.title)) continue;
    const where = redCrashes.map((list, k) => ({ path: reds[k].info.path, hit: list.find((x) => x.title === c.title) }));
    if (where.every((w) => w.hit)) out.push({ title: c.title, kind: c.kind, red: where.map((w) => ({ path: w.path, line: (w.hit as CrashRecord).line })) });
  }
  return out;
}
