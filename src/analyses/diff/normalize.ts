/**
 * Line normalization for comparing runs: two boots of the same kernel differ
 * in every timestamp, address, pid and counter, so lines are compared after
 * those are masked. The masking itself is the crash-title masking (one rule
 * set for "the same thing in another run"); this module adds what a whole
 * log needs on top: terminal escapes and control bytes out, the printk
 * time/caller prefix off, blank lines dropped.
 */
import { maskMessage } from '../crashes/index.js';

// ANSI CSI/OSC sequences and two-byte escapes: firmware and QEMU consoles emit them mid-line.
const ANSI = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[ -/]*[0-~])/g;
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/;
const CONTROL_G = /[\x00-\x08\x0b-\x1f\x7f]/g;
/** printk's `<L>` level, `[ seconds.micros]` time and `[  T123]`/`[ C1]` caller: run-specific by nature. */
const PRINTK_PREFIX = /^(?:<\d>)?(?:\[\s*\d+\.\d+\])?(?:\[\s*[TC]\d+\])? ?/;
/**
 * Long decimal numbers (epoch seconds, counters) become N before the title
 * masking runs: it would read eight or more digits as a bare hex address and
 * leave a fraction behind (`audit(1795444483.744:1)`).
 */
/**
 * Bytes another CPU wrote in front of a bracketed record (`T4T5[BOOT_TESTS:START]`,
 * `FG1[gic] …`): serial output of SMP kernels interleaves, and the record is the
 * same record. Only a short prefix without spaces before `[word` is dropped,
 * so `systemd[1]:` keeps its name.
 */
const JUNK_PREFIX = /^[A-Za-z0-9@]{1,16}(?=\[[A-Za-z_][A-Za-z0-9_]*[\]:])/;
const LONG_DECIMAL = /(?<![A-Za-z_\d.])\d{8,}(?:\.\d+)?(?![A-Za-z_\d])/g;

/** The line as a person should see it: no escapes, no control bytes, no trailing blanks. */
export function cleanLine(raw: string): string {
  let s = raw;
  if (CONTROL.test(s)) s = s.replace(ANSI, '').replace(CONTROL_G, '');
  return s.trimEnd();
}

/** Masked bodies by body: logs repeat their messages (only the printk time differs), and masking is the cost of a diff. */
const MASKED = new Map<string, string>();
const MASKED_MAX = 1 << 17;
const DIGIT = /\d/;

function mask(body: string): string {
  // Every masking rule needs a digit; without one only the spacing changes.
  if (!DIGIT.test(body)) return body.replace(/\s+/g, ' ').trim();
  let m = MASKED.get(body);
  if (m === undefined) {
    // Forgetting everything at once keeps the cache bounded without LRU bookkeeping per line.
    if (MASKED.size >= MASKED_MAX) MASKED.clear();
    m = maskMessage(body.replace(LONG_DECIMAL, 'N'));
    MASKED.set(body, m);
  }
  return m;
}

/**
 * The comparable form of one log line: cleaned, printk prefix dropped, then
 * masked like a crash title. '' for a line with nothing left (skipped by diff).
 */
export function normalizeLine(raw: string): string {
  const s = cleanLine(raw);
  if (s === '') return '';
  const body = s.replace(PRINTK_PREFIX, '').replace(JUNK_PREFIX, '');
  return body === '' ? '' : mask(body);
}

/** `0:[123] ENTER foo (id=4)` → `ENTER foo (id=4)`: a TII event's index is its position, not its content. */
const EVENT_PREFIX = /^(?:\?|\d+):\[\d+\] /;

/**
 * The comparable form of a decoded event (binary streams): its type, the
 * function it names (ids are stable within one build, and masking would merge
 * every unnamed function), then its text masked.
 */
export function normalizeEvent(type: string, text: string, fields: Record<string, unknown>): string {
  const body = maskMessage(cleanLine(text).replace(EVENT_PREFIX, ''));
  const fn = fields.symbol ?? (fields.function_id !== undefined ? `fn#${String(fields.function_id)}` : undefined);
  return fn === undefined ? `${type} ${body}` : `${type} ${String(fn)} ${body}`;
}

/** Words that make a line worth reading first, by weight: a fault outranks a warning outranks a failure word. */
/**
 * Words that make a line worth reading first, by weight: a fault outranks an
 * error outranks a failure word. Letters may not touch a word, underscores
 * may (`FATAL_REGS`, `INSTRUCTION_ABORT`).
 */
const SEVERITY: readonly [RegExp, number][] = [
  [/(?<![a-z])(?:panic|oops|fatal|abort|segfault|segmentation fault|double fault|triple fault|unhandled|bug:|kernel bug|page fault|general protection)(?![a-z])/gi, 3],
  [/(?<![a-z])(?:fault|exception|error|corrupt|hung|stuck|lockup|deadlock|stall|killed|assert(?:ion)?)(?![a-z])|\*\*\*/gi, 2],
  [/(?<![a-z])(?:fail|failed|failure|warn|warning|timeout|timed out|invalid|denied|refused|unexpected|mismatch|lost|dropped)(?![a-z])/gi, 1],
];

/**
 * A word used as configuration, not as an event: a parameter name
 * (`panic=-1`) or a whole lower-case parameter value (`kscope=panic`).
 * Kernel events print upper case or prose (`label=INSTRUCTION_ABORT`).
 */
function isSetting(text: string, at: number, word: string): boolean {
  const after = text.charCodeAt(at + word.length);
  if (after === 61 /* = */) return true;
  if (text.charCodeAt(at - 1) !== 61 || word !== word.toLowerCase()) return false;
  // The value ends with the word (end of line, space, quote, comma…): it is the whole value.
  return Number.isNaN(after) || !/\w/.test(String.fromCharCode(after));
}

/** 0 (plain) to 3 (a fault or panic): how strongly a line reads like trouble. */
export function severityOf(text: string): number {
  for (const [re, w] of SEVERITY) {
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) if (!isSetting(text, m.index, m[0])) return w;
  }
  return 0;
}
