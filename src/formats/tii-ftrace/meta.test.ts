import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { UserError } from '../../util/errors.js';
import { findMetaBeside, readMetaFile } from './meta.js';

const dir = mkdtempSync(join(tmpdir(), 'kscope-meta-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('tii ftrace.meta', () => {
  test('dictionary addresses above 2^53 stay exact; unknown keys are kept', () => {
    const addrs = [0xffffff8040001234n, 0xffffff80400abcd8n, 0x1000n];
    const p = join(dir, 'ftrace.meta');
    writeFileSync(
      p,
      `{"header": {"VERSION": 3, "TYPE": "FTRACE_STREAM", "OVERFLOW": false, "RAW_SIZE": 20}, "dictionary": {${addrs
        .map((a, i) => `"${i * 2}": ${a}`)
        .join(', ')}}, "raw_size": 20, "entry_count": 10, "pipeline": {"tool": "x"}}`,
    );
    const m = readMetaFile(p);
    assert.deepEqual([...m.dictionary], addrs.map((a, i) => [i * 2, a]));
    assert.deepEqual([m.rawSize, m.entryCount], [20, 10]);
    assert.deepEqual(m.header, { VERSION: 3, TYPE: 'FTRACE_STREAM', OVERFLOW: false, RAW_SIZE: 20 });
    assert.deepEqual(m.extra, { pipeline: { tool: 'x' } });
  });

  test('missing keys are fine', () => {
    const p = join(dir, 'min.meta');
    writeFileSync(p, '{}');
    const m = readMetaFile(p);
    assert.equal(m.dictionary.size, 0);
    assert.equal(m.entryCount, undefined);
  });

  test('bad meta files give one line naming the file', () => {
    const bad = join(dir, 'bad.meta');
    writeFileSync(bad, '{"dictionary": {"1": ');
    assert.throws(() => readMetaFile(bad), (e: unknown) => e instanceof UserError && e.message.startsWith(`${bad}: meta file is not valid JSON`));
    const arr = join(dir, 'arr.meta');
    writeFileSync(arr, '[1, 2]');
    assert.throws(() => readMetaFile(arr), (e: unknown) => e instanceof UserError && e.message.startsWith(`${arr}: meta file: expected a JSON object`));
    const gone = join(dir, 'gone.meta');
    assert.throws(() => readMetaFile(gone), (e: unknown) => e instanceof UserError && e.message.startsWith(`${gone}: cannot read`));
  });

  test('the sidecar: <name>.meta first, then ftrace.meta in the same folder', () => {
    const d = join(dir, 'side');
    mkdirSync(d);
    assert.equal(findMetaBeside(join(d, 'run1.bin')), undefined);
    writeFileSync(join(d, 'ftrace.meta'), '{}');
    assert.equal(findMetaBeside(join(d, 'run1.bin')), join(d, 'ftrace.meta'));
    writeFileSync(join(d, 'run1.meta'), '{}');
    assert.equal(findMetaBeside(join(d, 'run1.bin')), join(d, 'run1.meta'));
  });
});
