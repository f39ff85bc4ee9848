import type { FormatReader } from '../model/format.js';
import { FileSource } from '../util/file-source.js';
import { UserError } from '../util/errors.js';

/**
 * Every reader kscope knows, listed once, loaded on demand: a query on an
 * existing bundle loads only its own reader, which keeps CLI start-up short.
 * Detection loads them all and takes the most confident.
 */
export const READER_IDS = ['tii-ftrace', 'tii-console', 'console-log', 'breenix-trace', 'qemu-d', 'ftrace-text'] as const;

const LOADERS: Record<(typeof READER_IDS)[number], () => Promise<FormatReader>> = {
  'tii-ftrace': async () => (await import('./tii-ftrace/index.js')).tiiFtraceBin,
  'tii-console': async () => (await import('./tii-ftrace/index.js')).tiiFtraceConsole,
  'console-log': async () => (await import('./console-log/index.js')).consoleLog,
  'breenix-trace': async () => (await import('./breenix-trace/index.js')).breenixTraceReader,
  'qemu-d': async () => (await import('./qemu-d/index.js')).qemuD,
  'ftrace-text': async () => (await import('./ftrace-text/index.js')).ftraceText,
};

export async function readerById(id: string): Promise<FormatReader> {
  const load = (LOADERS as Record<string, (() => Promise<FormatReader>) | undefined>)[id];
  if (!load) throw new UserError(`unknown format ${id}; known formats: ${READER_IDS.join(', ')}`);
  return load();
}

export async function allReaders(): Promise<FormatReader[]> {
  return Promise.all(READER_IDS.map((id) => LOADERS[id]()));
}

/** Bytes of a file its readers' detect() see: enough for whole Breenix rings (16448 bytes each) and their trailers. */
const HEAD = 64 << 10;

/** The bytes detection looks at. */
export function headOf(path: string): Buffer {
  const src = new FileSource(path);
  try {
    return src.read(0, HEAD);
  } finally {
    src.close();
  }
}

/** Picks the reader for a file from its first 64 KiB (file name breaks ties), or names what was expected. */
export async function detectFormat(path: string): Promise<FormatReader> {
  const head = headOf(path);
  if (head.length === 0) throw new UserError(`${path}: file is empty; expected a trace or log`);
  const readers = await allReaders();
  let best: FormatReader | null = null;
  let score = 0;
  for (const r of readers) {
    const s = r.detect(head, path);
    if (s > score) {
      score = s;
      best = r;
    }
  }
  // Nothing claims the head: a dump further in still makes it a TII console log. (A text
  // reader finds a dump past the head while it builds, and says so: BuildResult.better.)
  if (!best || score === 0) {
    const tii = await import('./tii-ftrace/index.js');
    if (tii.containsDump(path)) return tii.tiiFtraceConsole;
  }
  if (!best || score === 0) {
    throw new UserError(`${path}: byte 0: not a format kscope reads (known: ${readers.map((r) => r.title).join('; ')}); use --format to force one`);
  }
  return best;
}
