import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_DEPTH, MAX_LANES, Timeline } from './timeline.js';
import type { Args, FinalMeta, Name, NameTable, TraceMeta, TraceSink, TrackInfo } from './sink.js';

/** Records what writers would receive, as short strings. */
class Recorder implements TraceSink {
  log: string[] = [];
  tracks: TrackInfo[] = [];
  final: FinalMeta | null = null;
  private names!: NameTable;
  private n(x: Name): string {
    return typeof x === 'number' ? this.names.text(x) : x;
  }
  open(_m: TraceMeta, names: NameTable): void {
    this.names = names;
  }
  track(t: TrackInfo): void {
    this.tracks.push(t);
  }
  begin(track: number, ts: number, name: Name, _args?: Args): void {
    this.log.push(`B ${track} ${ts} ${this.n(name)}`);
  }
  end(track: number, ts: number): void {
    this.log.push(`E ${track} ${ts}`);
  }
  complete(track: number, ts: number, dur: number, name: Name): void {
    this.log.push(`X ${track} ${ts}+${dur} ${this.n(name)}`);
  }
  instant(track: number, ts: number, name: Name): void {
    this.log.push(`I ${track} ${ts} ${this.n(name)}`);
  }
  counter(track: number, ts: number, value: number): void {
    this.log.push(`C ${track} ${ts} ${value}`);
  }
  close(meta: FinalMeta): void {
    this.final = meta;
  }
}

const META: TraceMeta = { title: 't', source: 's', format: 'f', time_axis: 'event-order', notes: [] };

function setup(): { tl: Timeline; rec: Recorder; t: number; track: ReturnType<Timeline['slices']> } {
  const rec = new Recorder();
  const tl = new Timeline([rec], META);
  const g = tl.group('cpu0', 'CPU 0');
  const track = tl.slices(g, 'calls');
  return { tl, rec, t: track.info.uuid, track };
}

test('matched begin/end pairs nest; the engine counts them', () => {
  const { tl, rec, t, track } = setup();
  tl.begin(track, 0, tl.name('a'), 1);
  tl.begin(track, 1, tl.name('b'), 2);
  tl.end(track, 2, 2, tl.name('b'));
  tl.end(track, 3, 1, tl.name('a'));
  const f = tl.finish(META, 4);
  assert.deepEqual(rec.log, [`B ${t} 0 a`, `B ${t} 1 b`, `E ${t} 2`, `E ${t} 3`]);
  assert.equal(f.slices, 2);
  assert.deepEqual(f.notes, []);
});

test('an exit matching a deeper entry closes the entries above it; an exit with no entry is an instant', () => {
  const { tl, rec, t, track } = setup();
  tl.begin(track, 0, tl.name('outer'), 1);
  tl.begin(track, 1, tl.name('lost'), 2);
  tl.end(track, 2, 1, tl.name('outer'));
  tl.end(track, 3, 9, tl.name('stray'));
  const f = tl.finish(META, 4);
  assert.deepEqual(rec.log, [`B ${t} 0 outer`, `B ${t} 1 lost`, `E ${t} 2`, `E ${t} 2`, `I ${t} 3 stray (no entry)`]);
  assert.equal(tl.repairs.closed_unbalanced, 1);
  assert.equal(tl.repairs.unmatched_ends, 1);
  assert.ok(f.notes.some((n) => /no exit before an outer one ended/.test(n)));
  assert.ok(f.notes.some((n) => /no open entry/.test(n)));
});

test('slices open at the end are closed at the last timestamp seen on any track', () => {
  const { tl, rec, t, track } = setup();
  const other = tl.slices(tl.group('cpu1', 'CPU 1'), 'calls');
  tl.begin(track, 5, tl.name('a'), 1);
  tl.instant(other, 9, 'late');
  tl.finish(META, 2);
  assert.deepEqual(rec.log.slice(-1), [`E ${t} 9`]);
  assert.equal(tl.repairs.closed_at_end, 1);
});

test('time going backwards on a slice track continues on a fresh sibling track; instants need no such care', () => {
  const { tl, rec, t, track } = setup();
  tl.begin(track, 10, tl.name('a'), 1);
  tl.instant(track, 5, 'early instant');
  tl.begin(track, 4, tl.name('b'), 2);
  tl.end(track, 6, 2, tl.name('b'));
  tl.finish(META, 4);
  const fresh = rec.tracks.find((x) => /time restarts 2/.test(x.name));
  assert.ok(fresh, 'a "(time restarts 2)" track');
  assert.equal(fresh.parent, track.info.parent);
  assert.deepEqual(rec.log, [`B ${t} 10 a`, `I ${t} 5 early instant`, `E ${t} 10`, `B ${fresh.uuid} 4 b`, `E ${fresh.uuid} 6`]);
  assert.equal(tl.repairs.rewound_tracks, 1);
});

test('begins past MAX_DEPTH are instants, and their exits are consumed without disturbing the stack', () => {
  const { tl, rec, track } = setup();
  for (let d = 0; d <= MAX_DEPTH; d++) tl.begin(track, d, tl.name(`f${d}`), d);
  tl.end(track, 1000, MAX_DEPTH, tl.name(`f${MAX_DEPTH}`));
  tl.end(track, 1001, MAX_DEPTH - 1, tl.name(`f${MAX_DEPTH - 1}`));
  tl.finish(META, 0);
  assert.equal(tl.repairs.too_deep, 1);
  assert.equal(tl.repairs.unmatched_ends, 0);
  assert.equal(rec.log.filter((l) => l.startsWith('I ')).length, 1);
  assert.equal(rec.log.filter((l) => l.startsWith('B ')).length, MAX_DEPTH);
  assert.equal(rec.log.filter((l) => l.startsWith('E ')).length, MAX_DEPTH);
});

test('overlapping slices of a lane family go to separate lanes, each strictly one slice at a time', () => {
  const { tl, rec } = setup();
  const g = tl.group('tests', 'tests');
  tl.laneBegin(g, 'tests', 0, tl.name('a'), 1);
  tl.laneBegin(g, 'tests', 1, tl.name('b'), 2);
  tl.laneEnd(g, 'tests', 2, 1, tl.name('a'));
  tl.laneBegin(g, 'tests', 3, tl.name('c'), 3);
  tl.laneEnd(g, 'tests', 4, 2, tl.name('b'));
  tl.laneEnd(g, 'tests', 5, 3, tl.name('c'));
  tl.laneEnd(g, 'tests', 6, 7, tl.name('never started'));
  tl.finish(META, 0);
  const lanes = rec.tracks.filter((x) => x.parent === g.info.uuid).map((x) => x.uuid);
  assert.equal(lanes.length, 2);
  assert.deepEqual(rec.log, [`B ${lanes[0]} 0 a`, `B ${lanes[1]} 1 b`, `E ${lanes[0]} 2`, `B ${lanes[0]} 3 c`, `E ${lanes[1]} 4`, `E ${lanes[0]} 5`, `I ${lanes[0]} 6 never started (no start)`]);
  assert.ok(MAX_LANES >= 2);
});

test('a complete slice is clamped to the next event on its track', () => {
  const { tl, rec, t, track } = setup();
  tl.begin(track, 0, tl.name('parent'), 1);
  tl.complete(track, 10, 50, tl.name('leaf'));
  tl.end(track, 40, 1, tl.name('parent'));
  tl.finish(META, 0);
  assert.deepEqual(rec.log, [`B ${t} 0 parent`, `X ${t} 10+30 leaf`, `E ${t} 40`]);
});

test('counters pass through with their track', () => {
  const { tl, rec } = setup();
  const c = tl.counterTrack(null, 'VMID');
  tl.counter(c, 3, 2);
  tl.finish(META, 1);
  assert.deepEqual(rec.log, [`C ${c.info.uuid} 3 2`]);
  assert.equal(rec.tracks.find((x) => x.uuid === c.info.uuid)?.kind, 'counter');
});
