/**
 * `kscope export`: one streaming pass over an indexed input, through a
 * format mapper and the timeline engine, into a Perfetto protobuf trace
 * and/or a Chrome JSON trace. Memory is the writers' buffers plus one stack
 * per track, whatever the number of events.
 */
import { openForQuery, type IndexContext, type IndexOptions } from '../index/bundle-cache.js';
import { plainInput } from '../index/plain-input.js';
import type { EventCursor, EventSource, Summary } from '../model/source.js';
import { compileSpec, type TiiData } from '../formats/tii-ftrace/index.js';
import { UserError } from '../util/errors.js';
import { FileSource } from '../util/file-source.js';
import { ChromeJsonWriter } from './chrome-json.js';
import { tableMapper, tiiMapper, type FunctionIds, type Mapper } from './mappers.js';
import { PerfettoWriter } from './perfetto.js';
import type { FinalMeta, TraceMeta, TraceSink } from './sink.js';
import { Timeline } from './timeline.js';

export { PerfettoWriter } from './perfetto.js';
export { ChromeJsonWriter } from './chrome-json.js';
export { Timeline, MAX_DEPTH } from './timeline.js';
export type { FinalMeta, TraceMeta, TraceSink, TrackInfo, Args, Name } from './sink.js';

/** One event per µs when the input has no usable clock: readable in both viewers. */
export const ORDER_NS_PER_EVENT = 1000;
/** Below this share of timestamped events, the input's clock is not the timeline's. */
export const MIN_TIMESTAMPED = 0.5;

export interface ExportOptions extends IndexOptions {
  stream?: string;
  perfetto?: string;
  chrome?: string;
}

export interface ExportResult {
  input: string;
  format: string;
  time_axis: FinalMeta['time_axis'];
  events: number;
  slices: number;
  instants: number;
  counters: number;
  tracks: number;
  notes: string[];
  outputs: { kind: 'perfetto' | 'chrome'; path: string; bytes: number }[];
  seconds: number;
}

/** Formats whose events carry no time at all. */
const NO_CLOCK = new Set(['tii-ftrace', 'tii-console', 'qemu-d']);

/** Which clock the timeline uses, and why when it is event order. */
function timeAxis(format: string, s: Summary, source: EventSource): { axis: TraceMeta['time_axis']; why: string | null } {
  if (NO_CLOCK.has(format)) return { axis: 'event-order', why: `${format} events carry no timestamps` };
  const unit = typeof s.ts_unit === 'string' ? s.ts_unit : s.time ? 's' : null;
  if (unit === null) return { axis: 'event-order', why: 'the input has no timestamps' };
  if (unit === 'ticks') return { axis: 'event-order', why: 'timestamps are raw counter ticks and the input gives no counter frequency' };
  if (unit === 'counter') return { axis: 'event-order', why: 'timestamps are counter ticks of unknown rate' };
  if (unit !== 's') return { axis: 'event-order', why: `timestamps are in ${unit} units, not one clock` };
  // A Breenix serial log: its only times are those of trace-ring events, printed in a dump after the
  // fact, while boot lines and test markers have none; the order of the log is the better timeline.
  if (format === 'console-log' && (s.types.TRACE_EVENT ?? 0) > 0 && (s.types.PRINTK ?? 0) === 0) {
    return { axis: 'event-order', why: 'the only timestamps are those of Breenix trace-ring dumps, printed after the fact' };
  }
  // Seconds: only a timeline if most events have one (a console log may hold a few printk lines among many bare ones).
  let timed = 0;
  source.scan?.((c) => {
    if (c.ts === c.ts) timed++;
  });
  if (timed < source.count * MIN_TIMESTAMPED) return { axis: 'event-order', why: `only ${timed} of ${source.count} events carry a timestamp` };
  return { axis: 'timestamps', why: null };
}

/** Function ids straight from the words of a plain ftrace.bin, in scan order: no per-event decode. */
class FileFunctionIds implements FunctionIds {
  private readonly file: FileSource;
  private words: Uint16Array<ArrayBufferLike> = new Uint16Array(0);
  private base = 0;
  constructor(
    path: string,
    private readonly shift: number,
  ) {
    this.file = new FileSource(path);
  }
  idAt(offset: number): number {
    let i = offset - this.base;
    if (i < 0 || i >= this.words.length) {
      // A window of 1 M words read at the offset: the scan moves forwards, so each word is read once.
      const bytes = this.file.read(offset * 2, 2 << 20);
      // A fresh 2 MB buffer starts its own ArrayBuffer, so the view is aligned; copy if it ever is not.
      this.words = bytes.byteOffset % 2 === 0 ? new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length >> 1) : new Uint16Array(Uint8Array.from(bytes).buffer);
      this.base = offset;
      i = 0;
    }
    return this.words[i] >>> this.shift;
  }
  close(): void {
    this.file.close();
  }
}

async function functionIds(input: string, format: string, data: unknown, source: EventSource, stream: string | undefined): Promise<FileFunctionIds | null> {
  if (format !== 'tii-ftrace' || stream !== undefined) return null;
  const d = data as TiiData;
  if (d.streams.length !== 1 || d.streams[0].origin.kind !== 'bin' || d.streams[0].events !== source.count) return null;
  return new FileFunctionIds(await plainInput(input), compileSpec(d.spec).fnShift);
}

/** Exports `input` to the requested files; `ctx.note` hears the time axis and repairs as they are decided. */
export async function exportInput(input: string, opts: ExportOptions, ctx: IndexContext = {}): Promise<ExportResult> {
  if (!opts.perfetto && !opts.chrome) throw new UserError('export: give --perfetto FILE and/or --chrome FILE');
  const t0 = performance.now();
  const o = await openForQuery(input, opts, ctx);
  const source = o.source;
  const sinks: (PerfettoWriter | ChromeJsonWriter)[] = [];
  let ids: FileFunctionIds | null = null;
  try {
    if (!source.scan && source.count > 0) throw new UserError(`${input}: this input cannot be streamed for export`);
    // Outputs first: an unwritable path is the user's error, said before anything else.
    if (opts.perfetto) sinks.push(new PerfettoWriter(opts.perfetto));
    if (opts.chrome) sinks.push(new ChromeJsonWriter(opts.chrome));
    const summary = source.summary();
    const format = o.reader.id;
    const { axis, why } = timeAxis(format, summary, source);
    const notes: string[] = [];
    if (why) {
      const note = `time is event order (event N at N µs): ${why}`;
      notes.push(note);
      ctx.note?.(`${input}: ${note}`);
    }
    const meta: TraceMeta = { title: `${input} (${format})`, source: input, format, time_axis: axis, notes };
    const tl = new Timeline(sinks as TraceSink[], meta);
    let mapper: Mapper;
    if (format.startsWith('tii-')) {
      ids = await functionIds(input, format, o.bundle.manifest.data, source, opts.stream);
      mapper = tiiMapper(tl, source.typeNames, ids);
    } else {
      mapper = tableMapper(tl, source.typeNames, { format, exceptionReturns: (summary.types.EXCEPTION_RETURN ?? 0) > 0 });
    }
    let events = 0;
    let last = 0;
    const order = axis === 'event-order';
    source.scan?.((c: EventCursor) => {
      events++;
      if (order) last = c.index * ORDER_NS_PER_EVENT;
      // Events without a time of their own sit at the last time seen.
      else if (c.ts === c.ts) last = Math.round(c.ts * 1e9);
      mapper.event(c, last);
    });
    for (const s of mapper.skipped()) notes.push(s);
    const final = tl.finish(meta, events);
    for (const n of final.notes.slice(why ? 1 : 0)) ctx.note?.(`${input}: ${n}`);
    return {
      input,
      format,
      time_axis: axis,
      events,
      slices: final.slices,
      instants: final.instants,
      counters: final.counters,
      tracks: final.tracks,
      notes: final.notes,
      outputs: sinks.map((s) => ({ kind: s instanceof PerfettoWriter ? 'perfetto' : 'chrome', path: s.path, bytes: s.bytes })),
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    ids?.close();
    source.close();
  }
}
