/**
 * Identity of an artifact for the registry: the SHA-256 of its bytes as
 * given. The index cache's sampled fingerprint (util/fingerprint.ts) is
 * cheaper but samples large files, and two serial captures of one size that
 * differ in the middle must not count as "already added".
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { UserError } from '../util/errors.js';

export interface ArtifactIdentity {
  size: number;
  mtimeMs: number;
  sha256: string;
}

const CHUNK = 1 << 20;

export function artifactIdentity(path: string): ArtifactIdentity {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new UserError(`${path}: no such file`);
  }
  if (!st.isFile()) throw new UserError(`${path}: not a file`);
  const h = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n <= 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return { size: st.size, mtimeMs: st.mtimeMs, sha256: h.digest('hex') };
}
