/** Byte-level helpers for scanners that read text without decoding it. */

/** The bytes of an ASCII string, for comparing against a buffer without a string per line. */
export function asciiBytes(text: string): Uint8Array {
  // A plain loop: Uint8Array.from with a callback over the string's iterator cost ms in code that runs once per thread.
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
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
