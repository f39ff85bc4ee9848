// The hand-written printk header parser must agree with the grammar's regex on every real line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { newScratch } from '../../../model/event-table.js';
import { printk } from './printk.js';
import { LineView } from '../family.js';

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
