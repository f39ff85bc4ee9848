import { closeSync, openSync, writeSync } from 'node:fs';
import { UserError } from '../util/errors.js';

/** Bytes buffered before a write: large enough that writes cost little, small enough that memory stays flat. */
export const OUT_BUFFER_BYTES = 4 << 20;

/**
 * A file written front to back through one fixed buffer: encoders write into
 * `buf` at `pos` after `ensure(n)`, and the buffer goes to disk whenever it
 * would overflow. Memory is the buffer, whatever the size of the trace.
 */
export class OutFile {
  buf: Buffer;
  pos = 0;
  /** Bytes already on disk. */
  written = 0;
  private readonly fd: number;

  constructor(
    readonly path: string,
    size = OUT_BUFFER_BYTES,
  ) {
    try {
      this.fd = openSync(path, 'w');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new UserError(`${path}: cannot write the export (${code ?? (e as Error).message})`);
    }
    this.buf = Buffer.allocUnsafe(size);
  }

  /** Room for `n` more bytes at `pos`: flushes first, and grows only for a single record larger than the buffer. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
  }

  writeAscii(s: string): void {
    // Callers pass JSON text: every character is one byte only if it is ASCII, so size it as UTF-8.
    const n = Buffer.byteLength(s, 'utf8');
    this.ensure(n);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  flush(): void {
    let off = 0;
    while (off < this.pos) off += writeSync(this.fd, this.buf, off, this.pos - off);
    this.written += this.pos;
    this.pos = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }

  /** Bytes in the file once closed. */
  get size(): number {
    return this.written + this.pos;
  }
}
