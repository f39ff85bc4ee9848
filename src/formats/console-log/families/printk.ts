import type { RowScratch } from '../../../model/event-table.js';
import { C_SUBSYS, CLASS, HEAD_BYTES, isSpace, type LineFamily, type LineView } from '../family.js';

// `<6>[    1.234567] msg`, `[    1.234567][    T1] msg`, `[    0.000000] [    C0] msg`.
const PRINTK = /^(?:<(\d)>)?\[\s*(\d+\.\d+)\](?:\s*\[\s*([TC])(\d+)\])?\s?(.*)$/;
// A subsystem prefix: `pci 0000:00:01.0:`, `ACPI:`, `virtio_blk virtio1:`, `EXT4-fs (vda):`.
const SUBSYS = /([A-Za-z][\w.-]{0,23}(?: [\w:.()-]{1,32})?|[\w-]+ \([\w.-]+\)):\s/y;

const isDigit = (c: number) => c >= 48 && c <= 57;

/**
 * Whether SUBSYS can match at byte `p`: it needs a `:` then whitespace after
 * a run of `[\w.:() -]` inside the text the regex sees. Most messages have
 * none, and skip the regex and the string it needs.
 */
function maySubsys(v: LineView, p: number): boolean {
  const buf = v.buf;
  const end = Math.min(v.e, v.s + HEAD_BYTES) - 1;
  for (; p < end; p++) {
    const c = buf[p];
    if (c === 58 && isSpace(buf[p + 1])) return true;
    if ((CLASS[c] & C_SUBSYS) === 0 && c !== 32) return false;
  }
  return false;
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
  create: () => (line, row) => {
    const c = line.at(0);
    if (c !== 91 /* [ */ && c !== 60 /* < */) return -1;
    const at = header(line, row);
    if (at < 0) return -1;
    // A subsystem prefix starts with a word character or '-': some messages are rejected without their text.
    const m = line.at(at);
    if (((m | 32) >= 97 && (m | 32) <= 122 || isDigit(m) || m === 95 || m === 45) && maySubsys(line, line.s + at)) {
      SUBSYS.lastIndex = at;
      const s = SUBSYS.exec(line.text());
      row.sub = s ? s[1] : '';
    } else row.sub = '';
    return 0;
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
