import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileSource } from '../util/file-source.js';
import { UserError } from '../util/errors.js';
import type { Fingerprint } from '../util/fingerprint.js';
import type { Diagnostic } from './diagnostics.js';

/** Bumped whenever the on-disk layout changes; older bundles are rebuilt, newer ones refused. */
export const BUNDLE_VERSION = 2;
export const MANIFEST = 'manifest.json';

export type Column = Uint32Array | Int16Array | Uint16Array | Float64Array | Uint8Array;
type Dtype = 'u32' | 'i16' | 'u16' | 'f64' | 'u8';

const CTOR = { u32: Uint32Array, i16: Int16Array, u16: Uint16Array, f64: Float64Array, u8: Uint8Array } as const;

function dtypeOf(c: Column): Dtype {
  if (c instanceof Uint32Array) return 'u32';
  if (c instanceof Int16Array) return 'i16';
  if (c instanceof Uint16Array) return 'u16';
  if (c instanceof Float64Array) return 'f64';
  return 'u8';
}

export interface ColumnInfo {
  dtype: Dtype;
  length: number;
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

/**
 * Writes a bundle into a temporary sibling directory and renames it into
 * place, so a crash or a concurrent reader never sees a half-written bundle.
 */
export function writeBundle(
  dir: string,
  manifest: Omit<Manifest, 'columns'>,
  columns: Record<string, Column>,
  files: Record<string, string> = {},
): void {
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const infos: Record<string, ColumnInfo> = {};
  for (const [name, col] of Object.entries(columns)) {
    writeFileSync(join(tmp, `${name}.col`), new Uint8Array(col.buffer, col.byteOffset, col.byteLength));
    infos[name] = { dtype: dtypeOf(col), length: col.length };
  }
  for (const [name, text] of Object.entries(files)) writeFileSync(join(tmp, name), text);
  writeFileSync(join(tmp, MANIFEST), JSON.stringify({ ...manifest, columns: infos }, null, 1));
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
}

export function isBundleDir(path: string): boolean {
  return existsSync(join(path, MANIFEST));
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
    let src = this.open.get(name);
    if (!src) {
      src = new FileSource(join(this.dir, `${name}.col`));
      this.open.set(name, src);
    }
    const bytes = src.read(start * Ctor.BYTES_PER_ELEMENT, n * Ctor.BYTES_PER_ELEMENT);
    if (bytes.length !== n * Ctor.BYTES_PER_ELEMENT) {
      throw new UserError(`${this.dir}: column ${name} is truncated; rebuild the bundle with kscope index`);
    }
    new Uint8Array(out.buffer).set(bytes);
    return out as T;
  }

  close(): void {
    for (const s of this.open.values()) s.close();
    this.open.clear();
  }
}
