// KTAP (Documentation/dev-tools/ktap.rst) and TAP 13/14, read as tolerantly as the kernel's
// kunit tool reads them: console prefixes stripped, structure first and indentation as a hint,
// noise between results kept as the next result's output, bad numbering diagnosed, never fatal.
import type { DiagnosticLog } from '../../model/diagnostics.js';
import type { TestStatus } from '../../model/test-result.js';
import {
  clip, emptyCounts, MAX_OUTPUT_LINES, stripAnsi,
  type LineReader, type ReaderOutput, type StatusCounts, type TestRecord,
} from './types.js';

const VERSION = /^(KTAP|TAP) version (\d+)\s*$/;
const SUBTEST = /^# Subtest:\s*(.*?)\s*$/;
const PLAN = /^1\.\.(\S*)\s*(?:#\s*(.*))?$/;
/** `ok 1 - name # DIRECTIVE reason`; the number is optional in TAP, the name in both. */
const RESULT = /^(not ok|ok)(?:\s+(\d+))?\b\s*(?:-\s+)?([^#]*?)\s*(?:#\s*(.*))?$/;
const DIRECTIVE = /^(SKIP|TODO|TIMEOUT|XFAIL|FAIL|ERROR)\b:?\s*(.*)$/i;
/** kunit's per-suite stats and `# Totals:` lines. */
const STATS = /^# (.+?): pass:(\d+) fail:(\d+) skip:(\d+) total:(\d+)\s*$/;
/** Breenix's BTRT KTAP trailer. */
const BTRT_TOTALS = /^# (\d+) passed, (\d+) failed, (\d+) skipped\s*$/;
const BAIL = /^Bail out!\s*(.*)$/;
/** KUnit's per-test log prefix, `# example_test: …` (not a stats line, which STATS takes first). */
const RUNNING_NAME = /^#\s*([A-Za-z_][\w.-]*):\s/;
/** printk's `<6>` level, `[    1.234567]` time and `[  T123]` caller id, as the console shows them. */
const PRINTK = /^(?:<\d+>)?(?:\[\s*\d+\.\d+\])?(?:\[\s*[TC]\d+\])?/;

const HUNG = 'hung (no result before the log ended)';
const BAD: ReadonlySet<TestStatus> = new Set<TestStatus>(['fail', 'error', 'timeout']);
const MAX_LOG = 60;

interface Level {
  root: boolean;
  name: string | null;
  version: string | null;
  /** Indentation of the header line that opened the level (-1 for the root). */
  headerIndent: number;
  /** Indentation of the level's own results and plan, -1 until one is seen. */
  indent: number;
  headerLine: number;
  plan: number | null;
  results: number;
  expected: number;
  numbers: Map<number, { name: string; line: number; status: TestStatus }[]>;
  counts: StatusCounts;
  leafCounts: StatusCounts;
  leaves: number;
  /** Lines since the level's last result: the next result's own output. */
  log: string[];
  logStart: number;
  childOpened: boolean;
}

function newLevel(root: boolean, headerIndent: number, line: number): Level {
  return {
    root, name: null, version: null, headerIndent, indent: -1, headerLine: line, plan: null, results: 0, expected: 1,
    numbers: new Map(), counts: emptyCounts(), leafCounts: emptyCounts(), leaves: 0, log: [], logStart: line + 1, childOpened: false,
  };
}

interface ParsedResult {
  ok: boolean;
  number: number | null;
  name: string;
  directive: string;
  line: number;
}

function indentOf(s: string): number {
  let n = 0;
  for (const ch of s) {
    if (ch === ' ') n++;
    else if (ch === '\t') n += 4;
    else break;
  }
  return n;
}

/** Status and message a result line itself states (`# SKIP …`, `# TODO`, Breenix's `# TIMEOUT`). */
function statusOf(ok: boolean, directive: string): { status: TestStatus; message: string } {
  const d = DIRECTIVE.exec(directive);
  if (d) {
    const word = d[1].toUpperCase();
    const why = d[2].trim();
    if (word === 'SKIP') return { status: 'skip', message: why };
    // TAP: a TODO test that fails is expected to fail and is not a failure of the run.
    if (word === 'TODO') return { status: ok ? 'pass' : 'skip', message: why ? `TODO: ${why}` : 'TODO' };
    if (word === 'TIMEOUT') return { status: 'timeout', message: why || 'timeout' };
    if (word === 'XFAIL') return { status: ok ? 'pass' : 'skip', message: why ? `XFAIL: ${why}` : 'XFAIL' };
    if (word === 'ERROR') return { status: ok ? 'pass' : 'error', message: why };
    return { status: ok ? 'pass' : 'fail', message: why };
  }
  return { status: ok ? 'pass' : 'fail', message: directive.trim() };
}

/** The most telling line of a failed test's output: kunit's `# name: EXPECTATION FAILED at …`, else the first line. */
function messageFromLog(log: string[]): string {
  const diag = log.find((l) => /^#\s*\S/.test(l.trim()) && !/^#\s*(module|[\w.-]+\.speed):/.test(l.trim()));
  const pick = diag ?? log.find((l) => l.trim() !== '');
  return pick ? clip(pick.trim().replace(/^#\s*/, '')) : '';
}

/** The message of a TAP 13/14 YAML block: `message:` or node's `error:` (first line of a block scalar). */
function messageFromYaml(yaml: string[]): string {
  for (let i = 0; i < yaml.length; i++) {
    const m = /^\s*(message|error):\s*(.*)$/.exec(yaml[i]);
    if (!m) continue;
    let v = m[2].trim();
    if (v === '|' || v === '|-' || v === '>' || v === '>-' || v === '') v = (yaml[i + 1] ?? '').trim();
    return clip(v.replace(/^['"]|['"]$/g, ''));
  }
  return '';
}

class KtapReader implements LineReader {
  source = 'tap';
  private started = false;
  private stack: Level[] = [];
  private prefixLen = 0;
  private readonly results: TestRecord[] = [];
  private readonly unnamed: StatusCounts = emptyCounts();
  private lastRow: TestRecord | null = null;
  private afterResult = false;
  private yaml: string[] | null = null;
  private lastClosed: Level | null = null;
  private documents = 0;
  private planned = 0;

  constructor(
    private readonly file: string,
    private readonly log: DiagnosticLog,
  ) {}

  private get top(): Level {
    return this.stack[this.stack.length - 1];
  }

  private diag(code: string, severity: 'error' | 'warning' | 'info', line: number | undefined, message: string): void {
    this.log.add({ code, severity, file: this.file, line, message });
  }

  /** Strips the console's printk prefix, then (like kunit) whatever stood before the first version line. */
  private clean(raw: string): string {
    let s = stripAnsi(raw);
    const m = PRINTK.exec(s);
    if (m && m[0].length) {
      s = s.slice(m[0].length);
      if (s.startsWith(' ')) s = s.slice(1);
    }
    if (this.prefixLen > 0) s = s.slice(Math.min(this.prefixLen, s.length));
    return s;
  }

  line(raw: string, lineNo: number): void {
    // Cheap gate before any cleaning: until a document starts, only its first line matters.
    if (!this.started && !raw.includes('TAP version') && !raw.includes('# Subtest') && !raw.includes('1..')) return;
    let text = this.clean(raw);
    if (!this.started) {
      // Nothing counts before a version line, a plan or a subtest header: "ok 1" alone is too common in logs.
      if (!text.includes('TAP version') && !text.includes('# Subtest') && !text.includes('1..')) return;
      const at = text.search(/K?TAP version \d+\s*$/);
      if (at > 0 && text.slice(0, at).trim() !== '') {
        // A prefix kscope does not know (journal, dmesg -x): kunit's rule, strip as many characters from every line.
        this.prefixLen = at;
        text = text.slice(at);
      }
      const c = text.trim();
      if (!VERSION.test(c) && !SUBTEST.test(c) && !/^1\.\.\d+\s*(#.*)?$/.test(c)) {
        this.prefixLen = 0;
        return;
      }
      this.startDocument(lineNo);
    }
    const indent = indentOf(text);
    const content = text.trim();
    if (this.yaml) {
      if (content === '...') {
        this.endYaml();
        return;
      }
      if (this.yaml.length < 200) this.yaml.push(text);
      return;
    }
    if (content === '---' && this.afterResult && this.lastRow) {
      this.yaml = [];
      return;
    }
    if (content !== '') this.afterResult = false;

    let m: RegExpExecArray | null;
    if ((m = RESULT.exec(content))) {
      this.onResult({ ok: m[1] === 'ok', number: m[2] === undefined ? null : Number(m[2]), name: m[3].trim(), directive: m[4] ?? '', line: lineNo }, indent);
      return;
    }
    if ((m = VERSION.exec(content))) {
      this.onVersion(`${m[1]} version ${m[2]}`, indent, lineNo);
      return;
    }
    if ((m = SUBTEST.exec(content))) {
      this.onSubtest(m[1], indent, lineNo);
      return;
    }
    if (content.startsWith('1..') && (m = PLAN.exec(content))) {
      this.onPlan(m[1], indent, lineNo, raw);
      return;
    }
    if (content.startsWith('#')) {
      if ((m = STATS.exec(content))) return this.onStats(m[1], Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), lineNo);
      if ((m = BTRT_TOTALS.exec(content))) return this.onBtrtTotals(Number(m[1]), Number(m[2]), lineNo);
    }
    if ((m = BAIL.exec(content))) {
      this.onBail(m[1], lineNo);
      return;
    }
    this.addLog(text, lineNo);
  }

  private addLog(text: string, lineNo: number): void {
    const t = this.top;
    if (!t) return;
    if (t.log.length === 0) t.logStart = lineNo;
    t.log.push(text.length > 500 ? text.slice(0, 500) : text);
    if (t.log.length > MAX_LOG) t.log.splice(0, t.log.length - MAX_LOG);
  }

  private startDocument(lineNo: number): void {
    this.started = true;
    this.documents++;
    this.stack = [newLevel(true, -1, lineNo)];
    this.lastClosed = null;
  }

  /** A level that never got any content line; after `h`, nothing suggests it belongs deeper. */
  private isFresh(l: Level): boolean {
    return l.plan === null && l.results === 0 && l.indent === -1 && !l.childOpened;
  }

  /** A level whose results sit at its parent's indentation: indentation says nothing there. */
  private isFlat(l: Level): boolean {
    const parent = this.stack[this.stack.indexOf(l) - 1];
    if (!parent) return true;
    const pi = parent.indent !== -1 ? parent.indent : parent.root ? 0 : parent.headerIndent;
    return l.indent === pi;
  }

  private effIndent(l: Level): number {
    return l.indent !== -1 ? l.indent : l.headerIndent;
  }

  private onVersion(version: string, indent: number, lineNo: number): void {
    const root = this.stack[0];
    const t = this.top;
    if (this.stack.length === 1 && this.isFresh(root) && root.version === null) {
      root.version = version;
      root.headerLine = lineNo;
      if (version.startsWith('KTAP')) this.source = 'ktap';
      return;
    }
    if (!t.root && this.isFresh(t) && t.version === null && t.headerIndent === indent) {
      t.version = version;
      return;
    }
    // A new document: the previous one is complete, or this header sits left of it.
    if (this.stack.length === 1 && root.indent !== -1) {
      const complete = root.plan !== null && root.results >= root.plan;
      if (indent < root.indent || (indent === root.indent && complete)) {
        this.finishDocument(lineNo - 1);
        this.startDocument(lineNo);
        this.stack[0].version = version;
        return;
      }
    }
    const l = this.pushHeader(indent, lineNo);
    l.version = version;
  }

  private onSubtest(name: string, indent: number, lineNo: number): void {
    const t = this.top;
    if (!t.root && this.isFresh(t) && t.name === null && t.headerIndent === indent) {
      t.name = name;
      return;
    }
    const l = this.pushHeader(indent, lineNo);
    l.name = name;
  }

  /** Opens a child level for a header line at `indent`, closing levels the header sits left of. */
  private pushHeader(indent: number, lineNo: number): Level {
    for (;;) {
      const t = this.top;
      if (t.root) break;
      const eff = this.effIndent(t);
      if (indent < eff || (t.indent !== -1 && indent === t.indent && t.headerIndent === t.indent && !this.isFlat(t))) {
        // KTAP puts a subtest's header at its children's indentation, so a header at (or left of)
        // an indented level's results starts a sibling: the open level never printed its result.
        if (indent < t.headerIndent || t.indent !== -1) {
          this.closeWithoutResult(t, lineNo);
          continue;
        }
      }
      break;
    }
    const parent = this.top;
    if (parent.indent === -1 && !parent.root && indent > parent.headerIndent) parent.indent = indent;
    parent.childOpened = true;
    const l = newLevel(false, indent, lineNo);
    this.stack.push(l);
    return l;
  }

  /** The level a plan or result line at `indent` belongs to, opening or closing levels as needed. */
  private place(indent: number, lineNo: number): Level {
    for (;;) {
      const t = this.top;
      if (t.indent === -1) {
        if (t.root || indent >= t.headerIndent) {
          t.indent = indent;
          return t;
        }
        this.closeWithoutResult(t, lineNo);
        continue;
      }
      if (indent === t.indent) return t;
      if (indent > t.indent) {
        // Results deeper than any header: an unannounced subtest (old kunit parameterised tests).
        const l = newLevel(false, indent, lineNo);
        l.indent = indent;
        t.childOpened = true;
        this.stack.push(l);
        return l;
      }
      if (t.root) {
        t.indent = indent;
        return t;
      }
      this.closeWithoutResult(t, lineNo);
    }
  }

  private onPlan(value: string, indent: number, lineNo: number, raw: string): void {
    if (!/^\d+$/.test(value)) {
      this.diag('KTAP_BAD_PLAN', 'warning', lineNo, `bad plan "${clip(raw.trim(), 60)}": expected 1..N with N a number; plan ignored`);
      return;
    }
    const n = Number(value);
    const l = this.place(indent, lineNo);
    if (l.plan !== null) {
      this.diag('KTAP_BAD_PLAN', 'warning', lineNo, `second plan 1..${n} for ${l.name ?? 'the top level'} (first was 1..${l.plan}); keeping the first`);
      return;
    }
    if (l.results > 0 && l.results !== n) {
      // TAP allows the plan last; then it must match what came before.
      this.diag('KTAP_PLAN_MISMATCH', 'warning', lineNo, `trailing plan 1..${n} but ${l.results} results came before it`);
    }
    l.plan = n;
    if (l.root) this.planned += n;
  }

  private onResult(r: ParsedResult, indent: number): void {
    const t = this.top;
    // node:test style: "# Subtest: t" then "ok 1 - t" at the same indentation is the test itself.
    if (!t.root && t.indent === -1 && indent === t.headerIndent && (t.name === null || r.name === t.name)) {
      this.closeLevel(t, r);
      return;
    }
    // A result left of the open level's results closes it (the subtest's own result line).
    for (;;) {
      const top = this.top;
      if (top.root || indent >= this.effIndent(top)) break;
      const parent = this.stack[this.stack.length - 2];
      const pi = parent.indent !== -1 ? parent.indent : parent.root ? -1 : parent.headerIndent;
      if (parent.root || pi === -1 || indent >= pi) {
        this.closeLevel(top, r);
        return;
      }
      this.closeWithoutResult(top, r.line);
    }
    const top = this.top;
    // Flat logs (no indentation): a subtest ends when its plan is met or its own name comes back.
    if (!top.root && indent === top.indent && this.isFlat(top)) {
      const planMet = top.plan !== null && top.results >= top.plan;
      const nameBack = top.plan === null && top.results > 0 && top.name !== null && r.name === top.name;
      if (planMet || nameBack) {
        this.closeLevel(top, r);
        return;
      }
    }
    const l = this.place(indent, r.line);
    this.addLeaf(l, r);
  }

  /** Checks a result's number against its level's sequence; false when it repeats an earlier result exactly. */
  private number(l: Level, r: ParsedResult, status: TestStatus, name: string): { keep: boolean; n: number } {
    const n = r.number ?? l.expected;
    const prev = l.numbers.get(n) ?? [];
    const same = prev.find((p) => p.name === name && p.status === status);
    if (same) {
      this.diag('KTAP_REPEATED_RESULT', 'info', r.line, `result ${n} ${name} repeats line ${same.line}; counted once`);
      return { keep: false, n };
    }
    if (prev.length) {
      this.diag('KTAP_DUPLICATE_NUMBER', 'warning', r.line, `test number ${n} used again (line ${prev[0].line} was ${prev[0].name}); keeping both`);
    } else if (n > l.expected) {
      this.diag('KTAP_SPARSE_NUMBERS', 'info', r.line, `test numbers jump from ${l.expected - 1} to ${n}`);
    } else if (n < l.expected) {
      this.diag('KTAP_OUT_OF_ORDER', 'warning', r.line, `test number ${n} after ${l.expected - 1}`);
    }
    prev.push({ name, line: r.line, status });
    l.numbers.set(n, prev);
    l.expected = Math.max(l.expected, n + 1);
    l.results++;
    l.counts[status]++;
    return { keep: true, n };
  }

  private addLeaf(l: Level, r: ParsedResult): void {
    const st = statusOf(r.ok, r.directive);
    const name = r.name || `#${r.number ?? l.expected}`;
    const { keep, n } = this.number(l, r, st.status, name);
    const log = l.log;
    const logStart = l.logStart;
    l.log = [];
    l.logStart = r.line + 1;
    if (!keep) return;
    const row: TestRecord = {
      name, suite: l.name ?? '', status: st.status, message: st.message, line: r.line,
      start_line: log.length ? logStart : r.line, end_line: r.line, source: this.source, number: n,
    };
    if (!st.message && st.status === 'fail') row.message = messageFromLog(log);
    if (BAD.has(st.status) && log.length) row.output = log.slice(-MAX_OUTPUT_LINES);
    this.emit(row);
    this.bumpLeaves(st.status);
  }

  private bumpLeaves(status: TestStatus): void {
    for (const l of this.stack) {
      l.leafCounts[status]++;
      l.leaves++;
    }
  }

  private emit(row: TestRecord): void {
    this.results.push(row);
    this.lastRow = row;
    this.afterResult = true;
  }

  /** A subtest's own result line: the level ends here. */
  private closeLevel(l: Level, r: ParsedResult): void {
    this.stack.pop();
    const parent = this.top;
    const st = statusOf(r.ok, r.directive);
    const name = r.name || l.name || `#${r.number ?? parent.expected}`;
    if (l.name !== null && r.name !== '' && r.name !== l.name) {
      this.diag('KTAP_NAME_MISMATCH', 'info', r.line, `subtest "${l.name}" (line ${l.headerLine}) ends with a result named "${r.name}"`);
    }
    this.checkPlan(l, r.line);
    const { keep, n } = this.number(parent, r, st.status, name);
    this.lastClosed = l;
    if (!keep) return;
    if (l.leaves === 0) {
      // A subtest with no results of its own (skipped suite, init failure, node:test leaf) is itself the test.
      const row: TestRecord = {
        name, suite: parent.name ?? '', status: st.status, message: st.message, line: r.line,
        start_line: l.headerLine, end_line: r.line, source: this.source, number: n,
      };
      if (!st.message && st.status === 'fail') row.message = messageFromLog(l.log);
      if (BAD.has(st.status) && l.log.length) row.output = l.log.slice(-MAX_OUTPUT_LINES);
      this.emit(row);
      this.bumpLeaves(st.status);
    } else {
      const bad = l.leafCounts.fail + l.leafCounts.error + l.leafCounts.timeout;
      if (st.status === 'fail' && bad === 0) {
        this.diag('KTAP_SUBTEST_FAILED', 'warning', r.line, `subtest ${name} reports not ok although none of its ${l.leaves} results failed (suite init/exit?)`);
      }
      this.lastRow = null;
      this.afterResult = false;
    }
    parent.log = [];
    parent.logStart = r.line + 1;
  }

  private checkPlan(l: Level, line: number): void {
    if (l.plan === null) return;
    if (l.results < l.plan) {
      const missing = l.plan - l.results;
      this.diag('KTAP_MISSING_RESULTS', 'warning', line, `${l.name ?? 'top level'}: plan 1..${l.plan} but ${l.results} results; ${missing} counted as not run`);
      this.unnamed.notrun += missing;
    } else if (l.results > l.plan) {
      this.diag('KTAP_PLAN_EXCEEDED', 'warning', line, `${l.name ?? 'top level'}: plan 1..${l.plan} but ${l.results} results`);
    }
  }

  /** A level that ends without its own result line (its parent moved on, or a sibling header began). */
  private closeWithoutResult(l: Level, line: number): void {
    this.stack.pop();
    this.diag('KTAP_NO_RESULT', 'warning', line, `subtest ${l.name ?? `opened at line ${l.headerLine}`} ended without its own result line`);
    this.checkPlan(l, line);
    this.lastClosed = l;
  }

  private endYaml(): void {
    const yaml = this.yaml ?? [];
    this.yaml = null;
    const row = this.lastRow;
    if (!row) return;
    const msg = messageFromYaml(yaml);
    if (msg && BAD.has(row.status) && !row.message) row.message = msg;
    const d = yaml.map((l) => /^\s*duration_ms:\s*([\d.]+)/.exec(l)).find((x) => x);
    if (d) row.duration_ms = Number(d[1]);
    if (BAD.has(row.status) && yaml.length) row.output = [...(row.output ?? []), ...yaml].slice(-MAX_OUTPUT_LINES);
  }

  private onStats(name: string, pass: number, fail: number, skip: number, total: number, line: number): void {
    let target: Level | null = null;
    let counts: StatusCounts;
    let n: number;
    if (name === 'Totals') {
      target = this.stack.length > 1 ? this.stack[1] : this.lastClosed ?? this.stack[0];
      counts = target.leafCounts;
      n = target.leaves;
    } else {
      target = [...this.stack].reverse().find((l) => l.name === name) ?? (this.lastClosed?.name === name ? this.lastClosed : null);
      if (!target) return;
      counts = target.counts;
      n = target.results;
    }
    const bad = counts.fail + counts.error + counts.timeout;
    if (counts.pass !== pass || bad !== fail || counts.skip !== skip || n !== total) {
      this.diag('KTAP_TOTALS_MISMATCH', 'warning', line,
        `"${name}" says pass:${pass} fail:${fail} skip:${skip} total:${total}, the results read give pass:${counts.pass} fail:${bad} skip:${counts.skip} total:${n}`);
    }
  }

  private onBtrtTotals(passed: number, failed: number, line: number): void {
    const c = this.stack[0].leafCounts;
    if (c.pass !== passed || c.fail + c.error + c.timeout !== failed) {
      this.diag('KTAP_TOTALS_MISMATCH', 'warning', line, `trailer says ${passed} passed, ${failed} failed; the results read give ${c.pass} passed, ${c.fail + c.error + c.timeout} failed`);
    }
  }

  private onBail(reason: string, line: number): void {
    this.diag('KTAP_BAIL_OUT', 'warning', line, `Bail out!${reason ? ` ${clip(reason, 120)}` : ''}: the remaining planned tests did not run`);
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const l = this.stack[i];
      // The innermost level's missing results never ran; an outer one's open child is already counted there.
      if (l.plan !== null) this.unnamed.notrun += Math.max(0, l.plan - l.results - (i === this.stack.length - 1 ? 0 : 1));
    }
    this.stack = [];
    this.started = false;
  }

  /** The log ended (or a new document began): whatever is still open was running. */
  private finishDocument(lastLine: number): void {
    if (this.yaml) this.endYaml();
    const inner = this.top;
    if (!inner) return;
    const innermostOpen = !inner.root || (inner.plan !== null && inner.results < inner.plan);
    if (innermostOpen) {
      const parent = this.stack[this.stack.length - 2];
      if (!inner.root && inner.indent === -1) {
        // Only the header was printed: the subtest itself is the one that hung.
        this.emit({
          name: inner.name ?? `#${parent?.expected ?? 1}`, suite: parent?.name ?? '', status: 'timeout', message: HUNG,
          line: inner.headerLine, start_line: inner.headerLine, end_line: lastLine, source: this.source,
          ...(inner.log.length ? { output: inner.log.slice(-MAX_OUTPUT_LINES) } : {}),
        });
        this.bumpLeaves('timeout');
      } else if (inner.plan === null || inner.results < inner.plan) {
        // KTAP announces no test before it runs: the hung one is the next number. KUnit prefixes a
        // running test's own messages with "# <test>: ", which names it; else it is named by position.
        const at = inner.log.length ? inner.logStart : lastLine;
        const named = inner.log.map((l) => RUNNING_NAME.exec(l.trim())?.[1]).filter((x): x is string => !!x && x !== 'module' && x !== inner.name).pop();
        this.emit({
          name: named ?? `#${inner.expected}`, suite: inner.name ?? '', status: 'timeout', message: HUNG,
          line: at, start_line: at, end_line: lastLine, source: this.source, number: inner.expected,
          ...(inner.log.length ? { output: inner.log.slice(-MAX_OUTPUT_LINES) } : {}),
        });
        this.bumpLeaves('timeout');
        if (inner.plan !== null) this.unnamed.notrun += Math.max(0, inner.plan - inner.results - 1);
      } else {
        this.diag('KTAP_NO_RESULT', 'warning', lastLine, `${inner.name ?? 'subtest'}: all ${inner.plan} results printed but the log ended before its own result line`);
      }
      if (!inner.root) this.diag('KTAP_LOG_ENDED', 'warning', lastLine, `log ended inside subtest ${inner.name ?? `opened at line ${inner.headerLine}`}`);
      // Every enclosing level was running the inner one; their later planned entries never ran.
      for (let i = this.stack.length - 2; i >= 0; i--) {
        const o = this.stack[i];
        if (o.plan !== null) this.unnamed.notrun += Math.max(0, o.plan - o.results - 1);
      }
    }
    this.stack = [];
    this.started = false;
  }

  end(lastLine: number): ReaderOutput {
    if (this.started) this.finishDocument(lastLine);
    return {
      results: this.results,
      unnamed: this.unnamed,
      info: this.documents ? { documents: this.documents, planned: this.planned || null } : {},
    };
  }
}

export function createKtapReader(file: string, log: DiagnosticLog): LineReader {
  return new KtapReader(file, log);
}
