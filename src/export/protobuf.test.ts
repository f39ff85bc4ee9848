import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { OutFile } from './out-file.js';
import { ProtoWriter } from './protobuf.js';

const dir = mkdtempSync(join(tmpdir(), 'kscope-pb-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Writes with `f`, returns the bytes. */
function encode(f: (w: ProtoWriter) => void, bufferSize?: number): Buffer {
  const p = join(dir, `${Math.random()}.bin`);
  const out = new OutFile(p, bufferSize);
  f(new ProtoWriter(out));
  out.close();
  return readFileSync(p);
}

test('varints: one byte below 128, little-endian groups above, up to 2^53', () => {
  assert.deepEqual([...encode((w) => w.varint(1))], [1]);
  assert.deepEqual([...encode((w) => w.varint(300))], [0xac, 0x02]);
  assert.deepEqual([...encode((w) => w.varint(2 ** 32))], [0x80, 0x80, 0x80, 0x80, 0x10]);
  const big = encode((w) => w.varint(2 ** 53 - 1));
  const r = protobuf.Reader.create(big);
  assert.equal(String(r.uint64()), String(2 ** 53 - 1));
});

test('nested messages longer than 127 bytes get a multi-byte length and a shifted body', () => {
  const long = 'x'.repeat(300);
  const bytes = encode((w) => {
    w.reserve(1024);
    w.begin(1);
    w.uint(2, 7);
    w.string(3, long);
    w.end();
    w.uint(4, 9);
  });
  const r = protobuf.Reader.create(bytes);
  assert.equal(r.uint32(), (1 << 3) | 2);
  const len = r.uint32();
  const inner = protobuf.Reader.create(bytes.subarray(r.pos, r.pos + len));
  r.skip(len);
  assert.equal(inner.uint32(), (2 << 3) | 0);
  assert.equal(inner.uint32(), 7);
  assert.equal(inner.uint32(), (3 << 3) | 2);
  assert.equal(inner.string(), long);
  assert.equal(r.uint32(), (4 << 3) | 0);
  assert.equal(r.uint32(), 9);
});

test('negative int64 is ten-byte two\'s complement; doubles are fixed64', () => {
  const bytes = encode((w) => {
    w.int(1, -5);
    w.double(2, 1.5);
  });
  const r = protobuf.Reader.create(bytes);
  r.uint32();
  assert.equal(Number(r.int64()), -5);
  assert.equal(r.uint32(), (2 << 3) | 1);
  assert.equal(r.double(), 1.5);
});

test('records larger than the remaining buffer flush first; the file is the same as with a large buffer', () => {
  const write = (w: ProtoWriter) => {
    for (let i = 0; i < 200; i++) {
      w.reserve(64);
      w.begin(1);
      w.uint(8, i * 1000);
      w.string(2, `name ${i}`);
      w.end();
    }
  };
  assert.deepEqual(encode(write, 100), encode(write));
});
