import { readSync } from 'node:fs';
import { FileSource } from './file-source.js';

/**
 * Read size for indexing passes: small enough that a read stays in the core's
 * cache until its lines are classified (≈ 5 % faster than 4 MiB), and that a
 * first part's claims hand over finely (see Handoff).
 */
export const INDEX_READ_BYTES = 256 << 10;

/** Lines longer than this are delivered in pieces (same line number) so memory stays bounded. */
export const MAX_LINE_BYTES = 1 << 20;

/**
 * Splits reads into lines in place of forEachLine's own loop (a faster
 * splitter may decide more about each line on the way). forEachLine reads
 * into `buf`; `split(s, end)` takes complete lines of buf[s, end) — at least
 * one whenever a newline lies there — and returns how many, their starts and
 * ends (newline and a trailing CR excluded) in `starts`/`ends`, and sets
 * `next` to where the first line not taken starts.
 */
export interface LineSplitter {
  readonly buf: Buffer;
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
  next: number;
  split(s: number, end: number): number;
  /**
   * Looks for `needle` in each line split from now on, on the way; false when
   * it cannot (the caller looks itself). After a split, `seen` is the first
   * of its lines that holds it (-1: none), and looking stops there.
   */
  watch(needle: Uint8Array): boolean;
  readonly seen: number;
}

/**
 * Calls `onLine(buf, start, end, lineNo, byteOffset, piece)` for every line of
 * a file, streaming in chunks. `end` excludes the newline and a trailing CR.
 * The buffer is reused: copy what you keep. A line longer than MAX_LINE_BYTES
 * arrives in pieces with the same line number and `piece` = 1, 2, … (0 for a
 * whole line). With `range`, only bytes [start, end) are read and line
 * numbers count from 1 at `start` (the caller picks `start` after a newline).
 * With `find`, `found` says whether those bytes hold `find.bytes` anywhere
 * (one memmem per chunk, not per line: how a reader notices another format
 * inside). `find.found` is set before the lines of the chunk holding it are
 * handed over, so a caller can skip looking for it in every line before.
 * With `claim`, each read up to byte `end` first asks claim(end) how far it
 * may go, and reading stops there (a line start: see Handoff). With
 * `lanes`, reads go into its splitter's buffer and whole lines are split by
 * it (see LineSplitter) and handed over a split at a time:
 * onBatch(buf, n, lineNo, base) for its n lines, numbered from lineNo + 1,
 * at offsets base + starts[k]; onLine then gets only long lines' pieces.
 */
export function forEachLine(
  path: string,
  onLine: (buf: Buffer, start: number, end: number, lineNo: number, byteOffset: number, piece: number) => void,
  chunkBytes = 4 << 20,
  range: { start: number; end: number } = { start: 0, end: Infinity },
  find?: { bytes: Uint8Array; found: boolean },
  claim?: (end: number) => number,
  lanes?: { splitter: LineSplitter; onBatch(buf: Buffer, n: number, lineNo: number, base: number): void },
): { lines: number; bytes: number; longLines: number; found: boolean } {
  const src = new FileSource(path);
  try {
    const stop = Math.min(range.end, src.size);
    // One buffer: a read lands after the unfinished line carried from the last one (at most MAX_LINE_BYTES).
    const chunk = Math.max(1, Math.min(chunkBytes, stop - range.start));
    const size = chunk + MAX_LINE_BYTES + 1;
    const splitBy = lanes !== undefined && lanes.splitter.buf.length >= size ? lanes.splitter : null;
    const buf = splitBy ? splitBy.buf : Buffer.allocUnsafe(size);
    let carry = 0;
    let base = range.start;
    let pos = range.start;
    let lineNo = 0;
    let piece = 0;
    let longLines = 0;
    let found = false;
    let tail: Buffer | null = null;
    // The splitter looks for `find` in the lines it splits; the pieces of long lines are looked at here.
    const watching = find !== undefined && splitBy !== null && splitBy.watch(find.bytes);
    /** Looks for `find` in a long line's piece [from, to), after the last bytes of the piece before (`more`: a piece follows). */
    const look = (from: number, to: number, more: boolean): void => {
      if (!watching || !find || found) return;
      const hay = tail === null ? buf.subarray(from, to) : Buffer.concat([tail, buf.subarray(from, to)]);
      if (hay.indexOf(find.bytes) >= 0) found = find.found = true;
      tail = more ? Buffer.from(hay.subarray(Math.max(0, hay.length - find.bytes.length + 1))) : null;
    };
    while (pos < stop) {
      const want = Math.min(chunk, stop - pos);
      const allowed = claim ? claim(pos + want) - pos : want;
      if (allowed <= 0) break;
      const got = readSync(src.fd, buf, carry, allowed, pos);
      if (got === 0) break;
      pos += got;
      const end = carry + got;
      // From far enough back that a match across the last read's end is seen: the carried bytes,
      // or the kept tail of a long line's piece (handed over, so not carried).
      if (find && !found && !watching) {
        const from = Math.max(0, carry - find.bytes.length + 1);
        found = buf.subarray(from, end).indexOf(find.bytes) >= 0 || (tail !== null && Buffer.concat([tail, buf.subarray(0, Math.min(end, find.bytes.length - 1))]).indexOf(find.bytes) >= 0);
        find.found = found;
      }
      if (!watching) tail = null;
      let s = 0;
      for (;;) {
        // A long line's next piece is this loop's to hand over; whole lines the splitter's.
        if (splitBy && lanes && piece === 0) {
          const n = splitBy.split(s, end);
          if (n === 0) break;
          if (watching && find && splitBy.seen >= 0) found = find.found = true;
          lanes.onBatch(buf, n, lineNo, base);
          lineNo += n;
          s = splitBy.next;
          continue;
        }
        const nl = buf.indexOf(10, s);
        if (nl < 0 || nl >= end) break;
        const e = nl > s && buf[nl - 1] === 13 ? nl - 1 : nl;
        look(s, nl, false);
        if (piece > 0) onLine(buf, s, e, lineNo, base + s, ++piece);
        else onLine(buf, s, e, ++lineNo, base + s, 0);
        piece = 0;
        s = nl + 1;
      }
      if (end - s > MAX_LINE_BYTES) {
        // No newline in sight: hand over what we have as a piece of a long line.
        look(s, end, true);
        if (piece === 0) {
          longLines++;
          onLine(buf, s, end, ++lineNo, base + s, ++piece);
        } else onLine(buf, s, end, lineNo, base + s, ++piece);
        if (find && !found && !watching) tail = Buffer.from(buf.subarray(Math.max(s, end - find.bytes.length + 1), end));
        s = end;
      }
      buf.copyWithin(0, s, end);
      base += s;
      carry = end - s;
    }
    if (carry > 0) {
      const e = buf[carry - 1] === 13 ? carry - 1 : carry;
      look(0, carry, false);
      if (piece > 0) onLine(buf, 0, e, lineNo, base, ++piece);
      else onLine(buf, 0, e, ++lineNo, base, 0);
    }
    return { lines: lineNo, bytes: pos - range.start, longLines, found };
  } finally {
    src.close();
  }
}
