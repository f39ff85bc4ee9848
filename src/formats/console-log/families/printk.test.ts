// The hand-written printk header parser must agree with the grammar's regex on every real line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { newScratch } from '../../../model/event-table.js';
import { printk, subsysEnd } from './printk.js';
import { HEAD_BYTES, LineView } from '../family.js';
import { rng } from '../../../util/rng.js';

const FIXTURES = fileURLToPath(new URL('../../../../../test/fixtures/linux/', import.meta.url));
// The grammar as one regex: level, timestamp, caller id (T = thread, C = CPU).
const REF = /^(?:<(\d)>)?\[ *(\d+\.\d+)\](?: *\[ *([TC])(\d+)\])?/;

test('printk header: same timestamp, level and CPU as the reference regex on every fixture line', () => {
  const match = printk.create();
  let checked = 0;
  for (const f of readdirSync(FIXTURES).filter((x) => x.endsWith('.log.gz'))) {
    for (const raw of gunzipSync(readFileSync(join(FIXTURES, f))).toString('latin1').split('\n')) {
      const line = raw.replace(/\r$/, '');
      const row = newScratch();
      const got = match(LineView.of(line), row);
      const m = REF.exec(line);
      assert.equal(got === 0, m !== null, `${f}: accepted? ${JSON.stringify(line.slice(0, 60))}`);
      if (!m) continue;
      assert.equal(row.ts, Number(m[2]), `${f}: ts of ${line.slice(0, 40)}`);
      assert.equal(row.aux, m[1] === undefined ? NaN : Number(m[1]));
      assert.equal(row.cpu, m[3] === 'C' ? Number(m[4]) : -1);
      checked++;
    }
  }
  assert.ok(checked > 5000, `checked ${checked} printk lines`);
});

test('printk header: levels, caller ids and malformed headers', () => {
  const match = printk.create();
  const cases: [string, number, number, number][] = [
    ['<6>[    1.500000] usb 1-1: new device', 0, 1.5, -1],
    ['[    0.000000][    T1] Linux version', 0, 0, -1],
    ['[    2.250000] [    C3] NMI watchdog', 0, 2.25, 3],
    ['[  123.456789] ', 0, 123.456789, -1],
    ['[    1.2345 missing bracket', -1, NaN, -1],
    ['[ .5] no integer part', -1, NaN, -1],
    ['<x>[    1.0] bad level', -1, NaN, -1],
  ];
  for (const [line, type, ts, cpu] of cases) {
    const row = newScratch();
    assert.equal(match(LineView.of(line), row), type, line);
    if (type < 0) continue;
    assert.equal(row.ts, ts, line);
    assert.equal(row.cpu, cpu, line);
  }
  const row = newScratch();
  match(LineView.of('<4>[    7.000001] ACPI: something'), row);
  assert.equal(row.aux, 4);
  assert.equal(row.sub, 'ACPI');
});

// The subsystem scanner replaces this regex; it must pick the same prefix on any text.
const SUBSYS_REF = /([A-Za-z][\w.-]{0,23}(?: [\w:.()-]{1,32})?|[\w-]+ \([\w.-]+\)):\s/y;

function refSubsys(text: string, at: number): string {
  SUBSYS_REF.lastIndex = at;
  return SUBSYS_REF.exec(text.slice(0, HEAD_BYTES))?.[1] ?? '';
}

function scanSubsys(text: string, at: number): string {
  const v = LineView.of(text);
  const end = subsysEnd(v, at);
  return end < 0 ? '' : text.slice(at, end);
}

test('printk subsystem: the byte scanner agrees with the regex on every fixture message', () => {
  let checked = 0;
  let named = 0;
  for (const f of readdirSync(FIXTURES).filter((x) => x.endsWith('.log.gz'))) {
    for (const raw of gunzipSync(readFileSync(join(FIXTURES, f))).toString('latin1').split('\n')) {
      const m = /^\[ *\d+\.\d+\] /.exec(raw);
      if (!m) continue;
      const want = refSubsys(raw, m[0].length);
      assert.equal(scanSubsys(raw, m[0].length), want, `${f}: ${JSON.stringify(raw.slice(0, 80))}`);
      checked++;
      if (want) named++;
    }
  }
  assert.ok(checked > 5000 && named > 1000, `checked ${checked} messages, ${named} with a subsystem`);
});

test('printk subsystem: the byte scanner agrees with the regex on generated near-misses', () => {
  // Runs of the classes the regex switches between, at and around its length limits.
  const rand = rng(7);
  const pieces = ['a', 'Z', '9', '_', '.', '-', ':', '(', ')', ' ', '\t', ': ', ' (', '):', 'x'.repeat(22), 'y'.repeat(23), 'z'.repeat(24), '0'.repeat(31), '1'.repeat(32), '2'.repeat(33), '#', 'é', 'usb 1-1', 'EXT4-fs (vda)', 'pci 0000:00:01.0', 'ACPI', ': x', ' x:'];
  let matched = 0;
  for (let n = 0; n < 50_000; n++) {
    let text = '';
    const k = 1 + Math.floor(rand() * 8);
    for (let i = 0; i < k; i++) text += pieces[Math.floor(rand() * pieces.length)];
    const at = rand() < 0.2 ? Math.floor(rand() * Math.min(4, text.length)) : 0;
    const want = refSubsys(text, at);
    assert.equal(scanSubsys(text, at), want, JSON.stringify({ text, at }));
    if (want) matched++;
  }
  // Long lines: only the first HEAD_BYTES count, as for the regex on the line's head.
  for (const text of ['w'.repeat(HEAD_BYTES - 3) + 'a: b', 'abc ' + '1'.repeat(HEAD_BYTES - 6) + ': x', 'a'.repeat(10) + ': ' + 'b'.repeat(HEAD_BYTES)]) {
    assert.equal(scanSubsys(text, 0), refSubsys(text, 0), text.slice(0, 20));
  }
  assert.ok(matched > 1000, `only ${matched} generated texts had a subsystem`);
});
