import type { LineFamily } from '../family.js';

// `<6>[    1.234567] msg`, `[    1.234567][    T1] msg`, `[    0.000000] [    C0] msg`.
const PRINTK = /^(?:<(\d)>)?\[\s*(\d+\.\d+)\](?:\s*\[\s*([TC])(\d+)\])?\s?(.*)$/;
// A subsystem prefix: `pci 0000:00:01.0:`, `ACPI:`, `virtio_blk virtio1:`, `EXT4-fs (vda):`.
const SUBSYS = /([A-Za-z][\w.-]{0,23}(?: [\w:.()-]{1,32})?|[\w-]+ \([\w.-]+\)):\s/y;
// Indexing needs only the header; the message is not captured (no substring per line).
const HEAD = /^(?:<(\d)>)?\[\s*(\d+\.\d+)\](?:\s*\[\s*([TC])(\d+)\])?\s?/;

export const printk: LineFamily = {
  id: 'printk',
  types: ['PRINTK'],
  create: () => (line, row) => {
    const c = line.charCodeAt(0);
    if (c !== 91 /* [ */ && c !== 60 /* < */) return -1;
    const m = HEAD.exec(line);
    if (!m) return -1;
    row.ts = Number(m[2]);
    if (m[1] !== undefined) row.aux = Number(m[1]);
    if (m[3] === 'C') row.cpu = Number(m[4]);
    SUBSYS.lastIndex = m[0].length;
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
