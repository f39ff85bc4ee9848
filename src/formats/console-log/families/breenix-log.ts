import type { FieldValue } from '../../../model/event.js';
import type { RowScratch } from '../../../model/event-table.js';
import { C_CAPS, C_MARKER, C_SPACE, C_TAG, C_TARGET, isSpace, Prefix, runOf, type LineFamily, type LineView } from '../family.js';
import { SubCache } from '../../../util/sub-cache.js';

// Breenix x86_64 kernel log: `[ INFO] kernel::memory: msg` (level right-aligned in 5).
const KLOG = /^\[\s*(ERROR|WARN|INFO|DEBUG)\]\s+(?:([\w:]+):\s)?(.*)$/;
const LEVEL: Record<string, number> = { ERROR: 3, WARN: 4, INFO: 6, DEBUG: 7, TRACE: 7 };
// Boot-test markers: `[TEST:sub:name:PASS]`, `[TEST:sub:name:FAIL:msg]`, … (issue 4 reads verdicts from these).
const TEST = /^\[TEST:([^:\]]+):([^:\]]+):([A-Z_]+)(?::([^\]]*))?\]/;
// aarch64 subsystem prefixes: `[boot] msg`, `[gic] msg`, `[ OK ] msg`; and `NET: msg`, `EL0_SYSCALL: msg`.
const TAGGED = /^\[\s*([A-Za-z][\w.-]{0,31}|OK)\s*\]\s?(.*)$/;
const CAPS = /^([A-Z][A-Z0-9_]{1,31}):\s(.*)$/;
const LEVEL_WORDS = ['ERROR', 'WARN', 'INFO', 'DEBUG'].map((w) => new Prefix(`${w}]`));
const LEVEL_AUX = LEVEL_WORDS.map((w) => LEVEL[w.text.slice(0, -1)]);
const P_TEST = new Prefix('[TEST:');

const isUpper = (c: number) => c >= 65 && c <= 90;

/*
 * Indexing matches the heads of TEST, KLOG, TAGGED and CAPS (the regexes
 * above, without the message) from bytes; each returns the type or -1 and
 * sets `row.sub`. The grammars leave no room for backtracking to change a
 * match, so one forward scan decides.
 */

/** `[TEST:<suite>:<name>:<VERDICT>` then `:` or `]`; names have no spaces, which rejects the garbage two CPUs make of a marker. */
function testHead(v: LineView, row: RowScratch, subs: SubCache): number {
  const s = v.s + 6;
  const a = runOf(v, s, C_MARKER);
  if (a === s || a >= v.e || v.buf[a] !== 58) return -1;
  const b = runOf(v, a + 1, C_MARKER);
  if (b === a + 1 || b >= v.e || v.buf[b] !== 58) return -1;
  let c = b + 1;
  while (c < v.e && (isUpper(v.buf[c]) || v.buf[c] === 95)) c++;
  if (c === b + 1 || c >= v.e || (v.buf[c] !== 58 && v.buf[c] !== 93)) return -1;
  row.sub = subs.get(v.buf, s, a);
  return 1;
}

/** `[ INFO] target::path: ` (level right-aligned in 5): the level as aux, the target as sub. */
function klogHead(v: LineView, row: RowScratch, subs: SubCache): number {
  const p = runOf(v, v.s + 1, C_SPACE);
  for (let k = 0; k < LEVEL_WORDS.length; k++) {
    const w = LEVEL_WORDS[k];
    if (!v.has(w, p - v.s)) continue;
    const q = p + w.bytes.length;
    const t = runOf(v, q, C_SPACE);
    if (t === q) return -1;
    row.aux = LEVEL_AUX[k];
    // `target:` then whitespace; the target may itself hold `::`.
    const m = runOf(v, t, C_TARGET);
    row.sub = m - t >= 2 && v.buf[m - 1] === 58 && m < v.e && isSpace(v.buf[m]) ? subs.get(v.buf, t, m - 1) : '';
    return 0;
  }
  return -1;
}

/** `[tag]` or `[ OK ]`: a letter then up to 31 of `[\w.-]`, spaces allowed inside the brackets. */
function taggedHead(v: LineView, row: RowScratch, subs: SubCache): number {
  const p = runOf(v, v.s + 1, C_SPACE);
  if (p >= v.e || !((v.buf[p] | 32) >= 97 && (v.buf[p] | 32) <= 122)) return -1;
  const g = runOf(v, p + 1, C_TAG);
  if (g - p > 32) return -1;
  const q = runOf(v, g, C_SPACE);
  if (q >= v.e || v.buf[q] !== 93) return -1;
  row.sub = subs.get(v.buf, p, g);
  return 2;
}

/** `NET: msg`, `EL0_SYSCALL: msg`: a capital, then 1 to 31 of `[A-Z0-9_]`, a colon and whitespace. */
function capsHead(v: LineView, row: RowScratch, subs: SubCache): number {
  const g = runOf(v, v.s + 1, C_CAPS);
  const n = g - v.s;
  if (n < 2 || n > 32 || g + 1 >= v.e || v.buf[g] !== 58 || !isSpace(v.buf[g + 1])) return -1;
  row.sub = subs.get(v.buf, v.s, g);
  return 2;
}

export const breenixLog: LineFamily = {
  id: 'breenix-log',
  types: ['KLOG', 'TEST_MARKER', 'TAGGED'],
  create: () => {
    const subs = new SubCache();
    return (line, row) => {
      const c = line.at(0);
      if (c === 91 /* [ */) {
        if (line.at(1) === 84 /* T */ && line.has(P_TEST)) {
          const t = testHead(line, row, subs);
          if (t >= 0) return t;
        }
        // Levels are right-aligned in 5 characters, so `]` sits at index 6.
        if (line.at(6) === 93) {
          const k = klogHead(line, row, subs);
          if (k >= 0) return k;
        }
        return taggedHead(line, row, subs);
      }
      return isUpper(c) ? capsHead(line, row, subs) : -1;
    };
  },
  fields(line, type): Record<string, FieldValue> {
    if (type === 1) {
      const t = TEST.exec(line);
      return t ? { suite: t[1], test: t[2], verdict: t[3], detail: t[4] ?? null } : { message: line };
    }
    if (type === 0) {
      const k = KLOG.exec(line);
      return k ? { level: k[1], target: k[2] ?? null, message: k[3] } : { message: line };
    }
    const g = TAGGED.exec(line) ?? CAPS.exec(line);
    return g ? { tag: g[1], message: g[2] } : { message: line };
  },
};
