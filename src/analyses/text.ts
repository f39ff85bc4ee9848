import { closeSync, openSync, readSync } from 'node:fs';
import { Needles } from '../util/needles.js';

export { Needles };

/** A line longer than this is cut there (the rest is skipped), so a binary file cannot make the buffer grow without bound. */
export const MAX_LINE_BUFFER = 64 << 20;

/** Bytes of a line that `text()` decodes: markers and evidence sit at the start of a line, and a 1 MiB line must not become a 1 MiB string. */
export const MAX_TEXT_BYTES = 4096;

// Terminal escapes and control bytes a serial capture picks up (the same set console-log strips).
const CONTROL = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b[()*+][ -~]|\x1b[ -Z\\-~]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;
const HAS_CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/;

/** A line without escape sequences and control bytes, as people read it. */
export function cleanText(s: string): string {
  return HAS_CONTROL.test(s) ? s.replace(CONTROL, '') : s;
}

/**
 * The lines of a text input, read forward in big chunks in step with a scan:
 * `seek(n)` moves to line n (1-based, counted like util/lines: `\n` ends a
 * line, a trailing CR is dropped), after which `buf[start, end)` holds its
 * bytes. Analyses test bytes first (see Needles) and decode with `text()`
 * only the lines they keep, so a pass over a large log makes few strings.
 * Seeking backwards restarts from the top of the file (scans never do).
 */
export class LineText {
  buf: Buffer;
  /** The current line's bytes are buf[start, end); valid after a successful seek. */
  start = 0;
  end = 0;
  /** The current line number; 0 before the first seek. */
  line = 0;
  private view: Buffer;
  private readonly fd: number;
  private filePos = 0;
  private eof = false;
  /** Where the line after `line` starts in buf. */
  private next = 0;
  private skipping = false;
  // The shared scan: every analysis's needles in one automaton, run once per line when first asked.
  private watched: string[] = [];
  private ac: Needles | null = null;
  private hits = new Uint8Array(0);
  private touched = new Int32Array(0);
  private touchedN = 0;
  private scannedLine = -1;
  private cachedLine = -1;
  private cachedText = '';

  constructor(
    readonly path: string,
    chunkBytes = 256 << 10,
  ) {
    this.fd = openSync(path, 'r');
    this.buf = Buffer.allocUnsafe(chunkBytes);
    this.view = this.buf.subarray(0, 0);
  }

  private reset(): void {
    this.filePos = 0;
    this.eof = false;
    this.next = 0;
    this.line = 0;
    this.scannedLine = -1;
    this.skipping = false;
    this.view = this.buf.subarray(0, 0);
  }

  /** Moves the unread tail to the front and reads more; false when nothing more came. */
  private refill(): boolean {
    if (this.eof) return false;
    const keep = this.view.length - this.next;
    if (keep > 0 && this.next > 0) this.buf.copy(this.buf, 0, this.next, this.view.length);
    if (keep >= this.buf.length) {
      // One line fills the whole buffer: grow, so the line still ends up in one piece.
      const bigger = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(bigger, 0, 0, keep);
      this.buf = bigger;
    }
    this.next = 0;
    const n = readSync(this.fd, this.buf, keep, this.buf.length - keep, this.filePos);
    this.filePos += n;
    if (n === 0) this.eof = true;
    this.view = this.buf.subarray(0, keep + n);
    return n > 0;
  }

  /** Reads the line after the current one into [start, end). */
  private advance(): boolean {
    for (;;) {
      if (this.skipping) {
        // The rest of an overlong line: drop bytes up to its newline.
        const nl = this.view.indexOf(10, this.next);
        if (nl >= 0) {
          this.next = nl + 1;
          this.skipping = false;
        } else {
          this.next = this.view.length;
          if (!this.refill()) return false;
          continue;
        }
      }
      const nl = this.view.indexOf(10, this.next);
      if (nl >= 0) return this.take(this.next, nl, nl + 1);
      if (this.view.length - this.next >= MAX_LINE_BUFFER) {
        // No newline in 64 MiB: keep that much as the line and skip the rest of it.
        this.skipping = true;
        return this.take(this.next, this.view.length, this.view.length);
      }
      if (!this.refill()) {
        // The last line has no newline.
        return this.next < this.view.length ? this.take(this.next, this.view.length, this.view.length) : false;
      }
    }
  }

  private take(s: number, e: number, next: number): boolean {
    this.start = s;
    this.end = e > s && this.view[e - 1] === 13 ? e - 1 : e;
    this.next = next;
    this.line++;
    return true;
  }

  /**
   * Makes `line` current; false when the file has fewer lines. With the
   * line's byte `offset` (from the index), lines in between are jumped over
   * instead of split one by one: a pass that reads every other line does
   * not pay for the rest.
   */
  seek(line: number, offset = -1): boolean {
    if (line === this.line && line > 0) return true;
    if (line < this.line) this.reset();
    if (offset >= 0 && line > this.line + 1) this.jump(line, offset);
    while (this.line < line) {
      if (this.advance()) continue;
      // Past the end (an index that disagrees with the file): start over rather than keep a made-up line number.
      this.reset();
      return false;
    }
    return true;
  }

  /** Positions the reader so that the next line read is `line`, starting at byte `offset`. */
  private jump(line: number, offset: number): void {
    const viewStart = this.filePos - this.view.length;
    if (offset >= viewStart + this.next && offset <= this.filePos) this.next = offset - viewStart;
    else {
      this.filePos = offset;
      this.eof = false;
      this.next = 0;
      this.view = this.buf.subarray(0, 0);
    }
    this.skipping = false;
    this.line = line - 1;
  }

  /** The current line, decoded (first MAX_TEXT_BYTES bytes) and cleaned; one string per line however often asked. */
  text(): string {
    if (this.cachedLine === this.line) return this.cachedText;
    const e = Math.min(this.end, this.start + MAX_TEXT_BYTES);
    this.cachedText = cleanText(this.buf.toString('utf8', this.start, e));
    this.cachedLine = this.line;
    return this.cachedText;
  }

  /**
   * Registers needles (before the pass: in an analysis's `begin`) and
   * returns the id of the first; `hit(id)` then says whether the current
   * line holds needle `id`. All analyses' needles share one automaton, so
   * each line's bytes are read once however many analyses look at them.
   */
  watch(needles: readonly string[]): number {
    if (this.ac) throw new Error('LineText.watch after the pass started');
    const base = this.watched.length;
    this.watched.push(...needles);
    return base;
  }

  /** Runs the shared automaton over the current line, once. */
  private scan(): void {
    if (this.scannedLine === this.line) return;
    this.scannedLine = this.line;
    if (!this.ac) {
      this.ac = new Needles(this.watched);
      this.hits = new Uint8Array(this.watched.length);
      this.touched = new Int32Array(this.watched.length);
    }
    for (let k = 0; k < this.touchedN; k++) this.hits[this.touched[k]] = 0;
    this.touchedN = this.ac.findAll(this.buf, this.start, this.end, this.hits, this.touched);
  }

  /** The current line holds any watched needle (most lines hold none: callers skip them whole). */
  anyHit(): boolean {
    this.scan();
    return this.touchedN > 0;
  }

  /** The current line holds watched needle `id`. */
  hit(id: number): boolean {
    this.scan();
    return this.hits[id] === 1;
  }

  /** The first of `count` needles from `base` that the current line holds, as an offset from `base`; -1 when none. */
  firstHit(base: number, count: number): number {
    this.scan();
    for (let k = 0; k < count; k++) if (this.hits[base + k] === 1) return k;
    return -1;
  }

  /** Text of `line` (seeks there). */
  at(line: number): string {
    return this.seek(line) ? this.text() : '';
  }

  close(): void {
    closeSync(this.fd);
  }
}

/**
 * A 32-bit hash of a line's shape: its bytes with every run of digits (and
 * the hex digits after `0x`) folded into one placeholder, so
 * `[heartbeat] tid=9 uptime_ms=6443` and `… uptime_ms=7457` hash alike; at
 * most `symbols` folded symbols are hashed (counted after folding, so a
 * longer number does not shift the cut). FNV-1a over bytes, kept to 30 bits
 * so the value is a small integer for V8 (no heap number per line in a Set).
 */
export function shapeHash(buf: Uint8Array, start: number, end: number, symbols = Infinity): number {
  let h = 0x811c9dc5;
  let inNumber = false;
  let inHex = false;
  let left = symbols;
  for (let i = start; i < end && left > 0; i++) {
    const b = buf[i];
    const digit = b >= 48 && b <= 57;
    const hexLetter = inHex && ((b >= 97 && b <= 102) || (b >= 65 && b <= 70));
    if (digit || hexLetter) {
      if (!inNumber) {
        h = Math.imul(h ^ 35 /* # */, 0x01000193);
        inNumber = true;
        left--;
      }
      continue;
    }
    // `0x`: the x follows a 0 and starts hex digits.
    if ((b === 120 || b === 88) && inNumber && buf[i - 1] === 48) {
      inHex = true;
      continue;
    }
    inNumber = false;
    inHex = false;
    h = Math.imul(h ^ b, 0x01000193);
    left--;
  }
  return h & 0x3fffffff;
}
