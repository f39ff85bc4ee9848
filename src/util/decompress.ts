import { closeSync, createReadStream, createWriteStream, openSync, readSync, rmSync, statSync } from 'node:fs';
import { constants, createGunzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';

/** Compression recognised by magic bytes, not by file name. */
export type Compression = 'gzip' | 'none';

export function compressionOf(path: string): Compression {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const n = readSync(fd, head, 0, 4, 0);
    if (n >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
    return 'none';
  } finally {
    closeSync(fd);
  }
}

/**
 * Decompresses `src` into `dst` streaming, in bounded memory. A truncated or
 * corrupt stream keeps everything that decompressed before the break and
 * returns a message naming the compressed byte offset; null when clean.
 */
export async function decompressTo(src: string, dst: string): Promise<string | null> {
  let consumed = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      consumed += chunk.length;
      cb(null, chunk);
    },
  });
  // Z_SYNC_FLUSH at the end makes a truncated member flush what it has instead of failing.
  const gunzip = createGunzip({ finishFlush: constants.Z_SYNC_FLUSH });
  try {
    await pipeline(createReadStream(src), count, gunzip, createWriteStream(dst));
  } catch (e) {
    return `${src}: byte ${Math.max(0, consumed - 1)}: compressed data is corrupt (${(e as Error).message}); kept what decompressed before it`;
  }
  // A cut-off gzip still flushes its prefix; the trailer's ISIZE (output size mod 2^32) tells.
  const size = statSync(src).size;
  const fd = openSync(src, 'r');
  const trailer = Buffer.alloc(4);
  try {
    readSync(fd, trailer, 0, 4, Math.max(0, size - 4));
  } finally {
    closeSync(fd);
  }
  const out = statSync(dst).size;
  return trailer.readUInt32LE(0) !== out % 2 ** 32 ? `${src}: byte ${size}: compressed data ends early (no gzip trailer); kept the ${out} bytes that decompressed` : null;
}

export function removeQuietly(path: string): void {
  rmSync(path, { force: true });
}
