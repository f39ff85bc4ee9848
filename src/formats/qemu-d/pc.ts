/**
 * Guest addresses in a double. 64-bit kernel addresses (0xffffffff81e0c0a1,
 * 0xffffdd1fc5668fdc) need 64 significant bits as unsigned numbers, so a
 * double would round them to a multiple of 2048. Read as signed 64-bit
 * (two's complement) they are small negative numbers (canonical addresses
 * have at most 57 significant bits, and every address seen in practice
 * fits in 53), so the event table's `aux` keeps them exact and equality
 * ("same pc again and again") stays reliable.
 */

const TWO32 = 0x1_0000_0000;

/** A hex address (with or without 0x, at most 16 digits) as a signed 64-bit value in a double; NaN when not hex. */
export function pcToAux(hex: string): number {
  let s = hex;
  if (s.length > 1 && s.charCodeAt(0) === 48 && (s.charCodeAt(1) | 32) === 120) s = s.slice(2);
  // Leading zeros carry no value; drop them so the width test below sees significant digits only.
  let z = 0;
  while (z < s.length - 1 && s.charCodeAt(z) === 48) z++;
  if (z > 0) s = s.slice(z);
  if (s.length === 0 || s.length > 16 || !/^[0-9a-fA-F]+$/.test(s)) return NaN;
  if (s.length <= 13) return parseInt(s, 16);
  const hi = parseInt(s.slice(0, s.length - 8), 16);
  const lo = parseInt(s.slice(s.length - 8), 16);
  // Bit 63 set: the value is hi:lo - 2^64, computed without leaving exact integers.
  if (s.length === 16 && hi >= 0x8000_0000) return (hi - TWO32) * TWO32 + lo;
  return hi * TWO32 + lo;
}

/** The inverse of pcToAux: `0x` + lower-case hex without leading zeros. */
export function auxToPc(aux: number): string {
  if (aux !== aux) return '';
  if (aux >= 0) return `0x${aux.toString(16)}`;
  return `0x${BigInt.asUintN(64, BigInt(aux)).toString(16)}`;
}

/** `0x` + lower-case hex without leading zeros, for display of any hex text. */
export function normHex(hex: string): string {
  let s = hex.toLowerCase();
  if (s.startsWith('0x')) s = s.slice(2);
  s = s.replace(/^0+(?=.)/, '');
  return `0x${s}`;
}

/** As pcToAux over the hex digits buf[s, e), without making a string (exec traces have millions of lines). */
export function hexBytesToAux(buf: Uint8Array, s: number, e: number): number {
  while (s < e - 1 && buf[s] === 48) s++;
  const n = e - s;
  if (n <= 0 || n > 16) return NaN;
  const split = e - 8;
  let hi = 0;
  let lo = 0;
  for (let j = s; j < e; j++) {
    const c = buf[j];
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else {
      const l = c | 32;
      if (l < 97 || l > 102) return NaN;
      d = l - 87;
    }
    if (j < split) hi = hi * 16 + d;
    else lo = lo * 16 + d;
  }
  if (n === 16 && hi >= 0x8000_0000) return (hi - TWO32) * TWO32 + lo;
  return hi * TWO32 + lo;
}
