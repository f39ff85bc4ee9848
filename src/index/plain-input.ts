import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { compressionOf, decompressTo, removeQuietly } from '../util/decompress.js';
import { statInput } from '../util/file-source.js';
import { UserError } from '../util/errors.js';

/**
 * The plain-text/binary content of an input: the file itself, or for a
 * compressed input (.gz, detected by magic bytes) a decompressed copy made
 * once and cached under the system temp dir, keyed by path, size and mtime.
 * Readers then get random access and never care about compression.
 */
export async function plainInput(path: string, note?: (message: string) => void): Promise<string> {
  return (await plainInputWithProblem(path, note)).path;
}

/** Where the decompressed copy of a compressed input is kept: keyed by its path, size and mtime. */
export function plainCopyPath(path: string): string {
  const st = statSync(path);
  const key = createHash('sha1').update(`${resolve(path)}\0${st.size}\0${st.mtimeMs}`).digest('hex').slice(0, 20);
  return join(tmpdir(), 'kscope-plain', key);
}

/** As plainInput, also returning the decompression problem (kept beside the cached copy so later runs see it too). */
export async function plainInputWithProblem(path: string, note?: (message: string) => void): Promise<{ path: string; problem: string | null }> {
  statInput(path);
  const kind = compressionOf(path);
  if (kind === 'none') return { path, problem: null };
  const out = plainCopyPath(path);
  mkdirSync(dirname(out), { recursive: true });
  // The copy is trusted only at the size it was written with (a temp cleaner or a full disk may have cut it).
  if (existsSync(out) && existsSync(`${out}.size`) && readFileSync(`${out}.size`, 'utf8') === String(statSync(out).size)) {
    // Said on every run that reads the copy, not only the one that made it.
    const problem = existsSync(`${out}.problem`) ? readFileSync(`${out}.problem`, 'utf8') : null;
    if (problem) note?.(problem);
    return { path: out, problem };
  }
  const tmp = `${out}.tmp-${process.pid}`;
  const problem = await decompressTo(path, tmp, kind);
  if (problem) note?.(problem);
  if (statSync(tmp).size === 0 && problem) {
    removeQuietly(tmp);
    throw new UserError(problem);
  }
  if (problem) writeFileSync(`${out}.problem`, problem);
  else removeQuietly(`${out}.problem`);
  writeFileSync(`${out}.size`, String(statSync(tmp).size));
  renameSync(tmp, out);
  return { path: out, problem };
}
