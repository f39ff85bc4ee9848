import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FileSource } from '../util/file-source.js';
import { UserError } from '../util/errors.js';
import type { Fingerprint } from '../util/fingerprint.js';
import type { Diagnostic } from './diagnostics.js';

/** Bumped whenever the on-disk layout changes; older bundles are rebuilt, newer ones refused. */
export const BUNDLE_VERSION = 5; // 5: qemu-d records read across interleaved lines, TII dump gaps, Breenix ring summary
export const MANIFEST = 'manifest.json';

export type Column = Uint32Array | Int16Array | Uint16Array | Float64Array | Uint8Array | Int8Array | Float32Array;
export type Dtype = 'u32' | 'i16' | 'u16' | 'f64' | 'u8' | 'i8' | 'f32';

const CTOR = { u32: Uint32Array, i16: Int16Array, u16: Uint16Array, f64: Float64Array, u8: Uint8Array, i8: Int8Array, f32: Float32Array } as const;

function dtypeOf(c: Column): Dtype {
  if (c instanceof Uint32Array) return 'u32';
  if (c instanceof Int16Array) return 'i16';
  if (c instanceof Uint16Array) return 'u16';
  if (c instanceof Float64Array) return 'f64';
  if (c instanceof Int8Array) return 'i8';
  if (c instanceof Float32Array) return 'f32';
  return 'u8';
}

/**
 * `data` in the narrower `dtype`, converted into `f.scratch` (made, or
 * remade when too short, here), or null when a value does not fit or the
 * pair is not one the builders narrow. One loop per pair (each stays
 * monomorphic).
 */
function narrowed(data: Column, dtype: Dtype, f: { scratch?: Column }): Column | null {
  const n = data.length;
  const scratch = <T extends Column>(Ctor: new (n: number) => T): T => {
    const s = f.scratch;
    if (s instanceof Ctor && s.length >= n) return s;
    return (f.scratch = new Ctor(n));
  };
  if (dtype === 'f32' && data instanceof Float64Array) {
    const out = scratch(Float32Array);
    return toF32(data, out, n) ? out.subarray(0, n) : null;
  }
  if (dtype === 'u16' && data instanceof Uint32Array) {
    const out = scratch(Uint16Array);
    return toU16(data, out, n) ? out.subarray(0, n) : null;
  }
  if (dtype === 'i8' && data instanceof Int16Array) {
    const out = scratch(Int8Array);
    return toI8(data, out, n) ? out.subarray(0, n) : null;
  }
  return null;
}

function toF32(data: Float64Array, out: Float32Array, n: number): boolean {
  for (let i = 0; i < n; i++) {
    const v = data[i];
    const f = Math.fround(v);
    if (f !== v && v === v) return false;
    out[i] = f;
  }
  return true;
}

function toU16(data: Uint32Array, out: Uint16Array, n: number): boolean {
  for (let i = 0; i < n; i++) {
    const v = data[i];
    if (v > 0xffff) return false;
    out[i] = v;
  }
  return true;
}

function toI8(data: Int16Array, out: Int8Array, n: number): boolean {
  for (let i = 0; i < n; i++) {
    const v = data[i];
    if (v > 127 || v < -128) return false;
    out[i] = v;
  }
  return true;
}

/**
 * One file of a column written in pieces (one per indexing thread). On read,
 * `add` is added to every value (line numbers counted from a piece's start)
 * and `map` replaces each value v by map[v] (ids interned per piece).
 */
export interface SegmentInfo {
  /** null: no file, every value is `fill` (null there meaning NaN). */
  file: string | null;
  length: number;
  fill?: number | null;
  /** How the file stores values when narrower than the column (offsets as u32 from `add`). */
  dtype?: Dtype;
  add?: number;
  map?: number[];
}

export interface ColumnInfo {
  dtype: Dtype;
  length: number;
  /** Absent: the column is the one file `<name>.col`. */
  segments?: SegmentInfo[];
}

/** Where a table builder appends its columns block by block. */
export interface ColumnSink {
  /** `narrow`: a smaller dtype the sink may store the column in while every value fits it exactly. */
  append(name: string, data: Column, narrow?: Dtype): void;
  finish(constant?: ReadonlyMap<string, number>): Record<string, { dtype: Dtype; segment: SegmentInfo }>;
}

function writeAll(fd: number, data: Column, position: number): void {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
}

/** A sink that keeps columns in memory: for tests that look at a built table directly. */
export class MemoryColumns implements ColumnSink {
  private readonly cols = new Map<string, { data: Column; length: number }>();

  append(name: string, data: Column): void {
    let c = this.cols.get(name);
    if (!c) {
      c = { data: new CTOR[dtypeOf(data)](Math.max(1024, data.length)), length: 0 };
      this.cols.set(name, c);
    }
    if (c.length + data.length > c.data.length) {
      const next = new CTOR[dtypeOf(data)](Math.max(c.length + data.length, c.data.length * 2));
      next.set(c.data.subarray(0, c.length));
      c.data = next;
    }
    c.data.set(data, c.length);
    c.length += data.length;
  }

  /** The column as written so far (a view, not a copy). */
  get(name: string): Column {
    const c = this.cols.get(name);
    if (!c) throw new Error(`no column ${name}`);
    return c.data.subarray(0, c.length);
  }

  finish(): Record<string, { dtype: Dtype; segment: SegmentInfo }> {
    return {};
  }
}

/**
 * Appends columns block by block to files of a bundle being built, so an
 * index never holds a whole column in memory. Each thread writes its own
 * segment (`<name>.<segment>.col`); the build stitches segments in the manifest.
 */
export class ColumnWriter implements ColumnSink {
  /** Per column: its file, the dtype given (`dtype`), the one stored (`stored`) and the values written. */
  private readonly fds = new Map<string, { fd: number; dtype: Dtype; stored: Dtype; length: number; scratch?: Column }>();

  constructor(
    readonly dir: string,
    readonly segment: number,
  ) {}

  private fileOf(name: string): string {
    return `${name}.${this.segment}.col`;
  }

  append(name: string, data: Column, narrow?: Dtype): void {
    let f = this.fds.get(name);
    if (!f) {
      const dtype = dtypeOf(data);
      // Narrow until a block does not fit (widen then rewrites what was written, nothing for the first).
      f = { fd: openSync(join(this.dir, this.fileOf(name)), 'w+'), dtype, stored: narrow ?? dtype, length: 0 };
      this.fds.set(name, f);
    }
    let out: Column = data;
    if (f.stored !== f.dtype) {
      const narrow = narrowed(data, f.stored, f);
      if (narrow) out = narrow;
      else this.widen(f);
    }
    writeAll(f.fd, out, f.length * out.BYTES_PER_ELEMENT);
    f.length += data.length;
  }

  /** A value that does not fit the narrow dtype came: the file so far is rewritten in the given one. */
  private widen(f: { fd: number; dtype: Dtype; stored: Dtype; length: number }): void {
    const narrow = new CTOR[f.stored](f.length);
    const bytes = new Uint8Array(narrow.buffer);
    for (let done = 0; done < bytes.length; ) {
      const got = readSync(f.fd, bytes, done, bytes.length - done, done);
      if (got === 0) throw new Error(`${this.fileOf('column')}: column file shorter than written`);
      done += got;
    }
    f.stored = f.dtype;
    writeAll(f.fd, new CTOR[f.dtype](narrow), 0);
  }

  /**
   * Closes every file; returns each column's dtype and segment. A column in
   * `constant` held only that value: its file is deleted and the segment says the value.
   */
  finish(constant: ReadonlyMap<string, number> = new Map()): Record<string, { dtype: Dtype; segment: SegmentInfo }> {
    const out: Record<string, { dtype: Dtype; segment: SegmentInfo }> = {};
    for (const [name, f] of this.fds) {
      closeSync(f.fd);
      const fill = constant.get(name);
      if (fill === undefined) out[name] = { dtype: f.dtype, segment: { file: this.fileOf(name), length: f.length, ...(f.stored !== f.dtype ? { dtype: f.stored } : {}) } };
      else {
        unlinkSync(join(this.dir, this.fileOf(name)));
        out[name] = { dtype: f.dtype, segment: { file: null, length: f.length, fill: fill === fill ? fill : null } };
      }
    }
    this.fds.clear();
    return out;
  }
}

/** A bundle being written: a temporary sibling directory, renamed into place by `commit`. */
export class BundleDraft {
  readonly tmp: string;

  constructor(readonly dir: string) {
    this.tmp = `${dir}.tmp-${process.pid}`;
    rmSync(this.tmp, { recursive: true, force: true });
    // The parent first, then the draft alone: a recursive mkdir of the draft loops forever under /proc.
    mkdirSync(dirname(this.tmp), { recursive: true });
    mkdirSync(this.tmp);
  }

  /** Writes in-memory columns, side files and the manifest, then swaps the draft into place. */
  commit(manifest: Omit<Manifest, 'columns'>, columns: Record<string, Column>, segmented: Record<string, ColumnInfo> = {}, files: Record<string, string> = {}): void {
    const infos: Record<string, ColumnInfo> = { ...segmented };
    for (const [name, col] of Object.entries(columns)) {
      writeFileSync(join(this.tmp, `${name}.col`), new Uint8Array(col.buffer, col.byteOffset, col.byteLength));
      infos[name] = { dtype: dtypeOf(col), length: col.length };
    }
    for (const [name, text] of Object.entries(files)) writeFileSync(join(this.tmp, name), text);
    writeFileSync(join(this.tmp, MANIFEST), JSON.stringify({ ...manifest, columns: infos }, null, 1));
    rmSync(this.dir, { recursive: true, force: true });
    renameSync(this.tmp, this.dir);
  }

  abandon(): void {
    rmSync(this.tmp, { recursive: true, force: true });
  }
}

/** What a bundle says about itself. `options` are the build options that change its content. */
export interface Manifest {
  kscope: 'bundle';
  version: number;
  format: string;
  created: string;
  input: { path: string; fingerprint: Fingerprint };
  options: Record<string, string | null>;
  /** The reader options the bundle was built with, reused when a query gives none. */
  buildOptions: Record<string, string>;
  /** Format-specific description of what was indexed (streams, summaries). */
  data: unknown;
  diagnostics: Diagnostic[];
  columns: Record<string, ColumnInfo>;
}

export function isBundleDir(path: string): boolean {
  return existsSync(join(path, MANIFEST));
}

/**
 * What is wrong with a bundle's column files on disk (missing, or not the
 * size the manifest says), or null: a cheap check (one stat per file) that
 * lets a damaged bundle be rebuilt instead of answering from broken columns.
 */
export function damageOf(dir: string, m: Manifest): string | null {
  for (const [name, info] of Object.entries(m.columns ?? {})) {
    const files = info.segments
      ? info.segments.filter((g) => g.file !== null).map((g) => ({ file: g.file as string, bytes: g.length * CTOR[g.dtype ?? info.dtype].BYTES_PER_ELEMENT }))
      : [{ file: `${name}.col`, bytes: info.length * CTOR[info.dtype].BYTES_PER_ELEMENT }];
    for (const f of files) {
      let size = -1;
      try {
        size = statSync(join(dir, f.file)).size;
      } catch {
        return `column file ${f.file} is missing`;
      }
      if (size !== f.bytes) return `column file ${f.file} is ${size} bytes, the manifest says ${f.bytes}`;
    }
  }
  return null;
}

/** Replaces a bundle's manifest whole (a rename, so a reader never sees half of one); a read-only bundle keeps the old one. */
export function rewriteManifest(dir: string, manifest: Manifest): void {
  const tmp = join(dir, `${MANIFEST}.tmp-${process.pid}`);
  try {
    writeFileSync(tmp, JSON.stringify(manifest, null, 1));
    renameSync(tmp, join(dir, MANIFEST));
  } catch {
    rmSync(tmp, { force: true });
  }
}

/** Reads a manifest; `null` when absent or unreadable (the caller rebuilds). */
export function readManifest(dir: string): Manifest | null {
  try {
    const m = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as Manifest;
    return m && m.kscope === 'bundle' ? m : null;
  } catch {
    return null;
  }
}

/** Read access to a bundle's columns: whole columns for small ones, single elements by pread for large ones. */
export class Bundle {
  private readonly open = new Map<string, FileSource>();

  constructor(
    readonly dir: string,
    readonly manifest: Manifest,
  ) {
    if (manifest.version > BUNDLE_VERSION) {
      throw new UserError(`${dir}: bundle version ${manifest.version} is newer than this kscope understands (${BUNDLE_VERSION}); upgrade kscope or rebuild the bundle`);
    }
  }

  has(name: string): boolean {
    return name in this.manifest.columns;
  }

  info(name: string): ColumnInfo {
    const info = this.manifest.columns[name];
    if (!info) throw new UserError(`${this.dir}: bundle has no column ${name}; rebuild it with kscope index`);
    return info;
  }

  /** The whole column. */
  column<T extends Column>(name: string): T {
    return this.slice<T>(name, 0, this.info(name).length);
  }

  /** Elements [start, start+count) of a column, read positionally. */
  slice<T extends Column>(name: string, start: number, count: number): T {
    const info = this.info(name);
    const Ctor = CTOR[info.dtype];
    const n = Math.max(0, Math.min(count, info.length - start));
    const out = new Ctor(n);
    if (n === 0) return out as T;
    if (!info.segments) {
      this.readInto(name, `${name}.col`, start, n, out, 0);
      return out as T;
    }
    let base = 0;
    for (const seg of info.segments) {
      const lo = Math.max(start, base);
      const hi = Math.min(start + n, base + seg.length);
      if (lo < hi) {
        const at = lo - start;
        if (seg.file === null) out.fill(seg.fill ?? NaN, at, at + hi - lo);
        else if (seg.dtype && seg.dtype !== info.dtype) {
          const narrow = new CTOR[seg.dtype](hi - lo);
          this.readInto(name, seg.file, lo - base, hi - lo, narrow, 0);
          out.set(narrow, at);
        } else this.readInto(name, seg.file, lo - base, hi - lo, out, at);
        if (seg.map) {
          const map = seg.map;
          for (let i = at; i < at + hi - lo; i++) out[i] = map[out[i]];
        } else if (seg.add) {
          for (let i = at; i < at + hi - lo; i++) out[i] += seg.add;
        }
      }
      base += seg.length;
      if (base >= start + n) break;
    }
    return out as T;
  }

  private readInto(name: string, file: string, first: number, n: number, out: Column, at: number): void {
    let src = this.open.get(file);
    if (!src) {
      src = new FileSource(join(this.dir, file));
      this.open.set(file, src);
    }
    const size = out.BYTES_PER_ELEMENT;
    const bytes = src.read(first * size, n * size);
    if (bytes.length !== n * size) {
      throw new UserError(`${this.dir}: column ${name} is truncated; rebuild the bundle with kscope index`);
    }
    new Uint8Array(out.buffer, at * size, n * size).set(bytes);
  }

  close(): void {
    for (const s of this.open.values()) s.close();
    this.open.clear();
  }
}
