/**
 * Failure signatures: one short, stable key per failed test, derived from
 * the test's own message and output, so that failures with one root cause
 * group together across tests, runs and architectures. This is what the
 * user's parity notes do by hand ("ENETUNREACH (101)", "EFAULT (14)",
 * "hang after exec", "read-only disk") to decide what to fix first.
 *
 * Pure functions: no store, no I/O. The most specific evidence wins:
 *   1. a crash report whose lines overlap the test's output (crash title);
 *   2. a CPU fault syndrome (arm64 ESR class + fault status, x86 #PF error code, #GP, …);
 *   3. an errno, by name, by number in errno context, or by strerror text;
 *   4. a timeout or hang (status `timeout`, or the words);
 *   5. an assertion line, numbers and addresses masked;
 *   6. the message itself, masked;
 *   7. the bare status when the test said nothing.
 */
import type { TestStatus } from '../model/test-result.js';
import { errnoLabel, findErrno } from './errno.js';
import { findFault } from './fault.js';

export type SignatureKind = 'crash' | 'fault' | 'errno' | 'hang' | 'assert' | 'message' | 'status';

export interface Signature {
  /** Grouping key, `<kind>:<detail>`; equal keys mean "same root cause". */
  key: string;
  kind: SignatureKind;
  /** For people: "ENETUNREACH (101)", "hang", "data abort (current EL), translation fault L1 (ESR 0x96000005)". */
  label: string;
}

/** The part of a crash record signatures use (the registry may not import analyses/). */
export interface CrashRef {
  kind: string;
  title: string;
}

export interface SignatureInput {
  status: TestStatus;
  /** The test's own name: kunit-style lines start with `name: `, which would make every test its own group. */
  name?: string;
  message: string;
  /** The test's own failure detail lines. */
  output?: readonly string[];
  /** Crash reports whose line range overlaps the test's output range, in log order. */
  crashes?: readonly CrashRef[];
}

/** Statuses that get a signature: the ones a fix turns into a pass. */
export function isFailure(status: TestStatus): boolean {
  return status === 'fail' || status === 'timeout' || status === 'error';
}

/** Longest label or key detail kept; longer assertion texts are cut (they rarely differ only at the end). */
export const MAX_DETAIL = 160;

const SYM_OFFSET = /([A-Za-z_.$][\w.$]*)\+0x[0-9a-fA-F]+(?:\/0x[0-9a-fA-F]+)?/g;
const HEX_PREFIXED = /\b0x[0-9a-fA-F]+\b/g;
/** Bare hex of 8+ digits with at least one digit (addresses, hashes) — keeps ordinary words. */
const HEX_BARE = /\b(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{8,}\b/g;
/** A decimal not glued to a letter on either side (keeps `x86_64`, `ext4`, `sha256`). */
const DECIMAL = /(?<![A-Za-z_\d.])-?\d+(?:\.\d+)?(?![A-Za-z_\d])/g;
const DURATION = /(?<![A-Za-z_\d.])\d+(?:\.\d+)?(ns|us|µs|ms|s)\b/g;

/**
 * Masks what varies between runs of the same failure — addresses, counts,
 * pids, durations, source line numbers — so "expected 3, got 4" and
 * "expected 5, got 7" group together.
 */
export function maskText(s: string): string {
  return s
    .replace(SYM_OFFSET, '$1')
    .replace(HEX_PREFIXED, '<hex>')
    .replace(HEX_BARE, '<hex>')
    .replace(DURATION, '<n>$1')
    .replace(DECIMAL, '<n>')
    .replace(/\s+/g, ' ')
    .trim();
}

function cut(s: string): string {
  return s.length > MAX_DETAIL ? `${s.slice(0, MAX_DETAIL - 1)}…` : s;
}

const HANG_WORDS = /\b(?:timed?[ _-]?out|time[ _-]out|hang(?:s|ing)?|hung|stall(?:ed)?|no progress|live-?lock|soft lockup|watchdog)\b/i;
/** The generic part of a timeout message; what remains says where it hung. */
const HANG_GENERIC = /\b(?:test\s+)?(?:timed?[ _-]?out|time[ _-]out|hang(?:s|ing)?|hung|stall(?:ed)?)\b|\bno result before the log ended\b/gi;
/** How long it waited says nothing about where it hung. */
const HANG_DURATION = /\b(?:after|in|for)\s+<n>\s*(?:ns|us|µs|ms|s|sec(?:onds?)?|min(?:utes?)?)?(?!\w)/gi;
const ASSERT_WORDS = /assert|panicked at|\bexpected\b|mismatch|\bleft\b.*\bright\b|!=|==|\bshould\b|\bgot\b/i;

/** A line without its diagnostic `#` and a leading `<test name>:` (KTAP and kunit write both). */
function stripOwnName(line: string, name: string | undefined): string {
  let l = line.trim().replace(/^#\s*/, '');
  if (name && l.startsWith(name)) {
    const rest = l.slice(name.length);
    if (/^\s*:/.test(rest)) l = rest.replace(/^\s*:\s*/, '');
  }
  return l;
}

/** Output lines the test wrote itself (KTAP/kunit prefix them with `# <name>:`), without that prefix. */
function ownLines(input: SignatureInput): string[] {
  if (!input.name) return [];
  const out: string[] = [];
  for (const l of input.output ?? []) {
    const t = l.trim().replace(/^#\s*/, '');
    if (t.startsWith(input.name) && /^\s*:/.test(t.slice(input.name.length))) out.push(stripOwnName(l, input.name));
  }
  return out;
}

/** The text lines a signature is derived from: the message first, then the output. */
function linesOf(input: SignatureInput): string[] {
  const out: string[] = [];
  for (const l of [...input.message.split('\n'), ...(input.output ?? [])]) {
    const s = stripOwnName(l, input.name);
    if (s !== '') out.push(s);
  }
  return out;
}

/** The signature of one failed, timed-out or errored test; null for a pass, skip or not-run. */
export function failureSignature(input: SignatureInput): Signature | null {
  if (!isFailure(input.status)) return null;
  const crash = input.crashes?.[0];
  if (crash) {
    const title = cut(crash.title.replace(/\s+/g, ' ').trim());
    return { key: `crash:${title}`, kind: 'crash', label: title };
  }
  const lines = linesOf(input);
  const fault = findFault(lines);
  if (fault) return { key: `fault:${fault.key}`, kind: 'fault', label: fault.label };
  for (const l of lines) {
    const e = findErrno(l);
    if (e) return { key: `errno:${e.name}`, kind: 'errno', label: errnoLabel(e) };
  }
  const message = input.message.split('\n').map((l) => stripOwnName(l, input.name)).find((l) => l !== '') ?? '';
  if (input.status === 'timeout' || HANG_WORDS.test(message)) {
    const rest = maskText(message)
      .replace(HANG_GENERIC, '')
      .replace(HANG_DURATION, '')
      .replace(/^[\s:;,.()-]+|[\s:;,.()-]+$/g, '')
      .trim();
    // "timed out waiting for SIGALRM" and "timeout" are different hangs; "timeout after 30s" and "timeout" are not.
    if (/\w{2,}/.test(rest)) return { key: `hang:${cut(rest)}`, kind: 'hang', label: `hang: ${cut(rest)}` };
    // A generic message ("hung, no result before the log ended"): the test's own last words say where it hung.
    const own = ownLines(input).map(maskText).filter((l) => /\w{2,}/.test(l));
    const where = own[own.length - 1];
    return where ? { key: `hang:${cut(where)}`, kind: 'hang', label: `hang: ${cut(where)}` } : { key: 'hang', kind: 'hang', label: 'hang / timeout' };
  }
  const assertion = lines.find((l) => ASSERT_WORDS.test(l));
  if (assertion) {
    // KUnit ends its "Expected a == b, but" line with ", but"; the values follow on the next lines.
    const m = cut(maskText(assertion).replace(/,\s*but$/, ''));
    return { key: `assert:${m}`, kind: 'assert', label: m };
  }
  if (message.trim() !== '') {
    const m = cut(maskText(message));
    return { key: `message:${m}`, kind: 'message', label: m };
  }
  return { key: `status:${input.status}`, kind: 'status', label: `${input.status} (no message)` };
}

/** Statuses ordered by how much they say went wrong; a run that reports one test twice keeps the worst. */
export const STATUS_RANK: Record<TestStatus, number> = { pass: 0, skip: 1, notrun: 2, fail: 3, timeout: 4, error: 5 };
