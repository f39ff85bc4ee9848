/**
 * Chrome JSON trace writer (the Trace Event Format read by chrome://tracing,
 * Perfetto's UI and speedscope): `{"traceEvents":[…],"metadata":{…}}`,
 * streamed. One process (pid 1) per export; every slice track is a thread
 * (tid = track uuid) named with `thread_name` metadata events; groups have no
 * events of their own, so their name prefixes their tracks' names. Slices
 * are B/E pairs (X when the duration is known at once), instants `i` with
 * thread scope, counters `C` keyed by their track's name. Time is in µs.
 */
import { OutFile } from './out-file.js';
import type { Args, FinalMeta, Name, NameTable, TraceMeta, TraceSink, TrackInfo } from './sink.js';

const PID = 1;

/** ns → µs text without float noise: integers stay integers, else three decimals. */
function us(ns: number): string {
  return ns % 1000 === 0 ? String(ns / 1000) : (ns / 1000).toFixed(3);
}

function argsJson(args: Args | undefined): string {
  return args ? `,"args":${JSON.stringify(args)}` : '';
}

export class ChromeJsonWriter implements TraceSink {
  private readonly out: OutFile;
  private names!: NameTable;
  /** JSON-quoted interned names, made once per name. */
  private quoted: string[] = [];
  private readonly trackNames = new Map<number, string>();
  private first = true;

  constructor(readonly path: string) {
    this.out = new OutFile(path);
  }

  get bytes(): number {
    return this.out.size;
  }

  private emit(json: string): void {
    this.out.writeAscii(this.first ? json : `,\n${json}`);
    this.first = false;
  }

  private name(n: Name): string {
    if (typeof n === 'string') return JSON.stringify(n);
    return (this.quoted[n] ??= JSON.stringify(this.names.text(n)));
  }

  open(meta: TraceMeta, names: NameTable): void {
    this.names = names;
    this.out.writeAscii('{"traceEvents":[\n');
    this.emit(`{"ph":"M","name":"process_name","pid":${PID},"tid":0,"args":{"name":${JSON.stringify(meta.title)}}}`);
  }

  track(t: TrackInfo): void {
    const parent = this.trackNames.get(t.parent);
    const full = parent ? `${parent} · ${t.name}` : t.name;
    this.trackNames.set(t.uuid, full);
    if (t.kind !== 'slices') return;
    this.emit(`{"ph":"M","name":"thread_name","pid":${PID},"tid":${t.uuid},"args":{"name":${JSON.stringify(full)}}}`);
    this.emit(`{"ph":"M","name":"thread_sort_index","pid":${PID},"tid":${t.uuid},"args":{"sort_index":${t.sort}}}`);
  }

  begin(track: number, ts: number, name: Name, args?: Args): void {
    this.emit(`{"ph":"B","name":${this.name(name)},"ts":${us(ts)},"pid":${PID},"tid":${track}${argsJson(args)}}`);
  }

  end(track: number, ts: number): void {
    this.emit(`{"ph":"E","ts":${us(ts)},"pid":${PID},"tid":${track}}`);
  }

  complete(track: number, ts: number, dur: number, name: Name, args?: Args): void {
    this.emit(`{"ph":"X","name":${this.name(name)},"ts":${us(ts)},"dur":${us(dur)},"pid":${PID},"tid":${track}${argsJson(args)}}`);
  }

  instant(track: number, ts: number, name: Name, args?: Args): void {
    this.emit(`{"ph":"i","s":"t","name":${this.name(name)},"ts":${us(ts)},"pid":${PID},"tid":${track}${argsJson(args)}}`);
  }

  counter(track: number, ts: number, value: number): void {
    const name = JSON.stringify(this.trackNames.get(track) ?? `counter ${track}`);
    this.emit(`{"ph":"C","name":${name},"ts":${us(ts)},"pid":${PID},"args":{"value":${Number.isFinite(value) ? value : 0}}}`);
  }

  close(meta: FinalMeta): void {
    // Written last so it can hold what the export learned on the way (repairs, counts).
    this.out.writeAscii(`\n],"metadata":${JSON.stringify({ kscope: meta })}}\n`);
    this.out.close();
  }
}
