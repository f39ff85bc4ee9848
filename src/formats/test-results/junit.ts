// JUnit XML: <testsuites> / <testsuite> (nested allowed) / <testcase> with <failure>, <error>,
// <skipped> children, plus gtest's status="notrun" / result="skipped" attributes. Parsed with
// fast-xml-parser (a maintained, dependency-light XML parser); a broken file is one located error.
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

/** Line numbers of character offsets, by binary search over the newline positions. */
function lineIndex(xml: string): (offset: number) => number {
  const nl: number[] = [];
  for (let i = xml.indexOf('\n'); i >= 0; i = xml.indexOf('\n', i + 1)) nl.push(i);
  return (offset) => {
    let lo = 0;
    let hi = nl.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (nl[mid] < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
}

export function readJunit(xml: string, file: string, log: DiagnosticLog): ReaderOutput {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    const e = valid.err;
    throw new FormatError({ file, line: e.line }, `column ${e.col}: broken XML: ${e.msg}`);
  }
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    textNodeName: '#text',
    parseTagValue: false,
    parseAttributeValue: false,
    captureMetaData: true,
    isArray: (name) => ARRAYS.has(name),
  });
  const doc: unknown = parser.parse(xml);
  const lineOf = lineIndex(xml);
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
      line: lineOf(start),
      source: 'junit',
    };
    const t = Number.parseFloat(attr(tc, 'time'));
    if (Number.isFinite(t)) r.duration_ms = Math.round(t * 1e6) / 1e3;
    if (body && status !== 'pass') r.output = body.split('\n').slice(0, MAX_OUTPUT_LINES);
    return r;
  };

  if (isNode(doc)) {
    for (const top of children(doc, 'testsuites')) {
      for (const s of children(top, 'testsuite')) visitSuite(s, '');
    }
    for (const s of children(doc, 'testsuite')) visitSuite(s, '');
  }
  if (suites === 0) {
    log.add({ code: 'JUNIT_NO_SUITES', severity: 'warning', file, line: 1, message: 'well-formed XML but no <testsuite> element' });
  }
  results.sort((a, b) => a.line - b.line);
  return { results, unnamed: emptyCounts(), info: { suites } };
}
