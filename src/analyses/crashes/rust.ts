/**
 * Rust panics: `panicked at src/x.rs:12:5:` with the message on the next line
 * (Rust ≥ 1.73), or the older `panicked at 'msg', src/x.rs:12:5`. The title
 * keeps the source position verbatim (it is a property of the code) and masks
 * numbers in the message.
 */
import { maskMessage } from './title.js';
import type { CrashFamilyMatcher, CrashFrame, CrashRecord, Emit, LineCtx } from './types.js';

/** Every Rust panic line contains this (the skip gate in extract.ts). */
export const TRIGGERS = ['panicked at'];

export interface PanickedAt {
  location: string;
  /** Message text on the same line (old format, or new format with text after the colon). */
  message: string;
  /** New format with nothing after `file:line:col:`: the message is on the next line(s). */
  messageFollows: boolean;
  /** `thread 'main' panicked at`: a user-space program, not the kernel. */
  thread?: string;
}

const NEW_FORMAT = /(?:^|[\s:'"])panicked at ((?:[A-Za-z]:)?[^\s:'"][^:'"]*):(\d+):(\d+):?\s*(.*)$/;
const OLD_FORMAT = /(?:^|[\s:'"])panicked at '(.*)', ((?:[A-Za-z]:)?[^\s:'"][^:'"]*):(\d+):(\d+)/;
const THREAD = /thread '([^']*)' (?:\(\d+\) )?panicked at/;

/** Parses a `panicked at` line in either format; null when the line has none. */
export function parsePanickedAt(text: string): PanickedAt | null {
  if (!text.includes('panicked at')) return null;
  const thread = THREAD.exec(text)?.[1];
  const o = OLD_FORMAT.exec(text);
  if (o) return { location: `${o[2]}:${o[3]}:${o[4]}`, message: o[1], messageFollows: false, thread };
  const n = NEW_FORMAT.exec(text);
  if (!n) return null;
  const rest = n[4].trim();
  return { location: `${n[1]}:${n[2]}:${n[3]}`, message: rest, messageFollows: rest === '', thread };
}

/** `panicked at <loc>: <masked message>`; the location is never masked. */
export function panicTitle(location: string, message: string): string {
  const m = maskMessage(message);
  return m ? `panicked at ${location}: ${m}` : `panicked at ${location}`;
}

/**
 * Whether a line continues a panic message: the first line after the header
 * always does; later ones only when indented (assert_eq!'s `left:`/`right:`),
 * since other output follows a panic without a blank line in serial logs.
 */
export function isMessageLine(t: string, seen: number): boolean {
  if (t.trim() === '' || /^(?:note: |stack backtrace:)/.test(t.trim()) || parsePanickedAt(t) !== null) return false;
  if (seen === 0) return true;
  return /^\s/.test(t) && !/^\s*\d+: /.test(t);
}

const BACKTRACE_FRAME = /^\s*(\d+):\s+(?:(0x[0-9a-f]+) - )?(.+)$/;
const BACKTRACE_AT = /^\s+at (.+)$/;

interface Open {
  rec: CrashRecord;
  /** Lines of message still expected (new format: until a blank line). */
  inMessage: boolean;
  messageLines: string[];
  inBacktrace: boolean;
}

/** Stand-alone Rust panics (user programs, Rust-for-Linux, kernels without a banner). */
export function makeRustMatcher(emit: Emit): CrashFamilyMatcher {
  let open: Open | null = null;

  const close = (truncated: boolean) => {
    if (!open) return;
    const o = open;
    open = null;
    if (o.messageLines.length && !o.rec.message.includes(o.messageLines[0])) o.rec.message += ` ${o.messageLines[0]}`;
    o.rec.title = panicTitle(o.rec.location ?? '', o.messageLines[0] ?? '');
    o.rec.truncated = truncated;
    emit(o.rec);
  };

  return {
    line(l: LineCtx, claimed: boolean): boolean {
      if (open) {
        const t = l.text;
        if (open.inMessage) {
          if (isMessageLine(t, open.messageLines.length)) {
            if (open.messageLines.length < 16) open.messageLines.push(t.trim());
            open.rec.end_line = l.no;
            return true;
          }
          open.inMessage = false;
        }
        if (/^note: run with `RUST_BACKTRACE=|^stack backtrace:/.test(t.trim())) {
          open.inBacktrace = open.inBacktrace || t.includes('stack backtrace:');
          open.rec.end_line = l.no;
          return true;
        }
        if (open.inBacktrace) {
          const f = BACKTRACE_FRAME.exec(t);
          if (f) {
            const frame: CrashFrame = { text: f[3].trim(), function: f[3].trim() };
            if (f[2]) frame.address = f[2];
            open.rec.frames.push(frame);
            open.rec.end_line = l.no;
            return true;
          }
          const at = BACKTRACE_AT.exec(t);
          if (at && open.rec.frames.length) {
            open.rec.frames[open.rec.frames.length - 1].location = at[1].trim();
            open.rec.end_line = l.no;
            return true;
          }
        }
        close(false);
      }
      if (claimed) return false;
      const p = parsePanickedAt(l.text);
      if (!p) return false;
      const rec: CrashRecord = {
        kind: 'panic',
        title: '',
        line: l.no,
        end_line: l.no,
        cpu: l.callerCpu ?? null,
        registers: {},
        frames: [],
        family: 'rust',
        message: l.text.trim(),
        byte_offset: l.offset,
        truncated: false,
        location: p.location,
      };
      if (p.thread !== undefined) rec.context = 'user';
      open = { rec, inMessage: p.messageFollows, messageLines: p.message ? [p.message] : [], inBacktrace: false };
      return true;
    },
    active(): boolean {
      return open !== null;
    },
    end(lastLine: number, cut: boolean): void {
      // A panic whose message never arrived, or whose last line the log cut short, was cut off by the end of the log.
      if (open) close((open.inMessage && open.messageLines.length === 0) || (cut && open.rec.end_line === lastLine));
    },
  };
}
