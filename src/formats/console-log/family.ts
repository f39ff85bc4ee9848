import type { FieldValue } from '../../model/event.js';
import type { RowScratch } from '../../model/event-table.js';

/** Bytes of a line that `text()` decodes: families match on a line's head. */
export const HEAD_BYTES = 160;

/**
 * One line of the log as bytes [s, e) of a reused buffer, with its text made
 * only when a family asks for it: most lines are classified from bytes alone.
 */
export class LineView {
  buf: Buffer = Buffer.alloc(0);
  s = 0;
  e = 0;
  private head: string | null = null;

  set(buf: Buffer, s: number, e: number): this {
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

  /** The line's first HEAD_BYTES as text (latin1: one character per byte, so indexes agree). */
  text(): string {
    return (this.head ??= this.buf.toString('latin1', this.s, Math.min(this.e, this.s + HEAD_BYTES)));
  }

  /** The whole line as text. */
  full(): string {
    return this.e - this.s <= HEAD_BYTES ? this.text() : this.buf.toString('latin1', this.s, this.e);
  }
}

/** Whitespace as a regex's `\s` sees it in latin1 text. */
export function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 160;
}

/** A word character (`\w`). */
export function isWord(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

/**
 * Strings for byte ranges that repeat (subsystem names, tags): the same bytes
 * give the same string without decoding them again, and the table builder's
 * interning finds it by identity.
 */
export class SubCache {
  private readonly slots: (string | undefined)[] = new Array<string | undefined>(1024);

  get(buf: Buffer, s: number, e: number): string {
    let h = e - s;
    for (let i = s; i < e; i++) h = (Math.imul(h, 31) + buf[i]) | 0;
    const k = h & 1023;
    const hit = this.slots[k];
    if (hit !== undefined && hit.length === e - s) {
      let same = true;
      for (let i = 0; i < hit.length; i++) {
        if (hit.charCodeAt(i) !== buf[s + i]) {
          same = false;
          break;
        }
      }
      if (same) return hit;
    }
    const str = buf.toString('latin1', s, e);
    this.slots[k] = str;
    return str;
  }
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
