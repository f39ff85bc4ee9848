// AssemblyScript (compiled to WebAssembly by `npm run build`): the console-log
// indexer's line splitter and its fast lane for the commonest lines.
//
// JavaScript reads a chunk of the log into INPUT and asks `split` for its
// complete lines: each line's start and end, and for the lines this module
// classifies itself (KIND_* other than KIND_OTHER) their values too. It takes
// a line only when the JavaScript families (src/formats/console-log/families/)
// would give it the same type and values: Breenix ring-event lines with their
// type's own name and label, Linux printk lines, Breenix log lines (levels,
// test markers, tags) and plain lines no family claims. Anything unusual — a
// control byte near the start, a dump line, a junk prefix, seL4 output — is
// left to the families (KIND_OTHER). The tests index every fixture both ways.

// Memory layout (byte offsets), exported so JavaScript never repeats them.
export const KNOWN: usize = 64 << 10; // u32 per type id: blob offset << 16 | length; 0 = not a plain known type
export const BLOB: usize = 320 << 10; // the known types' `NAME label=` bytes
export const BLOB_BYTES: usize = 128 << 10;
export const CLASS: usize = 448 << 10; // 256 byte classes (family.ts's CLASS)
export const NEEDLE: usize = CLASS + 256; // what `find` looks for
export const NEEDLE_BYTES: usize = 256;
export const UNKNOWN_TYPE: usize = NEEDLE + NEEDLE_BYTES; // length (u8), then the `UNKNOWN payload=` bytes a kernel prints for a type it lacks
export const TYPES: usize = UNKNOWN_TYPE + 256; // u8 per KIND_*: the global event type JavaScript stores such lines as
export const MAX_LINES: i32 = 8192; // lines per `split` call
export const R_START: usize = 512 << 10; // u32 per line: start (from INPUT)
export const R_END: usize = R_START + 4 * MAX_LINES; // u32: end, before the newline and a CR
export const R_TS: usize = R_END + 4 * MAX_LINES; // f64: timestamp (ring events: tick count)
export const R_AUX: usize = R_TS + 8 * MAX_LINES; // f64: aux (level; ring events: type id)
export const R_CPU: usize = R_AUX + 8 * MAX_LINES; // f64: CPU
export const R_SUB_START: usize = R_CPU + 8 * MAX_LINES; // u32: subsystem bytes (from INPUT); start = end for none
export const R_SUB_END: usize = R_SUB_START + 4 * MAX_LINES; // u32
export const R_SLOT: usize = R_SUB_END + 4 * MAX_LINES; // u16: ring slot
export const R_KIND: usize = R_SLOT + 2 * MAX_LINES; // u8: KIND_*
export const R_SUB_REF: usize = R_KIND + MAX_LINES; // u16: the subsystem's place in SUBS (see subRef)
export const R_TYPE: usize = R_SUB_REF + 2 * MAX_LINES; // u8: TYPES[kind] (not for KIND_OTHER)
export const R_OTHER: usize = R_TYPE + MAX_LINES; // u16 per KIND_OTHER line: its row, in order (`others` of them)
export const R_EVENTS: usize = R_OTHER + 2 * MAX_LINES; // u16 per KIND_OTHER line: KIND_EVENT lines in the split before it
/** Subsystems seen, direct-mapped by hash: per slot its length (u32) then its bytes, SUB_STRIDE apart. */
export const SUBS: usize = 912 << 10;
export const SUB_SLOTS: u32 = 1024;
const SUB_STRIDE: usize = 96;
/** Longest subsystem SUBS keeps (16 bytes of a slot's room are slack for 16-byte loads). */
const SUB_MAX: usize = SUB_STRIDE - 32;
/** R_SUB_REF values besides a slot (its subsystem as last seen there): a slot plus SUB_NEW (the slot now holds these bytes), or none. */
export const SUB_NEW: u16 = 1024;
export const SUB_NONE: u16 = 0xfffe;
/** A ring event's R_SUB_REF: its subsystem is the ring's, JavaScript's to say. */
export const SUB_EVENT: u16 = 0xfffd;
export const SUB_LONG: u16 = 0xffff;
export const INPUT: usize = 1 << 20;
// The scanners read up to 15 bytes past a line (16-byte loads): the memory's last 64 bytes are slack.
export const INPUT_BYTES: usize = (3 << 20) - 64;

/** A line left to the JavaScript families (blank lines too). */
export const KIND_OTHER: u8 = 0;
/** A ring-event line with its type's known name and label. */
export const KIND_EVENT: u8 = 1;
/** A Linux printk line (family printk, type PRINTK). */
export const KIND_PRINTK: u8 = 2;
/** Breenix log lines (family breenix-log: KLOG, TEST_MARKER, TAGGED). */
export const KIND_KLOG: u8 = 3;
export const KIND_TEST: u8 = 4;
export const KIND_TAGGED: u8 = 5;
/** A line no family claims (LINE). */
export const KIND_LINE: u8 = 6;

/** Lines longer than this are the families' (their long-line warnings included). */
const MAX_FAST_LINE: usize = 4096;
/** Bytes the families look at for control bytes, subsystems, junk prefixes (index.ts, family.ts). */
const CONTROL_SCAN: usize = 48;
const HEAD_BYTES: usize = 160;
const JUNK_PREFIX_MAX: usize = 16;

// Byte classes, as family.ts numbers them.
const C_SPACE: u8 = 1;
const C_TAG: u8 = 4;
const C_CAPS: u8 = 16;
const C_TARGET: u8 = 32;
const C_SUBSYS: u8 = 64;
const C_NAME: u8 = 128;

/** Where the last `split` stopped: the start of the first line it did not take (from INPUT). */
export let next: u32 = 0;
/** The first line of the last `split` that holds NEEDLE (see `watch`), or -1. */
export let seen: i32 = -1;
/** How many KIND_OTHER lines the last `split` listed in R_OTHER, and how many KIND_EVENT lines it split. */
export let others: i32 = 0;
export let events: i32 = 0;
/** NEEDLE's length and two rare positions in it (see `find`). */
let needleLen: u32 = 0;
let probe1: u32 = 0;
let probe2: u32 = 0;

/** Sets what `split` looks for in each line when asked to: NEEDLE[0, m), found by its bytes k1 and k2 (k1 the rarer). */
export function watch(m: u32, k1: u32, k2: u32): void {
  needleLen = m;
  probe1 = k1;
  probe2 = k2;
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

/** Bytes [a, a + len) equal [b, b + len), 16 at a time (both may be read up to 15 bytes past len: INPUT and BLOB have room). */
@inline function sameBytes(a: usize, b: usize, len: usize): bool {
  let k: usize = 0;
  for (; k + 16 <= len; k += 16) if (!i8x16.all_true(i8x16.eq(v128.load(a + k), v128.load(b + k)))) return false;
  if (k == len) return true;
  const want = (1 << <i32>(len - k)) - 1;
  return (i8x16.bitmask(i8x16.eq(v128.load(a + k), v128.load(b + k))) & want) == want;
}

/** How many digits start at p, at most 16 and not past n (16-byte load: INPUT has room). */
@inline function digitRun(p: usize, n: usize): usize {
  const t = i8x16.sub(v128.load(p), i8x16.splat(48));
  const r = <usize>ctz(~i8x16.bitmask(i8x16.lt_u(t, i8x16.splat(10))) | 0x10000);
  return min(r, n - p);
}

/** The value of the k (1 to 8) decimal digits at p, eight at a time in one word (pairs, then fours, then eights). */
@inline function digits8(p: usize, k: usize): u64 {
  let w = load<u64>(p) - 0x3030303030303030;
  if (k < 8) w = (w & ((<u64>1 << (<u64>k << 3)) - 1)) << (<u64>(8 - k) << 3);
  w = (w * 10 + (w >> 8)) & 0x00ff00ff00ff00ff;
  w = (w * 100 + (w >> 16)) & 0x0000ffff0000ffff;
  return (w * 10000 + (w >> 32)) & 0xffffffff;
}

/** The value of the k (1 to 16) decimal digits at p: exact, as JavaScript's stepwise sum is below 2^53. */
@inline function digits16(p: usize, k: usize): u64 {
  return k <= 8 ? digits8(p, k) : digits8(p, k - 8) * 100000000 + digits8(p + k - 8, 8);
}

/** Bits [a, a + k) of `digits` are all set (k below 16). */
@inline function allDigits(digits: u64, a: usize, k: usize): bool {
  const m = ((<u64>1 << <u64>k) - 1) << <u64>a;
  return (digits & m) == m;
}

/** Decodes a known ring-event line [o, n) into result row i; false leaves it to JavaScript. */
function event(o: usize, n: usize, i: usize): bool {
  // `[TRACE] CPU`
  if (n - o < 12 || load<u64>(o) != 0x205d45434152545b || (load<u32>(o + 8) & 0xffffff) != 0x555043) return false;
  // The header's fields by the spaces and digits of the line's first 64 bytes, all found at once
  // (bit k: byte o + k), rather than each field's start found from the one before.
  const space = i8x16.splat(32);
  const zero = i8x16.splat(48);
  const ten = i8x16.splat(10);
  const v0 = v128.load(o);
  const v1 = v128.load(o + 16);
  const v2 = v128.load(o + 32);
  const v3 = v128.load(o + 48);
  const inLine: u64 = n - o >= 64 ? 0xffffffffffffffff : (<u64>1 << <u64>(n - o)) - 1;
  let spaces = (<u64>i8x16.bitmask(i8x16.eq(v0, space)) | (<u64>i8x16.bitmask(i8x16.eq(v1, space)) << 16) | (<u64>i8x16.bitmask(i8x16.eq(v2, space)) << 32) | (<u64>i8x16.bitmask(i8x16.eq(v3, space)) << 48)) & inLine & ~(<u64>0x7ff);
  const digits = (<u64>i8x16.bitmask(i8x16.lt_u(i8x16.sub(v0, zero), ten)) | (<u64>i8x16.bitmask(i8x16.lt_u(i8x16.sub(v1, zero), ten)) << 16) | (<u64>i8x16.bitmask(i8x16.lt_u(i8x16.sub(v2, zero), ten)) << 32) | (<u64>i8x16.bitmask(i8x16.lt_u(i8x16.sub(v3, zero), ten)) << 48)) & inLine;
  // `CPU<c> idx=<slot> ts=<ticks> `: the first three spaces from byte 11 end the three numbers.
  const s1 = <usize>ctz(spaces);
  spaces &= spaces - 1;
  const s2 = <usize>ctz(spaces);
  spaces &= spaces - 1;
  const s3 = <usize>ctz(spaces);
  if (s3 >= 64) return false;
  // CPU: 1 to 3 digits, a u8; slot: 1 to 5, of a 1024-entry ring; ticks: 1 to 15 (longer ones are JavaScript's).
  const cl = s1 - 11;
  const sl = s2 - s1 - 5;
  const tl = s3 - s2 - 4;
  if (cl - 1 >= 3 || sl - 1 >= 5 || s2 < s1 + 6 || s3 < s2 + 5 || tl >= 16) return false;
  if (!allDigits(digits, 11, cl) || !allDigits(digits, s1 + 5, sl) || !allDigits(digits, s2 + 4, tl)) return false;
  if (!has(o + s1, n, 0x3d78646920, 5) || load<u32>(o + s2) != 0x3d737420) return false;
  const cpu = <i32>digits8(o + 11, cl);
  const slot = <i32>digits8(o + s1 + 5, sl);
  if (cpu > 255 || slot > 1023) return false;
  const ticks = <f64>digits16(o + s2 + 4, tl);
  let p = o + s3;
  let r: usize;
  // ` type=0x<hhhh> `
  if (!(p + 13 <= n && load<u64>(p) == 0x78303d6570797420)) return false;
  p += 8;
  const id = (hex(load<u8>(p)) << 12) | (hex(load<u8>(p + 1)) << 8) | (hex(load<u8>(p + 2)) << 4) | hex(load<u8>(p + 3));
  if (id < 0 || load<u8>(p + 4) != 32) return false;
  p += 5;
  // `NAME label=`, exactly the type's; or what a kernel whose own table lacks the type prints, an event all the same.
  const k = load<u32>(KNOWN + (<usize>id << 2));
  let len = <usize>(k & 0xffff);
  if (k == 0 || p + len > n || !sameBytes(p, BLOB + <usize>(k >>> 16), len)) {
    len = <usize>load<u8>(UNKNOWN_TYPE);
    if (len == 0 || p + len > n || !sameBytes(p, UNKNOWN_TYPE + 1, len)) return false;
  }
  p += len;
  // The payload: 1 to 10 digits, a u32, up to a space or the line's end.
  r = digitRun(p, n);
  if (r == 0 || r > 10 || (p + r < n && load<u8>(p + r) != 32)) return false;
  if (r == 10 && digits16(p, r) > 0xffffffff) return false;
  p += r;
  if (p < n) {
    // ` flags=0x<h>` with one or two hex digits, to the line's end.
    if (!(p + 10 <= n && n <= p + 11 && tagAt(p, n, 102, 108, 97) && load<u32>(p + 4) == 0x303d7367 && load<u8>(p + 8) == 120)) return false;
    for (let q = p + 9; q < n; q++) if (hex(load<u8>(q)) < 0) return false;
  }
  store<f64>(R_CPU + (i << 3), <f64>cpu);
  store<u16>(R_SLOT + (i << 1), <u16>slot);
  store<f64>(R_AUX + (i << 3), <f64>id);
  store<f64>(R_TS + (i << 3), ticks);
  return true;
}

@inline function cls(c: u32): u8 {
  return load<u8>(CLASS + <usize>c);
}

@inline function isDigit(c: u32): bool {
  return c - 48 < 10;
}

@inline function isLetter(c: u32): bool {
  return (c | 32) - 97 < 26;
}

@inline function isUpper(c: u32): bool {
  return c - 65 < 26;
}

@inline function isSpace(c: u32): bool {
  return (cls(c) & C_SPACE) != 0;
}

/** Byte p of a line ending at e, or 256 past it (which no test accepts, as JavaScript's NaN or -1). */
@inline function at(p: usize, e: usize): u32 {
  return p < e ? <u32>load<u8>(p) : 256;
}

/** End of the run of bytes from p (before e) whose class has `flag` (family.ts's runOf). */
@inline function runOf(p: usize, e: usize, flag: u8): usize {
  while (p < e && (cls(load<u8>(p)) & flag) != 0) p++;
  return p;
}

/** The line holds `text` (ASCII, at most 8 bytes, given as its little-endian word and length) at p. */
@inline function has(p: usize, e: usize, word: u64, len: usize): bool {
  if (p + len > e) return false;
  const mask: u64 = len == 8 ? 0xffffffffffffffff : ((<u64>1 << (<u64>len * 8)) - 1);
  // Only the bytes in the line count; reading past them stays inside INPUT.
  return (load<u64>(p) & mask) == word;
}

/** A control byte (below space but tab, or DEL) in the line's first CONTROL_SCAN bytes (index.ts's hasControl). */
function hasControl(o: usize, e: usize): bool {
  const n = min(e, o + CONTROL_SCAN);
  const space = i8x16.splat(32);
  const tab = i8x16.splat(9);
  const del = i8x16.splat(127);
  for (let p = o; p < n; p += 16) {
    const v = v128.load(p);
    const bad = v128.or(v128.andnot(i8x16.lt_u(v, space), i8x16.eq(v, tab)), i8x16.eq(v, del));
    let m = i8x16.bitmask(bad);
    if (n - p < 16) m &= (1 << <i32>(n - p)) - 1;
    if (m != 0) return true;
  }
  return false;
}

/** Lines the breenix-trace family claims or learns from, besides intact ring events: the families' to read. */
function traceFamilyLine(o: usize, e: usize): bool {
  const c0 = at(o, e);
  // `====== PANIC TRACE DUMP`, `====== END PANIC DUMP`
  if (c0 == 61) return has(o, e, 0x3d3d3d3d3d3d, 6);
  if (c0 != 91) return false;
  const c1 = at(o + 1, e);
  // `[TRACE`, `[COUNTER`, `[PROVIDER]`, `[SUMMARY]`, by their first bytes: leaving a few more lines to the families is safe.
  if (c1 == 84) return has(o, e, 0x45434152545b, 6);
  if (c1 == 67) return has(o, e, 0x45544e554f435b, 7);
  if (c1 == 80) return has(o, e, 0x4449564f52505b, 7);
  if (c1 == 83) return has(o, e, 0x5952414d4d55535b, 8);
  // `[boot] Timer frequency: ` carries the counter frequency.
  if (c1 == 98) return has(o, e, 0x54205d746f6f625b, 8) && has(o + 8, e, 0x6572662072656d69, 8) && has(o + 16, e, 0x203a79636e657571, 8);
  return false;
}

/**
 * Linux printk's header (printk.ts's header): `<l>` level, `[ secs.frac]`,
 * an optional `[ T<n>]`/`[ C<n>]` caller; row i gets ts, aux, cpu. Returns
 * where the message starts, or 0 when the line is not printk.
 */
function printkHeader(o: usize, e: usize, i: usize): usize {
  let p = o;
  let c = at(p, e);
  let level: f64 = NaN;
  if (c == 60) {
    const d = at(p + 1, e);
    if (!isDigit(d) || p + 2 >= e || load<u8>(p + 2) != 62) return 0;
    level = <f64>(d - 48);
    p += 3;
    c = at(p, e);
  }
  if (c != 91) return 0;
  p++;
  while (p < e && load<u8>(p) == 32) p++;
  let num: f64 = 0;
  const first = p;
  while (p < e && isDigit((c = load<u8>(p)))) {
    num = num * 10 + <f64>(c - 48);
    p++;
  }
  if (p == first || p >= e || load<u8>(p) != 46) return 0;
  p++;
  let scale: f64 = 1;
  while (p < e && isDigit((c = load<u8>(p)))) {
    num = num * 10 + <f64>(c - 48);
    scale *= 10;
    p++;
  }
  if (scale == 1 || p >= e || load<u8>(p) != 93) return 0;
  p++;
  store<f64>(R_TS + (i << 3), num / scale);
  store<f64>(R_AUX + (i << 3), level);
  let q = p;
  while (q < e && load<u8>(q) == 32) q++;
  if (q < e && load<u8>(q) == 91) {
    q++;
    while (q < e && load<u8>(q) == 32) q++;
    const kind = at(q, e);
    if (kind == 84 || kind == 67) {
      q++;
      let id: f64 = 0;
      const from = q;
      while (q < e && isDigit((c = load<u8>(q)))) {
        id = id * 10 + <f64>(c - 48);
        q++;
      }
      if (q > from && q < e && load<u8>(q) == 93) {
        if (kind == 67) store<f64>(R_CPU + (i << 3), id);
        p = q + 1;
      }
    }
  }
  if (p < e && load<u8>(p) == 32) p++;
  return p;
}

/** printk.ts's subsysEnd: where a subsystem prefix at p ends (before its `:`), or 0. */
function subsysEnd(o: usize, e: usize, p: usize): usize {
  const lim = min(e, o + HEAD_BYTES);
  if (p >= lim) return 0;
  const c0 = <u32>load<u8>(p);
  if (isLetter(c0)) {
    const r = min(runOf(p + 1, e, C_TAG), lim);
    if (r - p <= 24) {
      if (r < lim && load<u8>(r) == 32) {
        const r2 = min(runOf(r + 1, e, C_SUBSYS), lim);
        const k = <isize>r2 - <isize>(r + 1) - 1;
        if (k >= 1 && k <= 32 && colonSpace(r2 - 1, lim)) return r2 - 1;
      }
      if (colonSpace(r, lim)) return r;
    }
  }
  if ((cls(c0) & C_NAME) == 0) return 0;
  const a = min(runOf(p, e, C_NAME), lim);
  if (a + 1 >= lim || load<u8>(a) != 32 || load<u8>(a + 1) != 40) return 0;
  const b = min(runOf(a + 2, e, C_TAG), lim);
  if (b == a + 2 || b >= lim || load<u8>(b) != 41) return 0;
  return colonSpace(b + 1, lim) ? b + 1 : 0;
}

@inline function colonSpace(q: usize, lim: usize): bool {
  return q + 1 < lim && load<u8>(q) == 58 && isSpace(load<u8>(q + 1));
}

@inline function setSub(i: usize, s: usize, e: usize): void {
  store<u32>(R_SUB_START + (i << 2), <u32>(s - INPUT));
  store<u32>(R_SUB_END + (i << 2), <u32>(e - INPUT));
}

/** runOf(p, e, C_MARKER), 16 bytes at a time: where the first `:`, `]` or whitespace (family.ts's C_SPACE) from p is, or e. */
function markerEnd(p: usize, e: usize): usize {
  for (; p < e; p += 16) {
    const v = v128.load(p);
    const colonOrBracket = v128.or(i8x16.eq(v, i8x16.splat(58)), i8x16.eq(v, i8x16.splat(93)));
    const space = v128.or(v128.or(i8x16.eq(v, i8x16.splat(32)), i8x16.eq(v, i8x16.splat(<i8>0xa0))), i8x16.lt_u(i8x16.sub(v, i8x16.splat(9)), i8x16.splat(5)));
    const m = i8x16.bitmask(v128.or(colonOrBracket, space));
    if (m != 0) return min(p + <usize>ctz(m), e);
  }
  return e;
}

/** `[TEST:<suite>:<name>:<VERDICT>` then `:` or `]` (breenix-log.ts's testHead). */
function testHead(o: usize, e: usize, i: usize): bool {
  const s = o + 6;
  const a = markerEnd(s, e);
  if (a == s || a >= e || load<u8>(a) != 58) return false;
  const b = markerEnd(a + 1, e);
  if (b == a + 1 || b >= e || load<u8>(b) != 58) return false;
  let c = b + 1;
  while (c < e && (isUpper(load<u8>(c)) || load<u8>(c) == 95)) c++;
  if (c == b + 1 || c >= e || (load<u8>(c) != 58 && load<u8>(c) != 93)) return false;
  setSub(i, s, a);
  return true;
}

/** `[ INFO] target::path: ` (breenix-log.ts's klogHead): level as aux, target as sub. */
function klogHead(o: usize, e: usize, i: usize): bool {
  const p = runOf(o + 1, e, C_SPACE);
  let len: usize = 0;
  let level: f64 = 0;
  // `ERROR]`, `WARN]`, `INFO]`, `DEBUG]`
  if (has(p, e, 0x5d524f525245, 6)) {
    len = 6;
    level = 3;
  } else if (has(p, e, 0x5d4e524157, 5)) {
    len = 5;
    level = 4;
  } else if (has(p, e, 0x5d4f464e49, 5)) {
    len = 5;
    level = 6;
  } else if (has(p, e, 0x5d4755424544, 6)) {
    len = 6;
    level = 7;
  } else return false;
  const q = p + len;
  const t = runOf(q, e, C_SPACE);
  if (t == q) return false;
  store<f64>(R_AUX + (i << 3), level);
  const m = runOf(t, e, C_TARGET);
  if (m - t >= 2 && load<u8>(m - 1) == 58 && m < e && isSpace(load<u8>(m))) setSub(i, t, m - 1);
  return true;
}

/** `[tag]` or `[ OK ]` (breenix-log.ts's taggedHead). */
function taggedHead(o: usize, e: usize, i: usize): bool {
  const p = runOf(o + 1, e, C_SPACE);
  if (p >= e || !isLetter(load<u8>(p))) return false;
  const g = runOf(p + 1, e, C_TAG);
  if (g - p > 32) return false;
  const q = runOf(g, e, C_SPACE);
  if (q >= e || load<u8>(q) != 93) return false;
  setSub(i, p, g);
  return true;
}

/** `NET: msg` (breenix-log.ts's capsHead). */
function capsHead(o: usize, e: usize, i: usize): bool {
  const g = runOf(o + 1, e, C_CAPS);
  const n = g - o;
  if (n < 2 || n > 32 || g + 1 >= e || load<u8>(g) != 58 || !isSpace(load<u8>(g + 1))) return false;
  setSub(i, o, g);
  return true;
}

/** The line may match one of sel4.ts's patterns: it starts as one of them does (`ELF-`, `Enab`, `Boot`, `Jump`, `Star`, `Test`, `All `, `seL4`, digits and `/`). */
function mayBeSel4(o: usize, e: usize, c0: u32): bool {
  if (c0 == 69) return has(o, e, 0x2d464c45, 4) || has(o, e, 0x62616e45, 4);
  if (c0 == 66) return has(o, e, 0x746f6f42, 4);
  if (c0 == 74) return has(o, e, 0x706d754a, 4);
  if (c0 == 83) return has(o, e, 0x72617453, 4);
  if (c0 == 84) return has(o, e, 0x74736554, 4);
  if (c0 == 65) return has(o, e, 0x206c6c41, 4);
  if (c0 == 115) return has(o, e, 0x344c6573, 4);
  if (!isDigit(c0)) return false;
  let p = o + 1;
  while (p < e && isDigit(load<u8>(p))) p++;
  return p < e && load<u8>(p) == 47;
}

/**
 * What index.ts's classifier makes of line [o, e) when it is none of the
 * cases left to it (row i gets the values). `behindJunk`: [o, e) is what
 * follows a junk prefix, read again as the classifier does.
 */
function classify(o: usize, e: usize, i: usize, dumpSeen: bool, behindJunk: bool = false): u8 {
  if (e == o || e - o > MAX_FAST_LINE) return KIND_OTHER;
  if (event(o, e, i)) return KIND_EVENT;
  // Other `[TRACE` lines, control bytes, dump lines: the families'.
  if (traceFamilyLine(o, e) || hasControl(o, e)) return KIND_OTHER;
  store<f64>(R_TS + (i << 3), NaN);
  store<f64>(R_AUX + (i << 3), NaN);
  store<f64>(R_CPU + (i << 3), -1);
  setSub(i, o, o);
  const c0 = <u32>load<u8>(o);
  if (c0 == 91 || c0 == 60) {
    const p = printkHeader(o, e, i);
    if (p != 0) {
      const end = subsysEnd(o, e, p);
      if (end != 0) setSub(i, p, end);
      return KIND_PRINTK;
    }
  }
  if (c0 == 91) {
    if (at(o + 1, e) == 84 && has(o, e, 0x3a545345545b, 6) && testHead(o, e, i)) return KIND_TEST;
    if (at(o + 6, e) == 93 && klogHead(o, e, i)) return KIND_KLOG;
    if (taggedHead(o, e, i)) return KIND_TAGGED;
  } else if (isUpper(c0) && capsHead(o, e, i)) return KIND_TAGGED;
  // What may be seL4's (sel4.ts's patterns, by their first four bytes, or digits then `/`) is the family's.
  if (mayBeSel4(o, e, c0)) return KIND_OTHER;
  // A plain line, unless it may hold a dump mark or a marker behind junk.
  if (dumpSeen) return KIND_OTHER;
  // The first `[` in bytes 1 to JUNK_PREFIX_MAX, 16 at a time (INPUT has room past the line).
  const within = min(e - o - 1, JUNK_PREFIX_MAX);
  const m = i8x16.bitmask(i8x16.eq(v128.load(o + 1), i8x16.splat(91))) & ((1 << <i32>within) - 1);
  if (m == 0) return KIND_LINE;
  const p = o + 1 + <usize>ctz(m);
  // A `[` near the start: the families read the line again from it (once); a plain line there is a plain line here.
  if (behindJunk) return KIND_OTHER;
  return classify(p, e, i, false, true) == KIND_LINE ? KIND_LINE : KIND_OTHER;
}

/**
 * Where row i's subsystem bytes [a, e) sit in SUBS: its slot when the slot
 * already holds them (JavaScript knows their string), slot + SUB_NEW when
 * they replace what the slot held (JavaScript makes the string once), SUB_NONE
 * for no subsystem, SUB_LONG when too long to keep (JavaScript reads them).
 * JavaScript reads the rows in order, so its per-slot strings follow.
 */
/** A mask of a word's first k bytes (all eight from k = 8 on). */
@inline function lowBytes(k: usize): u64 {
  return k >= 8 ? 0xffffffffffffffff : (<u64>1 << (<u64>k << 3)) - 1;
}

function subRef(a: usize, e: usize): u16 {
  if (a == e) return SUB_NONE;
  const len = e - a;
  if (len > SUB_MAX) return SUB_LONG;
  // Hashed a word at a time: the first 16 bytes and the last 8 (bytes past the end masked off; INPUT has room).
  const w0 = load<u64>(a) & lowBytes(len);
  const w1 = len > 8 ? load<u64>(a + 8) & lowBytes(len - 8) : 0;
  const w2 = len > 16 ? load<u64>(e - 8) : 0;
  const h = (w0 * 0x9e3779b97f4a7c15) ^ (w1 * 0xc2b2ae3d27d4eb4f) ^ (w2 * 0x165667b19e3779f9) ^ (<u64>len * 0x27d4eb2f165667c5);
  const slot = <u32>(h >>> 54) & (SUB_SLOTS - 1);
  const at = SUBS + <usize>slot * SUB_STRIDE;
  if (load<u32>(at) == <u32>len && sameBytes(a, at + 16, len)) return <u16>slot;
  store<u32>(at, <u32>len);
  memory.copy(at + 16, a, len);
  return <u16>(slot + SUB_NEW);
}

/**
 * Splits the complete lines of INPUT[s, end) (at most MAX_LINES): returns
 * how many, with their starts, ends and kinds in the result rows (and the
 * rows of KIND_OTHER lines listed in R_OTHER, with the count of ring events
 * before each in R_EVENTS); `next` is where the first line not taken starts. With `search`, each line is also
 * looked at for NEEDLE (see `watch`; it holds no line break): lines holding
 * the rarer probe byte are searched whole, and the first holding NEEDLE is
 * `seen`; it and the lines after it are split as with `dumpSeen`.
 */
export function split(s: u32, end: u32, dumpSeen: bool, search: bool): i32 {
  const lim = INPUT + <usize>end;
  const newline = i8x16.splat(10);
  const rare = <u32>load<u8>(NEEDLE + <usize>probe1);
  const probe = i8x16.splat(<u8>rare);
  let from = INPUT + <usize>s;
  let n: i32 = 0;
  seen = -1;
  others = 0;
  events = 0;
  while (n < MAX_LINES) {
    let p = from;
    // The newline, 16 bytes at a time while they lie before lim; with `search`, whether the rare byte comes before it.
    let found = false;
    let rareSeen: i32 = 0;
    while (p + 16 <= lim) {
      const v = v128.load(p);
      const m = i8x16.bitmask(i8x16.eq(v, newline));
      // The rare byte anywhere in these 16 (maybe in the next line: the search is exact).
      if (search) rareSeen |= i8x16.bitmask(i8x16.eq(v, probe));
      if (m != 0) {
        p += <usize>ctz(m);
        found = true;
        break;
      }
      p += 16;
    }
    if (!found) {
      while (p < lim && load<u8>(p) != 10) {
        if (<u32>load<u8>(p) == rare) rareSeen = 1;
        p++;
      }
      if (p >= lim) break;
    }
    const e = p > from && load<u8>(p - 1) == 13 ? p - 1 : p;
    const i = <usize>n;
    if (search && rareSeen != 0 && find(<u32>(from - INPUT), <u32>(e - INPUT), needleLen, probe1, probe2) >= 0) {
      seen = n;
      search = false;
      dumpSeen = true;
    }
    store<u32>(R_START + (i << 2), <u32>(from - INPUT));
    store<u32>(R_END + (i << 2), <u32>(e - INPUT));
    const kind = classify(from, e, i, dumpSeen);
    store<u8>(R_KIND + i, kind);
    if (kind == KIND_OTHER) {
      store<u16>(R_OTHER + (<usize>others << 1), <u16>n);
      store<u16>(R_EVENTS + (<usize>others << 1), <u16>events);
      others++;
    } else {
      if (kind == KIND_EVENT) events++;
      store<u8>(R_TYPE + i, load<u8>(TYPES + <usize>kind));
      const ref = kind == KIND_EVENT ? SUB_EVENT : subRef(INPUT + <usize>load<u32>(R_SUB_START + (i << 2)), INPUT + <usize>load<u32>(R_SUB_END + (i << 2)));
      store<u16>(R_SUB_REF + (i << 1), ref);
    }
    n++;
    from = p + 1;
  }
  next = <u32>(from - INPUT);
  return n;
}

/**
 * Where NEEDLE[0, m) first occurs in INPUT[s, end) (from INPUT), or -1:
 * positions whose bytes k1 and k2 (two rare ones of the needle, below m)
 * match are found 16 at a time, and only those are compared whole.
 */
function find(s: u32, end: u32, m: u32, k1: u32, k2: u32): i32 {
  const lim = INPUT + <usize>end;
  const len = <usize>m;
  let p = INPUT + <usize>s;
  if (len == 0) return p <= lim ? <i32>s : -1;
  const a = i8x16.splat(load<u8>(NEEDLE + <usize>k1));
  const b = i8x16.splat(load<u8>(NEEDLE + <usize>k2));
  while (p + len + 15 <= lim) {
    let mask = i8x16.bitmask(v128.and(i8x16.eq(v128.load(p + <usize>k1), a), i8x16.eq(v128.load(p + <usize>k2), b)));
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
