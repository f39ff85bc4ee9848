import type { RowScratch } from '../../../model/event-table.js';
import { C_NAME, C_SUBSYS, C_TAG, CLASS, HEAD_BYTES, isSpace, runOf, type LineFamily, type LineView } from '../family.js';
import { SubCache } from '../../../util/sub-cache.js';

// `<6>[    1.234567] msg`, `[    1.234567][    T1] msg`, `[    0.000000] [    C0] msg`.
const PRINTK = /^(?:<(\d)>)?\[\s*(\d+\.\d+)\](?:\s*\[\s*([TC])(\d+)\])?\s?(.*)$/;

const isDigit = (c: number) => c >= 48 && c <= 57;
const isLetter = (c: number) => (c | 32) >= 97 && (c | 32) <= 122;

/**
 * A subsystem prefix at byte `p` (`pci 0000:00:01.0:`, `ACPI:`,
 * `virtio_blk virtio1:`, `EXT4-fs (vda):`): where it ends (before its `:`),
 * or -1. Exactly what the regex
 *   `([A-Za-z][\w.-]{0,23}(?: [\w:.()-]{1,32})?|[\w-]+ \([\w.-]+\)):\s`
 * matches at `p` within the line's first HEAD_BYTES, found in one forward
 * scan: every run it backtracks over ends at a byte its class excludes, so
 * only the whole run can be followed by what comes next. It runs on every
 * printk message, and the regex cost a string per line.
 */
export function subsysEnd(v: LineView, p: number): number {
  const buf = v.buf;
  const lim = Math.min(v.e, v.s + HEAD_BYTES);
  const colonSpace = (q: number) => q + 1 < lim && buf[q] === 58 && isSpace(buf[q + 1]);
  const c0 = p < lim ? buf[p] : -1;
  if (c0 < 0) return -1;
  if (isLetter(c0)) {
    // [A-Za-z][\w.-]{0,23}: the run must end within 24 bytes.
    const r = Math.min(runOf(v, p + 1, C_TAG), lim);
    if (r - p <= 24) {
      // ( [\w:.()-]{1,32})?: greedy, so tried first; only the run's last byte can be the ':' before whitespace.
      if (r < lim && buf[r] === 32) {
        const r2 = Math.min(runOf(v, r + 1, C_SUBSYS), lim);
        const k = r2 - (r + 1) - 1;
        if (k >= 1 && k <= 32 && colonSpace(r2 - 1)) return r2 - 1;
      }
      if (colonSpace(r)) return r;
    }
  }
  if ((CLASS[c0] & C_NAME) === 0) return -1;
  // [\w-]+ \([\w.-]+\)
  const a = Math.min(runOf(v, p, C_NAME), lim);
  if (a + 1 >= lim || buf[a] !== 32 || buf[a + 1] !== 40) return -1;
  const b = Math.min(runOf(v, a + 2, C_TAG), lim);
  if (b === a + 2 || b >= lim || buf[b] !== 41) return -1;
  return colonSpace(b + 1) ? b + 1 : -1;
}

/**
 * The printk header, parsed from bytes for indexing (it runs on every line
 * of a log): level, timestamp, caller id. Fills `row`, returns where the
 * message starts (from the line's start), or -1. Same grammar as PRINTK's header.
 */
function header(v: LineView, row: RowScratch): number {
  const buf = v.buf;
  const e = v.e;
  let p = v.s;
  // Past the end reads as -1, which no comparison below accepts (written out: this runs on every `[` line).
  let c = p < e ? buf[p] : -1;
  let level = NaN;
  if (c === 60 /* < */) {
    const d = p + 1 < e ? buf[p + 1] : -1;
    if (!isDigit(d) || p + 2 >= e || buf[p + 2] !== 62 /* > */) return -1;
    level = d - 48;
    p += 3;
    c = p < e ? buf[p] : -1;
  }
  if (c !== 91 /* [ */) return -1;
  p++;
  while (p < e && buf[p] === 32) p++;
  let num = 0;
  const first = p;
  while (p < e && isDigit((c = buf[p]))) {
    num = num * 10 + (c - 48);
    p++;
  }
  if (p === first || p >= e || buf[p] !== 46 /* . */) return -1;
  p++;
  let scale = 1;
  while (p < e && isDigit((c = buf[p]))) {
    num = num * 10 + (c - 48);
    scale *= 10;
    p++;
  }
  if (scale === 1 || p >= e || buf[p] !== 93 /* ] */) return -1;
  p++;
  // One division of two exact integers: the same double Number("1.234567") gives.
  row.ts = num / scale;
  if (level === level) row.aux = level;
  // Optional caller id: `[    T1]` or ` [    C0]`.
  let q = p;
  while (q < e && buf[q] === 32) q++;
  if (q < e && buf[q] === 91) {
    q++;
    while (q < e && buf[q] === 32) q++;
    const kind = q < e ? buf[q] : -1;
    if (kind === 84 /* T */ || kind === 67 /* C */) {
      q++;
      let id = 0;
      const from = q;
      while (q < e && isDigit((c = buf[q]))) {
        id = id * 10 + (c - 48);
        q++;
      }
      if (q > from && q < e && buf[q] === 93) {
        if (kind === 67) row.cpu = id;
        p = q + 1;
      }
    }
  }
  if (p < e && buf[p] === 32) p++;
  return p - v.s;
}

export const printk: LineFamily = {
  id: 'printk',
  types: ['PRINTK'],
  create: () => {
    const subs = new SubCache();
    return (line, row) => {
      const c = line.at(0);
      if (c !== 91 /* [ */ && c !== 60 /* < */) return -1;
      const at = header(line, row);
      if (at < 0) return -1;
      const end = subsysEnd(line, line.s + at);
      row.sub = end < 0 ? '' : subs.get(line.buf, line.s + at, end);
      return 0;
    };
  },
  fields(line) {
    const m = PRINTK.exec(line);
    if (!m) return { message: line };
    const out: Record<string, string | number> = { timestamp: Number(m[2]), message: m[5] };
    if (m[1] !== undefined) out.level = Number(m[1]);
    if (m[3] === 'T') out.thread = Number(m[4]);
    if (m[3] === 'C') out.cpu = Number(m[4]);
    return out;
  },
};
