import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { UserError } from '../../util/errors.js';
import { loadRules, readTests } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'kscope-rules-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function write(text: string, ext = 'json'): string {
  const p = join(dir, `${++n}.${ext}`);
  writeFileSync(p, text);
  return p;
}

function rejects(rules: unknown, re: RegExp): void {
  const p = write(typeof rules === 'string' ? rules : JSON.stringify(rules));
  assert.throws(() => loadRules(p), (e: unknown) => {
    assert.ok(e instanceof UserError, String(e));
    assert.ok(e.message.startsWith(p), e.message);
    assert.ok(!e.message.includes('\n'), e.message);
    assert.match(e.message, re);
    return true;
  });
}

describe('user rules', () => {
  test('named groups, per-rule and global status maps, fixed fields, first rule wins', () => {
    const rules = write(JSON.stringify({
      rules: [
        { pattern: '^TEST (?<suite>\\w+)/(?<name>\\S+): (?<status>OK|FAILED|BROKEN)(?: - (?<message>.*))?$', status_map: { OK: 'pass', FAILED: 'fail' } },
        { pattern: '^SKIPPED (?<name>\\S+)', status: 'skip', suite: 'smoke', message: 'skipped by config' },
        { pattern: '^(?<name>\\S+) \\.\\.\\. (?<status>\\w+)$', flags: 'i', suite: 'cargo' },
      ],
      status_map: { BROKEN: 'error' },
    }));
    const log = write(['boot', 'TEST net/udp: OK', 'TEST net/tcp: FAILED - ENETUNREACH (101)', 'TEST fs/ro: BROKEN', 'SKIPPED gpu', 'tests::a ... ok', 'tests::b ... FAILED', 'tests::c ... weird'].join('\n'), 'log');
    const r = readTests(log, { rules });
    assert.deepEqual(r.results.map((x) => [x.suite, x.name, x.status, x.message, x.line]), [
      ['net', 'udp', 'pass', '', 2],
      ['net', 'tcp', 'fail', 'ENETUNREACH (101)', 3],
      ['fs', 'ro', 'error', '', 4],
      ['smoke', 'gpu', 'skip', 'skipped by config', 5],
      ['cargo', 'tests::a', 'pass', '', 6],
      ['cargo', 'tests::b', 'fail', '', 7],
    ]);
    const d = r.diagnostics.find((x) => x.code === 'RULE_UNMAPPED_STATUS');
    assert.equal(d?.line, 8);
    assert.match(d?.message ?? '', /rules\[2\].*"weird"/);
  });

  test('a rule matching a line a built-in reader also reads yields one result', () => {
    const rules = write(JSON.stringify([{ pattern: '\\[TEST:(?<suite>\\w+):(?<name>\\w+):(?<status>PASS)\\]' }]));
    const log = write('[TEST:ipc:a:START]\n[TEST:ipc:a:PASS]\n', 'log');
    const r = readTests(log, { rules });
    assert.equal(r.results.length, 1);
    assert.equal(r.summary.duplicates, 1);
  });

  test('mistakes in a rules file are one-line errors naming the rule', () => {
    rejects({ rules: [{ pattern: '(?<name>x)', status: 'pass' }, { pattern: '(?<name>[a-', status: 'pass' }] }, /: rules\[1\]\.pattern: invalid regular expression/);
    rejects({ rules: [{ pattern: '(\\w+) ok', status: 'pass' }] }, /rules\[0\]\.pattern: needs a named group \(\?<name>/);
    rejects({ rules: [{ pattern: '(?<name>\\w+)' }] }, /rules\[0\]: needs a \(\?<status>…\) group or a fixed "status"/);
    rejects({ rules: [{ pattern: '(?<name>\\w+)', status: 'passed' }] }, /rules\[0\]\.status: "passed" is not a status/);
    rejects({ rules: [{ pattern: '(?<name>\\w+) (?<status>\\w+)', status_map: { OK: 'good' } }] }, /rules\[0\]\.status_map\.OK: "good" is not a status/);
    rejects({ rules: [{ pattern: '(?<name>\\w+)', status: 'pass', colour: 'red' }] }, /rules\[0\]: unknown key "colour"/);
    rejects({ rules: [{ pattern: '(?<name>\\w+)', status: 'pass', flags: 'g' }] }, /rules\[0\]\.flags: only i, s and u/);
    rejects({ rules: [] }, /"rules" is empty/);
    rejects({ nope: 1 }, /expected \{"rules": \[ … \]\}/);
    rejects('{\n  "rules": [\n    {"pattern": "x",}\n  ]\n}', /:3:\d+: not valid JSON/);
  });

  test('a missing rules file is a user error', () => {
    assert.throws(() => loadRules(join(dir, 'absent.json')), /absent\.json: cannot read rules file \(no such file\)/);
  });
});
