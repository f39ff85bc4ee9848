import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Bundle } from '../../model/bundle.js';
import type { FormatReader, ReaderOptions } from '../../model/format.js';
import { isTextHead } from '../../util/head.js';
import { UserError } from '../../util/errors.js';
import { fingerprintOf } from '../../util/fingerprint.js';
import { statInput } from '../../util/file-source.js';
import { buildFromBin, buildFromConsole, nameFunctions, type TiiData } from './build.js';
import { START_MARK } from './dump.js';
import { emptyMeta, findMetaBeside, readMetaFile } from './meta.js';
import { TiiSource } from './source.js';
import { EmptySource } from '../../model/empty-source.js';
import { compileSpec, loadSpec, readSpecInput, specHash } from './spec.js';

export { DEFAULT_TII_SPEC } from './default-spec.js';
export type { TiiData, TiiStream, TiiSummary } from './build.js';
export { compileSpec, loadSpec } from './spec.js';
export { lz4EncodeBlock } from './lz4.js';
export { START_MARK, END_MARK } from './dump.js';

function fileKey(path: string | undefined): string | null {
  if (!path) return null;
  const st = statInput(path);
  // Absolute, so the same sidecar named from another cwd (or via the bundle's stored input path) keeps the same key.
  return `${resolve(path)}@${fingerprintOf(path, st.mtimeMs).sample}`;
}

/** Bundle key of the spec in use; hashing it is enough, compiling waits for the build. */
function specKey(options: ReaderOptions): string {
  return specHash(readSpecInput(options.formatSpec));
}

function streamOf(bundle: Bundle, want: string | undefined) {
  const data = bundle.manifest.data as TiiData;
  if (data.streams.length === 0) {
    if (want !== undefined) throw new UserError(`${bundle.manifest.input.path}: holds no decodable trace stream`);
    return null;
  }
  if (want === undefined) return data.streams[0];
  const byDump = /^\d+$/.test(want) ? data.streams.find((s) => s.origin.dump === Number(want)) : undefined;
  const s = byDump ?? data.streams.find((x) => x.id === want);
  if (!s) throw new UserError(`${bundle.manifest.input.path}: no stream "${want}"; this input has: ${data.streams.map((x) => (x.origin.dump ? `${x.origin.dump} (${x.label})` : x.id)).join(', ')}`);
  return s;
}

/** Names that say a file is a TII word stream (`ftrace.bin` and the like). */
const TII_NAME = /\.bin$|ftrace/i;

/** TII seL4 ftrace: raw `ftrace.bin` word streams (+ `ftrace.meta`). */
export const tiiFtraceBin: FormatReader = {
  id: 'tii-ftrace',
  title: 'TII seL4 ftrace word stream (ftrace.bin)',
  kind: 'binary',
  detect(head, name) {
    if (head.length === 0 || isTextHead(head)) return 0;
    // Marker words are 0xFFxx little-endian; function words are anything.
    let markers = 0;
    for (let i = 1; i < head.length; i += 2) if (head[i] === 0xff && (head[i - 1] & 1) === 0) markers++;
    const byName = TII_NAME.test(name) ? 0.3 : 0;
    return Math.min(1, 0.4 + byName + (markers > 0 ? 0.2 : 0));
  },
  optionsKey(options, path) {
    return { spec: specKey(options), meta: fileKey(options.meta ?? findMetaBeside(path)), elf: fileKey(options.elf) };
  },
  build(path, options, ctx) {
    const spec = loadSpec(options.formatSpec);
    // Beside the input as the user named it: `path` may be a decompressed copy in a temp dir.
    const metaPath = options.meta ?? findMetaBeside(ctx.name);
    const meta = metaPath ? readMetaFile(metaPath) : emptyMeta();
    const claimed = meta.entryCount ?? (meta.rawSize !== undefined ? meta.rawSize / 2 : undefined);
    const found = Math.floor(statInput(path).size / 2);
    if (metaPath && claimed !== undefined && claimed !== found) {
      ctx.diagnostics.add({ code: 'META_DISAGREES', severity: 'warning', file: metaPath, message: `says the stream holds ${claimed} words (entry_count/raw_size), ${ctx.name} holds ${found}; decoded what the stream holds` });
    }
    if (!metaPath) {
      // A raw word stream has no header: any binary file reads as one. Without a meta file or a telling name, say so.
      const telling = TII_NAME.test(ctx.name);
      ctx.diagnostics.add(
        telling
          ? { code: 'NO_META', severity: 'info', file: ctx.name, message: 'no ftrace.meta beside the stream (or --meta): function ids are shown without addresses' }
          : { code: 'NOT_KNOWN_TII', severity: 'warning', file: ctx.name, message: 'binary, so read as a raw TII ftrace word stream (no ftrace.meta beside it, the name does not say): if it is something else, kscope does not read its format' },
      );
    }
    return buildFromBin(path, ctx.name, spec, meta, nameFunctions(meta.dictionary, options.elf), ctx.diagnostics, ctx.progress);
  },
  streams(bundle) {
    return (bundle.manifest.data as TiiData).streams.map((s) => ({ id: s.id, label: s.label, events: s.events }));
  },
  open(bundle, path, stream) {
    const data = bundle.manifest.data as TiiData;
    const s = streamOf(bundle, stream);
    if (!s) return new EmptySource(bundle.manifest.input.path, 'tii-ftrace', bundle.manifest.diagnostics);
    return new TiiSource(bundle, compileSpec(data.spec, `${bundle.dir}/manifest.json`), s, path);
  },
};

/** Console logs holding one or more `BINARY TRANSFER` dumps of the TII ftrace stream. */
export const tiiFtraceConsole: FormatReader = {
  id: 'tii-console',
  title: 'console log with TII BINARY TRANSFER dumps',
  kind: 'text',
  detect(head) {
    if (!isTextHead(head)) return 0;
    return head.includes(START_MARK) ? 0.9 : 0;
  },
  optionsKey(options) {
    return { spec: specKey(options), elf: fileKey(options.elf) };
  },
  build(path, options, ctx) {
    return buildFromConsole(path, ctx.name, loadSpec(options.formatSpec), options.elf, ctx.diagnostics);
  },
  streams: tiiFtraceBin.streams,
  open: tiiFtraceBin.open,
};

/** True when a text file holds a dump anywhere (the head alone may miss it in a long log). */
export function containsDump(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.allocUnsafe(Math.min(size, 8 << 20));
    const mark = Buffer.from(START_MARK);
    for (let pos = 0; pos < size; pos += buf.length - mark.length) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (buf.subarray(0, n).includes(mark)) return true;
      // Stop at the end of the file; a file shorter than the mark would otherwise step backwards.
      if (n < buf.length || pos + n >= size) break;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}
