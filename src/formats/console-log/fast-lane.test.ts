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
import { forEachLine, MAX_LINE_BYTES } from '../../util/lines.js';
import { FastLane } from './fast-lane.js';
import { plainKnownTypes } from './families/breenix-trace.js';
import { scanRange } from './index.js';

const SAMPLES = fileURLToPath(new URL('../../../../../shared/samples/breenix/', import.meta.url));
const LINUX = fileURLToPath(new URL('../../../../test/fixtures/linux/', import.meta.url));

const work = join(tmpdir(), `kscope-fast-lane-${process.pid}`);

/** Indexes `path` with and without the lane and asserts the two agree; returns how many lines the lane classified. */
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

/** Lines the lane classifies itself in `bytes`. */
function countLaneEvents(bytes: Buffer): number {
  const lane = new FastLane();
  let events = 0;
  for (let at = 0; at < bytes.length; ) {
    const part = bytes.subarray(at, at + (1 << 20));
    part.copy(lane.buf);
    let s = 0;
    for (let n; (n = lane.split(s, part.length)) > 0; s = lane.next) {
      for (let k = 0; k < n; k++) if (lane.kind[k] !== lane.kinds.OTHER) events++;
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

/** A seeded generator of integers in [0, n) (xorshift32: a linear congruential one's low bits repeat). */
function xorshift(seed: number): (n: number) => number {
  let x = seed | 0 || 1;
  return (n) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

/** Real console lines of every family (the Linux fixtures, and the shared captures when present), a few of each shape. */
function realLines(): string[] {
  const texts = readdirSync(LINUX)
    .filter((n) => n.endsWith('.log.gz'))
    .map((n) => gunzipSync(readFileSync(join(LINUX, n))).toString('latin1'));
  if (existsSync(SAMPLES)) for (const f of readdirSync(SAMPLES).sort()) texts.push(readFileSync(join(SAMPLES, f), 'latin1'));
  const byShape = new Map<string, string[]>();
  for (const text of texts) {
    for (const line of text.split('\n')) {
      // The shape: the line's first bytes with letters and digits folded.
      const shape = line.slice(0, 12).replace(/[a-z]/g, 'a').replace(/[A-Z]/g, 'A').replace(/[0-9]/g, '0');
      const some = byShape.get(shape) ?? [];
      if (some.length < 3) some.push(line.slice(0, 200));
      byShape.set(shape, some);
    }
  }
  return [...byShape.values()].flat();
}

/** Each line with one byte deleted, replaced by a byte the grammars care about, or doubled, in its first 48 bytes. */
function mutations(lines: string[]): string {
  const bytes = [' ', '[', ']', ':', '<', '>', '.', '0', '9', 'A', 'z', '_', '-', '(', ')', '=', '\t', '\0', '\xa0', '\x1b', '\r'];
  const rand = xorshift(7);
  const out: string[] = [];
  for (const line of lines) {
    out.push(line);
    for (let i = 0; i < Math.min(line.length, 48); i++) {
      const r = rand(3);
      if (r === 0) out.push(line.slice(0, i) + line.slice(i + 1));
      else if (r === 1) out.push(line.slice(0, i) + bytes[rand(bytes.length)] + line.slice(i + 1));
      else out.push(line.slice(0, i) + line[i] + line.slice(i));
    }
  }
  return out.join('\n') + '\n';
}

/**
 * Lines built from the families' grammars with every field drawn at and around its limits:
 * printk headers and subsystem prefixes, Breenix levels, test markers, tags and CAPS prefixes,
 * brackets where a junk prefix ends, control bytes where the control scan ends.
 */
function grammarLines(count: number): string {
  const rand = xorshift(99);
  const pick = <T>(xs: readonly T[]): T => xs[rand(xs.length)];
  // Half the runs as long as their field allows or one or two short of it: where the limits are.
  const run = (chars: string, max: number) => {
    let out = '';
    for (let n = rand(2) ? rand(max + 1) : Math.max(0, max - rand(3)); n > 0; n--) out += chars[rand(chars.length)];
    return out;
  };
  const digits = (max: number) => run('0123456789', max);
  const lower = 'abcdefghijklmnopqrstuvwxyz';
  const tag = `${lower}ABCXYZ0129_.-`;
  const subsys = `${tag}:()`;
  const ws = [' ', '\t', '\xa0', '', 'x', '  '];
  const word = (max: number) => pick([...lower, 'A', 'Z', '_', '0']) + run(tag, max);
  const message = () =>
    pick([
      () => `${word(26)}${pick(['', ` ${run(subsys, 34)}`])}:${pick(ws)}${run(lower + ' ', 20)}`,
      () => `${run(`${tag}`, 8)} (${run(tag, 6)})${pick([':', ''])}${pick(ws)}rest`,
      () => run(`${lower} :[]`, 30),
      () => `${pick(['', '[', 'x[', '0123456789abcdef['])}${run(lower, 5)}`,
    ])();
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const line = pick([
      // printk
      () => `${pick(['', '', '<6>', '<x>', '<6', '<12>'])}[${run(' ', 6)}${digits(7)}${pick(['.', '.', '.', '', ','])}${digits(7)}${pick([']', ']', ']', '', ')'])}${pick(['', ' ', '  '])}${pick(['', '', `[${run(' ', 4)}${pick(['T', 'C', 'X'])}${digits(4)}${pick([']', ']', ''])}`])}${pick(['', ' '])}${message()}`,
      // Breenix klog
      () => `[${run(' ', 3)}${pick(['ERROR', 'WARN', 'INFO', 'DEBUG', 'TRACE', 'INF'])}]${pick(ws)}${run(`${lower}_:`, 24)}${pick([':', ''])}${pick(ws)}${message()}`,
      // test markers
      () => `[TEST:${run(`${lower}_ :]\t\xa0`, 8)}:${run(`${lower}_ :]\t\xa0`, 10)}:${run('PASFILTMEOU_x:]', 8)}${pick([']', ':', ''])}${run(lower, 4)}]`,
      // tags, CAPS prefixes
      () => `[${run(' ', 2)}${pick([...lower, '0', '_', ''])}${run(tag, 34)}${run(' ', 2)}${pick([']', ''])}${pick(['', ' '])}${message()}`,
      () => `${pick(['A', 'N', 'E', 'Z', 'a'])}${run('ABCXYZ0129_', 34)}:${pick(ws)}${message()}`,
      // plain lines, seL4-like starts, junk prefixes
      () => `${pick(['', 'T2T3', 'Starting ', 'ELF-loader started', '12/34 tests passed', 'x', ...SEL4_STARTS])}${run(`${lower} `, 18)}${pick(['', '['])}${message()}`,
      () => `${run(lower, 1).repeat(rand(20))}${pick(['[TEST:a:b:PASS]', '[ INFO] x: y', '[boot] hi', `[${message()}`])}`,
      // TII dump marks, in the last tenth only: after one, plain lines are the families' (they count marks).
      () => (i > count * 0.9 ? `${pick(['', '  ', 'T2', 'x'.repeat(20)])}=== BINARY TRANSFER START ===${run(lower, 5)}` : 'plain'),
    ])();
    // A control byte, most often where the control scan ends.
    const k = rand(2) ? 40 + rand(12) : rand(48);
    lines.push(rand(6) === 0 && line.length > k ? line.slice(0, k) + pick(['\x1b', '\x7f', '\x01', '\t']) + line.slice(k + 1) : line);
  }
  return lines.join('\n') + '\n';
}

/** Starts of seL4's lines (sel4.ts's patterns), whole and cut short, and plain lines that start with the same letters. */
const SEL4_STARTS = [
  'ELF-loader started', 'Enabling MMU and paging', 'Bootstrapping kernel', 'Booting all finished', 'Jumping to kernel-image entry point',
  'Starting test 12: ', 'Test foo passed', 'Test suite failed', 'All is well in the universe', '3/4 tests passed', 'seL4 called fail',
  'seL4 failed assertion', 'Test', 'Boot', 'ELF', 'Enab', 'All', 'seL', '12', '12/', 'EOS', 'ARP request', 'TELNETD_STARTING', 'Jum', 'sel4',
];

describe('console-log fast lane (WebAssembly)', () => {
  test('decodes a known ring-event line and leaves a garbled one to the families', () => {
    const [id, bytes] = plainKnownTypes()[0];
    const nl = Buffer.from(bytes).toString('latin1');
    const hex = id.toString(16).padStart(4, '0');
    const text = `[TRACE] CPU3 idx=1017 ts=12345678901 type=0x${hex} ${nl}42 flags=0x1f\r\nboot ok\n[TRACE] CPU3 idx=1017 ts=1 type=0x${hex} X${nl}42\npartial`;
    const lane = new FastLane();
    Buffer.from(text, 'latin1').copy(lane.buf);
    assert.equal(lane.split(0, text.length), 3);
    assert.deepEqual(Array.from(lane.kind.subarray(0, 3)), [lane.kinds.EVENT, lane.kinds.LINE, lane.kinds.OTHER]);
    assert.deepEqual([lane.cpu[0], lane.slot[0], lane.ts[0], lane.aux[0]], [3, 1017, 12345678901, id]);
    // The CR is not part of the line; the unfinished last line is left for the next read.
    assert.equal(text.slice(lane.starts[0], lane.ends[0]).endsWith('flags=0x1f'), true);
    assert.equal(text.slice(lane.starts[1], lane.ends[1]), 'boot ok');
    assert.equal(lane.next, text.indexOf('partial'));
  });

  test('lines ending at the very end of the read buffer are split (the 16-byte loads stay in memory)', () => {
    const lane = new FastLane();
    const n = lane.buf.length;
    lane.buf.fill(0x61, 0, n);
    // A printk line and a ring-event line, each ending on the buffer's last byte.
    for (const tail of ['[    1.000000] ACPI: x', '[TRACE] CPU0 idx=1 ts=1 type=0x0001 X']) {
      Buffer.from(`\n${tail}\n`, 'latin1').copy(lane.buf, n - tail.length - 2);
      assert.equal(lane.split(n - tail.length - 1, n), 1);
      assert.equal(lane.ends[0], n - 1);
    }
  });

  test('a watched needle is seen in the first line that holds it, as Buffer.indexOf finds it, and then no more', () => {
    const rand = xorshift(12345);
    const mark = '=== BINARY TRANSFER START ===';
    const needles = [mark, '=', '==', 'T=', `x${mark.slice(0, 8)}`].map((t) => Buffer.from(t, 'latin1'));
    let hits = 0;
    for (let round = 0; round < 3000; round++) {
      // Lines of the needles' bytes, some over 16 bytes, the last one maybe unfinished; the mark somewhere, or not.
      let text = '';
      for (let n = rand(400); n > 0; n--) text += ' =ABINRSTY\n\r'[rand(12)];
      if (rand(2)) {
        const k = rand(text.length + 1);
        text = text.slice(0, k) + mark + text.slice(k);
      }
      const bytes = Buffer.from(text, 'latin1');
      const s = rand(Math.min(bytes.length, 20) + 1);
      for (const needle of needles) {
        const lane = new FastLane();
        bytes.copy(lane.buf);
        assert.equal(lane.watch(needle), true);
        // What each line split holds, by Buffer.indexOf, and where the splitter says.
        let want = -1;
        let got = -1;
        let line = 0;
        for (let at = s, n; (n = lane.split(at, bytes.length)) > 0; at = lane.next) {
          for (let k = 0; k < n; k++, line++) if (want < 0 && bytes.subarray(lane.starts[k], lane.ends[k]).indexOf(needle) >= 0) want = line;
          if (lane.seen >= 0) {
            assert.equal(got, -1, 'seen once only');
            got = line - n + lane.seen;
          }
        }
        assert.equal(got, want, `${JSON.stringify(text.slice(s))} ${needle}`);
        if (want >= 0) hits++;
      }
    }
    assert.ok(hits > 3000);
    // Line breaks are not looked for: the caller looks itself.
    assert.equal(new FastLane().watch(Buffer.from('a\nb')), false);
  });

  test('a mark in a long line\'s pieces, across two of them, or in an unfinished last line is found with the lane too', () => {
    mkdirSync(work, { recursive: true });
    const path = join(work, 'long.log');
    const mark = Buffer.from('=== BINARY TRANSFER START ===', 'latin1');
    const found = (lanes: boolean): boolean => {
      const find = { bytes: mark, found: false };
      const onLine = () => undefined;
      return forEachLine(path, onLine, 256 << 10, undefined, find, undefined, lanes ? { splitter: new FastLane(find), onBatch: () => undefined } : undefined).found;
    };
    try {
      // A 2.5 MiB line after a short one (11 bytes); the mark across each 256 KiB read's end (the pieces end at some
      // of them), at the line's ends, or in a last line with no newline.
      const long = 2.5 * MAX_LINE_BYTES;
      const at = [0, 5, long - mark.length, ...Array.from({ length: 9 }, (_, r) => (r + 1) * (256 << 10) - 11 - 10)];
      for (const k of [...at, -1, -2]) {
        const line = Buffer.alloc(long, 0x61);
        if (k >= 0) mark.copy(line, k);
        const last = k === -2 ? Buffer.concat([Buffer.from('tail '), mark]) : Buffer.from('tail');
        writeFileSync(path, Buffer.concat([Buffer.from('short line\n'), line, Buffer.from('\n'), last]));
        assert.equal(found(true), k !== -1, `mark at ${k}, with the lane`);
        assert.equal(found(false), k !== -1, `mark at ${k}, without`);
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  /** Writes `text` as a log in a scratch folder, asserts it indexes the same both ways, and that the lane took over `least` lines. */
  const sameForText = (name: string, text: string, least: number) => {
    mkdirSync(work, { recursive: true });
    const path = join(work, name);
    writeFileSync(path, text, 'latin1');
    try {
      const taken = assertSameIndex(path);
      assert.ok(taken > least, `the lane classified ${taken} lines itself`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  };

  test('generated near-misses of ring-event lines index the same with and without the lane', () => sameForText('near-misses.log', nearMisses(), 40));

  test('real lines of every family, broken one byte at a time, index the same with and without the lane', () => sameForText('mutated.log', mutations(realLines()), 1000));

  test("lines generated from the families' grammars index the same with and without the lane", () => sameForText('grammar.log', grammarLines(60_000), 10_000));

  test('subsystems of every length, more than the lane has slots for, keep their names', () => {
    // 3,000 names of 1 to 120 bytes (the lane keeps up to 64 bytes a name in 1,024 slots), each
    // line family that has one, seen in an order that makes slots change hands and come back.
    const names = Array.from({ length: 3000 }, (_, k) => `s${k.toString(36)}`.padEnd(1 + (k % 120), 'abcdefghij_'[k % 11]));
    const lines: string[] = [];
    for (let round = 0; round < 3; round++) {
      names.forEach((n, k) => {
        const name = names[(k * (round + 1) * 7919) % names.length];
        if (k % 4 === 0) lines.push(`[ INFO] ${name}: message ${k}`);
        else if (k % 4 === 1) lines.push(`[    ${k}.000001] ${name.replace(/_/g, '-')}: printk ${k}`);
        else if (k % 4 === 2) lines.push(`[TEST:${name}:case${k}:PASS]`);
        else lines.push(`[${name.slice(0, 30)}] tagged ${n.length}`);
      });
    }
    sameForText('subsystems.log', `${lines.join('\n')}\n`, 8_000);
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
      assert.ok(events > 10_000, `the lane classified the captures' lines itself (${events})`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
