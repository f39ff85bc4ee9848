import { tableReader } from '../../model/event-table.js';
import type { FormatReader } from '../../model/format.js';
import { TYPE_NAMES } from './build.js';
import { scanQemuFile } from './parallel.js';
import { decoder } from './decode.js';
import { headLines } from '../../util/head.js';

export { TYPE_NAMES } from './build.js';
export type { QemuSummaryExtra } from './build.js';
export { pcToAux, auxToPc } from './pc.js';

/** Lines only QEMU's `-d` logging prints; one of them in the head is strong evidence. */
const MARKERS = [
  /^CPU Reset \(CPU \d+\)$/,
  /^check_exception old: 0x[0-9a-f]+ new 0x[0-9a-f]+$/,
  /^Servicing hardware INT=0x[0-9a-f]+$/,
  /^\s*\d+: v=[0-9a-f]{2} e=[0-9a-f]{4} i=\d cpl=\d IP=/,
  /^Taking exception \d+ \[[^\]]+\]/,
  /^Exception return from AArch(?:32|64) EL\d to AArch(?:32|64) EL\d PC 0x/,
  /^Trace \d+: (?:0x[0-9a-f]+|\(nil\)) \[[0-9a-f/]+\]/,
  /^IN: ?\S*$/,
  /^SMM: (?:enter|after RSM)$/,
];
/** Lines that belong to QEMU records (dumps, Arm continuations, in_asm), weaker on their own. */
const SUPPORT = /^(?:[ A-Z][A-Z0-9 ]{1,6}=[0-9a-f ]|\.\.\.(?:from|with|to|handled) |0x[0-9a-f]+: |-{16}$)/;

/**
 * Scores a head: the share of its whole lines that QEMU's logging prints.
 * A console log with a few QEMU lines mixed in stays a console log.
 */
export function detectQemu(head: Buffer): number {
  const lines = headLines(head);
  if (!lines) return 0;
  let strong = 0;
  let support = 0;
  let total = 0;
  for (const raw of lines) {
    const l = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (l.trim() === '') continue;
    total++;
    if (MARKERS.some((re) => re.test(l))) strong++;
    else if (SUPPORT.test(l)) support++;
  }
  if (strong === 0) return support >= 4 && support * 2 >= total ? 0.6 : 0;
  const share = (strong + support) / total;
  if (share >= 0.5) return 0.9;
  return share >= 0.2 ? 0.6 : 0.25;
}

/**
 * QEMU `-d` logs (`int`, `cpu_reset`, `in_asm`, `exec`; x86 and Arm): every
 * interrupt, exception, exception return, reset dump, translation block and
 * exec line one event, with CPU when the log says it, vector/kind in `sub`
 * and the interrupted pc in `aux` (as a signed 64-bit value, see pc.ts).
 */
export const qemuD: FormatReader = tableReader({
  id: 'qemu-d',
  title: 'QEMU -d log (int, cpu_reset, in_asm, exec; x86 and Arm)',
  detect: (head) => detectQemu(head),
  typeNames: TYPE_NAMES,
  scan(path, ctx) {
    const { pieces, lineBases, extra, dumpInside } = scanQemuFile(path, ctx);
    return { pieces, lineBases, extra: { ...extra }, tsUnit: null, better: dumpInside ? 'tii-console' : undefined };
  },
  decoder,
});
