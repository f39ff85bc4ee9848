import { readFileSync } from 'node:fs';
import type { LineSplitter } from '../../util/lines.js';
import { plainKnownTypes } from './families/breenix-trace.js';

/** Built by `npm run build` from wasm/console-scan.ts (AssemblyScript). */
const WASM = new URL('../../../wasm/console-scan.wasm', import.meta.url);

let module: WebAssembly.Module | null = null;

interface Exports {
  memory: WebAssembly.Memory;
  split(s: number, end: number): number;
  find(s: number, end: number, m: number): number;
  next: WebAssembly.Global;
  [layout: string]: unknown;
}

/**
 * The console indexer's WebAssembly line splitter: it splits each read into
 * lines, and decodes the Breenix ring-event lines whose name and label are
 * their type's known ones (`kind[at] === FastLane.EVENT`: cpu, slot, ticks, id
 * hold the values). Every other line is the JavaScript families' to classify.
 * One per thread: the read buffer lives in the module's memory.
 */
export class FastLane implements LineSplitter {
  static readonly EVENT = 1;
  readonly buf: Buffer;
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
  readonly kind: Uint8Array;
  readonly cpu: Uint8Array;
  readonly slot: Uint16Array;
  readonly id: Uint16Array;
  readonly ticks: Float64Array;
  next = 0;
  at = -1;
  private readonly x: Exports;
  private readonly needle: Uint8Array;
  private lastNeedle: Uint8Array | null = null;

  constructor() {
    module ??= new WebAssembly.Module(readFileSync(WASM));
    const x = new WebAssembly.Instance(module).exports as unknown as Exports;
    this.x = x;
    const mem = x.memory.buffer;
    const at = (name: string) => (x[name] as WebAssembly.Global).value as number;
    const rows = at('MAX_LINES');
    this.buf = Buffer.from(mem, at('INPUT'), at('INPUT_BYTES'));
    this.starts = new Uint32Array(mem, at('R_START'), rows);
    this.ends = new Uint32Array(mem, at('R_END'), rows);
    this.kind = new Uint8Array(mem, at('R_KIND'), rows);
    this.cpu = new Uint8Array(mem, at('R_CPU'), rows);
    this.slot = new Uint16Array(mem, at('R_SLOT'), rows);
    this.id = new Uint16Array(mem, at('R_ID'), rows);
    this.ticks = new Float64Array(mem, at('R_TICKS'), rows);
    this.needle = new Uint8Array(mem, at('NEEDLE'), at('NEEDLE_BYTES'));
    // The known types' `NAME label=` bytes, and per id where they are (offset << 16 | length).
    const known = new Uint32Array(mem, at('KNOWN'), 1 << 16);
    const blob = new Uint8Array(mem, at('BLOB'), at('BLOB_BYTES'));
    let off = 1; // 0 marks "no known type"
    for (const [id, bytes] of plainKnownTypes()) {
      // Offsets live in 16 bits.
    if (off + bytes.length > Math.min(blob.length, 0xffff)) continue;
      blob.set(bytes, off);
      known[id] = (off << 16) | bytes.length;
      off += bytes.length;
    }
  }

  indexOf(needle: Uint8Array, from: number, end: number): number {
    if (needle.length > this.needle.length) {
      const k = this.buf.subarray(from, end).indexOf(needle);
      return k < 0 ? -1 : from + k;
    }
    if (needle !== this.lastNeedle) {
      this.needle.set(needle);
      this.lastNeedle = needle;
    }
    return this.x.find(from, end, needle.length);
  }

  split(s: number, end: number): number {
    const n = this.x.split(s, end);
    this.next = this.x.next.value as number;
    return n;
  }
}
