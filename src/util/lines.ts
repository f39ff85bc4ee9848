import { forEachChunk } from './file-source.js';

/** Lines longer than this are delivered in pieces (same line number) so memory stays bounded. */
export const MAX_LINE_BYTES = 1 << 20;

/**
 * Calls `onLine(buf, start, end, lineNo, byteOffset, piece)` for every line of
 * a file, streaming in chunks. `end` excludes the newline and a trailing CR.
 * The buffer is reused: copy what you keep. A line longer than MAX_LINE_BYTES
 * arrives in pieces with the same line number and `piece` = 1, 2, … (0 for a
 * whole line). With `range`, only bytes [start, end) are read and line
 * numbers count from 1 at `start` (the caller picks `start` after a newline).
 */
export function forEachLine(
  path: string,
  onLine: (buf: Buffer, start: number, end: number, lineNo: number, byteOffset: number, piece: number) => void,
  chunkBytes = 4 << 20,
  range: { start: number; end: number } = { start: 0, end: Infinity },
): { lines: number; bytes: number; longLines: number } {
  let carry: Buffer | null = null;
  let carryPos = 0;
  let lineNo = 0;
  let piece = 0;
  let longLines = 0;
  const bytes = forEachChunk(path, chunkBytes, (chunk, pos) => {
    let buf = chunk;
    let base = pos;
    if (carry) {
      buf = Buffer.concat([carry, chunk]);
      base = carryPos;
      carry = null;
    }
    let s = 0;
    for (;;) {
      const nl = buf.indexOf(10, s);
      if (nl < 0) break;
      const e = nl > s && buf[nl - 1] === 13 ? nl - 1 : nl;
      if (piece > 0) onLine(buf, s, e, lineNo, base + s, ++piece);
      else onLine(buf, s, e, ++lineNo, base + s, 0);
      piece = 0;
      s = nl + 1;
    }
    if (buf.length - s > MAX_LINE_BYTES) {
      // No newline in sight: hand over what we have as a piece of a long line.
      if (piece === 0) {
        longLines++;
        onLine(buf, s, buf.length, ++lineNo, base + s, ++piece);
      } else onLine(buf, s, buf.length, lineNo, base + s, ++piece);
      s = buf.length;
    }
    if (s < buf.length) {
      carry = Buffer.from(buf.subarray(s));
      carryPos = base + s;
    }
  }, range.start, range.end);
  if (carry) {
    const b: Buffer = carry;
    const e = b.length > 0 && b[b.length - 1] === 13 ? b.length - 1 : b.length;
    if (piece > 0) onLine(b, 0, e, lineNo, carryPos, ++piece);
    else onLine(b, 0, e, ++lineNo, carryPos, 0);
  }
  return { lines: lineNo, bytes, longLines };
}
