// JUnit XML: <testsuites> / <testsuite> (nested allowed) / <testcase> with <failure>, <error>,
// <skipped> children, plus gtest's status="notrun" / result="skipped" attributes. Parsed with
// fast-xml-parser (a maintained, dependency-light XML parser). A broken file (a run that died
// while writing it, junk after the document) keeps its longest well-formed prefix of whole
// <testcase>s and gets one located warning; only a file with no whole <testcase> is an error.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { DiagnosticLog } from '../../model/diagnostics.js';
import type { TestStatus } from '../../model/test-result.js';
import { FormatError } from '../../util/errors.js';
import { clip, emptyCounts, MAX_OUTPUT_LINES, type ReaderOutput, type TestRecord } from './types.js';

type Node = Record<string, unknown>;

const ARRAYS = new Set(['testsuites', 'testsuite', 'testcase', 'failure', 'error', 'skipped']);
const META = XMLParser.getMetaDataSymbol();

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function children(n: Node, name: string): Node[] {
  const v = n[name];
  if (!Array.isArray(v)) return [];
  // An empty element (<skipped/>) parses as "".
  return v.map((x: unknown) => (isNode(x) ? x : { '#text': typeof x === 'string' ? x : '' }));
}

function attr(n: Node, name: string): string {
  const v = n[`@_${name}`];
  return typeof v === 'string' ? v : '';
}

function text(n: Node): string {
  const v = n['#text'];
  return typeof v === 'string' ? v : '';
}

/** True when a file's first bytes look like JUnit XML (an XML document with a <testsuite(s)> element). */
export function isJunit(head: Buffer): boolean {
  const s = head.toString('utf8').replace(/^\uFEFF/, '').trimStart();
  return s.startsWith('<') && /<testsuites?[\s>/]/.test(s);
}

/** Lines of a text: the line of a character offset (binary search over newlines) and where a line starts. */
function lineIndex(xml: string): { lineOf: (offset: number) => number; startOf: (line: number) => number } {
  const nl: number[] = [];
  for (let i = xml.indexOf('\n'); i >= 0; i = xml.indexOf('\n', i + 1)) nl.push(i);
  return {
    lineOf: (offset) => {
      let lo = 0;
      let hi = nl.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (nl[mid] < offset) lo = mid + 1;
        else hi = mid;
      }
      return lo + 1;
    },
    startOf: (line) => (line <= 1 ? 0 : nl[Math.min(line, nl.length + 1) - 2] + 1),
  };
}

/** An element open at some point of the scan; `up` is its parent (stacks share their tails). */
interface Open {
  name: string;
  start: number;
  up: Open | null;
}

/** A place right after an element ends with no <testcase> open: a broken file can be cut there. */
interface Cut {
  end: number;
  open: Open | null;
  /** Whole <testcase> elements before `end`. */
  cases: number;
}

const TAG_NAME = /[^\s/>]*/y;

/** Index of the `>` that ends a tag, searching from `i` and skipping quoted values (which may hold `>`), or -1. */
function tagEnd(xml: string, i: number): number {
  let quote = '';
  for (; i < xml.length; i++) {
    const c = xml[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') return i;
  }
  return -1;
}

/**
 * The element structure of a broken file: every cut, and the innermost element the file ends
 * inside (null when the scan stopped at the root's end or at an end tag closing the wrong
 * element). Well-formedness is the validator's job: it checks whatever prefix is kept.
 */
function structure(xml: string): { cuts: Cut[]; endsIn: Open | null } {
  const cuts: Cut[] = [];
  let open: Open | null = null;
  let inCase = 0;
  let cases = 0;
  const past = (from: number, close: string): number => {
    const k = xml.indexOf(close, from);
    return k < 0 ? -1 : k + close.length;
  };
  for (let i = xml.indexOf('<'); i >= 0; i = xml.indexOf('<', i)) {
    if (xml.startsWith('<!--', i)) i = past(i + 4, '-->');
    else if (xml.startsWith('<![CDATA[', i)) i = past(i + 9, ']]>');
    else if (xml.startsWith('<?', i)) i = past(i + 2, '?>');
    else if (xml[i + 1] === '!') i = past(i + 2, '>');
    else {
      const closing = xml[i + 1] === '/';
      TAG_NAME.lastIndex = closing ? i + 2 : i + 1;
      const name = TAG_NAME.exec(xml)?.[0] ?? '';
      const end = tagEnd(xml, TAG_NAME.lastIndex);
      if (end < 0) return { cuts, endsIn: closing || !name ? open : { name, start: i, up: open } };
      const selfClosing = !closing && xml[end - 1] === '/';
      if (closing) {
        if (open?.name !== name) return { cuts, endsIn: null };
        open = open.up;
        if (name === 'testcase' && --inCase === 0) cases++;
      } else if (!selfClosing) {
        open = { name, start: i, up: open };
        if (name === 'testcase') inCase++;
      } else if (name === 'testcase' && inCase === 0) cases++;
      i = end + 1;
      if (inCase === 0 && (closing || selfClosing)) cuts.push({ end: i, open, cases });
      if (open === null) return { cuts, endsIn: null };
    }
    if (i < 0) break;
  }
  return { cuts, endsIn: open };
}

function closers(open: Open | null): string {
  let s = '';
  for (let o = open; o; o = o.up) s += `</${o.name}>`;
  return s;
}

/** The last of `cuts` whose prefix, with the elements open there closed, is well-formed, and that text. */
function lastWellFormed(xml: string, cuts: Cut[], bound: number): { cut: Cut; text: string } | null {
  const fits = (c: Cut): string | null => {
    const t = xml.slice(0, c.end) + closers(c.open);
    return XMLValidator.validate(t) === true ? t : null;
  };
  let hi = cuts.length;
  while (hi > 0 && cuts[hi - 1].end > bound) hi--;
  if (hi === 0) return null;
  // Validating a big file takes seconds: the last cut before the break nearly always fits, and
  // only when it does not, a binary search (if a cut fits, every earlier one does).
  const text = fits(cuts[hi - 1]);
  if (text !== null) return { cut: cuts[hi - 1], text };
  let best: { cut: Cut; text: string } | null = null;
  for (let lo = 0, top = hi - 1; lo < top;) {
    const mid = (lo + top) >> 1;
    const t = fits(cuts[mid]);
    if (t === null) top = mid;
    else {
      best = { cut: cuts[mid], text: t };
      lo = mid + 1;
    }
  }
  return best;
}

/**
 * The text to parse for a broken file: its longest well-formed prefix that ends at a cut, with
 * the elements open there closed. Diagnoses where and why the XML breaks; throws when no whole
 * <testcase> comes before that.
 */
function recover(xml: string, err: { msg: string; line: number; col: number }, file: string, log: DiagnosticLog, lines: ReturnType<typeof lineIndex>): string {
  const { cuts, endsIn } = structure(xml);
  // The validator skips a BOM before counting columns, and gives none for a file without elements.
  const col = (err.col as number | undefined) ?? 1;
  let at = lines.startOf(err.line) + col - 1 + (err.line === 1 && xml.startsWith('\uFEFF') ? 1 : 0);
  const kept = lastWellFormed(xml, cuts, endsIn ? xml.length : at);
  let what = `broken XML: ${err.msg}`;
  let code = kept?.cut.open === null ? 'JUNIT_TRAILING_DATA' : 'JUNIT_BROKEN_XML';
  // Elements left open at the end are reported at line 1 or at their start tag, a start tag cut
  // short as a bad attribute: the file breaks where it ends, unless the validator found an error
  // between the kept prefix and the unfinished part after the last cut.
  if (endsIn && (at <= (kept?.cut.end ?? 0) || at >= (cuts.at(-1)?.end ?? 0))) {
    // The cut-off <testcase> says more than the element inside it (<system-out>, <failure>).
    let inside = endsIn;
    for (let o = endsIn.up; o; o = o.up) if (o.name === 'testcase') inside = o;
    at = xml.trimEnd().length;
    what = `broken XML: the file ends inside <${inside.name}> opened at line ${lines.lineOf(inside.start)}`;
    code = 'JUNIT_TRUNCATED';
  }
  const line = lines.lineOf(at);
  const column = at - lines.startOf(line) + 1;
  if (!kept || kept.cut.cases === 0) throw new FormatError({ file, line }, `column ${column}: ${what}`);
  const byte = Buffer.byteLength(xml.slice(0, at));
  const { cases, end } = kept.cut;
  const elements = `${cases} <testcase> element${cases === 1 ? '' : 's'}`;
  const rest = code === 'JUNIT_TRAILING_DATA'
    ? `ignored from there on; all ${elements} before it kept`
    : `kept the ${elements} complete before it; results after line ${lines.lineOf(end - 1)} may be missing`;
  log.add({ code, severity: 'warning', file, line, offset: byte, unit: 'byte', message: `column ${column} (byte ${byte}): ${what}; ${rest}` });
  return kept.text;
}

export function readJunit(xml: string, file: string, log: DiagnosticLog): ReaderOutput {
  const lines = lineIndex(xml);
  const valid = XMLValidator.validate(xml);
  const doc = valid === true ? xml : recover(xml, valid.err, file, log, lines);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    textNodeName: '#text',
    parseTagValue: false,
    parseAttributeValue: false,
    captureMetaData: true,
    isArray: (name) => ARRAYS.has(name),
  });
  let parsed: unknown;
  try {
    parsed = parser.parse(doc);
  } catch (e) {
    // The validator passes a few things the parser refuses (a garbled <?xml ...?>); the parser
    // does not say where.
    throw new FormatError({ file }, `broken XML: ${e instanceof Error ? e.message : String(e)}`);
  }
  const results: TestRecord[] = [];
  let suites = 0;

  const visitSuite = (s: Node, outer: string): void => {
    suites++;
    const name = attr(s, 'name') || outer;
    for (const tc of children(s, 'testcase')) results.push(testcase(tc, name));
    for (const inner of children(s, 'testsuite')) visitSuite(inner, name);
  };

  const testcase = (tc: Node, suiteName: string): TestRecord => {
    const meta = tc[META as unknown as string];
    const start = isNode(meta) && typeof meta.startIndex === 'number' ? meta.startIndex : 0;
    const failure = children(tc, 'failure')[0];
    const error = children(tc, 'error')[0];
    const skipped = children(tc, 'skipped')[0];
    const classname = attr(tc, 'classname');
    let status: TestStatus = 'pass';
    let detail: Node | undefined;
    if (failure) [status, detail] = ['fail', failure];
    else if (error) [status, detail] = ['error', error];
    else if (skipped) [status, detail] = ['skip', skipped];
    else if (attr(tc, 'status') === 'notrun') status = 'notrun';
    else if (attr(tc, 'result') === 'skipped') status = 'skip';
    const body = detail ? text(detail).trim() : '';
    const message = detail ? attr(detail, 'message') || body.split('\n')[0] || attr(detail, 'type') : '';
    const r: TestRecord = {
      name: attr(tc, 'name') || '(unnamed)',
      suite: suiteName || classname,
      status,
      message: clip(message),
      line: lines.lineOf(start),
      source: 'junit',
    };
    const t = Number.parseFloat(attr(tc, 'time'));
    if (Number.isFinite(t)) r.duration_ms = Math.round(t * 1e6) / 1e3;
    if (body && status !== 'pass') r.output = body.split('\n').slice(0, MAX_OUTPUT_LINES);
    return r;
  };

  if (isNode(parsed)) {
    for (const top of children(parsed, 'testsuites')) {
      for (const s of children(top, 'testsuite')) visitSuite(s, '');
    }
    for (const s of children(parsed, 'testsuite')) visitSuite(s, '');
  }
  if (suites === 0) {
    log.add({ code: 'JUNIT_NO_SUITES', severity: 'warning', file, line: 1, message: 'well-formed XML but no <testsuite> element' });
  }
  results.sort((a, b) => a.line - b.line);
  return { results, unnamed: emptyCounts(), info: { suites } };
}
