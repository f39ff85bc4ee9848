// `kscope --version` answers without loading any command (and so without DuckDB or the readers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runCli } from './helpers.js';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

test('--version and -V print the package version and exit 0', () => {
  for (const flag of ['--version', '-V']) {
    const r = runCli([flag]);
    assert.equal(r.code, 0, flag);
    assert.equal(r.stdout.trim(), VERSION, flag);
  }
});

test('--help still lists every command', () => {
  const r = runCli(['--help']);
  assert.equal(r.code, 0);
  for (const name of ['index', 'summary', 'crashes', 'runs', 'parity', 'export']) assert.match(r.stdout, new RegExp(`\\b${name}\\b`), name);
});
