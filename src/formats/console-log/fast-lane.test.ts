// The WebAssembly fast lane must index exactly as the JavaScript families do: every row, every
// family state and warning, with it and without it, on real captures and on generated near-misses.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { DiagnosticLog } from '../../model/diagnostics.js';
import { partRows } from '../../model/testing.js';
import { FastLane } from './fast-lane.js';
import { plainKnownTypes } from './families/breenix-trace.js';
import { scanRange } from './index.js';

const SAMPLES = fileURLToPath(new URL('../../../../../shared/samples/breenix/', import.meta.url));
const LINUX = fileURLToPath(new URL('../../../../test/fixtures/linux/', import.meta.url));

const work = join(tmpdir(), `kscope-fast-lane-${process.pid}`);

/** Indexes `path` with and without the lane and asserts the two agree; returns the lane's ring events. */
function assertSameIndex(path: string): number {
  const size = readFileSync(path).length;
  const read = (fast: boolean) => {
    const dir = join(work, fast ? 'fast' : 'slow');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const diags = new DiagnosticLog();
    const r = scanRange(path, 'input', 0, size, dir, 0, diags, undefined, undefined, fast);
    const { piece, ...rest } = r;
    return { rows: partRows(dir, [piece], [0]), rest, diags: diags.list(), counts: piece.counts };
  };
  const fast = read(true);
  const slow = read(false);
  assert.deepEqual(fast.rows, slow.rows, `${path}: rows`);
  assert.deepEqual(fast.rest, slow.rest, `${path}: summary and family states`);
  assert.deepEqual(fast.diags, slow.diags, `${path}: warnings`);
  return countLaneEvents(readFileSync(path));
}

/** Ring-event lines the lane itself decodes in `bytes`. */
function countLaneEvents(bytes: Buffer): number {
  const lane = new FastLane();
  let events = 0;
  for (let at = 0; at < bytes.length; ) {
    const part = bytes.subarray(at, at + (1 << 20));
    part.copy(lane.buf);
    let s = 0;
    for (let n; (n = lane.split(s, part.length)) > 0; s = lane.next) {
      for (let k = 0; k < n; k++) if (lane.kind[k] === FastLane.EVENT) events++;
    }
    if (s === 0) break;
    at += s;
  }
  return events;
}

/**
 * Ring-event lines built from the known type table, then broken every way two CPUs writing at
 * once or an unknown kernel version would: each byte deleted, replaced, or doubled; fields at
 * and past their limits; CRLF endings; uppercase hex.
 */
function nearMisses(): string {
  const known = plainKnownTypes().slice(0, 40);
  const lines: string[] = [];
  const good = (cpu: string, idx: string, ts: string, id: string, nameLabel: string, payload: string, tail = '') =>
    `[TRACE] CPU${cpu} idx=${idx} ts=${ts} type=0x${id} ${nameLabel}${payload}${tail}`;
  known.forEach(([id, bytes], k) => {
    const nl = Buffer.from(bytes).toString('latin1');
    const hex = id.toString(16).padStart(4, '0');
    const base = good(String(k % 4), String((k * 37) % 1024), String(1000003 * (k + 1)), hex, nl, String(k * 977), k % 3 === 0 ? ` flags=0x${(k % 256).toString(16)}` : '');
    lines.push(base);
    for (let i = 0; i < base.length; i++) {
      lines.push(base.slice(0, i) + base.slice(i + 1));
      for (const c of ['X', ' ', '9', 'A', '=', 'a', '\r', '\0']) lines.push(base.slice(0, i) + c + base.slice(i + 1));
      lines.push(base.slice(0, i) + base[i] + base.slice(i));
    }
    lines.push(base + '\r', base.toUpperCase(), good('0', '0', '0', hex.toUpperCase(), nl, '1'));
  });
  const [id, bytes] = known[0];
  const hex = id.toString(16).padStart(4, '0');
  const nl = Buffer.from(bytes).toString('latin1');
  for (const cpu of ['0', '255', '256', '999', '1000', '007']) lines.push(good(cpu, '1', '2', hex, nl, '3'));
  for (const idx of ['0', '1023', '1024', '01023', '99999', '100000']) lines.push(good('1', idx, '2', hex, nl, '3'));
  for (const ts of ['1', '999999999', '1234567890', '12345678901234567890', '123456789012345678901', '98765432109876543210']) lines.push(good('1', '2', ts, hex, nl, '3'));
  for (const payload of ['', '0', '4294967295', '4294967296', '9999999999', '12345678901', '-1', '1e3']) lines.push(good('1', '2', '3', hex, nl, payload));
  for (const tail of [' flags=0x0', ' flags=0xff', ' flags=0x100', ' flags=0xF', ' flags=0x', ' flags=0xg', ' flags=0x1 ', ' flag=0x1', ' ']) lines.push(good('1', '2', '3', hex, nl, '4', tail));
  return lines.join('\n') + '\n';
}

describe('console-log fast lane (WebAssembly)', () => {
  test('decodes a known ring-event line and leaves a garbled one to the families', () => {
    const [id, bytes] = plainKnownTypes()[0];
    const nl = Buffer.from(bytes).toString('latin1');
    const hex = id.toString(16).padStart(4, '0');
    const text = `[TRACE] CPU3 idx=1017 ts=12345678901 type=0x${hex} ${nl}42 flags=0x1f\r\nboot ok\n[TRACE] CPU3 idx=1017 ts=1 type=0x${hex} X${nl}42\npartial`;
    const lane = new FastLane();
    Buffer.from(text, 'latin1').copy(lane.buf);
    assert.equal(lane.split(0, text.length), 3);
    assert.deepEqual(Array.from(lane.kind.subarray(0, 3)), [FastLane.EVENT, 0, 0]);
    assert.deepEqual([lane.cpu[0], lane.slot[0], lane.ticks[0], lane.id[0]], [3, 1017, 12345678901, id]);
    // The CR is not part of the line; the unfinished last line is left for the next read.
    assert.equal(text.slice(lane.starts[0], lane.ends[0]).endsWith('flags=0x1f'), true);
    assert.equal(text.slice(lane.starts[1], lane.ends[1]), 'boot ok');
    assert.equal(lane.next, text.indexOf('partial'));
  });

  test('finds a needle where Buffer.indexOf does, in generated text', () => {
    const lane = new FastLane();
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    const mark = '=== BINARY TRANSFER START ===';
    const needles = [mark, '=', '==', 'T=', `x${mark.slice(0, 8)}`].map((t) => Buffer.from(t, 'latin1'));
    let hits = 0;
    for (let round = 0; round < 5000; round++) {
      let text = '';
      for (let n = rand(300); n > 0; n--) text += ' =ABINRSTY\n'[rand(11)];
      if (rand(2)) {
        const k = rand(text.length + 1);
        text = text.slice(0, k) + mark + text.slice(k);
      }
      const bytes = Buffer.from(text, 'latin1');
      bytes.copy(lane.buf);
      const from = rand(bytes.length + 1);
      const end = from + rand(bytes.length - from + 1);
      for (const needle of needles) {
        const k = bytes.subarray(from, end).indexOf(needle);
        const want = k < 0 ? -1 : from + k;
        assert.equal(lane.indexOf(needle, from, end), want, `${JSON.stringify(text)} [${from}, ${end}) ${needle}`);
        if (want >= 0) hits++;
      }
    }
    assert.ok(hits > 5000);
  });

  test('generated near-misses of ring-event lines index the same with and without the lane', () => {
    mkdirSync(work, { recursive: true });
    const path = join(work, 'near-misses.log');
    writeFileSync(path, nearMisses(), 'latin1');
    try {
      assert.ok(assertSameIndex(path) > 40, 'the lane took the intact lines');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  test('every Linux console fixture indexes the same with and without the lane', () => {
    mkdirSync(work, { recursive: true });
    try {
      for (const f of readdirSync(LINUX).filter((n) => n.endsWith('.log.gz'))) {
        const path = join(work, f.replace(/\.gz$/, ''));
        writeFileSync(path, gunzipSync(readFileSync(join(LINUX, f))));
        assertSameIndex(path);
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  test('every shared Breenix capture indexes the same with and without the lane', { skip: existsSync(SAMPLES) ? false : `no shared samples at ${SAMPLES}` }, () => {
    mkdirSync(work, { recursive: true });
    try {
      let events = 0;
      for (const f of readdirSync(SAMPLES).sort()) events += assertSameIndex(join(SAMPLES, f));
      assert.ok(events > 10_000, `the lane decoded the captures' ring events (${events})`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
