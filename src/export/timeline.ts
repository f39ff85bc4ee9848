/**
 * The timeline engine between format mappers and writers: it owns tracks,
 * keeps every slice strictly nested on its track, and turns what a real
 * trace does wrong into something a viewer accepts, counting each repair:
 *
 * - an exit whose entry is deeper in the stack closes the entries above it
 *   (their exits were lost);
 * - an exit with no entry at all becomes an instant named after it;
 * - slices still open at the end are closed at the last timestamp;
 * - a track whose time goes backwards (a second dump of the same ring) is
 *   continued on a fresh track, so the two never interleave;
 * - work that overlaps without nesting (parallel tests, held locks) goes to
 *   lanes: sibling tracks, each holding one slice at a time.
 */
import type { Args, FinalMeta, Name, NameTable, TraceMeta, TraceSink, TrackInfo } from './sink.js';

/** Deeper than this, a begin becomes an instant: a stream that never exits would otherwise grow without bound. */
export const MAX_DEPTH = 512;
/** Fresh tracks made for one track whose time went backwards, before further backwards events are dropped. */
export const MAX_REWINDS = 16;
/** Lanes per family before overlapping slices are dropped. */
export const MAX_LANES = 64;

export interface Track {
  readonly info: TrackInfo;
  /** Keys of the open slices, innermost last. */
  keys: number[];
  lastTs: number;
  rewinds: number;
  /** Name as first given, for fresh tracks after a rewind. */
  readonly base: string;
  /** Set when this track was replaced after a rewind. */
  next: Track | null;
  /** Begins past MAX_DEPTH written as instants and not yet exited: the next exits are theirs. */
  overflow: number;
  /** A complete slice not yet written: its end is clamped to the next event's time on this track. */
  pending: { ts: number; end: number; name: Name; args?: Args } | null;
}

export interface Repairs {
  closed_unbalanced: number;
  closed_at_end: number;
  unmatched_ends: number;
  too_deep: number;
  rewound_tracks: number;
  dropped_backwards: number;
  dropped_lanes: number;
}

export class Timeline implements NameTable {
  private readonly nameIds = new Map<string, number>();
  private readonly names: string[] = [];
  private readonly tracks = new Map<string, Track>();
  private readonly lanes = new Map<string, Track[]>();
  private readonly all: Track[] = [];
  private nextUuid = 1;
  private lastTs = 0;
  readonly repairs: Repairs = { closed_unbalanced: 0, closed_at_end: 0, unmatched_ends: 0, too_deep: 0, rewound_tracks: 0, dropped_backwards: 0, dropped_lanes: 0 };
  sliceCount = 0;
  instantCount = 0;
  counterCount = 0;

  constructor(
    private readonly sinks: TraceSink[],
    meta: TraceMeta,
  ) {
    for (const s of sinks) s.open(meta, this);
  }

  text(id: number): string {
    return this.names[id];
  }

  /** An interned name id: for names that repeat (functions, event types); one-off texts are passed as strings. */
  name(s: string): number {
    let id = this.nameIds.get(s);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(s);
      this.nameIds.set(s, id);
    }
    return id;
  }

  private declare(key: string, name: string, kind: TrackInfo['kind'], parent: Track | null): Track {
    const info: TrackInfo = { uuid: this.nextUuid++, parent: parent ? parent.info.uuid : 0, name, kind, sort: this.all.length };
    const t: Track = { info, keys: [], lastTs: -Infinity, rewinds: 0, base: name, next: null, pending: null, overflow: 0 };
    this.all.push(t);
    this.tracks.set(key, t);
    for (const s of this.sinks) s.track(info);
    return t;
  }

  /** A track holding other tracks (a CPU, a VM, the kernel); made on first use. */
  group(key: string, name: string): Track {
    return this.tracks.get(`g:${key}`) ?? this.declare(`g:${key}`, name, 'group', null);
  }

  /** A slice track in a group; made on first use. Callers on hot paths keep the returned track. */
  slices(group: Track, family: string, name = family): Track {
    const key = `s:${group.info.uuid}:${family}`;
    return this.tracks.get(key) ?? this.declare(key, name, 'slices', group);
  }

  counterTrack(group: Track | null, name: string): Track {
    const key = `c:${group?.info.uuid ?? 0}:${name}`;
    return this.tracks.get(key) ?? this.declare(key, name, 'counter', group);
  }

  /**
   * The track to write a slice event at `ts` on: `t` itself, or its
   * continuation when time went backwards on it (a begin or end before the
   * track's last slice event would break the nesting once a viewer sorts by
   * time). Instants never need this. Null: drop the event.
   */
  private at(t: Track, ts: number): Track | null {
    while (t.next) t = t.next;
    if (t.pending) this.flushPending(t, ts);
    if (ts >= t.lastTs) {
      t.lastTs = ts;
      return t;
    }
    if (t.rewinds >= MAX_REWINDS) {
      this.repairs.dropped_backwards++;
      return null;
    }
    // Close what is open where the old track's time stopped, and go on with a fresh sibling.
    this.closeAll(t, t.lastTs);
    this.repairs.rewound_tracks++;
    const parent = this.all.find((x) => x.info.uuid === t.info.parent) ?? null;
    const fresh = this.declare(`r:${t.info.uuid}`, `${t.base} (time restarts ${t.rewinds + 2})`, t.info.kind, parent);
    fresh.rewinds = t.rewinds + 1;
    t.next = fresh;
    fresh.lastTs = ts;
    return fresh;
  }

  private closeAll(t: Track, ts: number): number {
    const n = t.keys.length;
    for (let k = 0; k < n; k++) for (const s of this.sinks) s.end(t.info.uuid, ts);
    t.keys.length = 0;
    return n;
  }

  private seen(ts: number): void {
    if (ts > this.lastTs) this.lastTs = ts;
  }

  begin(track: Track, ts: number, name: Name, key: number, args?: Args): void {
    const t = this.at(track, ts);
    if (!t) return;
    this.seen(ts);
    if (t.keys.length >= MAX_DEPTH) {
      this.repairs.too_deep++;
      t.overflow++;
      this.emitInstant(t, ts, name, args);
      return;
    }
    t.keys.push(key);
    this.sliceCount++;
    for (const s of this.sinks) s.begin(t.info.uuid, ts, name, args);
  }

  /**
   * Ends the innermost open slice with `key`. Entries above it lost their
   * exits and are closed here too; with no such slice, `name` marks the exit
   * as an instant.
   */
  end(track: Track, ts: number, key: number, name: Name, args?: Args): void {
    const t = this.at(track, ts);
    if (!t) return;
    this.seen(ts);
    if (t.overflow > 0) {
      // Exits come innermost first: this one belongs to a begin that was too deep to be a slice.
      t.overflow--;
      return;
    }
    const keys = t.keys;
    let k = keys.length - 1;
    while (k >= 0 && keys[k] !== key) k--;
    if (k < 0) {
      this.repairs.unmatched_ends++;
      this.emitInstant(t, ts, typeof name === 'number' ? `${this.names[name]} (no entry)` : `${name} (no entry)`, args);
      return;
    }
    const close = keys.length - k;
    this.repairs.closed_unbalanced += close - 1;
    keys.length = k;
    for (let j = 0; j < close; j++) for (const s of this.sinks) s.end(t.info.uuid, ts);
  }

  /**
   * A slice whose duration is known when it starts (function_graph leaves).
   * It is written when the next event on its track arrives, with its end
   * clamped to that event: printed durations are rounded, and a slice that
   * overlapped its successor by a rounding error would break the nesting.
   */
  complete(track: Track, ts: number, dur: number, name: Name, args?: Args): void {
    const t = this.at(track, ts);
    if (!t) return;
    this.seen(ts);
    this.sliceCount++;
    t.pending = { ts, end: ts + Math.max(0, dur), name, args };
  }

  private flushPending(t: Track, next: number): void {
    const p = t.pending;
    if (!p) return;
    t.pending = null;
    const end = Math.max(p.ts, Math.min(p.end, next));
    this.seen(end);
    t.lastTs = Math.max(t.lastTs, end);
    for (const s of this.sinks) s.complete(t.info.uuid, p.ts, end - p.ts, p.name, p.args);
  }

  instant(track: Track, ts: number, name: Name, args?: Args): void {
    // An instant nests anywhere, so time going backwards costs nothing here: viewers sort by time.
    let t = track;
    while (t.next) t = t.next;
    if (t.pending && ts >= t.pending.ts) this.flushPending(t, ts);
    this.seen(ts);
    this.emitInstant(t, ts, name, args);
  }

  private emitInstant(t: Track, ts: number, name: Name, args?: Args): void {
    this.instantCount++;
    for (const s of this.sinks) s.instant(t.info.uuid, ts, name, args);
  }

  counter(track: Track, ts: number, value: number): void {
    // Counter values need no nesting: a viewer sorts them by time, so no rewind handling.
    this.seen(ts);
    this.counterCount++;
    for (const s of this.sinks) s.counter(track.info.uuid, ts, value);
  }

  /**
   * Begins a slice that may overlap others of its family without nesting:
   * it goes to the first lane with nothing open ("tests 1", "tests 2", …).
   */
  laneBegin(group: Track, family: string, ts: number, name: Name, key: number, args?: Args): void {
    const lk = `${group.info.uuid}:${family}`;
    let list = this.lanes.get(lk);
    if (!list) this.lanes.set(lk, (list = []));
    let lane = list.find((l) => this.live(l).keys.length === 0 && ts >= this.live(l).lastTs);
    if (!lane) {
      if (list.length >= MAX_LANES) {
        this.repairs.dropped_lanes++;
        return;
      }
      lane = this.slices(group, `${family}#${list.length + 1}`, list.length === 0 ? family : `${family} ${list.length + 1}`);
      list.push(lane);
    }
    this.begin(lane, ts, name, key, args);
  }

  /** Ends the lane slice with `key`; with none open, `name` marks the exit as an instant on the first lane. */
  laneEnd(group: Track, family: string, ts: number, key: number, name: Name, args?: Args): void {
    const list = this.lanes.get(`${group.info.uuid}:${family}`) ?? [];
    const lane = list.find((l) => this.live(l).keys[0] === key);
    if (lane) return this.end(lane, ts, key, name, args);
    this.repairs.unmatched_ends++;
    const first = list[0] ?? this.slices(group, `${family}#1`, family);
    if (!list.length) this.lanes.set(`${group.info.uuid}:${family}`, [first]);
    this.instant(first, ts, typeof name === 'number' ? `${this.names[name]} (no start)` : `${name} (no start)`, args);
  }

  private live(t: Track): Track {
    while (t.next) t = t.next;
    return t;
  }

  /** Closes what is still open at the last timestamp and tells the writers the trace is done. */
  finish(meta: TraceMeta, eventsRead: number): FinalMeta {
    for (const t of this.all) this.flushPending(t, Infinity);
    for (const t of this.all) this.repairs.closed_at_end += this.closeAll(t, this.lastTs);
    const final: FinalMeta = {
      ...meta,
      notes: [...meta.notes, ...repairNotes(this.repairs)],
      events_read: eventsRead,
      slices: this.sliceCount,
      instants: this.instantCount,
      counters: this.counterCount,
      tracks: this.all.length,
    };
    for (const s of this.sinks) s.close(final);
    return final;
  }
}

/** One sentence per kind of repair made, for the trace metadata and stderr. */
export function repairNotes(r: Repairs): string[] {
  const out: string[] = [];
  if (r.closed_unbalanced) out.push(`${r.closed_unbalanced} slices had no exit before an outer one ended; they were closed there`);
  if (r.unmatched_ends) out.push(`${r.unmatched_ends} exits had no open entry; they are instants named "… (no entry)"`);
  if (r.closed_at_end) out.push(`${r.closed_at_end} slices were still open at the end of the input; they were closed at the last timestamp`);
  if (r.too_deep) out.push(`${r.too_deep} entries nested deeper than ${MAX_DEPTH}; they are instants`);
  if (r.rewound_tracks) out.push(`${r.rewound_tracks} times a track's time went backwards (a repeated dump); the events after it are on a track named "… (time restarts N)"`);
  if (r.dropped_backwards) out.push(`${r.dropped_backwards} events went backwards in time after ${MAX_REWINDS} restarts of their track and were left out`);
  if (r.dropped_lanes) out.push(`${r.dropped_lanes} overlapping slices needed more than ${MAX_LANES} lanes and were left out`);
  return out;
}
