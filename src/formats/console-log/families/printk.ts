import type { RowScratch } from '../../../model/event-table.js';
import type { LineFamily } from '../family.js';

// `<6>[    1.234567] msg`, `[    1.234567][    T1] msg`, `[    0.000000] [    C0] msg`.
const PRINTK = /^(?:<(\d)>)?\[\s*(\d+\.\d+)\](?:\s*\[\s*([TC])(\d+)\])?\s?(.*)$/;
// A subsystem prefix: `pci 0000:00:01.0:`, `ACPI:`, `virtio_blk virtio1:`, `EXT4-fs (vda):`.
const SUBSYS = /([A-Za-z][\w.-]{0,23}(?: [\w:.()-]{1,32})?|[\w-]+ \([\w.-]+\)):\s/y;

const isDigit = (c: number) => c >= 48 && c <= 57;

/**
 * The printk header, parsed by hand for indexing (it runs on every line of a
 * log): level, timestamp, caller id. Fills `row`, returns where the message
 * starts, or -1. Same grammar as PRINTK's header.
 */
function header(line: string, row: RowScratch): number {
  let p = 0;
  let c = line.charCodeAt(0);
  let level = NaN;
  if (c === 60 /* < */) {
    const d = line.charCodeAt(1);
    if (!isDigit(d) || line.charCodeAt(2) !== 62 /* > */) return -1;
    level = d - 48;
    p = 3;
    c = line.charCodeAt(p);
  }
  if (c !== 91 /* [ */) return -1;
  p++;
  while (line.charCodeAt(p) === 32) p++;
  let num = 0;
  let digits = 0;
  while (isDigit((c = line.charCodeAt(p)))) {
    num = num * 10 + (c - 48);
    p++;
    digits++;
  }
  if (digits === 0 || c !== 46 /* . */) return -1;
  p++;
  let scale = 1;
  while (isDigit((c = line.charCodeAt(p)))) {
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
  while (line.charCodeAt(q) === 32) q++;
  if (line.charCodeAt(q) === 91) {
    q++;
    while (line.charCodeAt(q) === 32) q++;
    const kind = line.charCodeAt(q);
    if (kind === 84 /* T */ || kind === 67 /* C */) {
      q++;
      let id = 0;
      let n = 0;
      while (isDigit((c = line.charCodeAt(q)))) {
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
  if (line.charCodeAt(p) === 32) p++;
  return p;
}

export const printk: LineFamily = {
  id: 'printk',
  types: ['PRINTK'],
  create: () => (line, row) => {
    const c = line.charCodeAt(0);
    if (c !== 91 /* [ */ && c !== 60 /* < */) return -1;
    const at = header(line, row);
    if (at < 0) return -1;
    SUBSYS.lastIndex = at;
    const s = SUBSYS.exec(line);
    row.sub = s ? s[1] : '';
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
