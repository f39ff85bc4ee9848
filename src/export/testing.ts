/**
 * Test oracle for the exporters (tests only; protobufjs is a devDependency):
 * decodes a Perfetto trace with the transcribed public proto definitions in
 * test/fixtures/perfetto/, or parses a Chrome JSON trace, and rebuilds what a
 * viewer would show: tracks, slices with depth and duration, instants and
 * counter values. Anything a viewer would reject or silently repair (an end
 * with nothing open, time going backwards on a track, an unknown track or
 * name) is collected in `problems`, which tests expect to be empty.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import protobuf from 'protobufjs';

/** Compiled into dist/src/export/, the fixture is in the source tree: four levels up is the repo root. */
export const PERFETTO_PROTO = fileURLToPath(new URL('../../../test/fixtures/perfetto/perfetto_subset.proto', import.meta.url));

export interface DecodedTrack {
  uuid: number;
  parent: number;
  name: string;
  kind: 'process' | 'slices' | 'counter';
}

export interface DecodedSlice {
  track: number;
  name: string;
  ts: number;
  dur: number;
  depth: number;
  args: Record<string, unknown>;
}

export interface DecodedInstant {
  track: number;
  name: string;
  ts: number;
  args: Record<string, unknown>;
}

export interface DecodedTrace {
  tracks: Map<number, DecodedTrack>;
  slices: DecodedSlice[];
  instants: DecodedInstant[];
  counters: { track: number; ts: number; value: number }[];
  problems: string[];
  packets: number;
}

interface Open {
  slice: DecodedSlice;
}

/** Per-track slice stacks and time order, shared by both decoders. */
class Rebuild {
  readonly out: DecodedTrace = { tracks: new Map(), slices: [], instants: [], counters: [], problems: [], packets: 0 };
  private readonly stacks = new Map<number, Open[]>();
  private readonly last = new Map<number, number>();

  private problem(s: string): void {
    if (this.out.problems.length < 50) this.out.problems.push(s);
  }

  /** Slice events must not go back in time on their track (instants may: they nest anywhere once sorted). */
  private time(track: number, ts: number, what: string, slice = true): void {
    if (!this.out.tracks.has(track)) this.problem(`${what} on unknown track ${track}`);
    if (!slice) return;
    const prev = this.last.get(track) ?? -Infinity;
    if (ts < prev) this.problem(`${what} at ${ts} on track ${track} goes back in time (previous ${prev})`);
    this.last.set(track, ts);
  }

  begin(track: number, ts: number, name: string, args: Record<string, unknown>): void {
    this.time(track, ts, `begin ${name}`);
    const stack = this.stacks.get(track) ?? [];
    this.stacks.set(track, stack);
    const slice: DecodedSlice = { track, name, ts, dur: -1, depth: stack.length, args };
    stack.push({ slice });
    this.out.slices.push(slice);
  }

  end(track: number, ts: number): void {
    this.time(track, ts, 'end');
    const stack = this.stacks.get(track);
    const top = stack?.pop();
    if (!top) return this.problem(`end at ${ts} on track ${track} with no open slice`);
    top.slice.dur = ts - top.slice.ts;
  }

  complete(track: number, ts: number, dur: number, name: string, args: Record<string, unknown>): void {
    this.begin(track, ts, name, args);
    this.end(track, ts + dur);
  }

  instant(track: number, ts: number, name: string, args: Record<string, unknown>): void {
    this.time(track, ts, `instant ${name}`, false);
    this.out.instants.push({ track, name, ts, args });
  }

  finish(): DecodedTrace {
    for (const [track, stack] of this.stacks) if (stack.length) this.problem(`${stack.length} slices still open on track ${track}`);
    return this.out;
  }
}

interface PbAnnotation {
  name?: string;
  stringValue?: string;
  intValue?: number;
  uintValue?: number;
  doubleValue?: number;
  boolValue?: boolean;
}

interface PbPacket {
  timestamp?: number;
  trustedPacketSequenceId?: number;
  sequenceFlags?: number;
  internedData?: { eventNames?: { iid: number; name: string }[] };
  trackDescriptor?: { uuid: number; parentUuid?: number; name?: string; process?: { pid?: number; processName?: string }; counter?: { unit?: string } };
  trackEvent?: { type?: string; trackUuid?: number; nameIid?: number; name?: string; doubleCounterValue?: number; counterValue?: number; debugAnnotations?: PbAnnotation[] };
}

let traceType: protobuf.Type | null = null;

function annotations(list: PbAnnotation[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of list ?? []) out[a.name ?? '?'] = a.stringValue ?? a.intValue ?? a.uintValue ?? a.doubleValue ?? a.boolValue;
  return out;
}

/** Decodes a Perfetto protobuf trace file against the public field numbers. */
export function decodePerfetto(path: string): DecodedTrace {
  traceType ??= protobuf.loadSync(PERFETTO_PROTO).lookupType('perfetto.protos.Trace');
  const msg = traceType.decode(readFileSync(path));
  const obj = traceType.toObject(msg, { longs: Number, enums: String, defaults: false }) as { packet?: PbPacket[] };
  const r = new Rebuild();
  const names = new Map<number, string>();
  let cleared = false;
  for (const p of obj.packet ?? []) {
    r.out.packets++;
    if (p.trustedPacketSequenceId !== 1) r.out.problems.push(`packet ${r.out.packets} is not on sequence 1`);
    if ((p.sequenceFlags ?? 0) & 1) cleared = true;
    for (const n of p.internedData?.eventNames ?? []) {
      if (names.has(n.iid) && names.get(n.iid) !== n.name) r.out.problems.push(`iid ${n.iid} redefined`);
      names.set(n.iid, n.name);
    }
    const d = p.trackDescriptor;
    if (d) {
      const kind = d.process ? 'process' : d.counter ? 'counter' : 'slices';
      r.out.tracks.set(d.uuid, { uuid: d.uuid, parent: d.parentUuid ?? 0, name: d.name ?? d.process?.processName ?? '', kind });
      continue;
    }
    const e = p.trackEvent;
    if (!e) continue;
    if (!cleared) r.out.problems.push('a track event before any packet cleared the incremental state');
    const ts = p.timestamp ?? 0;
    const track = e.trackUuid ?? 0;
    let name = e.name ?? '';
    if (e.nameIid !== undefined) {
      const n = names.get(e.nameIid);
      if (n === undefined) r.out.problems.push(`name iid ${e.nameIid} used before it was interned`);
      name = n ?? '';
    }
    const args = annotations(e.debugAnnotations);
    if (e.type === 'TYPE_SLICE_BEGIN') r.begin(track, ts, name, args);
    else if (e.type === 'TYPE_SLICE_END') r.end(track, ts);
    else if (e.type === 'TYPE_INSTANT') r.instant(track, ts, name, args);
    else if (e.type === 'TYPE_COUNTER') {
      if (r.out.tracks.get(track)?.kind !== 'counter') r.out.problems.push(`counter value on non-counter track ${track}`);
      r.out.counters.push({ track, ts, value: e.doubleCounterValue ?? e.counterValue ?? NaN });
    } else r.out.problems.push(`track event of type ${String(e.type)}`);
  }
  return r.finish();
}

interface ChromeEvent {
  ph: string;
  name?: string;
  ts?: number;
  dur?: number;
  pid?: number;
  tid?: number;
  s?: string;
  args?: Record<string, unknown>;
}

/** Parses a Chrome JSON trace into the same shape (ts back in ns; tid = track uuid). */
export function decodeChrome(path: string): DecodedTrace & { metadata: Record<string, unknown> } {
  const doc = JSON.parse(readFileSync(path, 'utf8')) as { traceEvents: ChromeEvent[]; metadata?: Record<string, unknown> };
  const r = new Rebuild();
  const ns = (us: number | undefined) => Math.round((us ?? 0) * 1000);
  const counterTracks = new Map<string, number>();
  for (const e of doc.traceEvents) {
    r.out.packets++;
    const tid = e.tid ?? 0;
    switch (e.ph) {
      case 'M':
        if (e.name === 'thread_name') r.out.tracks.set(tid, { uuid: tid, parent: 0, name: String(e.args?.name ?? ''), kind: 'slices' });
        if (e.name === 'process_name') r.out.tracks.set(0, { uuid: 0, parent: 0, name: String(e.args?.name ?? ''), kind: 'process' });
        break;
      case 'B':
        r.begin(tid, ns(e.ts), e.name ?? '', e.args ?? {});
        break;
      case 'E':
        r.end(tid, ns(e.ts));
        break;
      case 'X':
        r.complete(tid, ns(e.ts), ns(e.dur), e.name ?? '', e.args ?? {});
        break;
      case 'i':
        r.instant(tid, ns(e.ts), e.name ?? '', e.args ?? {});
        break;
      case 'C': {
        const key = e.name ?? '';
        let id = counterTracks.get(key);
        if (id === undefined) {
          id = -1 - counterTracks.size;
          counterTracks.set(key, id);
          r.out.tracks.set(id, { uuid: id, parent: 0, name: key, kind: 'counter' });
        }
        r.out.counters.push({ track: id, ts: ns(e.ts), value: Number(e.args?.value) });
        break;
      }
      default:
        r.out.problems.push(`unexpected phase ${e.ph}`);
    }
  }
  return { ...r.finish(), metadata: doc.metadata ?? {} };
}

/** `name@ts+dur/depth` per slice, sorted: compares two decodings whatever the track numbering. */
export function sliceKeys(t: DecodedTrace, trackName?: (name: string) => boolean): string[] {
  return t.slices
    .filter((s) => !trackName || trackName(t.tracks.get(s.track)?.name ?? ''))
    .map((s) => `${s.name}@${s.ts}+${s.dur}/${s.depth}`)
    .sort();
}

/**
 * The script to run `kscope <command>` with: the real CLI once the command
 * is registered in src/cli/main.ts, else (until the lead wires it) a small
 * entry written to `dir` that registers just that command with main.ts's own
 * rendering and error rules (one stderr line and exit 2 for a user error).
 */
export function cliEntry(root: string, command: string, dir: string, registered: boolean): string {
  const main = join(root, 'dist', 'src', 'cli', 'main.js');
  if (registered) return main;
  const entry = join(dir, `kscope-${command}-entry.mjs`);
  const url = (p: string) => pathToFileURL(p).href;
  writeFileSync(
    entry,
    `import { Command } from ${JSON.stringify(url(join(root, 'node_modules', 'commander', 'esm.mjs')))};
import { UserError } from ${JSON.stringify(url(join(root, 'dist', 'src', 'util', 'errors.js')))};
import { register } from ${JSON.stringify(url(join(root, 'dist', 'src', 'cli', 'commands', `${command}.js`)))};
const program = new Command().name('kscope').option('--debug');
register(program, async (f) => {
  try {
    const r = await f();
    const json = process.argv.includes('--json');
    if (r.kind === 'object') process.stdout.write(json ? JSON.stringify(r.value) + '\\n' : r.text() + '\\n');
    else r.each((v, t) => { if (!(json && v === null)) process.stdout.write((json ? JSON.stringify(v) : t) + '\\n'); });
    process.exitCode = r.exitCode ?? 0;
  } catch (e) {
    if (e instanceof UserError) { process.stderr.write('kscope: ' + e.message + '\\n'); process.exitCode = 2; return; }
    process.stderr.write('kscope: internal error: ' + e.message + '\\n'); process.exitCode = 70;
  }
});
await program.parseAsync();
`,
  );
  return entry;
}
