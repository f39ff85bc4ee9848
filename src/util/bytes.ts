/** Byte-level helpers for scanners that read text without decoding it. */

/** The bytes of an ASCII string, for comparing against a buffer without a string per line. */
export function asciiBytes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/** True when buf[p, e) starts with `want`. */
export function bytesAt(buf: Uint8Array, p: number, e: number, want: Uint8Array): boolean {
  if (p + want.length > e) return false;
  for (let k = 0; k < want.length; k++) if (buf[p + k] !== want[k]) return false;
  return true;
}

/** True when buf[p, e) holds `want` anywhere. */
export function bytesIn(buf: Uint8Array, p: number, e: number, want: Uint8Array): boolean {
  const first = want[0];
  for (let i = p; i + want.length <= e; i++) if (buf[i] === first && bytesAt(buf, i, e, want)) return true;
  return false;
}
