// Test support shared by the format folders' unit tests: the real gzipped Linux fixtures as
// plain files in one scratch directory per test process.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { Bundle, BundleDraft, BUNDLE_VERSION, readManifest } from '../model/bundle.js';
import { DiagnosticLog } from '../model/diagnostics.js';
import type { FormatReader } from '../model/format.js';

/** Compiled code runs from dist/src/formats/, so the repo root is three levels up. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const LINUX_FIXTURES = join(ROOT, 'test', 'fixtures', 'linux');

let dir: string | null = null;
const made = new Map<string, string>();

export function scratchDir(): string {
  if (!dir) dir = mkdtempSync(join(tmpdir(), 'kscope-format-test-'));
  return dir;
}

export function removeScratch(): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
  made.clear();
}

export function hasFixture(name: string): boolean {
  return existsSync(join(LINUX_FIXTURES, `${name}.gz`));
}

/** A fixture (`x86_64-qemu-int.log`) decompressed once into the scratch dir. */
export function fixture(name: string): string {
  let p = made.get(name);
  if (!p) {
    p = join(scratchDir(), name);
    writeFileSync(p, gunzipSync(readFileSync(join(LINUX_FIXTURES, `${name}.gz`))));
    made.set(name, p);
  }
  return p;
}

export function writeScratch(name: string, data: string | Buffer): string {
  const p = join(scratchDir(), name);
  writeFileSync(p, data);
  return p;
}

/** build → bundle in `dir` → open, as `kscope index` and a query would, with one reader alone. */
export function bundleOf(reader: FormatReader, path: string, dir: string, diagnostics = new DiagnosticLog(), name = path): Bundle {
  const draft = new BundleDraft(dir);
  const r = reader.build(path, {}, { name, diagnostics, dir: draft.tmp });
  const fingerprint = { size: 0, mtimeMs: 0, sample: '' };
  draft.commit(
    { kscope: 'bundle', version: BUNDLE_VERSION, format: reader.id, created: '', input: { path, fingerprint }, options: {}, buildOptions: {}, data: r.data, diagnostics: diagnostics.list() },
    r.columns,
    r.segmented,
    r.files,
  );
  const m = readManifest(dir);
  if (!m) throw new Error(`${dir}: bundle not readable`);
  return new Bundle(dir, m);
}
