import { forEachChunk } from './file-source.js';

/**
 * Calls `onLine(buf, start, end, lineNo, byteOffset)` for every line of a file,
 * streaming in chunks. `end` excludes the newline and a trailing CR. The
 * buffer is reused: copy what you keep. A line longer than the chunk is
 * still delivered whole (the carry grows).
 */
export function forEachLine(
  path: string,
  onLine: (buf: Buffer, start: number, end: number, lineNo: number, byteOffset: number) => void,
  chunkBytes = 4 << 20,
): { lines: number; bytes: number } {
  let carry: Buffer | null = null;
  let carryPos = 0;
  let lineNo = 0;
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
      onLine(buf, s, e, ++lineNo, base + s);
      s = nl + 1;
    }
    if (s < buf.length) {
      carry = Buffer.from(buf.subarray(s));
      carryPos = base + s;
    }
  });
  if (carry) {
    const b: Buffer = carry;
    const e = b.length > 0 && b[b.length - 1] === 13 ? b.length - 1 : b.length;
    onLine(b, 0, e, ++lineNo, carryPos);
  }
  return { lines: lineNo, bytes };
}
