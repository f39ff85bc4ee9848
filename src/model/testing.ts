// Test support for readers that build a table in parts: the parts' columns read back from their
// segment files, in the shape one pass's in-memory view has, and compared with one pass.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dtype } from './bundle.js';
import { DiagnosticLog } from './diagnostics.js';
import type { EventTableBuilder, TablePiece } from './event-table.js';
import type { BuildContext } from './format.js';

const CTOR = { u32: Uint32Array, i16: Int16Array, u16: Uint16Array, f64: Float64Array, u8: Uint8Array, i8: Int8Array, f32: Float32Array } as const;

export interface PlainRows {
  line: number[];
  type: number[];
  cpu: number[];
  sub: string[];
  aux: number[];
  ts: number[];
}

function column(dir: string, piece: TablePiece, name: string): number[] {
  const c = piece.columns[`t0.${name}`];
  if (!c) throw new Error(`piece has no column ${name}`);
  const seg = c.segment;
  if (seg.file === null) return new Array<number>(seg.length).fill(seg.fill ?? NaN);
  const bytes = readFileSync(join(dir, seg.file));
  const T = CTOR[(seg.dtype ?? c.dtype) as Dtype];
  return Array.from(new T(bytes.buffer, bytes.byteOffset, bytes.byteLength / T.BYTES_PER_ELEMENT), Number);
}

/** Rows of every part in order (lines counted in the whole input; subsystems as names). */
export function partRows(dir: string, pieces: TablePiece[], lineBases: number[]): PlainRows {
  const out: PlainRows = { line: [], type: [], cpu: [], sub: [], aux: [], ts: [] };
  // One value at a time: a spread of a whole column would overflow the stack.
  const add = <T>(to: T[], from: T[]) => {
    for (const v of from) to.push(v);
  };
  pieces.forEach((p, k) => {
    add(out.line, column(dir, p, 'line').map((l) => l + lineBases[k]));
    add(out.type, column(dir, p, 'type'));
    add(out.cpu, column(dir, p, 'cpu'));
    add(out.sub, column(dir, p, 'sub').map((id) => p.subNames[id]));
    add(out.aux, column(dir, p, 'aux'));
    add(out.ts, column(dir, p, 'ts'));
  });
  return out;
}

/** The same rows from a one-pass builder kept in memory. */
export function tableRows(t: EventTableBuilder): PlainRows {
  const v = t.view();
  const names = t.subNames;
  return { line: Array.from(v.line), type: Array.from(v.type), cpu: Array.from(v.cpu), sub: Array.from(v.sub, (id) => names[id]), aux: Array.from(v.aux), ts: Array.from(v.ts) };
}

/**
 * A progress callback that holds the first thread for a moment at its first
 * report (after 65,536 lines), so the worker starts while most of the file
 * is still unread whatever the machine's load.
 */
export function holdFirst(): () => void {
  let held = false;
  return () => {
    if (!held) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);
    held = true;
  };
}

/**
 * Reads a file in two parts into `dir` (`read`, given the build context) and
 * in one pass (`one`, given its own warnings log), and asserts the parts give
 * what the one pass gives: summary fields, every event's row, the warnings;
 * and that the second part was `kept`, read again (`redone`), or the whole
 * file read again in one part (`whole`).
 */
export function assertTwoPartsAsOne(
  dir: string,
  expect: 'kept' | 'redone' | 'whole',
  read: (ctx: BuildContext) => { pieces: TablePiece[]; lineBases: number[]; redone: boolean; extra: unknown },
  one: (diags: DiagnosticLog) => { table: EventTableBuilder; extra: unknown },
): void {
  mkdirSync(dir, { recursive: true });
  const ctx = { name: 'input', diagnostics: new DiagnosticLog(), dir, progress: holdFirst() };
  const got = read(ctx);
  const oneDiags = new DiagnosticLog();
  const want = one(oneDiags);
  assert.equal(got.pieces.length, expect === 'whole' ? 1 : 2, 'parts in the result');
  assert.equal(got.redone, expect === 'redone', 'second part kept or read again');
  assert.deepEqual(got.extra, want.extra);
  assert.deepEqual(partRows(dir, got.pieces, got.lineBases), tableRows(want.table));
  assert.deepEqual(ctx.diagnostics.list(), oneDiags.list());
}
