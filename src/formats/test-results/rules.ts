// User rules: in-house test output described by regular expressions in a small JSON file.
//
//   {
//     "rules": [
//       { "pattern": "^TEST (?<suite>\\w+)/(?<name>\\S+): (?<status>OK|FAILED)(?: - (?<message>.*))?$",
//         "status_map": { "OK": "pass", "FAILED": "fail" } },
//       { "pattern": "^SKIPPED (?<name>\\S+)", "status": "skip", "suite": "smoke" }
//     ],
//     "status_map": { "BROKEN": "error" }
//   }
//
// A rule needs a named group `name`; `suite`, `status` and `message` are optional groups, with a
// rule's fixed "suite"/"status"/"message" as fallbacks. A status group's text is looked up in the
// rule's status_map, then the file's, then (case-insensitively) among the usual words (pass, ok,
// passed, fail, failed, skip, skipped, timeout, error, crash, notrun, …). "flags" adds RegExp flags
// (i, u, s). The first rule that matches a line wins. A top-level array is accepted as "rules".
import { readFileSync } from 'node:fs';
import type { DiagnosticLog } from '../../model/diagnostics.js';
import { TEST_STATUSES, type TestStatus } from '../../model/test-result.js';
import { UserError } from '../../util/errors.js';
import { userRegExp } from '../../util/user-regex.js';
import { clip, stripAnsi, type LineReader, type LineReaderFactory, type ReaderOutput, type TestRecord } from './types.js';

export interface Rule {
  re: RegExp;
  suite: string;
  status: TestStatus | null;
  message: string;
  map: Map<string, TestStatus>;
}

const WORDS: Record<string, TestStatus> = {
  pass: 'pass', passed: 'pass', ok: 'pass', success: 'pass', succeeded: 'pass', good: 'pass',
  fail: 'fail', failed: 'fail', failure: 'fail', 'not ok': 'fail', bad: 'fail',
  skip: 'skip', skipped: 'skip', ignored: 'skip', disabled: 'skip',
  timeout: 'timeout', 'timed out': 'timeout', timedout: 'timeout', hung: 'timeout', hang: 'timeout',
  error: 'error', errored: 'error', crash: 'error', crashed: 'error', panic: 'error',
  notrun: 'notrun', 'not run': 'notrun', not_run: 'notrun',
};

const KNOWN_KEYS = new Set(['pattern', 'flags', 'suite', 'status', 'message', 'status_map']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function statusMap(file: string, where: string, v: unknown): Map<string, TestStatus> {
  const out = new Map<string, TestStatus>();
  if (v === undefined) return out;
  if (!isObject(v)) throw new UserError(`${file}: ${where}: expected an object mapping printed words to statuses`);
  for (const [k, s] of Object.entries(v)) {
    if (typeof s !== 'string' || !(TEST_STATUSES as readonly string[]).includes(s)) {
      throw new UserError(`${file}: ${where}.${k}: ${JSON.stringify(s)} is not a status (${TEST_STATUSES.join(', ')})`);
    }
    out.set(k, s as TestStatus);
  }
  return out;
}

/** Line and column of a JSON.parse error, from the character position V8 reports. */
function jsonErrorAt(text: string, message: string): string {
  const m = /position (\d+)/.exec(message);
  if (!m) return '';
  const pos = Number(m[1]);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const col = pos - before.lastIndexOf('\n');
  return `:${line}:${col}`;
}

/** Reads and checks a rules file; every mistake is a one-line UserError naming the file and the rule. */
export function loadRules(file: string): Rule[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${file}: cannot read rules file (${code === 'ENOENT' ? 'no such file' : code ?? String(e)})`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message.replace(/\s+/g, ' ');
    throw new UserError(`${file}${jsonErrorAt(text, msg)}: not valid JSON: ${msg}`);
  }
  const list: unknown = Array.isArray(doc) ? doc : isObject(doc) ? doc.rules : undefined;
  if (!Array.isArray(list)) throw new UserError(`${file}: expected {"rules": [ … ]} (or an array of rules)`);
  if (list.length === 0) throw new UserError(`${file}: "rules" is empty`);
  const global = isObject(doc) ? statusMap(file, 'status_map', doc.status_map) : new Map<string, TestStatus>();
  return list.map((raw: unknown, i: number): Rule => {
    const where = `rules[${i}]`;
    if (!isObject(raw)) throw new UserError(`${file}: ${where}: expected an object with a "pattern"`);
    const unknown = Object.keys(raw).filter((k) => !KNOWN_KEYS.has(k));
    if (unknown.length) throw new UserError(`${file}: ${where}: unknown key ${JSON.stringify(unknown[0])} (known: ${[...KNOWN_KEYS].join(', ')})`);
    if (typeof raw.pattern !== 'string' || raw.pattern === '') throw new UserError(`${file}: ${where}.pattern: expected a non-empty string`);
    const flags = raw.flags === undefined ? '' : raw.flags;
    if (typeof flags !== 'string' || !/^[isu]*$/.test(flags)) throw new UserError(`${file}: ${where}.flags: only i, s and u are allowed`);
    let re: RegExp;
    try {
      re = userRegExp(raw.pattern, flags);
    } catch (e) {
      throw new UserError(`${file}: ${where}.pattern: invalid regular expression: ${(e as Error).message}`);
    }
    if (!raw.pattern.includes('(?<name>')) throw new UserError(`${file}: ${where}.pattern: needs a named group (?<name>…) for the test name`);
    const fixed = raw.status;
    if (fixed !== undefined && (typeof fixed !== 'string' || !(TEST_STATUSES as readonly string[]).includes(fixed))) {
      throw new UserError(`${file}: ${where}.status: ${JSON.stringify(fixed)} is not a status (${TEST_STATUSES.join(', ')})`);
    }
    if (fixed === undefined && !raw.pattern.includes('(?<status>')) {
      throw new UserError(`${file}: ${where}: needs a (?<status>…) group or a fixed "status"`);
    }
    for (const k of ['suite', 'message'] as const) {
      if (raw[k] !== undefined && typeof raw[k] !== 'string') throw new UserError(`${file}: ${where}.${k}: expected a string`);
    }
    const map = statusMap(file, `${where}.status_map`, raw.status_map);
    for (const [k, v] of global) if (!map.has(k)) map.set(k, v);
    return {
      re, map,
      suite: typeof raw.suite === 'string' ? raw.suite : '',
      status: (fixed as TestStatus | undefined) ?? null,
      message: typeof raw.message === 'string' ? raw.message : '',
    };
  });
}

function lookup(rule: Rule, word: string): TestStatus | null {
  const w = word.trim();
  return rule.map.get(w) ?? rule.map.get(w.toLowerCase()) ?? WORDS[w.toLowerCase()] ?? null;
}

class RulesReader implements LineReader {
  readonly source = 'rules';
  private readonly results: TestRecord[] = [];

  constructor(
    private readonly rules: Rule[],
    private readonly file: string,
    private readonly log: DiagnosticLog,
  ) {}

  line(raw: string, lineNo: number): void {
    const text = stripAnsi(raw);
    for (let i = 0; i < this.rules.length; i++) {
      const rule = this.rules[i];
      const m = rule.re.exec(text);
      if (!m) continue;
      const g = m.groups ?? {};
      const name = (g.name ?? '').trim();
      if (!name) continue;
      let status = rule.status;
      if (g.status !== undefined) {
        status = lookup(rule, g.status);
        if (!status) {
          this.log.add({
            code: 'RULE_UNMAPPED_STATUS', severity: 'warning', file: this.file, line: lineNo,
            message: `rules[${i}] matched but status "${clip(g.status, 40)}" is in no status_map; line skipped`,
          });
          return;
        }
      }
      if (!status) return;
      this.results.push({
        name, suite: (g.suite ?? rule.suite).trim(), status, message: clip(g.message ?? rule.message), line: lineNo, source: this.source,
      });
      return;
    }
  }

  end(): ReaderOutput {
    return { results: this.results, unnamed: {}, info: this.results.length ? { rules: this.rules.length } : {} };
  }
}

/** A reader factory for one loaded rules file. */
export function rulesReader(rules: Rule[]): LineReaderFactory {
  return (file, log) => new RulesReader(rules, file, log);
}
