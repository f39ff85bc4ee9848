import { crc32 } from 'node:zlib';
import { TII_DUMP_START } from '../../model/format.js';
import type { DiagnosticLog } from '../../model/diagnostics.js';
import { FileSource } from '../../util/file-source.js';
import { forEachLine } from '../../util/lines.js';
import { lz4DecodeBlock } from './lz4.js';
import type { TiiMeta } from './meta.js';
import { emptyMeta } from './meta.js';

export const START_MARK = TII_DUMP_START;
export const END_MARK = '=== BINARY TRANSFER END ===';

/** Block kinds: one LZ4 block (v2, v3), base64 of raw words (v1, TAIL_RAW_ENTRIES). */
export const BLOCK_LZ4 = 0;
export const BLOCK_RAW = 1;

/**
 * One decodable piece of a dump's data: where its base64 lines sit in the
 * log (so a query re-reads only this block) and which words it yields.
 */
export interface DumpBlock {
  kind: number;
  seq: number;
  line: number;
  byteStart: number;
  byteEnd: number;
  compressed: number;
  size: number;
  wordStart: number;
}

export const BLOCK_FIELDS = 8;

export function blocksToColumn(blocks: DumpBlock[]): Float64Array {
  const out = new Float64Array(blocks.length * BLOCK_FIELDS);
  blocks.forEach((b, k) => {
    out.set([b.kind, b.seq, b.line, b.byteStart, b.byteEnd, b.compressed, b.size, b.wordStart], k * BLOCK_FIELDS);
  });
  return out;
}

export function blockAt(col: Float64Array, k: number): DumpBlock {
  const o = k * BLOCK_FIELDS;
  return {
    kind: col[o], seq: col[o + 1], line: col[o + 2], byteStart: col[o + 3], byteEnd: col[o + 4],
    compressed: col[o + 5], size: col[o + 6], wordStart: col[o + 7],
  };
}

export interface DumpInfo {
  /** 1-based number of the dump in the log. */
  number: number;
  startLine: number;
  endLine: number;
  version: number;
  type: string;
  supported: boolean;
  complete: boolean;
  meta: TiiMeta;
  checksum?: string;
  crc32: number;
  blocks: DumpBlock[];
  /** End of the dump's word positions; lost blocks keep their place in them. */
  words: number;
  /** Blocks that could not be decoded: their line and the word positions they held. */
  lost: LostBlock[];
}

export interface LostBlock {
  seq: number;
  line: number;
  wordStart: number;
  words: number;
}

const B64_LINE = /^[A-Za-z0-9+/=]+$/;

/** Decodes base64 text that may carry stray '=' anywhere: strip them all, Node re-pads. */
export function decodeBase64Loose(text: string): Buffer {
  return Buffer.from(text.indexOf('=') >= 0 ? text.replace(/=/g, '') : text, 'base64');
}

function parseValue(v: string): string | number | boolean {
  if (/^-?\d+$/.test(v)) return Number(v);
  if (v === 'true' || v === 'True') return true;
  if (v === 'false' || v === 'False') return false;
  return v;
}

function wordsOf(bytes: Buffer): Uint16Array {
  const n = bytes.length >>> 1;
  if ((bytes.byteOffset & 1) === 0) return new Uint16Array(bytes.buffer, bytes.byteOffset, n);
  const copy = new Uint16Array(n);
  new Uint8Array(copy.buffer).set(bytes.subarray(0, n * 2));
  return copy;
}

/** Decodes one block's bytes from its collected base64 text. */
export function decodeBlock(kind: number, b64: string, compressed: number, size: number): Buffer {
  const raw = decodeBase64Loose(b64);
  if (kind === BLOCK_RAW) return size >= 0 ? raw.subarray(0, size) : raw;
  if (raw.length < compressed) throw new Error(`block has ${raw.length} of ${compressed} compressed bytes`);
  return lz4DecodeBlock(raw.subarray(0, compressed), size);
}

type State = 'outside' | 'header' | 'dict' | 'data' | 'trailer' | 'skip';

/**
 * Finds every `BINARY TRANSFER` dump in a console log in one streaming pass,
 * decodes the data blocks and hands their words to `onWords(dump, words, at)`
 * in stream order, `at` being the first word's position. A block that does
 * not decode (short, corrupt LZ4) is dropped with a diagnostic naming its line
 * and keeps its place in the positions; the blocks after it still decode,
 * each v3 BLOCK being an LZ4 block of its own. A dump cut off keeps its
 * complete blocks.
 */
export function scanConsoleDumps(
  path: string,
  name: string,
  diags: DiagnosticLog,
  onWords: (dump: DumpInfo, words: Uint16Array, at: number) => void,
): { dumps: DumpInfo[]; lines: number } {
  const dumps: DumpInfo[] = [];
  let state: State = 'outside';
  let dump: DumpInfo | null = null;
  let cur: { block: DumpBlock; parts: string[]; badLine: string } | null = null;
  let wordsSoFar = 0;
  let oddByte = 0;

  const warn = (code: string, line: number, message: string, severity: 'warning' | 'error' = 'warning') =>
    diags.add({ code, severity, file: name, line, message });

  /** Decodes the block being read; `next` says where reading goes on, for the message if it is lost. */
  const finishBlock = (next: string) => {
    if (!cur || !dump) return;
    const { block, parts, badLine } = cur;
    cur = null;
    let bytes: Buffer;
    try {
      bytes = decodeBlock(block.kind, parts.join(''), block.compressed, block.size);
    } catch (e) {
      const lost = Math.max(0, block.size >> 1);
      const prev = dump.lost.at(-1);
      // Blocks are independent LZ4 blocks; one whose own text looks whole but fails right after a lost one may instead share its history.
      const shared = !badLine && prev && prev.wordStart + prev.words === wordsSoFar && block.kind === BLOCK_LZ4 ? `; if the kernel chained its LZ4 blocks, this one cannot be decoded without block ${prev.seq} before it` : '';
      const words = lost ? `${lost} words lost (stream words ${wordsSoFar}-${wordsSoFar + lost - 1})` : 'its size is unknown';
      warn('DUMP_BLOCK_BROKEN', block.line, `dump ${dump.number}: block ${block.seq} is incomplete or corrupt (${(e as Error).message}${badLine}${shared}); dropped it: ${words}; ${next}`, 'error');
      dump.lost.push({ seq: block.seq, line: block.line, wordStart: wordsSoFar, words: lost });
      wordsSoFar += lost;
      dump.words = wordsSoFar;
      return;
    }
    if (block.kind === BLOCK_RAW && block.size >= 0 && bytes.length < block.size) {
      warn('DUMP_TAIL_SHORT', block.line, `dump ${dump.number}: TAIL_RAW_ENTRIES promised ${block.size / 2} words, found ${bytes.length >>> 1}`);
    }
    if (bytes.length & 1) oddByte++;
    const words = wordsOf(bytes);
    block.size = words.length * 2;
    block.wordStart = wordsSoFar;
    wordsSoFar += words.length;
    dump.crc32 = crc32(bytes.subarray(0, words.length * 2), dump.crc32);
    dump.blocks.push(block);
    dump.words = wordsSoFar;
    onWords(dump, words, block.wordStart);
  };

  const newBlock = (kind: number, seq: number, line: number, compressed: number, size: number) => {
    cur = { block: { kind, seq, line, byteStart: 0, byteEnd: 0, compressed, size, wordStart: 0 }, parts: [], badLine: '' };
  };

  const closeDump = (line: number, complete: boolean) => {
    if (!dump) return;
    dump.endLine = line;
    dump.complete = complete;
    dump = null;
    state = 'outside';
  };

  const appendData = (text: string, lineStart: number, lineEnd: number) => {
    const c = cur as { block: DumpBlock; parts: string[]; badLine: string };
    if (c.parts.length === 0) c.block.byteStart = lineStart;
    c.parts.push(text);
    c.block.byteEnd = lineEnd;
  };

  const { lines } = forEachLine(path, (buf, s0, e, lineNo, byteOffset) => {
    const lineEnd = byteOffset + (e - s0);
    let s = s0;
    // Trim whitespace without allocating; base64 data lines take the fast path.
    while (s < e && (buf[s] === 32 || buf[s] === 9)) s++;
    while (e > s && (buf[e - 1] === 32 || buf[e - 1] === 9 || buf[e - 1] === 13)) e--;
    const line = buf.toString('latin1', s, e);
    if (state === 'data' && cur && line !== '===' && B64_LINE.test(line)) {
      appendData(line, byteOffset, lineEnd);
      return;
    }
    if (line.includes(START_MARK)) {
      if (dump) {
        if (state === 'data') finishBlock(`the dump ends there (line ${lineNo})`);
        warn('DUMP_TRUNCATED', lineNo, `dump ${(dump as DumpInfo).number} (from line ${(dump as DumpInfo).startLine}) has no END line; a new dump starts here`, 'error');
        closeDump(lineNo - 1, false);
      }
      dump = {
        number: dumps.length + 1, startLine: lineNo, endLine: lineNo, version: 0, type: '', supported: true,
        complete: false, meta: emptyMeta(), crc32: 0, blocks: [], words: 0, lost: [],
      };
      dumps.push(dump);
      state = 'header';
      wordsSoFar = 0;
      oddByte = 0;
      return;
    }
    if (!dump) return;
    const d: DumpInfo = dump;
    if (line.includes(END_MARK)) {
      if (state === 'data') {
        finishBlock(`the dump ends there (line ${lineNo})`);
        warn('DUMP_NO_DATA_END', lineNo, `dump ${d.number}: data section has no closing "===" before the END line`);
      }
      if (oddByte) warn('DUMP_ODD_BYTES', d.startLine, `dump ${d.number}: ${oddByte} block(s) had an odd byte count; the last byte of each was dropped`);
      closeDump(lineNo, state !== 'skip');
      return;
    }
    switch (state) {
      case 'header': {
        if (line === '===') {
          state = 'dict';
          return;
        }
        const m = /^([A-Z_][A-Z0-9_]*):\s*(.*)$/.exec(line);
        if (m) d.meta.header[m[1]] = parseValue(m[2]);
        else if (line) warn('DUMP_NOISE', lineNo, `dump ${d.number}: expected a "KEY: value" header line, skipped it`);
        return;
      }
      case 'dict': {
        if (line === '===') {
          d.version = Number(d.meta.header.VERSION ?? 3);
          d.type = String(d.meta.header.TYPE ?? 'FTRACE_STREAM');
          if (d.type !== 'FTRACE_STREAM') {
            d.supported = false;
            warn('DUMP_UNSUPPORTED', d.startLine, `dump ${d.number}: stream type ${d.type} is not supported yet; skipped`);
            state = 'skip';
            return;
          }
          if (d.version !== 1 && d.version !== 2 && d.version !== 3) {
            d.supported = false;
            warn('DUMP_UNSUPPORTED', d.startLine, `dump ${d.number}: VERSION ${d.version} is not one of 1, 2, 3; skipped`);
            state = 'skip';
            return;
          }
          state = 'data';
          if (d.version === 2) newBlock(BLOCK_LZ4, 0, lineNo + 1, Number(d.meta.header.COMPRESSED_SIZE ?? 0), Number(d.meta.header.RAW_SIZE ?? -1));
          if (d.version === 1) newBlock(BLOCK_RAW, 0, lineNo + 1, 0, -1);
          return;
        }
        const m = /^(\d+):(?:0x)?([0-9a-fA-F]+)$/.exec(line);
        if (m) d.meta.dictionary.set(Number(m[1]), BigInt(`0x${m[2]}`));
        else if (line) warn('DUMP_NOISE', lineNo, `dump ${d.number}: expected a dictionary line "index:hexaddr", skipped it`);
        return;
      }
      case 'data': {
        if (line === '===') {
          finishBlock(`its data ends there (line ${lineNo})`);
          state = 'trailer';
          return;
        }
        const blk = /^BLOCK:(\d+):(\d+):(\d+)$/.exec(line);
        if (blk && d.version === 3) {
          finishBlock(`decoding resumes at block ${blk[1]} (line ${lineNo})`);
          newBlock(BLOCK_LZ4, Number(blk[1]), lineNo, Number(blk[2]), Number(blk[3]));
          return;
        }
        const tail = /^TAIL_RAW_ENTRIES:(\d+)$/.exec(line);
        if (tail) {
          finishBlock(`decoding resumes at TAIL_RAW_ENTRIES (line ${lineNo})`);
          newBlock(BLOCK_RAW, -1, lineNo, 0, Number(tail[1]) * 2);
          return;
        }
        if (!line) return;
        const bad = /[^A-Za-z0-9+/=]/.exec(line);
        const where = bad ? ` ("${bad[0]}" at column ${bad.index + 1})` : '';
        warn('DUMP_NOISE', lineNo, `dump ${d.number}: expected base64 data, BLOCK: or TAIL_RAW_ENTRIES:${where}, skipped this line`);
        if (cur && !cur.badLine) cur.badLine = `; line ${lineNo} in it is not base64${where}`;
        return;
      }
      case 'trailer': {
        const m = /^CHECKSUM:\s*(?:0x)?([0-9a-fA-F]+)$/.exec(line);
        if (m) d.checksum = m[1].toLowerCase();
        return;
      }
      default:
        return;
    }
  });
  const open = dump as DumpInfo | null;
  if (open) {
    if ((state as State) === 'data') finishBlock(`the log ends there (line ${lines})`);
    const kept = open.words - open.lost.reduce((n, b) => n + b.words, 0);
    warn('DUMP_TRUNCATED', lines, `dump ${open.number} (from line ${open.startLine}) is cut off: the log ends at line ${lines} with no END line; kept ${open.blocks.length} complete block(s), ${kept} words`, 'error');
    closeDump(lines, false);
  }
  return { dumps, lines };
}

/**
 * Reads the words of a dump back from the log for queries, one block at a
 * time (only the blocks a query touches are decoded).
 */
export class DumpWords {
  private cache = new Map<number, Uint16Array>();

  constructor(
    private readonly src: FileSource,
    private readonly blocks: Float64Array,
    readonly words: number,
  ) {}

  private block(k: number): Uint16Array {
    let w = this.cache.get(k);
    if (w) return w;
    const b = blockAt(this.blocks, k);
    const text = this.src.read(b.byteStart, b.byteEnd - b.byteStart).toString('latin1');
    const parts: string[] = [];
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (line && B64_LINE.test(line)) parts.push(line);
    }
    w = wordsOf(decodeBlock(b.kind, parts.join(''), b.compressed, b.size));
    if (this.cache.size > 4) this.cache.clear();
    this.cache.set(k, w);
    return w;
  }

  read(start: number, count: number): Uint16Array {
    const end = Math.min(this.words, start + count);
    const out = new Uint16Array(Math.max(0, end - start));
    const nb = this.blocks.length / BLOCK_FIELDS;
    let lo = 0;
    let hi = nb - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.blocks[mid * BLOCK_FIELDS + 7] <= start) lo = mid;
      else hi = mid - 1;
    }
    let pos = start;
    for (let k = lo; k < nb && pos < end; k++) {
      const ws = this.blocks[k * BLOCK_FIELDS + 7];
      if (ws >= end) break;
      // Words of a lost block read as 0: the index's skips keep walks off them.
      if (pos < ws) pos = ws;
      const w = this.block(k);
      const from = pos - ws;
      const take = Math.min(w.length - from, end - pos);
      if (take <= 0) continue;
      out.set(w.subarray(from, from + take), pos - start);
      pos += take;
    }
    return out;
  }
}
