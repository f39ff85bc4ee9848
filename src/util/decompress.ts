import { closeSync, createReadStream, createWriteStream, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { constants, createGunzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import { UserError } from './errors.js';

/** Compression recognised by magic bytes, not by file name. */
export type Compression = 'gzip' | 'xz' | 'zstd' | 'none';

/** Containers users hand over by mistake: named in the error, so they know what to do. */
const UNSUPPORTED: { magic: number[]; what: string }[] = [
  { magic: [0x42, 0x5a, 0x68], what: 'bzip2-compressed; decompress it first (bunzip2 -k)' },
  { magic: [0x50, 0x4b, 0x03, 0x04], what: 'a zip archive; extract the log from it first' },
  { magic: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], what: 'a 7z archive; extract the log from it first' },
  { magic: [0x04, 0x22, 0x4d, 0x18], what: 'LZ4-frame-compressed; decompress it first (lz4 -d)' },
  { magic: [0x7f, 0x45, 0x4c, 0x46], what: 'an ELF file (a kernel or program image), not a log or trace; give it to --elf to name functions' },
];

const startsWith = (head: Buffer, n: number, magic: number[]) => n >= magic.length && magic.every((b, i) => head[i] === b);

export function compressionOf(path: string): Compression {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(8);
    const n = readSync(fd, head, 0, 8, 0);
    if (startsWith(head, n, [0x1f, 0x8b])) return 'gzip';
    if (startsWith(head, n, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return 'xz';
    if (startsWith(head, n, [0x28, 0xb5, 0x2f, 0xfd])) return 'zstd';
    // bzip2's "BZh" is followed by the block size digit: a text file starting "BZh" is left alone.
    for (const u of UNSUPPORTED) if (startsWith(head, n, u.magic) && (u.magic[0] !== 0x42 || (head[3] >= 0x31 && head[3] <= 0x39))) throw new UserError(`${path}: ${u.what}`);
    return 'none';
  } finally {
    closeSync(fd);
  }
}

/** What the decoders below report: bytes of input consumed when they stopped, and why, if early. */
interface Outcome {
  consumed: number;
  /** Where the last chunk counted starts: the one an error surfaced in. */
  lastStart: number;
  error: string | null;
  /** Where bytes that are not gzip start after a complete member (a capture tool's trailer, a stray append), or -1. */
  trailing: number;
}

/** Counts the compressed bytes that pass, for the offset an error names. */
function counter(o: Outcome): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      o.lastStart = o.consumed;
      o.consumed += chunk.length;
      cb(null, chunk);
    },
  });
}

async function gunzip(src: string, dst: string, o: Outcome): Promise<void> {
  try {
    // Z_SYNC_FLUSH at the end makes a truncated member flush what it has instead of failing.
    await pipeline(createReadStream(src), counter(o), createGunzip({ finishFlush: constants.Z_SYNC_FLUSH }), createWriteStream(dst));
  } catch (e) {
    // Not gzip after a member: zlib drops the output of the chunk it noticed that in.
    if (!/incorrect header check|unknown compression method/.test((e as Error).message)) throw e;
    o.trailing = await gunzipUpTo(src, dst, o.lastStart);
    if (o.trailing < 0) throw e;
  }
}

/**
 * Decompresses `src` again, the chunk from `slowFrom` on a byte at a time,
 * so every byte of output before the first byte that is not gzip is kept and
 * that byte is found. Returns where the non-gzip bytes start, or -1. Only
 * for a damaged file: one chunk of single-byte writes takes about a second.
 */
async function gunzipUpTo(src: string, dst: string, slowFrom: number): Promise<number> {
  const out = openSync(dst, 'w');
  const z = createGunzip({ finishFlush: constants.Z_SYNC_FLUSH });
  let written = 0;
  let failed = false;
  z.on('data', (chunk: Buffer) => {
    writeAll(out, chunk);
    written += chunk.length;
  });
  // zlib reports a bad byte as an error event and may never call that write back: either ends the wait.
  let pending: ((ok: boolean) => void) | null = null;
  z.on('error', () => {
    failed = true;
    pending?.(false);
  });
  const write = (b: Buffer) =>
    new Promise<boolean>((done) => {
      pending = done;
      z.write(b, (err) => done(!err && !failed));
    });
  try {
    let pos = 0;
    for await (const chunk of createReadStream(src)) {
      const buf = chunk as Buffer;
      if (pos + buf.length <= slowFrom) {
        if (!(await write(buf))) return -1;
      } else {
        for (let i = 0; i < buf.length; i++) {
          if (await write(buf.subarray(i, i + 1))) continue;
          // The member's trailer ends where its last 4 bytes give the output size (ISIZE); zlib stops a byte or two later.
          const at = pos + i;
          const tail = readBytes(src, Math.max(0, at - 12), Math.min(at, 12));
          for (let end = tail.length; end >= 4; end--) if (tail.readUInt32LE(end - 4) === written % 2 ** 32) return at - tail.length + end;
          return at;
        }
      }
      pos += buf.length;
    }
    return -1;
  } finally {
    z.destroy();
    closeSync(out);
  }
}

function readBytes(path: string, at: number, n: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(n);
    return b.subarray(0, readSync(fd, b, 0, n, at));
  } finally {
    closeSync(fd);
  }
}

async function unxz(src: string, dst: string, o: Outcome): Promise<void> {
  const out = openSync(dst, 'w');
  try {
    const counted = createReadStream(src).pipe(counter(o));
    // Loaded only for an xz input: every other run starts without it.
    const { default: xz } = await import('xz-decompress');
    for await (const chunk of new xz.XzReadableStream(Readable.toWeb(counted) as ReadableStream<Uint8Array>)) writeAll(out, chunk);
  } finally {
    closeSync(out);
  }
}

async function unzstd(src: string, dst: string, o: Outcome): Promise<void> {
  const out = openSync(dst, 'w');
  try {
    const { Decompress } = await import('fzstd');
    const z = new Decompress((chunk) => writeAll(out, chunk));
    for await (const chunk of createReadStream(src)) {
      o.consumed += (chunk as Buffer).length;
      z.push(chunk as Buffer);
    }
    z.push(new Uint8Array(0), true);
  } finally {
    closeSync(out);
  }
}

function writeAll(fd: number, chunk: Uint8Array): void {
  for (let done = 0; done < chunk.length; ) done += writeSync(fd, chunk, done, chunk.length - done);
}

/** gzip says nothing when cut off after a clean block; its trailer's ISIZE (output size mod 2^32) tells. */
function gzipCutShort(src: string, dst: string): boolean {
  // A file shorter than a trailer reads as a zero one.
  const trailer = Buffer.concat([readBytes(src, Math.max(0, statSync(src).size - 4), 4), Buffer.alloc(4)]);
  return trailer.readUInt32LE(0) !== statSync(dst).size % 2 ** 32;
}

/**
 * Decompresses `src` (gzip, xz or zstd) into `dst` streaming, in bounded
 * memory. A truncated or corrupt stream keeps everything that decompressed
 * before the break and returns a message naming the compressed byte offset;
 * null when clean.
 */
export async function decompressTo(src: string, dst: string, kind: Compression): Promise<string | null> {
  const o: Outcome = { consumed: 0, lastStart: 0, error: null, trailing: -1 };
  try {
    await (kind === 'xz' ? unxz : kind === 'zstd' ? unzstd : gunzip)(src, dst, o);
  } catch (e) {
    o.error = (e as Error).message;
  }
  const kept = statSync(dst).size;
  if (o.trailing >= 0) return `${src}: byte ${o.trailing}: ${statSync(src).size - o.trailing} bytes after the end of the compressed data are not gzip; ignored them, kept all ${kept} bytes that decompressed`;
  if (o.error !== null) return `${src}: byte ${Math.max(0, o.consumed - 1)}: compressed data is corrupt or cut short (${o.error}); kept the ${kept} bytes that decompressed before it`;
  if (kind === 'gzip' && gzipCutShort(src, dst)) return `${src}: byte ${statSync(src).size}: compressed data ends early (no gzip trailer); kept the ${kept} bytes that decompressed`;
  return null;
}

export function removeQuietly(path: string): void {
  rmSync(path, { force: true });
}
