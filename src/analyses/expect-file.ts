import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { UserError } from '../util/errors.js';
import { userRegExp } from '../util/user-regex.js';

/** One expected (or forbidden) marker of an expectation file. */
export interface Marker {
  /** As written in the file (after any `within …:` or `!`), for reports. */
  text: string;
  /** 1-based line in the expectation file (0 for built-in sets). */
  fileLine: number;
  /** Literal substring (matched on the line's bytes) or regular expression (matched on its cleaned text). */
  literal: Buffer | null;
  regex: RegExp | null;
  /** A substring every line matching `regex` holds: the regex is tried only on lines that have it (built-in sets set it). */
  prefilter: Buffer | null;
  /** Must be seen within this many lines (or ms of event time) after the previous marker. */
  within: { n: number; unit: 'lines' | 'ms' } | null;
  /** `!marker`: must not appear at all (checked over the whole input, not in order). */
  forbidden: boolean;
}

/** An ordered list of markers: from `--expect FILE` or built in. */
export interface ExpectationSet {
  name: string;
  /** The expectation file, or null for a built-in set. */
  file: string | null;
  /**
   * Built-in sets apply only to inputs where their first marker appears (a
   * Linux boot sequence says nothing about a Breenix log); a user's file
   * always applies.
   */
  anchored: boolean;
  markers: Marker[];
  /** Why the set exists, shown with its findings. */
  description?: string;
}

const REGEX = /^\/(.*)\/([a-z]*)$/;
const WITHIN = /^within\s+(\d+)\s*(lines?|ms)\s*:\s*(.*)$/i;
const WITHIN_START = /^within\b/i;

/**
 * Parses one marker as written: `"literal"`, `/regex/flags`, or anything
 * else as a literal substring; a leading `!` forbids it; a leading
 * `within N lines:` / `within N ms:` bounds its distance from the previous
 * marker. Throws a UserError naming `where` (file:line) on any mistake.
 */
export function parseMarker(raw: string, where: string, fileLine: number): Marker {
  let s = raw.trim();
  let within: Marker['within'] = null;
  let forbidden = false;
  if (s.startsWith('!')) {
    forbidden = true;
    s = s.slice(1).trim();
  }
  if (WITHIN_START.test(s)) {
    const w = WITHIN.exec(s);
    if (!w) throw new UserError(`${where}: expected "within N lines: MARKER" or "within N ms: MARKER", got "${s}"`);
    if (forbidden) throw new UserError(`${where}: a forbidden marker (!) cannot have "within": it is checked over the whole input`);
    within = { n: Number(w[1]), unit: w[2].toLowerCase() === 'ms' ? 'ms' : 'lines' };
    s = w[3].trim();
  }
  if (s === '') throw new UserError(`${where}: empty marker; write the text to expect, "quoted text" or /regex/`);
  const r = REGEX.exec(s);
  if (r) {
    if (r[1] === '') throw new UserError(`${where}: empty regular expression //`);
    if (/[gy]/.test(r[2])) throw new UserError(`${where}: regular expression flags g and y make no sense per line; use i, s or u`);
    try {
      return { text: s, fileLine, literal: null, regex: userRegExp(r[1], r[2]), prefilter: null, within, forbidden };
    } catch (e) {
      const msg = (e as Error).message.replace(/^Invalid regular expression: /, '').replace(/^Invalid flags supplied to RegExp constructor /, 'invalid flags ');
      throw new UserError(`${where}: invalid regular expression ${s}: ${msg}`);
    }
  }
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) s = s.slice(1, -1);
  if (s === '') throw new UserError(`${where}: empty marker ""`);
  return { text: s, fileLine, literal: Buffer.from(s, 'utf8'), regex: null, prefilter: null, within, forbidden };
}

/**
 * An expectation file: one marker per line, in the order they must appear;
 * blank lines and lines starting with `#` are ignored. See parseMarker for
 * the marker syntax.
 */
export function parseExpectations(text: string, file: string): ExpectationSet {
  const markers: Marker[] = [];
  text.split(/\r?\n/).forEach((line, k) => {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return;
    markers.push(parseMarker(t, `${file}:${k + 1}`, k + 1));
  });
  if (markers.length === 0) throw new UserError(`${file}: no markers (one per line: text, "quoted text" or /regex/; # starts a comment)`);
  return { name: basename(file), file, anchored: false, markers };
}

/** Reads and parses an expectation file; a missing or unreadable file is a one-line UserError. */
export function loadExpectations(file: string): ExpectationSet {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, expected an expectation file' : `cannot read (${code ?? String(e)})`}`);
  }
  return parseExpectations(text, file);
}
