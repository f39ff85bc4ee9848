import type { FormatReader } from '../../model/format.js';
import { TableSource, type TableInfo } from '../../model/event-table.js';
import { isTextHead } from '../../util/head.js';
import { UserError } from '../../util/errors.js';
import { FileSource } from '../../util/file-source.js';
import { buildImage, imageScore, ImageSource, type ImageData } from './image.js';
import { buildProc, procDecoder, procKind, type ProcData } from './proc.js';

export { RING_STRIDE, RING_SLOTS, EVENT_BYTES, WRITE_IDX_OFFSET, READ_IDX_OFFSET, DROPPED_OFFSET, MAX_CPUS, imageScore } from './image.js';
export type { ImageData, RingInfo } from './image.js';
export { procKind, type ProcKind, type ProcData } from './proc.js';
export { TYPE_NAMES as BREENIX_TRACE_TYPES } from './types.js';

type Data = ImageData | ProcData;

/** What an input is: an image, a `/proc/trace` file of some kind, or neither. */
function classify(head: Buffer, name: string): { kind: Data['kind']; score: number } | null {
  // /proc/trace files are small: classified from the first 4 KiB, as the build reads them.
  // CRLF files are as good: the kinds are told apart by their lines.
  if (isTextHead(head)) return procKind(head.toString('latin1', 0, Math.min(head.length, 4096)).replace(/\r\n/g, '\n'), name);
  const score = imageScore(head, name);
  return score > 0 ? { kind: 'image', score } : null;
}

/**
 * Breenix trace buffers outside the serial console: raw `TRACE_BUFFERS`
 * memory images (16448-byte rings) and the `/proc/trace/*` text files.
 * (The `[TRACE]` serial dumps are lines of a console log: the console-log
 * reader's breenix-trace family reads those.)
 */
export const breenixTraceReader: FormatReader = {
  id: 'breenix-trace',
  title: 'Breenix trace buffers: TRACE_BUFFERS memory image or /proc/trace/* text',
  kind: 'binary',
  detect(head, name) {
    return classify(head, name)?.score ?? 0;
  },
  optionsKey() {
    return {};
  },
  build(path, _options, ctx) {
    const src = new FileSource(path);
    let head: Buffer;
    try {
      head = src.read(0, 4096);
    } finally {
      src.close();
    }
    const c = classify(head, ctx.name);
    // Forced with --format on something we cannot place: a binary file is taken as an image, text is refused.
    const kind = c?.kind ?? (isTextHead(head) ? null : 'image');
    if (kind === null) {
      throw new UserError(`${ctx.name}:1: not a /proc/trace file kscope knows (expected "# Trace buffer dump", "# N registered counters", "# N registered providers", "0x0300 NAME - description" lines, or a teardown key: value list)`);
    }
    const r = kind === 'image' ? buildImage(path, ctx.name, ctx.dir, ctx.diagnostics, ctx.progress) : buildProc(path, ctx.name, kind, ctx.dir, ctx.diagnostics);
    return { data: r.data, columns: r.columns, segmented: r.segmented };
  },
  streams(bundle) {
    const t = (bundle.manifest.data as Data).table;
    return [{ id: t.id, label: t.label, events: t.events }];
  },
  open(bundle, path) {
    const data = bundle.manifest.data as Data;
    if (data.kind === 'image') return new ImageSource(bundle, data, path);
    return new TableSource(bundle, data.table as TableInfo, path, procDecoder(data.kind));
  },
};
