/**
 * Perfetto trace writer: a stream of TracePackets (each one `Trace.packet`,
 * field 1, so the file is a valid `Trace` message) with TrackDescriptors for
 * the process, groups, slice and counter tracks, and TrackEvents for slice
 * begins/ends, instants and counter values. Event names are interned per
 * packet sequence (InternedData.event_names) the first time they are used,
 * which keeps a 10 M-event trace a few bytes per event.
 *
 * Field numbers are those of perfetto's protos/perfetto/trace/trace_packet.proto
 * and track_event/*.proto; test/fixtures/perfetto/perfetto_subset.proto
 * transcribes the ones used here, and the tests decode our output with it.
 */
import { OutFile } from './out-file.js';
import { ProtoWriter, stringBound } from './protobuf.js';
import type { Args, FinalMeta, Name, NameTable, TraceMeta, TraceSink, TrackInfo } from './sink.js';

// Trace
const TRACE_PACKET = 1;
// TracePacket
const P_TIMESTAMP = 8;
const P_SEQUENCE_ID = 10; // trusted_packet_sequence_id
const P_TRACK_EVENT = 11;
const P_INTERNED_DATA = 12;
const P_SEQUENCE_FLAGS = 13;
const P_TRACK_DESCRIPTOR = 60;
const SEQ_INCREMENTAL_STATE_CLEARED = 1;
const SEQ_NEEDS_INCREMENTAL_STATE = 2;
// TrackDescriptor
const TD_UUID = 1;
const TD_NAME = 2;
const TD_PROCESS = 3;
const TD_PARENT_UUID = 5;
const TD_COUNTER = 8;
// ProcessDescriptor
const PD_PID = 1;
const PD_PROCESS_NAME = 6;
// CounterDescriptor
const CD_UNIT = 3;
const UNIT_COUNT = 2;
// TrackEvent
const TE_DEBUG_ANNOTATIONS = 4;
const TE_TYPE = 9;
const TE_NAME_IID = 10;
const TE_TRACK_UUID = 11;
const TE_NAME = 23;
const TE_DOUBLE_COUNTER_VALUE = 44;
const TYPE_SLICE_BEGIN = 1;
const TYPE_SLICE_END = 2;
const TYPE_INSTANT = 3;
const TYPE_COUNTER = 4;
// InternedData / EventName
const ID_EVENT_NAMES = 2;
const EN_IID = 1;
const EN_NAME = 2;
// DebugAnnotation
const DA_BOOL = 2;
const DA_INT = 4;
const DA_DOUBLE = 5;
const DA_STRING = 6;
const DA_NAME = 10;

/** The packet sequence all our packets belong to (one writer, one sequence). */
const SEQUENCE = 1;
/** The process all tracks hang under: one per export. */
export const PROCESS_UUID = 0x6b73636f7065; // 'kscope'
const PID = 1;
/** Upper bound of a packet without names or arguments. */
const PACKET_BASE = 96;

function argsBound(args: Args | undefined): number {
  if (!args) return 0;
  let n = 0;
  for (const k in args) {
    const v = args[k];
    n += 24 + stringBound(k) + (typeof v === 'string' ? stringBound(v) : 16);
  }
  return n;
}

export class PerfettoWriter implements TraceSink {
  private readonly out: OutFile;
  private readonly w: ProtoWriter;
  private names!: NameTable;
  /** Which name ids were emitted as interned data (iid = id + 1; 0 is invalid in Perfetto). */
  private emitted = new Uint8Array(1024);

  constructor(readonly path: string) {
    this.out = new OutFile(path);
    this.w = new ProtoWriter(this.out);
  }

  get bytes(): number {
    return this.out.size;
  }

  private packetStart(bound: number, ts: number | null, flags: number): void {
    this.w.reserve(bound + PACKET_BASE);
    this.w.begin(TRACE_PACKET);
    if (ts !== null) this.w.uint(P_TIMESTAMP, ts);
    this.w.uint(P_SEQUENCE_ID, SEQUENCE);
    this.w.uint(P_SEQUENCE_FLAGS, flags);
  }

  open(meta: TraceMeta, names: NameTable): void {
    this.names = names;
    // The first packet clears the sequence's incremental state, so interned names start afresh.
    const title = meta.title;
    this.packetStart(stringBound(title), null, SEQ_INCREMENTAL_STATE_CLEARED);
    this.w.begin(P_TRACK_DESCRIPTOR);
    this.w.uint(TD_UUID, PROCESS_UUID);
    this.w.begin(TD_PROCESS);
    this.w.uint(PD_PID, PID);
    this.w.string(PD_PROCESS_NAME, title);
    this.w.end();
    this.w.end();
    this.w.end();
  }

  track(t: TrackInfo): void {
    this.packetStart(stringBound(t.name), null, SEQ_NEEDS_INCREMENTAL_STATE);
    this.w.begin(P_TRACK_DESCRIPTOR);
    this.w.uint(TD_UUID, t.uuid);
    this.w.uint(TD_PARENT_UUID, t.parent || PROCESS_UUID);
    this.w.string(TD_NAME, t.name);
    if (t.kind === 'counter') {
      this.w.begin(TD_COUNTER);
      this.w.uint(CD_UNIT, UNIT_COUNT);
      this.w.end();
    }
    this.w.end();
    this.w.end();
  }

  /** One TrackEvent packet; a name used for the first time travels in the same packet's interned data. */
  private event(type: number, track: number, ts: number, name: Name | null, args?: Args, value?: number): void {
    let fresh: string | null = null;
    if (typeof name === 'number') {
      if (name >= this.emitted.length) {
        const grown = new Uint8Array(Math.max(name + 1, this.emitted.length * 2));
        grown.set(this.emitted);
        this.emitted = grown;
      }
      if (!this.emitted[name]) {
        this.emitted[name] = 1;
        fresh = this.names.text(name);
      }
    }
    const bound = (fresh !== null ? stringBound(fresh) + 16 : 0) + (typeof name === 'string' ? stringBound(name) : 0) + argsBound(args);
    this.packetStart(bound, ts, SEQ_NEEDS_INCREMENTAL_STATE);
    const w = this.w;
    if (fresh !== null) {
      w.begin(P_INTERNED_DATA);
      w.begin(ID_EVENT_NAMES);
      w.uint(EN_IID, (name as number) + 1);
      w.string(EN_NAME, fresh);
      w.end();
      w.end();
    }
    w.begin(P_TRACK_EVENT);
    w.uint(TE_TYPE, type);
    w.uint(TE_TRACK_UUID, track);
    if (typeof name === 'number') w.uint(TE_NAME_IID, name + 1);
    else if (typeof name === 'string') w.string(TE_NAME, name);
    if (value !== undefined) w.double(TE_DOUBLE_COUNTER_VALUE, value);
    if (args) {
      for (const k in args) {
        const v = args[k];
        w.begin(TE_DEBUG_ANNOTATIONS);
        w.string(DA_NAME, k);
        if (typeof v === 'string') w.string(DA_STRING, v);
        else if (typeof v === 'boolean') w.uint(DA_BOOL, v ? 1 : 0);
        else if (Number.isSafeInteger(v)) w.int(DA_INT, v);
        else w.double(DA_DOUBLE, v);
        w.end();
      }
    }
    w.end();
    w.end();
  }

  begin(track: number, ts: number, name: Name, args?: Args): void {
    this.event(TYPE_SLICE_BEGIN, track, ts, name, args);
  }

  end(track: number, ts: number): void {
    this.event(TYPE_SLICE_END, track, ts, null);
  }

  complete(track: number, ts: number, dur: number, name: Name, args?: Args): void {
    // TrackEvent has no complete events by design; a begin/end pair says the same.
    this.event(TYPE_SLICE_BEGIN, track, ts, name, args);
    this.event(TYPE_SLICE_END, track, ts + dur, null);
  }

  instant(track: number, ts: number, name: Name, args?: Args): void {
    this.event(TYPE_INSTANT, track, ts, name, args);
  }

  counter(track: number, ts: number, value: number): void {
    this.event(TYPE_COUNTER, track, ts, null, undefined, value);
  }

  close(meta: FinalMeta): void {
    // The export's own account (time axis, repairs, counts) as an instant on a track of its own, where a viewer shows it.
    const track = 0x6b73636f7066;
    this.track({ uuid: track, parent: 0, name: 'kscope export notes', kind: 'slices', sort: 1 << 30 });
    const args: Args = { source: meta.source, format: meta.format, time_axis: meta.time_axis, events_read: meta.events_read, slices: meta.slices, instants: meta.instants, counters: meta.counters };
    meta.notes.forEach((n, i) => (args[`note_${i + 1}`] = n));
    this.event(TYPE_INSTANT, track, 0, `kscope export: ${meta.time_axis === 'event-order' ? 'time is event order (1 event = 1 µs)' : 'timestamps from the input'}`, args);
    this.out.close();
  }
}
