import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { LineText, Needles, shapeHash, cleanText } from './text.js';
import { LineSource } from './line-source.js';
import { removeScratch, writeScratch } from './testing.js';

after(removeScratch);

const TEXT = 'first\r\n\nthird line\n\x1b[0mfourth\x07 line\n' + 'x'.repeat(5000) + '\nlast without newline\r';

test('LineText reads lines forward like util/lines, at any chunk size', () => {
  const p = writeScratch('lines.txt', TEXT);
  const want = TEXT.split('\n').map((l) => l.replace(/\r$/, ''));
  for (const chunk of [1, 3, 7, 64, 4096]) {
    const t = new LineText(p, chunk);
    for (let n = 1; n <= want.length; n++) {
      assert.ok(t.seek(n), `chunk ${chunk} line ${n}`);
      assert.equal(t.buf.toString('utf8', t.start, t.end), want[n - 1], `chunk ${chunk} line ${n}`);
    }
    assert.equal(t.seek(want.length + 1), false);
    // Backwards restarts from the top.
    assert.equal(t.at(3), 'third line');
    assert.equal(t.at(4), 'fourth line', 'escapes and control bytes are cleaned');
    t.close();
  }
});

test('LineText jumps to a line by its byte offset, forward over any distance and chunk edge, and back', () => {
  const lines = Array.from({ length: 400 }, (_, i) => `line ${i + 1} ${'x'.repeat((i * 37) % 90)}`);
  const p = writeScratch('jump.txt', `${lines.join('\r\n')}\r\n`);
  const offsets: number[] = [];
  let at = 0;
  for (const l of lines) {
    offsets.push(at);
    at += l.length + 2;
  }
  // Every 1st, 2nd, 5th… line: a scan that skips trace dumps asks for lines like these.
  for (const chunk of [7, 64, 256, 4096]) {
    for (const step of [1, 2, 5, 33]) {
      const t = new LineText(p, chunk);
      for (let n = 1; n <= lines.length; n += step) {
        assert.ok(t.seek(n, offsets[n - 1]), `chunk ${chunk} step ${step} line ${n}`);
        assert.equal(t.text(), lines[n - 1], `chunk ${chunk} step ${step} line ${n}`);
        assert.equal(t.line, n);
      }
      // Back to an earlier line, with and without its offset.
      assert.equal(t.seek(3, offsets[2]) && t.text(), lines[2]);
      assert.equal(t.seek(10) && t.text(), lines[9]);
      t.close();
    }
  }
});

test('LineSource lists the non-blank lines with their numbers', () => {
  const p = writeScratch('lines2.txt', TEXT);
  const s = new LineSource(p, 'lines2.txt');
  assert.equal(s.count, 5);
  const lines: number[] = [];
  s.scan((c) => void lines.push(c.line));
  assert.deepEqual(lines, [1, 3, 4, 5, 6]);
  assert.equal(s.event(0).text, '1: first');
  assert.equal(s.event(4).fields.message, 'last without newline');
  s.close();
});

test('Needles finds the same needles as a substring search', () => {
  const needles = ['RIP=', 'ELR=', 'reboot: Power down', 'Power', 'ow'];
  const n = new Needles(needles);
  const hits = new Uint8Array(needles.length);
  const touched = new Int32Array(needles.length);
  let seed = 11;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  const alphabet = 'RIPELR=reboot: Powerdwn x';
  for (let i = 0; i < 3000; i++) {
    let s = '';
    for (let j = rnd() % 30; j > 0; j--) s += alphabet[rnd() % alphabet.length];
    const b = Buffer.from(`..${s}..`);
    const want = needles.map((x) => s.includes(x));
    const k = n.find(b, 2, 2 + s.length);
    assert.equal(k >= 0, want.some(Boolean), s);
    if (k >= 0) assert.ok(want[k], s);
    hits.fill(0);
    const count = n.findAll(b, 2, 2 + s.length, hits, touched);
    assert.deepEqual([...hits].map(Boolean), want, s);
    assert.equal(count, want.filter(Boolean).length);
  }
});

test('shapeHash folds numbers and hex, nothing else', () => {
  const h = (s: string) => shapeHash(Buffer.from(s), 0, s.length);
  assert.equal(h('[heartbeat] tid=9 uptime_ms=6443 kbd_nonzero=0'), h('[heartbeat] tid=9 uptime_ms=117820 kbd_nonzero=0'));
  assert.equal(h('ELR=0xffff00004046c344 x'), h('ELR=0x4006d4 x'));
  assert.notEqual(h('[spawn] path=/bin/bwm'), h('[spawn] path=/bin/bsh'));
  assert.equal(cleanText('a\x1b[31mb\x00c'), 'abc');
});

test('Breenix dump payloads are read from the end of the line bytes', async () => {
  const { payloadFromLine } = await import('./breenix.js');
  const p = (s: string) => payloadFromLine(Buffer.from(s), 0, s.length);
  assert.equal(p('[TRACE] CPU0 idx=3 ts=1 type=0x0500 LOCK_ACQUIRE lock_id=7'), 7);
  assert.equal(p('[TRACE] CPU1 idx=4 ts=2 type=0xff37 CPU0_USER_DISPATCH_SPSR spsr_low32=2147483648 flags=0x1f'), 2147483648);
  assert.equal(p('[TRACE] CPU1 idx=4 ts=2 type=0x0012 UNKNOWN payload=65540 flags=0x3'), 65540);
  assert.ok(Number.isNaN(p('[TRACE] CPU0 garbled line')));
  assert.ok(Number.isNaN(p('lock_id=')));
});

test('shapeHash counts folded symbols, so a longer number does not shift the cut', () => {
  const h = (s: string) => shapeHash(Buffer.from(s), 0, s.length, 40);
  assert.equal(h('[net-rx-counters] sample=1 GIC_SPI55_ACK_TOTAL: 0'), h('[net-rx-counters] sample=10 GIC_SPI55_ACK_TOTAL: 0'));
  assert.notEqual(h('[net-rx-counters] sample=1 GIC_SPI55_ACK_TOTAL: 0'), h('[net-rx-counters] sample=1 NET_RX_REARM_CHECK_TOTAL: 0'));
});
