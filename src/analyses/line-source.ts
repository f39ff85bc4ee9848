import type { EventRecord } from '../model/event.js';
import type { EventCursor, EventSource, Summary } from '../model/source.js';
import { FileSource, forEachChunk } from '../util/file-source.js';
import { F64List, U32List } from '../util/growable.js';
import { UserError } from '../util/errors.js';
import { cleanText, MAX_TEXT_BYTES } from './text.js';

/**
 * Every non-blank line of a plain text file as a LINE event, without a
 * bundle. `diagnose` uses it for the console text around a TII dump: the
 * input's reader sees only the dumped word stream, while crashes, hangs and
 * expected markers live in the lines around it. Building costs one pass
 * (line starts only, 12 bytes per line); events are read back by offset.
 */
export class LineSource implements EventSource {
  readonly typeNames: readonly string[] = ['LINE'];
  readonly count: number;
  private readonly lineNo: Uint32Array;
  private readonly offset: Float64Array;
  private readonly length: Uint32Array;
  private readonly file: FileSource;

  constructor(
    readonly path: string,
    private readonly name: string,
  ) {
    const lines = new U32List(1 << 12);
    const offs = new F64List(1 << 12);
    const lens = new U32List(1 << 12);
    let no = 0;
    let lineStart = 0;
    let lastByte = 10;
    const add = (s: number, e: number) => {
      no++;
      // Blank lines are not events (as in console-log); CR before the newline is not content.
      if (e > s) {
        lines.push(no);
        offs.push(s);
        lens.push(e - s);
      }
    };
    let pendingCr = false;
    forEachChunk(path, 4 << 20, (chunk, pos) => {
      let i = 0;
      for (;;) {
        const nl = chunk.indexOf(10, i);
        if (nl < 0) break;
        const crAt = nl > 0 ? chunk[nl - 1] === 13 : pendingCr;
        add(lineStart, pos + nl - (crAt ? 1 : 0));
        lineStart = pos + nl + 1;
        i = nl + 1;
      }
      if (chunk.length > 0) {
        lastByte = chunk[chunk.length - 1];
        pendingCr = lastByte === 13;
      }
    });
    const size = this.size(path);
    if (lastByte !== 10 && size > lineStart) add(lineStart, size - (lastByte === 13 ? 1 : 0));
    this.lineNo = lines.data.subarray(0, lines.length);
    this.offset = offs.data.subarray(0, offs.length);
    this.length = lens.data.subarray(0, lens.length);
    this.count = this.lineNo.length;
    this.file = new FileSource(path);
  }

  private size(path: string): number {
    const f = new FileSource(path);
    try {
      return f.size;
    } finally {
      f.close();
    }
  }

  summary(): Summary {
    return { format: 'lines', source: this.name, events: this.count, types: this.count ? { LINE: this.count } : {}, warnings: [] };
  }

  event(n: number): EventRecord {
    if (!Number.isInteger(n) || n < 0 || n >= this.count) throw new UserError(`event ${n} is out of range: ${this.name} has ${this.count} lines`);
    const raw = this.file.read(this.offset[n], Math.min(this.length[n], MAX_TEXT_BYTES));
    const text = cleanText(raw.toString('utf8'));
    return { index: n, type: 'LINE', line: this.lineNo[n], fields: { message: text }, text: `${this.lineNo[n]}: ${text}` };
  }

  events(from: number, count: number): EventRecord[] {
    const out: EventRecord[] = [];
    for (let i = Math.max(0, from); i < Math.min(this.count, from + count); i++) out.push(this.event(i));
    return out;
  }

  filter(type: string, from: number, limit: number, visit: (e: EventRecord) => boolean | void): void {
    if (type.toUpperCase() !== 'LINE') throw new UserError(`unknown event type ${type}; a plain line view has: LINE`);
    let left = limit < 0 ? Infinity : limit;
    for (let i = Math.max(0, from); i < this.count && left > 0; i++, left--) if (visit(this.event(i)) === false) return;
  }

  scan(visit: (c: EventCursor) => boolean | void, from = 0): void {
    const cur: EventCursor = {
      index: 0, type: 0, ts: NaN, cpu: -1, vmid: -1, line: 0, offset: -1, aux: NaN,
      record: () => this.event(cur.index),
    };
    for (let i = Math.max(0, from); i < this.count; i++) {
      cur.index = i;
      cur.line = this.lineNo[i];
      if (visit(cur) === false) return;
    }
  }

  close(): void {
    this.file.close();
  }
}
