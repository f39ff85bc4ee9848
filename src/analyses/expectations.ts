import type { EventCursor } from '../model/source.js';
import { BUILTIN_EXPECTATIONS } from './builtin-expectations.js';
import { eventEvidence, lineEvidence, num, plural } from './evidence.js';
import type { ExpectationSet, Marker } from './expect-file.js';
import type { LineText } from './text.js';
import type { Analysis, AnalysisConfig, AnalysisInstance, Evidence, FindingDraft, Interest, SourceMeta } from './types.js';

/** Seen markers listed as evidence when every marker of a set appeared. */
export const EXPECT_MAX_EVIDENCE = 20;

type Status = 'seen' | 'late' | 'missing';

/**
 * Tests every marker of every set against a line: literal markers and regex
 * prefilters are needles of the LineText's shared automaton (one pass over
 * the line's bytes for every analysis); a regex runs only when its prefilter
 * is in the line (or, for a user's regex without one, on every line).
 * Results are cached per line.
 */
class LineMatcher {
  /** Per marker: id of its literal or prefilter among the LineText's watched needles, or -1. */
  private readonly needleOf: Int32Array;
  /** Per marker, for the current line: 0 not tested, 1 matches, 2 does not. */
  private readonly state: Uint8Array;
  private t: LineText | null = null;

  constructor(
    private readonly markers: readonly Marker[],
    text: LineText,
  ) {
    const lits: string[] = [];
    this.needleOf = new Int32Array(markers.length).fill(-1);
    markers.forEach((m, g) => {
      const b = m.literal ?? m.prefilter;
      if (b) {
        this.needleOf[g] = lits.length;
        lits.push(b.toString('utf8'));
      }
    });
    const base = text.watch(lits);
    for (let g = 0; g < markers.length; g++) if (this.needleOf[g] >= 0) this.needleOf[g] += base;
    this.state = new Uint8Array(markers.length);
  }

  /** Every marker has a literal or prefilter: a line holding no needle matches none. */
  get allNeedled(): boolean {
    return this.needleOf.every((n) => n >= 0);
  }

  /** Starts a new line. */
  line(t: LineText): void {
    this.state.fill(0);
    this.t = t;
  }

  matches(g: number): boolean {
    const s = this.state[g];
    if (s !== 0) return s === 1;
    const m = this.markers[g];
    const n = this.needleOf[g];
    const t = this.t as LineText;
    let yes = n < 0 || t.hit(n);
    if (yes && m.regex) yes = m.regex.test(t.text());
    this.state[g] = yes ? 1 : 2;
    return yes;
  }
}

/** The state of one set over one input; `base` is its first marker's id in the LineMatcher. */
class Tracker {
  readonly ordered: Marker[];
  readonly forbidden: Marker[];
  private readonly orderedIds: number[];
  private readonly forbiddenIds: number[];
  /** Next ordered marker to look for. */
  k = 0;
  applied: boolean;
  readonly line: number[];
  readonly index: number[];
  readonly text: string[];
  readonly late: (number | null)[];
  /** Last line where each ordered marker appeared at all (in or out of order), once the set applies. */
  readonly lastSeen: number[];
  readonly forbiddenFirst: { line: number; index: number; text: string }[] = [];
  readonly forbiddenCount: number[];
  private prevLine = 0;
  private prevTs = NaN;
  /** `within N ms` windows that could not be checked (no timestamps). */
  untimed = 0;

  constructor(readonly set: ExpectationSet, base: number) {
    this.ordered = [];
    this.forbidden = [];
    this.orderedIds = [];
    this.forbiddenIds = [];
    set.markers.forEach((m, j) => {
      if (m.forbidden) {
        this.forbidden.push(m);
        this.forbiddenIds.push(base + j);
      } else {
        this.ordered.push(m);
        this.orderedIds.push(base + j);
      }
    });
    this.applied = !set.anchored;
    this.line = this.ordered.map(() => 0);
    this.index = this.ordered.map(() => -1);
    this.text = this.ordered.map(() => '');
    this.late = this.ordered.map(() => null);
    this.lastSeen = this.ordered.map(() => 0);
    this.forbiddenCount = this.forbidden.map(() => 0);
  }

  onLine(c: EventCursor, t: LineText, lm: LineMatcher): void {
    // Several markers may sit on one line; each must still come after the previous.
    while (this.k < this.ordered.length && lm.matches(this.orderedIds[this.k])) {
      const m = this.ordered[this.k];
      if (this.k === 0 && this.set.anchored) this.applied = true;
      if (m.within && this.k > 0) {
        if (m.within.unit === 'lines') {
          if (c.line - this.prevLine > m.within.n) this.late[this.k] = c.line - this.prevLine;
        } else if (c.ts === c.ts && this.prevTs === this.prevTs) {
          const ms = (c.ts - this.prevTs) * 1000;
          if (ms > m.within.n) this.late[this.k] = ms;
        } else this.untimed++;
      }
      this.line[this.k] = c.line;
      this.index[this.k] = c.index;
      this.text[this.k] = t.text();
      this.prevLine = c.line;
      this.prevTs = c.ts;
      this.k++;
    }
    if (!this.applied) return;
    // Markers past the first missing one are looked for anyway: seeing them later means the missing one was garbled or skipped, not that the run stopped.
    for (let j = this.k; j < this.ordered.length; j++) if (lm.matches(this.orderedIds[j])) this.lastSeen[j] = c.line;
    for (let j = 0; j < this.forbidden.length; j++) {
      if (!lm.matches(this.forbiddenIds[j])) continue;
      if (this.forbiddenCount[j]++ === 0) this.forbiddenFirst[j] = { line: c.line, index: c.index, text: t.text() };
    }
  }

  status(k: number): Status {
    if (k >= this.k) return 'missing';
    return this.late[k] !== null ? 'late' : 'seen';
  }
}

function where(m: Marker, set: ExpectationSet): string {
  return set.file ? `${set.file}:${m.fileLine}` : `built-in set ${set.name}`;
}

/**
 * Ordered expected markers (`--expect FILE`, plus built-in boot sequences):
 * each seen at a line or missing, the first missing one and the last seen
 * before it, markers later than their `within` bound, and forbidden markers
 * that appeared. The bug is between the last marker seen and the first one
 * missing (seeds/002: "the page-table replacement code is never reached").
 */
export const expectations: Analysis = {
  id: 'expectations',
  title: 'expected markers that never appeared',
  create(config: AnalysisConfig): AnalysisInstance {
    let meta: SourceMeta;
    let trackers: Tracker[] = [];
    let matcher: LineMatcher;
    // Built-in markers are never trace dump lines; with no user set those lines are skipped unread.
    let skipType = -1;
    let notText = false;
    let needled = false;
    let lastIndex = -1;
    let lastLine = 0;
    return {
      begin(m: SourceMeta): Interest {
        meta = m;
        const user = config.expect;
        const consoleLike = m.format === 'console-log' || m.format === 'lines';
        if (!m.text) {
          notText = user.length > 0;
          return 'none';
        }
        // Built-in boot sequences are about console output; a user's file applies to any text input.
        const sets = [...user, ...(consoleLike && !config.noBuiltinExpectations ? BUILTIN_EXPECTATIONS : [])];
        let base = 0;
        trackers = sets.map((s) => {
          const tr = new Tracker(s, base);
          base += s.markers.length;
          return tr;
        });
        matcher = new LineMatcher(sets.flatMap((s) => s.markers), m.text);
        needled = matcher.allNeedled;
        if (user.length === 0) skipType = m.typeNames.indexOf('TRACE_EVENT');
        return trackers.length ? 'all' : 'none';
      },
      onEvent(c) {
        const t = meta.text as LineText;
        lastIndex = c.index;
        lastLine = c.line;
        if (c.type === skipType || c.line <= 0 || !t.seek(c.line, c.offset)) return;
        if (needled && !t.anyHit()) return;
        matcher.line(t);
        for (const tr of trackers) tr.onLine(c, t, matcher);
      },
      end() {},
      findings(): FindingDraft[] {
        const out: FindingDraft[] = [];
        if (notText) {
          out.push({
            code: 'EXPECTATIONS_NOT_APPLICABLE',
            severity: 'info',
            title: 'expectation file not applied: the input has no lines',
            detail: `${meta.name} is a ${meta.format} event stream, not text; expected markers are matched against lines of a console log or text trace.`,
            evidence: [],
            hint: 'Pass the serial console log of the same run to check the markers.',
            data: { sets: config.expect.map((s) => s.file) },
          });
          return out;
        }
        const lastEv = lastIndex >= 0 ? eventEvidence(meta, lastIndex) : null;
        for (const tr of trackers) {
          if (!tr.applied) continue;
          const set = tr.set;
          const userSet = set.file !== null;
          const n = tr.ordered.length;
          const statuses = tr.ordered.map((m, k) => ({ marker: m.text, file_line: m.fileLine || undefined, status: tr.status(k), line: tr.line[k] || null, late_by: tr.late[k] }));
          const data = { set: set.name, file: set.file, markers: statuses, forbidden: tr.forbidden.map((m, j) => ({ marker: m.text, count: tr.forbiddenCount[j], first_line: tr.forbiddenFirst[j]?.line ?? null })), ms_windows_unchecked: tr.untimed };
          const label = userSet ? `expectation file ${set.file}` : `built-in set ${set.name}${set.description ? ` (${set.description})` : ''}`;
          if (tr.k < n) {
            const miss = tr.ordered[tr.k];
            const ev: Evidence[] = [];
            let detail = `${label}: ${num(tr.k)} of ${plural(n, 'marker')} seen in order; the first missing is #${tr.k + 1} ${miss.text} (${where(miss, set)})`;
            if (tr.k > 0) {
              const prev = tr.k - 1;
              detail += `. The last seen before it is #${tr.k} ${tr.ordered[prev].text} at line ${num(tr.line[prev])}; the input goes on for ${plural(Math.max(0, lastLine - tr.line[prev]), 'more line')} without it`;
              ev.push(lineEvidence(tr.line[prev], tr.text[prev], tr.index[prev]));
            } else detail += '; no marker of the set appeared at all';
            const prevLine = tr.k > 0 ? tr.line[tr.k - 1] : 0;
            const later = tr.ordered.map((m, j) => ({ m, j, at: tr.lastSeen[j] })).filter((x) => x.j > tr.k && x.at > prevLine);
            const notReached = tr.ordered.slice(tr.k + 1).filter((_, d) => !later.some((x) => x.j === tr.k + 1 + d));
            if (later.length) detail += `. Later markers did appear after it: ${later.map((x) => `#${x.j + 1} ${x.m.text} (line ${num(x.at)})`).join(', ')}: the missing one may be garbled (interleaved output) or skipped rather than the run stopping there`;
            if (notReached.length) detail += `. Also never reached: ${notReached.map((m) => m.text).join(', ')}`;
            if (lastEv && (ev.length === 0 || ev[0].index !== lastEv.index)) ev.push(lastEv);
            // When the run went on past the gap, the gap is less likely the failure: one level less urgent.
            const base = userSet ? 'error' : 'warning';
            out.push({
              code: 'EXPECTATION_MISSING',
              severity: later.length ? (base === 'error' ? 'warning' : 'info') : base,
              title: `expected marker never appeared: ${miss.text}`,
              detail: `${detail}.`,
              evidence: ev,
              hint: tr.k > 0
                ? `The code between “${tr.ordered[tr.k - 1].text}” and “${miss.text}” is where the run went wrong: the first ran, the second never did. Add a marker half-way between them to bisect (an early return, a panic that printed nothing, a hang, or output filtered by log level).`
                : 'None of the markers appeared: check that this is the right log and that the markers match its text (regexes are matched against the line without escape codes).',
              data: { ...data, seen_later: later.map((x) => ({ marker: x.m.text, line: x.at })) },
            });
          }
          tr.late.forEach((late, k) => {
            if (late === null) return;
            const m = tr.ordered[k];
            const unit = m.within?.unit === 'ms' ? 'ms' : 'lines';
            out.push({
              code: 'EXPECTATION_LATE',
              severity: 'warning',
              title: `expected marker came too late: ${m.text}`,
              detail: `${label}: #${k + 1} ${m.text} appeared at line ${num(tr.line[k])}, ${num(Math.round(late))} ${unit} after #${k} ${tr.ordered[k - 1].text} (line ${num(tr.line[k - 1])}); it must come within ${num(m.within?.n ?? 0)} ${unit}.`,
              evidence: [lineEvidence(tr.line[k - 1], tr.text[k - 1], tr.index[k - 1]), lineEvidence(tr.line[k], tr.text[k], tr.index[k])],
              hint: 'Something between the two markers took longer than it should: look at what the log shows between them (retries, timeouts, a slow device).',
              data,
            });
          });
          tr.forbidden.forEach((m, j) => {
            const first = tr.forbiddenFirst[j];
            if (!first) return;
            out.push({
              code: 'EXPECTATION_FORBIDDEN',
              severity: 'error',
              title: `forbidden marker appeared: ${m.text}`,
              detail: `${label}: ${m.text} (${where(m, set)}) must not appear, and appeared ${plural(tr.forbiddenCount[j], 'time')}, first at line ${num(first.line)}.`,
              evidence: [lineEvidence(first.line, first.text, first.index)],
              hint: 'The line itself says what failed; `kscope crashes` and `kscope tests` give the details of panics and test verdicts.',
              data,
            });
          });
          const clean = tr.k === n && tr.late.every((l) => l === null) && tr.forbiddenCount.every((c) => c === 0);
          if (clean) {
            out.push({
              code: 'EXPECTATIONS_MET',
              severity: 'info',
              title: `all expected markers seen: ${set.name}`,
              detail: `${label}: all ${plural(n, 'marker')} appeared in order${tr.forbidden.length ? `, and none of the ${plural(tr.forbidden.length, 'forbidden marker')}` : ''}.`,
              evidence: tr.ordered.slice(0, EXPECT_MAX_EVIDENCE).map((_, k) => lineEvidence(tr.line[k], tr.text[k], tr.index[k])),
              hint: '',
              data,
            });
          }
        }
        return out;
      },
    };
  },
};
