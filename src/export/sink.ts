/**
 * What the timeline engine hands to an output format. Events arrive in the
 * order the engine settles them, every slice strictly nested on its track and
 * every track's time non-decreasing, so writers encode and forget.
 */

/** Debug arguments of an event: a few scalar fields. */
export type Args = Record<string, string | number | boolean>;

export interface TrackInfo {
  uuid: number;
  /** 0 for a top-level track (child of the trace's process). */
  parent: number;
  name: string;
  /** `group`: holds other tracks; `slices`: slices and instants; `counter`: values. */
  kind: 'group' | 'slices' | 'counter';
  /** Order among siblings. */
  sort: number;
}

/** Said once at the start and once at the end: what the trace is and what the export had to do. */
export interface TraceMeta {
  title: string;
  source: string;
  format: string;
  /** `timestamps`: the input's own clock; `event-order`: event N at N µs, because the input has none we can use. */
  time_axis: 'timestamps' | 'event-order';
  notes: string[];
}

export interface FinalMeta extends TraceMeta {
  events_read: number;
  slices: number;
  instants: number;
  counters: number;
  tracks: number;
}

/** Interned event names, shared by the engine and the writers. */
export interface NameTable {
  text(id: number): string;
}

/** A name: an interned id (repeated names) or a one-off string. */
export type Name = number | string;

export interface TraceSink {
  open(meta: TraceMeta, names: NameTable): void;
  track(t: TrackInfo): void;
  begin(track: number, ts: number, name: Name, args?: Args): void;
  end(track: number, ts: number): void;
  /** A slice whose end is known at once (begin + end for writers without complete events). */
  complete(track: number, ts: number, dur: number, name: Name, args?: Args): void;
  instant(track: number, ts: number, name: Name, args?: Args): void;
  counter(track: number, ts: number, value: number): void;
  close(meta: FinalMeta): void;
}
