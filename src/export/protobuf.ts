/**
 * A minimal protobuf encoder writing straight into an OutFile's buffer:
 * varints, fixed64 doubles, strings and nested messages. Nested lengths are
 * patched in place (one byte reserved, the body shifted in the rare case it
 * needs more), so a packet is encoded with no intermediate objects. Kept
 * hand-written rather than protobufjs because the export emits millions of
 * tiny packets and a reflection-based encoder allocates per message.
 */
import type { OutFile } from './out-file.js';

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;

function varintSize(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

export class ProtoWriter {
  private readonly starts: number[] = [];

  constructor(readonly out: OutFile) {}

  /** Starts a top-level record of at most `maxBytes`: it will not be split by a flush. */
  reserve(maxBytes: number): void {
    this.out.ensure(maxBytes);
  }

  /** Unsigned varint of a non-negative integer up to 2^53. */
  varint(v: number): void {
    const o = this.out;
    const b = o.buf;
    let p = o.pos;
    if (v < 0x80000000) {
      while (v >= 128) {
        b[p++] = (v & 127) | 128;
        v >>>= 7;
      }
    } else {
      while (v >= 128) {
        b[p++] = (v % 128) | 128;
        v = Math.floor(v / 128);
      }
    }
    b[p++] = v;
    o.pos = p;
  }

  tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  uint(field: number, v: number): void {
    this.tag(field, WIRE_VARINT);
    this.varint(v);
  }

  /** int64/int32 fields: negative values as ten-byte two's complement, as protobuf defines it. */
  int(field: number, v: number): void {
    if (v >= 0) return this.uint(field, v);
    this.tag(field, WIRE_VARINT);
    const big = BigInt.asUintN(64, BigInt(Math.trunc(v)));
    const o = this.out;
    let x = big;
    while (x >= 128n) {
      o.buf[o.pos++] = Number(x & 127n) | 128;
      x >>= 7n;
    }
    o.buf[o.pos++] = Number(x);
  }

  double(field: number, v: number): void {
    this.tag(field, WIRE_FIXED64);
    this.out.buf.writeDoubleLE(v, this.out.pos);
    this.out.pos += 8;
  }

  string(field: number, s: string): void {
    this.tag(field, WIRE_LEN);
    const n = Buffer.byteLength(s, 'utf8');
    this.varint(n);
    this.out.pos += this.out.buf.write(s, this.out.pos, 'utf8');
  }

  /** Opens a nested message (or a top-level packet in a Trace). */
  begin(field: number): void {
    this.tag(field, WIRE_LEN);
    this.starts.push(this.out.pos);
    this.out.pos++;
  }

  /** Closes the innermost message, writing its length. */
  end(): void {
    const start = this.starts.pop() as number;
    const o = this.out;
    const len = o.pos - start - 1;
    if (len < 128) {
      o.buf[start] = len;
      return;
    }
    const extra = varintSize(len) - 1;
    o.buf.copyWithin(start + 1 + extra, start + 1, o.pos);
    const end = o.pos + extra;
    o.pos = start;
    this.varint(len);
    o.pos = end;
  }
}

/** Bytes a string field takes at most: tag, length varint, and the UTF-8 bytes (at most 3 per UTF-16 unit). */
export function stringBound(s: string): number {
  return 16 + s.length * 3;
}
