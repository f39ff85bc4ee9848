import type { RowScratch } from '../../../model/event-table.js';
import type { LineFamily, LineView } from '../family.js';

// `<6>[    1.234567] msg`, `[    1.234567][    T1] msg`, `[    0.000000] [    C0] msg`.
const PRINTK = /^(?:<(\d)>)?\[\s*(\d+\.\d+)\](?:\s*\[\s*([TC])(\d+)\])?\s?(.*)$/;
// A subsystem prefix: `pci 0000:00:01.0:`, `ACPI:`, `virtio_blk virtio1:`, `EXT4-fs (vda):`.
const SUBSYS = /([A-Za-z][\w.-]{0,23}(?: [\w:.()-]{1,32})?|[\w-]+ \([\w.-]+\)):\s/y;

const isDigit = (c: number) => c >= 48 && c <= 57;

/**
 * The printk header, parsed from bytes for indexing (it runs on every line
 * of a log): level, timestamp, caller id. Fills `row`, returns where the
 * message starts (from the line's start), or -1. Same grammar as PRINTK's header.
 */
function header(v: LineView, row: RowScratch): number {
  const buf = v.buf;
  const e = v.e;
  let p = v.s;
  // Past the end reads as NaN, which no comparison below accepts.
  const at = (i: number) => (i < e ? buf[i] : NaN);
  let c = at(p);
  let level = NaN;
  if (c === 60 /* < */) {
    const d = at(p + 1);
    if (!isDigit(d) || at(p + 2) !== 62 /* > */) return -1;
    level = d - 48;
    p += 3;
    c = at(p);
  }
  if (c !== 91 /* [ */) return -1;
  p++;
  while (at(p) === 32) p++;
  let num = 0;
  let digits = 0;
  while (isDigit((c = at(p)))) {
    num = num * 10 + (c - 48);
    p++;
    digits++;
  }
  if (digits === 0 || c !== 46 /* . */) return -1;
  p++;
  let scale = 1;
  while (isDigit((c = at(p)))) {
    num = num * 10 + (c - 48);
    scale *= 10;
    p++;
  }
  if (scale === 1 || c !== 93 /* ] */) return -1;
  p++;
  // One division of two exact integers: the same double Number("1.234567") gives.
  row.ts = num / scale;
  if (level === level) row.aux = level;
  // Optional caller id: `[    T1]` or ` [    C0]`.
  let q = p;
  while (at(q) === 32) q++;
  if (at(q) === 91) {
    q++;
    while (at(q) === 32) q++;
    const kind = at(q);
    if (kind === 84 /* T */ || kind === 67 /* C */) {
      q++;
      let id = 0;
      let n = 0;
      while (isDigit((c = at(q)))) {
        id = id * 10 + (c - 48);
        q++;
        n++;
      }
      if (n > 0 && c === 93) {
        if (kind === 67) row.cpu = id;
        p = q + 1;
      }
    }
  }
  if (at(p) === 32) p++;
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
    if ((m | 32) >= 97 && (m | 32) <= 122 || isDigit(m) || m === 95 || m === 45) {
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
