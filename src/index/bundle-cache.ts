import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { crc32 } from 'node:zlib';
import { Bundle, BundleDraft, BUNDLE_VERSION, damageOf, isBundleDir, MANIFEST, readManifest, rewriteManifest, type Manifest } from '../model/bundle.js';
import { DiagnosticLog } from '../model/diagnostics.js';
import type { FormatReader, ReaderOptions } from '../model/format.js';
import type { EventSource } from '../model/source.js';
import { detectFormat, headOf, readerById } from '../formats/registry.js';
import { UserError } from '../util/errors.js';
import { FileSource, statInput } from '../util/file-source.js';
import { sampleHash, type Fingerprint } from '../util/fingerprint.js';
import { plainInputWithProblem } from './plain-input.js';

export interface IndexOptions extends ReaderOptions {
  /** Bundle directory (default `<input>.kscope`). */
  out?: string;
  /** Force a reader instead of detecting. */
  format?: string;
}

export interface IndexContext {
  progress?: (done: number, total: number) => void;
  /** Told why a bundle is (re)built. */
  note?: (message: string) => void;
}

export function defaultBundleDir(input: string): string {
  return `${input}.kscope`;
}

function sameOptions(a: Record<string, string | null>, b: Record<string, string | null>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if ((a[k] ?? null) !== (b[k] ?? null)) return false;
  return true;
}

/** The whole file's crc32, read a MiB at a time (inputs are often larger than a buffer may be). */
function fullCrc(path: string): number {
  const src = new FileSource(path);
  try {
    let crc = 0;
    for (let at = 0; at < src.size; ) {
      const piece = src.read(at, 1 << 20);
      if (piece.length === 0) break;
      crc = crc32(piece, crc);
      at += piece.length;
    }
    return crc;
  } finally {
    src.close();
  }
}

/** Why a bundle cannot be trusted for this input, or null when it can. */
function staleReason(m: Manifest | null, input: string, fp: Fingerprint, reader: FormatReader, opts: Record<string, string | null>): string | null {
  if (!m) return 'no bundle yet';
  if (m.version !== BUNDLE_VERSION) return `bundle version ${m.version} differs from ${BUNDLE_VERSION}`;
  if (m.format !== reader.id) return `bundle holds format ${m.format}, input is ${reader.id}`;
  const was = m.input.fingerprint;
  if (was.size !== fp.size || was.sample !== fp.sample) return `${input} changed since it was indexed (or the bundle belongs to another file)`;
  // Without a whole-file crc (readers that do not stream the raw bytes), a new mtime is all we can go by.
  if (was.mtimeMs !== fp.mtimeMs && (was.crc32 === undefined || fullCrc(input) !== was.crc32)) return `${input} changed since it was indexed`;
  if (!sameOptions(m.options, opts)) return 'index options changed (format spec, meta or ELF file)';
  return null;
}

export function fingerprintNow(input: string): Fingerprint {
  const st = statInput(input);
  const src = new FileSource(input);
  try {
    return { size: st.size, mtimeMs: st.mtimeMs, sample: sampleHash(src) };
  } finally {
    src.close();
  }
}

export interface IndexResult {
  dir: string;
  manifest: Manifest;
  reader: FormatReader;
  built: boolean;
  reason: string | null;
  /** The input itself, or its decompressed copy. */
  plain: string;
}

/** Reader options that affect a build; when the user gives none, the existing bundle's are reused. */
const BUILD_OPTIONS = ['meta', 'formatSpec', 'elf'] as const;

function buildOptionsOf(options: IndexOptions, existing: Manifest | null): Record<string, string> {
  const given: Record<string, string> = {};
  for (const k of BUILD_OPTIONS) if (options[k] !== undefined) given[k] = resolve(options[k] as string);
  if (Object.keys(given).length === 0 && existing?.buildOptions) return existing.buildOptions;
  return given;
}

/**
 * Builds the bundle for `input` unless a valid one exists (or `force`).
 * Compressed inputs are fingerprinted as given and decoded from a plain copy.
 */
export async function indexInput(input: string, options: IndexOptions, ctx: IndexContext = {}, force = false): Promise<IndexResult> {
  const fp = fingerprintNow(input);
  const { path: plain, problem } = await plainInputWithProblem(input);
  const dir = resolve(options.out ?? defaultBundleDir(input));
  const existing = readManifest(dir);
  const buildOptions = buildOptionsOf(options, existing);
  let reader = options.format
    ? await readerById(options.format)
    : existing && !force && existing.input.fingerprint.sample === fp.sample
      ? // A manifest naming no reader we have (edited, or from another build) is detected afresh, then rebuilt.
        await readerById(existing.format).catch(() => detectFormat(plain))
      : await detectFormat(plain);
  const optKey = reader.optionsKey(buildOptions, input);
  const damage = existing && existing.version === BUNDLE_VERSION ? damageOf(dir, existing) : null;
  const reason = force ? 'rebuild requested' : (staleReason(existing, input, fp, reader, optKey) ?? (damage && `bundle is damaged (${damage})`));
  if (!reason && existing) {
    // Touched but the same bytes (the crc said so): remember the new mtime, so the next query need not hash the file again.
    if (existing.input.fingerprint.mtimeMs !== fp.mtimeMs) {
      existing.input.fingerprint.mtimeMs = fp.mtimeMs;
      rewriteManifest(dir, existing);
    }
    return { dir, manifest: existing, reader, built: false, reason: null, plain };
  }
  if (existing) ctx.note?.(`rebuilding ${dir}: ${reason}`);
  else if (existsSync(join(dir, MANIFEST))) ctx.note?.(`rebuilding ${dir}: its ${MANIFEST} cannot be read (damaged or cut short)`);
  // The draft replaces what is at `dir`: only ever an older bundle, never the user's files.
  if (dir === resolve(input)) throw new UserError(`${dir}: is the input itself; choose another -o for the bundle`);
  if (existsSync(dir) && !(statSync(dir).isDirectory() && isBundleDir(dir))) {
    throw new UserError(`${dir}: exists and is not a kscope bundle (${statSync(dir).isDirectory() ? 'a directory' : 'a file'}); choose another -o`);
  }
  const cannotWrite = (e: unknown) => {
    const code = (e as NodeJS.ErrnoException).code;
    return new UserError(`${dir}: cannot write the bundle (${code ?? (e as Error).message}); choose a writable place with -o DIR`);
  };
  /** One build into a draft; the draft becomes the bundle unless the build names a better reader. */
  const build = (r: FormatReader): string | null => {
    const diagnostics = new DiagnosticLog();
    if (problem) diagnostics.add({ code: 'DECOMPRESS_TRUNCATED', severity: 'warning', file: input, message: problem.replace(/^[^:]*: /, '') });
    const head = headOf(plain);
    // Old Mac-style or some capture tools' line ends: every reader splits on LF, so the file reads as one line.
    if (r.kind !== 'binary' && !head.includes(10) && head.indexOf(13) !== head.lastIndexOf(13)) {
      diagnostics.add({ code: 'CR_LINE_ENDS', severity: 'warning', file: input, offset: 0, message: "lines end with a bare CR (no LF in the first 64 KiB), so the file reads as one line; convert it first (tr '\\r' '\\n')" });
    }
    // Forced on a file its reader would not claim: say so, or a log of nothing but LINE events looks like an answer.
    // (Not tii-console: its dump may start past the head detection reads.)
    if (options.format && r.id !== 'tii-console' && r.detect(head, input) === 0) {
      diagnostics.add({ code: 'FORMAT_FORCED', severity: 'warning', file: input, message: `read as ${r.id} because --format says so, but its start does not look like one; expect few or no ${r.id} events` });
    }
    let draft: BundleDraft;
    try {
      draft = new BundleDraft(dir);
    } catch (e) {
      throw cannotWrite(e);
    }
    try {
      const result = r.build(plain, buildOptions, { name: input, diagnostics, progress: ctx.progress, dir: draft.tmp });
      if (result.better && !options.format) {
        draft.abandon();
        return result.better;
      }
      const manifest: Omit<Manifest, 'columns'> = {
        kscope: 'bundle',
        version: BUNDLE_VERSION,
        format: r.id,
        created: new Date().toISOString(),
        input: { path: resolve(input), fingerprint: { ...fp, crc32: result.crc32 } },
        options: r.optionsKey(buildOptions, input),
        buildOptions,
        data: result.data,
        diagnostics: diagnostics.list(),
      };
      try {
        draft.commit(manifest, result.columns, result.segmented, result.files);
      } catch (e) {
        throw cannotWrite(e);
      }
      return null;
    } catch (e) {
      draft.abandon();
      throw e;
    }
  };
  const better = build(reader);
  if (better) {
    // Found while building (a TII dump deep in a console log): built again with the reader it names.
    reader = await readerById(better);
    build(reader);
  }
  const written = readManifest(dir);
  if (!written) throw new UserError(`${dir}: bundle was written but cannot be read back`);
  return { dir, manifest: written, reader, built: true, reason, plain };
}

export interface Opened {
  source: EventSource;
  bundle: Bundle;
  reader: FormatReader;
  input: string;
}

/**
 * Opens an input or a bundle for queries. Given the input, a valid bundle is
 * reused and a stale one rebuilt; given a bundle, its input is checked the
 * same way before anything is trusted.
 */
export async function openForQuery(path: string, options: IndexOptions & { stream?: string }, ctx: IndexContext = {}): Promise<Opened> {
  let input = path;
  let opts = options;
  if (existsSync(path) && statSync(path).isDirectory()) {
    const m = readManifest(path);
    if (!m) throw new UserError(`${path}: is a directory, expected a file or a kscope bundle (no manifest.json)`);
    if (m.version > BUNDLE_VERSION) throw new UserError(`${path}: bundle version ${m.version} is newer than this kscope understands (${BUNDLE_VERSION})`);
    input = m.input.path;
    if (!existsSync(input)) throw new UserError(`${path}: the bundle's input ${input} is gone; queries need it`);
    opts = { ...options, out: path };
  }
  const r = await indexInput(input, opts, ctx);
  const bundle = new Bundle(r.dir, r.manifest);
  return { source: r.reader.open(bundle, r.plain, options.stream), bundle, reader: r.reader, input };
}
