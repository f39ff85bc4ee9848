import type { FormatReader } from '../model/format.js';
import { tiiFtraceBin, tiiFtraceConsole, containsDump } from './tii-ftrace/index.js';
import { consoleLog } from './console-log/index.js';
import { breenixTraceReader } from './breenix-trace/index.js';
import { qemuD } from './qemu-d/index.js';
import { ftraceText } from './ftrace-text/index.js';
import { FileSource } from '../util/file-source.js';
import { UserError } from '../util/errors.js';

/** Every reader kscope knows, listed once. Detection asks each and takes the most confident. */
export const READERS: readonly FormatReader[] = [tiiFtraceBin, tiiFtraceConsole, consoleLog, breenixTraceReader, qemuD, ftraceText];

export function readerById(id: string): FormatReader {
  const r = READERS.find((x) => x.id === id);
  if (!r) throw new UserError(`unknown format ${id}; known formats: ${READERS.map((x) => x.id).join(', ')}`);
  return r;
}

const HEAD = 4096;

/** Picks the reader for a file from its first 4 KiB (file name breaks ties), or names what was expected. */
export function detectFormat(path: string): FormatReader {
  const src = new FileSource(path);
  let head: Buffer;
  try {
    head = src.read(0, HEAD);
  } finally {
    src.close();
  }
  if (head.length === 0) throw new UserError(`${path}: file is empty; expected a trace or log`);
  let best: FormatReader | null = null;
  let score = 0;
  for (const r of READERS) {
    const s = r.detect(head, path);
    if (s > score) {
      score = s;
      best = r;
    }
  }
  // A dump deep inside a long console log is not in the head.
  if ((!best || best.kind === 'text' || score === 0) && containsDump(path)) return tiiFtraceConsole;
  if (!best || score === 0) {
    throw new UserError(`${path}: byte 0: not a format kscope reads (known: ${READERS.map((r) => r.title).join('; ')}); use --format to force one`);
  }
  return best;
}
