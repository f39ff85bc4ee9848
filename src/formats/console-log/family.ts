import type { FieldValue } from '../../model/event.js';
import type { RowScratch } from '../../model/event-table.js';

/** An ASCII text compiled for `LineView.has`: its bytes and their whole little-endian 4-byte words. */
export class Prefix {
  readonly bytes: Uint8Array;
  readonly words: Int32Array;

  constructor(readonly text: string) {
    this.bytes = Uint8Array.from(text, (c) => c.charCodeAt(0));
    const dv = new DataView(this.bytes.buffer);
    this.words = Int32Array.from({ length: this.bytes.length >> 2 }, (_, k) => dv.getInt32(4 * k, true));
  }
}

/** Bytes of a line that `text()` decodes: families match on a line's head. */
export const HEAD_BYTES = 160;

/**
 * One line of the log as bytes [s, e) of a reused buffer, with its text made
 * only when a family asks for it: most lines are classified from bytes alone.
 */
export class LineView {
  buf: Buffer = Buffer.alloc(0);
  /** The same bytes for 4-byte reads (`getInt32(i, true)`): hot checks compare a word at a time. */
  words = new DataView(this.buf.buffer, this.buf.byteOffset, 0);
  s = 0;
  e = 0;
  private head: string | null = null;

  set(buf: Buffer, s: number, e: number): this {
    // The line reader hands over one buffer for a whole file: a new view is rare.
    if (buf !== this.buf) this.words = new DataView(buf.buffer, buf.byteOffset, buf.length);
    this.buf = buf;
    this.s = s;
    this.e = e;
    this.head = null;
    return this;
  }

  static of(line: string): LineView {
    const b = Buffer.from(line, 'latin1');
    return new LineView().set(b, 0, b.length);
  }

  /** Byte k of the line, NaN past its end (so comparisons fail). */
  at(k: number): number {
    const i = this.s + k;
    return i < this.e ? this.buf[i] : NaN;
  }

  /** True when the line holds the ASCII text `want` at `at`. */
  startsWith(want: string, at = 0): boolean {
    const p = this.s + at;
    if (p + want.length > this.e) return false;
    for (let k = 0; k < want.length; k++) if (this.buf[p + k] !== want.charCodeAt(k)) return false;
    return true;
  }

  /** True when the line holds `want` at byte `at`: the hot-path form of startsWith, a word at a time. */
  has(want: Prefix, at = 0): boolean {
    const p = this.s + at;
    const bytes = want.bytes;
    if (p + bytes.length > this.e) return false;
    const words = want.words;
    const dv = this.words;
    for (let k = 0; k < words.length; k++) if (dv.getInt32(p + 4 * k, true) !== words[k]) return false;
    for (let k = words.length * 4; k < bytes.length; k++) if (this.buf[p + k] !== bytes[k]) return false;
    return true;
  }

  /** The line's first HEAD_BYTES as text (latin1: one character per byte, so indexes agree). */
  text(): string {
    return (this.head ??= this.buf.toString('latin1', this.s, Math.min(this.e, this.s + HEAD_BYTES)));
  }

  /** The whole line as text. */
  full(): string {
    return this.e - this.s <= HEAD_BYTES ? this.text() : this.buf.toString('latin1', this.s, this.e);
  }
}

/**
 * Byte classes the line families scan runs of (`CLASS[byte] & flag`): one
 * table load per byte instead of a chain of compares, and no predicate
 * function per call site.
 */
export const C_SPACE = 1; // a regex's `\s` in latin1 text
export const C_WORD = 2; // `\w`
export const C_TAG = 4; // `[\w.-]`
export const C_MARKER = 8; // anything but `:`, `]` and whitespace
export const C_CAPS = 16; // `[A-Z0-9_]`
export const C_TARGET = 32; // `[\w:]`
export const C_SUBSYS = 64; // `[\w.:()-]`
export const C_NAME = 128; // `[\w-]`
export const CLASS = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  const space = c === 32 || (c >= 9 && c <= 13) || c === 160;
  const upper = c >= 65 && c <= 90;
  const digit = c >= 48 && c <= 57;
  const word = upper || digit || (c >= 97 && c <= 122) || c === 95;
  CLASS[c] =
    (space ? C_SPACE : 0) |
    (word ? C_WORD : 0) |
    (word || c === 46 || c === 45 ? C_TAG : 0) |
    (c !== 58 && c !== 93 && !space ? C_MARKER : 0) |
    (upper || digit || c === 95 ? C_CAPS : 0) |
    (word || c === 58 ? C_TARGET : 0) |
    (word || c === 46 || c === 58 || c === 40 || c === 41 || c === 45 ? C_SUBSYS : 0) |
    (word || c === 45 ? C_NAME : 0);
}

/** Whitespace as a regex's `\s` sees it in latin1 text. */
export function isSpace(c: number): boolean {
  return (CLASS[c] & C_SPACE) !== 0;
}

/** End of the run of bytes from `p` (before the line's end) whose class has `flag`. */
export function runOf(v: LineView, p: number, flag: number): number {
  const buf = v.buf;
  const e = v.e;
  while (p < e && (CLASS[buf[p]] & flag) !== 0) p++;
  return p;
}

/**
 * Classifies one line: returns the index of one of the family's `types`, or
 * -1, and fills the row's ts/cpu/sub/aux. It must not allocate for lines it
 * rejects: check bytes before asking for the line's text.
 */
export interface LineMatcher {
  (line: LineView, row: RowScratch): number;
  /**
   * What the matcher learned over its pass, as plain data (it may cross a
   * worker boundary when a log is indexed in parts); undefined when nothing.
   */
  state?(): unknown;
}

/** The stored row of an event, as a query hands it to `fields`. */
export interface DecodedRow {
  line: number;
  ts: number;
  cpu: number;
  sub: string;
  aux: number;
}

/**
 * One family of console lines (Linux printk, Breenix logs, seL4 boot output…).
 * `create` returns a fresh matcher per indexing pass, so a family may keep
 * state across lines (e.g. a counter frequency seen earlier in the log).
 */
export interface LineFamily {
  id: string;
  types: readonly string[];
  create(): LineMatcher;
  /** Decoded fields for display (queries only); `row` holds what indexing stored (ts may be converted). */
  fields(line: string, type: number, row?: DecodedRow): Record<string, FieldValue>;
  /**
   * Summary extras from the states of every pass's matcher, in input order
   * (one state per part of the log; undefined where a part had nothing).
   */
  summarize?(states: unknown[]): Record<string, unknown>;
  /**
   * What a part learned that the parts after it needed (a Breenix counter
   * frequency): the states as one pass would have left them, and the
   * timestamps to fix — per part, its first `count` events of family type
   * `type` get ts / `divisor`.
   */
  carry?(states: unknown[]): { states: unknown[]; fixes: TsFix[] };
}

/** See LineFamily.carry. */
export interface TsFix {
  part: number;
  type: number;
  count: number;
  divisor: number;
}
