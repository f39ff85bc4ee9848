import { createRequire } from 'node:module';

// lz4-napi (lz4_flex) decodes a size-prepended LZ4 block; the dump gives the
// size separately, so we prepend it. Loaded lazily: most queries never need it.
type Lz4 = { uncompressSync(b: Buffer): Buffer; compressSync(b: Buffer): Buffer };
let lz4: Lz4 | undefined;
function lib(): Lz4 {
  lz4 ??= createRequire(import.meta.url)('lz4-napi') as Lz4;
  return lz4;
}

/** Decompresses one LZ4 block (block format, not frame) whose output is `size` bytes. */
export function lz4DecodeBlock(block: Buffer, size: number): Buffer {
  const pre = Buffer.allocUnsafe(4 + block.length);
  pre.writeUInt32LE(size, 0);
  block.copy(pre, 4);
  const out = lib().uncompressSync(pre);
  if (out.length !== size) throw new Error(`LZ4 block decoded to ${out.length} bytes, expected ${size}`);
  return out;
}

/** Compresses to a bare LZ4 block (used by the generator to write dumps). */
export function lz4EncodeBlock(data: Buffer): Buffer {
  return lib().compressSync(data).subarray(4);
}
