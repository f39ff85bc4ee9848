import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { UserError } from './errors.js';

/** Checks that `path` is a readable regular file, with a one-line error otherwise. */
export function statInput(path: string): { size: number; mtimeMs: number } {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`${path}: no such file`);
    if (code === 'EACCES') throw new UserError(`${path}: permission denied`);
    throw new UserError(`${path}: cannot read (${code ?? String(e)})`);
  }
  if (st.isDirectory()) throw new UserError(`${path}: is a directory, expected a file or a kscope bundle`);
  if (!st.isFile()) throw new UserError(`${path}: not a regular file`);
  return { size: st.size, mtimeMs: st.mtimeMs };
}

/**
 * Positional reads from a file, so queries touch only the bytes they need
 * instead of loading the whole input.
 */
export class FileSource {
  readonly fd: number;
  readonly size: number;

  constructor(readonly path: string) {
    statInput(path);
    this.fd = openSync(path, 'r');
    this.size = fstatSync(this.fd).size;
  }

  /** Reads up to `length` bytes at `position` (fewer at end of file). */
  read(position: number, length: number): Buffer {
    const len = Math.max(0, Math.min(length, this.size - position));
    const buf = Buffer.allocUnsafe(len);
    let done = 0;
    while (done < len) {
      const n = readSync(this.fd, buf, done, len - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done === len ? buf : buf.subarray(0, done);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/**
 * Streams a file in large chunks with one reused buffer; `onChunk` must copy
 * anything it wants to keep. Chunk boundaries are arbitrary.
 */
export function forEachChunk(
  path: string,
  chunkBytes: number,
  onChunk: (chunk: Buffer, position: number) => void,
  start = 0,
  end = Infinity,
): number {
  const src = new FileSource(path);
  try {
    const stop = Math.min(end, src.size);
    const buf = Buffer.allocUnsafe(Math.max(1, Math.min(chunkBytes, stop - start)));
    let pos = start;
    while (pos < stop) {
      const n = readSync(src.fd, buf, 0, Math.min(buf.length, stop - pos), pos);
      if (n === 0) break;
      onChunk(buf.subarray(0, n), pos);
      pos += n;
    }
    return pos - start;
  } finally {
    src.close();
  }
}

/** Byte offset of the first line that starts at or after `pos` (the file size if none). */
export function lineStartAfter(path: string, pos: number): number {
  const src = new FileSource(path);
  try {
    for (let at = pos; at < src.size; at += 64 * 1024) {
      const buf = src.read(at, 64 * 1024);
      const nl = buf.indexOf(10);
      if (nl >= 0) return at + nl + 1;
    }
    return src.size;
  } finally {
    src.close();
  }
}

/** How far past the middle a split point is looked for, and how much is read at a time. */
const SPLIT_SEARCH_BYTES = 16 << 20;
const SPLIT_WINDOW = 256 << 10;

/**
 * Where a second thread may start reading a text file: the start of the
 * first line after `pos` that `here(head)` accepts (`head`: the line's first
 * bytes; `here` sees the lines in order, so it may count), or -1 when none
 * is near.
 */
export function splitPoint(path: string, pos: number, here: (head: Buffer) => boolean): number {
  const start = lineStartAfter(path, pos);
  const src = new FileSource(path);
  try {
    // A window at a time: a good place is usually a few lines away. Each line is offered once, by its head.
    let inLine = false;
    for (let at = start; at < Math.min(src.size, start + SPLIT_SEARCH_BYTES); ) {
      const buf = src.read(at, SPLIT_WINDOW);
      if (buf.length === 0) break;
      let s = 0;
      if (inLine) {
        // The rest of a line longer than a window: no place to start.
        const nl = buf.indexOf(10);
        if (nl < 0) {
          at += buf.length;
          continue;
        }
        s = nl + 1;
        inLine = false;
      }
      let next = at + buf.length;
      while (s < buf.length) {
        const nl = buf.indexOf(10, s);
        // A line the window cuts: the next window starts with it.
        if (nl < 0 && s > 0 && buf.length === SPLIT_WINDOW) {
          next = at + s;
          break;
        }
        if (here(buf.subarray(s, Math.min(nl < 0 ? buf.length : nl, s + 96)))) return at + s;
        if (nl < 0) {
          inLine = true;
          break;
        }
        s = nl + 1;
      }
      at = next;
    }
    return -1;
  } finally {
    src.close();
  }
}

/** splitPoint with predicates in order of preference: the place the first of them finds; -1 when none does. */
export function preferredSplit(path: string, pos: number, ...heres: ((head: Buffer) => boolean)[]): number {
  for (const here of heres) {
    const at = splitPoint(path, pos, here);
    if (at >= 0) return at;
  }
  return -1;
}
