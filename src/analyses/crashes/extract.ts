/**
 * One streaming pass over a console log that hands every cleaned line to
 * every crash family. Memory is bounded by the records found, never by the
 * size of the log.
 */
import { forEachLine } from '../../util/lines.js';
import { makeBreenixMatcher, TRIGGERS as BREENIX_TRIGGERS } from './breenix.js';
import { makeLinuxMatcher, TRIGGERS as LINUX_TRIGGERS } from './linux.js';
import { makeRustMatcher, TRIGGERS as RUST_TRIGGERS } from './rust.js';
import type { CrashFamilyMatcher, CrashRecord, LineCtx } from './types.js';
import { Needles } from '../../util/needles.js';
import { asciiBytes, bytesAt } from '../../util/bytes.js';

/**
 * Substrings without which a line cannot start (or revive) a report in any
 * family. While no report is open, lines holding none of them are skipped
 * without being decoded: that keeps the scan of a quiet log fast.
 */
export const TRIGGERS: readonly string[] = [
  ...LINUX_TRIGGERS,
  ...BREENIX_TRIGGERS,
  ...RUST_TRIGGERS,
  // Escapes and NULs can split a marker that cleaning would join again.
  '\x1b',
  '\x00',
];

// ANSI CSI/OSC sequences and two-byte escapes (ESC c, ESC 7, …); serial captures of firmware are full of them.
const ANSI = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[ -/]*[0-~])/g;
// U+FFFD is what decoding made of bytes that are not UTF-8: line noise like the control bytes.
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f\ufffd]/;
const CONTROL_G = /[\x00-\x08\x0b-\x1f\x7f\ufffd]/g;

/**
 * printk's optional `<L>` level, `[ seconds.micros]` timestamp and
 * `[  T123]`/`[ C1]` caller field; the Breenix x86 logger's `[ INFO] target: `.
 */
const PRINTK_PREFIX = /^(?:<\d>)?(?:\[\s*\d+\.\d+\])?(?:\[\s*([TC])(\d+)\])?/;
const BREENIX_LEVEL = /^\[(?: INFO|ERROR| WARN|DEBUG)\] [\w:]+: /;

/**
 * A line that held nothing but control bytes, escapes and undecodable bytes:
 * noise a serial line picked up, not a line anyone wrote. It is neither blank
 * (a blank line ends a Rust panic message) nor foreign (a foreign line ends a
 * backtrace and counts against an open report), so no family sees it.
 */
export function isNoise(decoded: string, l: LineCtx): boolean {
  return l.raw.trim() === '' && decoded.trim() !== '';
}

/** Cleans one decoded line into what the families match against. */
export function lineCtx(decoded: string, no: number, offset: number): LineCtx {
  let raw = decoded;
  if (CONTROL.test(raw)) raw = raw.replace(ANSI, '').replace(CONTROL_G, '');
  let text = raw;
  let callerCpu: number | undefined;
  const m = PRINTK_PREFIX.exec(raw);
  if (m && m[0].length > 0) {
    text = raw.slice(m[0].length);
    // printk puts one space between the prefix and the message; further indentation is the message's own.
    if (text.startsWith(' ')) text = text.slice(1);
    if (m[1] === 'C') callerCpu = Number(m[2]);
  } else {
    const b = BREENIX_LEVEL.exec(raw);
    if (b) text = raw.slice(b[0].length);
  }
  return { no, offset, raw, text, callerCpu };
}

export interface ExtractResult {
  crashes: CrashRecord[];
  lines: number;
}

/** The contract fields first, then the extras, in one fixed order, whatever order a family filled them in. */
const KEY_ORDER: (keyof CrashRecord)[] = [
  'kind',
  'title',
  'line',
  'end_line',
  'cpu',
  'registers',
  'frames',
  'family',
  'arch',
  'message',
  'byte_offset',
  'truncated',
  'context',
  'label',
  'esr',
  'pid',
  'tid',
  'deferred_tid',
  'comm',
  'location',
  'fatal',
  'dispatch_trace',
];

function ordered(r: CrashRecord): CrashRecord {
  const out: Record<string, unknown> = {};
  for (const k of KEY_ORDER) if (r[k] !== undefined) out[k] = r[k];
  return out as unknown as CrashRecord;
}

/**
 * Says whether a line holds any trigger string: one table step per byte of
 * the line (Aho-Corasick, util/needles) and no decoding, so lines outside any
 * report cost little more than finding them.
 */
export class TriggerScanner {
  private readonly needles: Needles;

  constructor(triggers: readonly string[]) {
    this.needles = new Needles(triggers);
  }

  hit(buf: Buffer, start: number, end: number): boolean {
    return this.needles.find(buf, start, end) >= 0;
  }
}

const SCANNER = new TriggerScanner(TRIGGERS);

const RING_PREFIX = '[TRACE] CPU';
const RING_PREFIX_BYTES = asciiBytes(RING_PREFIX);

/** Feeds lines to every family and collects their records. */
class Runner {
  private readonly found: CrashRecord[] = [];
  // Order matters: Breenix first (its panic banner owns the Rust `panicked at` line that follows it).
  private readonly families: CrashFamilyMatcher[];
  /** The last noise line dropped, and the line above the run of noise it ends. */
  private noiseAt = 0;
  private aboveNoise = 0;

  constructor() {
    const emit = (r: CrashRecord) => void this.found.push(r);
    this.families = [makeBreenixMatcher(emit), makeLinuxMatcher(emit), makeRustMatcher(emit)];
  }

  /**
   * A raw line: decoded and offered only when a report is open or it holds a
   * trigger. `ring`: the index says the line is a well-formed `[TRACE] CPU`
   * ring entry, whose names and labels hold no report header: no trigger scan.
   */
  feedBytes(buf: Buffer, start: number, end: number, lineNo: number, byteOffset: number, ring = false): void {
    const trigger = !ring && SCANNER.hit(buf, start, end);
    if (!trigger) {
      let owner: CrashFamilyMatcher | null = null;
      let open = 0;
      for (const f of this.families) {
        if (f.active()) {
          open++;
          owner = f;
        }
      }
      if (open === 0) return;
      // A ring entry inside a fatal dump: the one open report takes it without its text.
      if (open === 1 && owner?.ringLine && bytesAt(buf, start, end, RING_PREFIX_BYTES) && owner.ringLine({ no: lineNo, offset: byteOffset, raw: RING_PREFIX, text: RING_PREFIX })) return;
    }
    const decoded = buf.toString('utf8', start, end);
    const l = lineCtx(decoded, lineNo, byteOffset);
    if (isNoise(decoded, l)) {
      if (this.noiseAt !== lineNo - 1) this.aboveNoise = lineNo - 1;
      this.noiseAt = lineNo;
      return;
    }
    if (this.noiseAt === lineNo - 1) l.above = this.aboveNoise;
    this.feed(l);
  }

  feed(l: LineCtx): void {
    let claimed = false;
    for (const f of this.families) if (f.line(l, claimed)) claimed = true;
  }

  /** `cut`: the last line has no newline, so the log stops inside it. */
  finish(lines: number, cut: boolean): ExtractResult {
    for (const f of this.families) f.end(lines, cut);
    const crashes = this.found.map(ordered).sort((a, b) => a.line - b.line || a.end_line - b.end_line);
    return { crashes, lines };
  }
}

/** Which lines an index already knows to be well-formed ring entries: `lineTypes[line] === code`. */
export interface KnownRingLines {
  lineTypes: Uint8Array;
  code: number;
}

/**
 * Runs all families over `path` (a plain, uncompressed file) in one streaming
 * pass. `chunkBytes` is the read size; tests shrink it to prove that chunk
 * edges change nothing. With `ring` (from the index) ring entries skip the
 * trigger scan, which is most of the cost on a log full of trace dumps.
 */
export function extractFromFile(path: string, chunkBytes?: number, ring?: KnownRingLines): ExtractResult {
  const run = new Runner();
  const types = ring?.lineTypes;
  const code = ring?.code ?? -1;
  let lastEnd = 0;
  const { lines, bytes } = forEachLine(
    path,
    (buf, start, end, lineNo, byteOffset, piece) => {
      lastEnd = byteOffset + (end - start);
      // A line longer than MAX_LINE_BYTES comes in pieces; only its first is read (no report is a megabyte wide).
      if (piece <= 1) run.feedBytes(buf, start, end, lineNo, byteOffset, types !== undefined && types[lineNo] === code);
    },
    chunkBytes,
  );
  // A last line that reaches the end of the file had no newline (nor CR) after it.
  return run.finish(lines, lines > 0 && lastEnd === bytes);
}

/** The same over in-memory text (tests, and callers that already hold a small log). */
export function extractFromText(text: string): ExtractResult {
  const run = new Runner();
  const parts = text.split('\n');
  const cut = parts[parts.length - 1] !== '' && !parts[parts.length - 1].endsWith('\r');
  if (parts[parts.length - 1] === '') parts.pop();
  let offset = 0;
  parts.forEach((p, i) => {
    const bytes = Buffer.from(p.endsWith('\r') ? p.slice(0, -1) : p, 'utf8');
    run.feedBytes(bytes, 0, bytes.length, i + 1, offset);
    offset += Buffer.byteLength(p, 'utf8') + 1;
  });
  return run.finish(parts.length, cut);
}
