// AssemblyScript (compiled to WebAssembly by `npm run build`): the console-log
// indexer's line splitter and its fast lane for Breenix ring-event lines.
//
// JavaScript reads a chunk of the log into INPUT, asks `split` for its
// complete lines, and gets back each line's start and end, and for a
// `[TRACE] CPU<n> idx=… ts=… type=0x<id> <NAME> <label>=<payload>[ flags=0x<h>]`
// line whose name and label are exactly its type's known ones (half the
// lines of a Breenix capture) the decoded values too. Every other line is
// classified by the JavaScript families. A line is taken here only when the
// JavaScript scanner (scanEventLine in breenix-trace.ts) would take it as a
// known event with the same values; anything unusual is left to it.

// Memory layout (byte offsets), exported so JavaScript never repeats them.
export const KNOWN: usize = 64 << 10; // u32 per type id: blob offset << 16 | length; 0 = not a plain known type
export const BLOB: usize = 320 << 10; // the known types' `NAME label=` bytes
export const BLOB_BYTES: usize = 128 << 10;
export const MAX_LINES: i32 = 8192; // lines per `split` call
export const R_START: usize = 512 << 10; // u32 per line: start (from INPUT)
export const R_END: usize = R_START + 4 * MAX_LINES; // u32: end, before the newline and a CR
export const R_TICKS: usize = R_END + 4 * MAX_LINES; // f64: tick count
export const R_SLOT: usize = R_TICKS + 8 * MAX_LINES; // u16: ring slot
export const R_ID: usize = R_SLOT + 2 * MAX_LINES; // u16: type id
export const R_KIND: usize = R_ID + 2 * MAX_LINES; // u8: KIND_*
export const R_CPU: usize = R_KIND + MAX_LINES; // u8: CPU
export const NEEDLE: usize = R_CPU + MAX_LINES; // what `find` looks for
export const NEEDLE_BYTES: usize = 256;
export const INPUT: usize = 1 << 20;
export const INPUT_BYTES: usize = 3 << 20;

/** A line left to the JavaScript families. */
export const KIND_OTHER: u8 = 0;
/** A known ring-event line, decoded. */
export const KIND_EVENT: u8 = 1;

/** Where the last `split` stopped: the start of the first line it did not take (from INPUT). */
export let next: u32 = 0;

@inline function dec(c: u32): i32 {
  return c - 48 < 10 ? <i32>(c - 48) : -1;
}

// Lowercase only, as the kernel prints (and as the JavaScript scanner reads).
@inline function hex(c: u32): i32 {
  if (c - 48 < 10) return <i32>(c - 48);
  if (c - 97 < 6) return <i32>(c - 87);
  return -1;
}

/** ` <a><b><c>` at p, with at least 5 bytes before n (the JavaScript scanner's tagAt). */
@inline function tagAt(p: usize, n: usize, a: u32, b: u32, c: u32): bool {
  return p + 5 <= n && load<u8>(p) == 32 && load<u8>(p + 1) == a && load<u8>(p + 2) == b && load<u8>(p + 3) == c;
}

/** Decodes a known ring-event line [o, n) into result row i; false leaves it to JavaScript. */
function event(o: usize, n: usize, i: usize): bool {
  // `[TRACE] CPU`
  if (n - o < 12 || load<u64>(o) != 0x205d45434152545b || (load<u32>(o + 8) & 0xffffff) != 0x555043) return false;
  let p = o + 11;
  let d: i32 = 0;
  // CPU: up to 3 digits, a u8.
  let x: i32 = 0;
  let start = p;
  while (p < n && (d = dec(load<u8>(p))) >= 0 && p - start < 3) {
    x = x * 10 + d;
    p++;
  }
  if (p == start || x > 255) return false;
  const cpu = x;
  // ` idx=`: a slot of a 1024-entry ring.
  if (!tagAt(p, n, 105, 100, 120) || load<u8>(p + 4) != 61) return false;
  p += 5;
  x = 0;
  start = p;
  while (p < n && (d = dec(load<u8>(p))) >= 0 && p - start < 5) {
    x = x * 10 + d;
    p++;
  }
  if (p == start || x > 1023) return false;
  const slot = x;
  // ` ts=`: nine digits as an integer, then on in floating point (the same doubles as JavaScript's).
  if (!(p + 4 <= n && load<u32>(p) == 0x3d737420)) return false;
  p += 4;
  x = 0;
  start = p;
  while (p < n && (d = dec(load<u8>(p))) >= 0 && p - start < 9) {
    x = x * 10 + d;
    p++;
  }
  let ticks = <f64>x;
  while (p < n && (d = dec(load<u8>(p))) >= 0 && p - start < 20) {
    ticks = ticks * 10 + <f64>d;
    p++;
  }
  if (p == start) return false;
  // ` type=0x<hhhh> `
  if (!(p + 13 <= n && load<u64>(p) == 0x78303d6570797420)) return false;
  p += 8;
  const id = (hex(load<u8>(p)) << 12) | (hex(load<u8>(p + 1)) << 8) | (hex(load<u8>(p + 2)) << 4) | hex(load<u8>(p + 3));
  if (id < 0 || load<u8>(p + 4) != 32) return false;
  p += 5;
  // `NAME label=`, exactly the type's.
  const k = load<u32>(KNOWN + (<usize>id << 2));
  if (k == 0) return false;
  const len = <usize>(k & 0xffff);
  if (p + len > n || memory.compare(p, BLOB + <usize>(k >>> 16), len) != 0) return false;
  const eq = p + len - 1;
  p = eq + 1;
  while (p < n && load<u8>(p) != 32) p++;
  // The payload: 1 to 10 digits, a u32.
  if (p == eq + 1 || p - eq > 11) return false;
  let payload: u64 = 0;
  for (let q = eq + 1; q < p; q++) {
    d = dec(load<u8>(q));
    if (d < 0) return false;
    payload = payload * 10 + <u64>d;
  }
  if (payload > 0xffffffff) return false;
  if (p < n) {
    // ` flags=0x<h>` with one or two hex digits, to the line's end.
    if (!(p + 10 <= n && n <= p + 11 && tagAt(p, n, 102, 108, 97) && load<u32>(p + 4) == 0x303d7367 && load<u8>(p + 8) == 120)) return false;
    for (let q = p + 9; q < n; q++) if (hex(load<u8>(q)) < 0) return false;
  }
  store<u8>(R_CPU + i, <u8>cpu);
  store<u16>(R_SLOT + (i << 1), <u16>slot);
  store<u16>(R_ID + (i << 1), <u16>id);
  store<f64>(R_TICKS + (i << 3), ticks);
  return true;
}

/**
 * Splits the complete lines of INPUT[s, end) (at most MAX_LINES): returns
 * how many, with their starts, ends and kinds in the result rows; `next` is
 * where the first line not taken starts.
 */
export function split(s: u32, end: u32): i32 {
  const lim = INPUT + <usize>end;
  const newline = i8x16.splat(10);
  let from = INPUT + <usize>s;
  let n: i32 = 0;
  while (n < MAX_LINES) {
    let p = from;
    // The newline, 16 bytes at a time while they lie before lim.
    let found = false;
    while (p + 16 <= lim) {
      const m = i8x16.bitmask(i8x16.eq(v128.load(p), newline));
      if (m != 0) {
        p += <usize>ctz(m);
        found = true;
        break;
      }
      p += 16;
    }
    if (!found) {
      while (p < lim && load<u8>(p) != 10) p++;
      if (p >= lim) break;
    }
    const e = p > from && load<u8>(p - 1) == 13 ? p - 1 : p;
    const i = <usize>n;
    store<u32>(R_START + (i << 2), <u32>(from - INPUT));
    store<u32>(R_END + (i << 2), <u32>(e - INPUT));
    store<u8>(R_KIND + i, event(from, e, i) ? KIND_EVENT : KIND_OTHER);
    n++;
    from = p + 1;
  }
  next = <u32>(from - INPUT);
  return n;
}

/**
 * Where NEEDLE[0, m) first occurs in INPUT[s, end) (from INPUT), or -1:
 * positions whose first and last byte match are found 16 at a time, and
 * only those are compared whole.
 */
export function find(s: u32, end: u32, m: u32): i32 {
  const lim = INPUT + <usize>end;
  const len = <usize>m;
  let p = INPUT + <usize>s;
  if (len == 0) return p <= lim ? <i32>s : -1;
  const first = i8x16.splat(load<u8>(NEEDLE));
  const last = i8x16.splat(load<u8>(NEEDLE + len - 1));
  while (p + len + 15 <= lim) {
    let mask = i8x16.bitmask(v128.and(i8x16.eq(v128.load(p), first), i8x16.eq(v128.load(p + len - 1), last)));
    while (mask != 0) {
      const k = <usize>ctz(mask);
      if (memory.compare(p + k, NEEDLE, len) == 0) return <i32>(p + k - INPUT);
      mask &= mask - 1;
    }
    p += 16;
  }
  for (; p + len <= lim; p++) if (memory.compare(p, NEEDLE, len) == 0) return <i32>(p - INPUT);
  return -1;
}
