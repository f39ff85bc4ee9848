import { createHash } from 'node:crypto';
import { FileSource } from './file-source.js';

/**
 * Identity of an input file, cheap enough to check on every query: size,
 * mtime, and a hash of sampled regions (start, end and 14 spots between).
 * `crc32` of the whole file is filled in while indexing (it streams the file
 * anyway) and is consulted only when mtime changed but the samples still match.
 */
export interface Fingerprint {
  size: number;
  mtimeMs: number;
  sample: string;
  crc32?: number;
}

const EDGE = 64 * 1024;
const SPOT = 4 * 1024;
const SPOTS = 14;

export function sampleHash(src: FileSource): string {
  const h = createHash('sha1');
  h.update(String(src.size));
  if (src.size <= 2 * EDGE + SPOTS * SPOT) {
    h.update(src.read(0, src.size));
  } else {
    h.update(src.read(0, EDGE));
    for (let i = 1; i <= SPOTS; i++) {
      const pos = Math.floor((src.size * i) / (SPOTS + 1));
      h.update(src.read(pos, SPOT));
    }
    h.update(src.read(src.size - EDGE, EDGE));
  }
  return h.digest('hex');
}

export function fingerprintOf(path: string, mtimeMs: number): Fingerprint {
  const src = new FileSource(path);
  try {
    return { size: src.size, mtimeMs, sample: sampleHash(src) };
  } finally {
    src.close();
  }
}
