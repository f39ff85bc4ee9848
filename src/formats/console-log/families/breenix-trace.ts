import type { FieldValue } from '../../../model/event.js';
import type { RowScratch } from '../../../model/event-table.js';
import { BREENIX_UNKNOWN_LABEL, BREENIX_UNKNOWN_NAME, breenixCategory, breenixEventName, breenixEventType, breenixEventTypes, breenixPackedNames, breenixTypeHex, breenixNumber, breenixPerCpuValues } from '../../../model/breenix-names.js';
import { asciiBytes, bytesAt } from '../../../util/bytes.js';
import { LineView, Prefix, type DecodedRow, type LineFamily, type LineMatcher, type TsFix } from '../family.js';

/*
 * Breenix trace dumps on the serial console (breenix.md §1.7): `[TRACE]` ring
 * dumps, `[COUNTER]`, `[PROVIDER]` and `[SUMMARY]` dumps, the panic dump.
 *
 * The dump is written with raw UART stores from several CPUs at once, so real
 * captures hold lines with another CPU's bytes inserted anywhere
 * (`[TRACE] CPU2 idx=747 ts=21970687 type=[T0xfESfT:pr44 …`). A line that
 * starts like a dump line but does not parse is a TRACE_GARBLED event, never
 * a TRACE_EVENT: an event read from a garbled line would carry made-up values.
 * Insertions that keep the grammar intact usually land in the name or label
 * (`thread_coneattext_elr_low32`), so those are checked against the known
 * name and label of the type id.
 */

const TYPES = ['TRACE_EVENT', 'TRACE_META', 'TRACE_GARBLED', 'COUNTER', 'PROVIDER', 'TRACE_SUMMARY'] as const;
const T_EVENT = 0;
const T_META = 1;
const T_GARBLED = 2;
const T_COUNTER = 3;
const T_PROVIDER = 4;
const T_SUMMARY = 5;

/** `sub` of events from a ring dump and from a latest-N dump (the latter mixes CPUs, newest first). */
const SUB_RING = 'TRACE';
const SUB_LATEST = 'TRACE_LATEST';

const EVENT_PREFIX = '[TRACE] CPU';
const P_EVENT = new Prefix(EVENT_PREFIX);

const FREQ = /^\[TRACE\] Timestamp frequency: (\d+) Hz$/;
const BOOT_FREQ_PREFIX = '[boot] Timer frequency: ';
const BOOT_FREQ = /^\[boot\] Timer frequency: (\d+) Hz/;
const CPU_HEADER = /^\[TRACE\] === CPU (\d+) Buffer ===$/;
const EVENTS_HEADER = /^\[TRACE\] Events: (\d+) \(write_idx=(\d+), dropped=(\d+)\)$/;
const ENABLED = /^\[TRACE\] Tracing enabled: (yes|no)$/;
const LATEST = /^\[TRACE\] === Latest (\d+) Events ===$/;
const INVALID_CPU = /^\[TRACE\] Invalid CPU ID: (\d+)$/;
const COUNTER = /^\[COUNTER\] ([A-Za-z0-9_]+): (\d+)(?: \((cpu\d+=\d+(?:, cpu\d+=\d+)*)\))?$/;
const COUNTERS_REGISTERED = /^\[COUNTER\] Registered counters: (\d+)$/;
const PROVIDER = /^\[PROVIDER\] (\S+) \(id=0x([0-9a-f]+)\): enabled=0x([0-9a-f]+)$/;
const PROVIDERS_REGISTERED = /^\[PROVIDER\] Registered providers: (\d+)$/;
const SUMMARY = /^\[SUMMARY\] ([A-Za-z][A-Za-z /]*): (\d+)$/;
// The x86 logger's TRACE level (`[TRACE] kernel::x: msg`) is the breenix-log family's, not a dump line.
const KLOG_TRACE = /^\[TRACE\]\s+[\w]+(?:::[\w]+)+: /;

/** Fixed dump lines → their TRACE_META kind. */
const FIXED_META = new Map<string, string>(Object.entries({
  '[TRACE] ====== TRACE BUFFER DUMP ======': 'dump_start',
  '[TRACE] ====== END TRACE DUMP ======': 'dump_end',
  '[TRACE] (empty)': 'empty',
  '[TRACE] === End Latest Events ===': 'latest_end',
  '====== PANIC TRACE DUMP ======': 'panic_start',
  '====== END PANIC DUMP ======': 'panic_end',
  '[COUNTER] ====== COUNTER DUMP ======': 'counter_dump_start',
  '[COUNTER] ====== END COUNTERS ======': 'counter_dump_end',
  '[PROVIDER] ====== PROVIDER DUMP ======': 'provider_dump_start',
  '[PROVIDER] ====== END PROVIDERS ======': 'provider_dump_end',
  '[SUMMARY] ====== EVENT SUMMARY ======': 'summary_start',
  '[SUMMARY] ====== END SUMMARY ======': 'summary_end',
}));
/** The lengths FIXED_META's lines have: other lines skip the map (its lookup hashes the whole line). */
const FIXED_LENGTH = new Uint8Array(256);
for (const k of FIXED_META.keys()) FIXED_LENGTH[k.length] = 1;

function fixedMeta(line: string): string | undefined {
  return line.length < 256 && FIXED_LENGTH[line.length] === 1 ? FIXED_META.get(line) : undefined;
}

/** Positions and values of one scanned event line; one is reused per pass. */
export interface EventScan {
  cpu: number;
  slot: number;
  ticks: number;
  id: number;
  nameStart: number;
  nameEnd: number;
  labelStart: number;
  labelEnd: number;
  payloadStart: number;
  payloadEnd: number;
  payload: number;
  /** -1 when the line has no ` flags=0x..`. */
  flags: number;
  /** The name and label are exactly the type's known ones: the line cannot be garbled there. */
  known: boolean;
}

export function newEventScan(): EventScan {
  // Tick counts and payloads pass 2^30: made doubles from the start (-0 is not a small integer to V8), their
  // first large value would change the object's shape and deoptimize the code that reads it.
  return { cpu: 0, slot: 0, ticks: -0, id: 0, nameStart: 0, nameEnd: 0, labelStart: 0, labelEnd: 0, payloadStart: 0, payloadEnd: 0, payload: -0, flags: -1, known: false };
}

/** Digit values by byte, -1 for a non-digit; hex digit values (lowercase, as the kernel prints). */
const DEC = new Int8Array(256).fill(-1);
const HEX = new Int8Array(256).fill(-1);
for (let d = 0; d < 10; d++) DEC[48 + d] = HEX[48 + d] = d;
for (let d = 0; d < 6; d++) HEX[97 + d] = 10 + d;

/** True when buf[p, n) starts with ` <tag>=`, tag given as byte codes (literal compares: this runs per event line). */
function tagAt(buf: Uint8Array, p: number, n: number, a: number, b: number, c: number): boolean {
  return p + 5 <= n && buf[p] === 32 && buf[p + 1] === a && buf[p + 2] === b && buf[p + 3] === c;
}

/**
 * Scans `[TRACE] CPU<n> idx=<slot> ts=<ticks> type=0x<hhhh> <NAME> <label>=<payload>[ flags=0x<h>]`
 * from the line's bytes: no string, no regex, so the build allocates nothing
 * per event. Positions in `s` count from the line's start. Returns false when
 * the line breaks the grammar anywhere. Half the lines of a Breenix capture
 * are these, so every field is read with table lookups and literal compares.
 */
export function scanEventLine(v: LineView, s: EventScan): boolean {
  const buf = v.buf;
  const n = v.e;
  const o = v.s;
  if (!v.has(P_EVENT)) return false;
  let p = o + EVENT_PREFIX.length;
  let d = 0;
  // CPU: a u8.
  let x = 0;
  let start = p;
  while (p < n && (d = DEC[buf[p]]) >= 0 && p - start < 3) {
    x = x * 10 + d;
    p++;
  }
  if (p === start || x > 255) return false;
  s.cpu = x;
  // ` idx=`
  if (!tagAt(buf, p, n, 105, 100, 120) || buf[p + 4] !== 61) return false;
  p += 5;
  x = 0;
  start = p;
  while (p < n && (d = DEC[buf[p]]) >= 0 && p - start < 5) {
    x = x * 10 + d;
    p++;
  }
  // A slot of a 1024-entry ring.
  if (p === start || x > 1023) return false;
  s.slot = x;
  // ` ts=`
  if (!(p + 4 <= n && buf[p] === 32 && buf[p + 1] === 116 && buf[p + 2] === 115 && buf[p + 3] === 61)) return false;
  p += 4;
  x = 0;
  start = p;
  // Nine digits stay a small integer; longer tick counts go on in floating point.
  while (p < n && (d = DEC[buf[p]]) >= 0 && p - start < 9) {
    x = x * 10 + d;
    p++;
  }
  let ticks = x;
  while (p < n && (d = DEC[buf[p]]) >= 0 && p - start < 20) {
    ticks = ticks * 10 + d;
    p++;
  }
  if (p === start) return false;
  s.ticks = ticks;
  // ` type=0x<hhhh> `
  if (!(p + 13 <= n && tagAt(buf, p, n, 116, 121, 112) && buf[p + 4] === 101 && buf[p + 5] === 61 && buf[p + 6] === 48 && buf[p + 7] === 120)) return false;
  p += 8;
  const h0 = HEX[buf[p]];
  const h1 = HEX[buf[p + 1]];
  const h2 = HEX[buf[p + 2]];
  const h3 = HEX[buf[p + 3]];
  if ((h0 | h1 | h2 | h3) < 0 || buf[p + 4] !== 32) return false;
  x = (h0 << 12) | (h1 << 8) | (h2 << 4) | h3;
  s.id = x;
  p += 5;
  let labelStart: number;
  let eq = -1;
  let c = 0;
  // Most lines carry their type's own name and label: one compare, and nothing to check for garbling there.
  const known = knownBytes(x);
  let isKnown = false;
  if (known !== undefined && known.plain && p + known.nameLabel.length <= n) {
    // A word at a time, then the last bytes one by one.
    const words = known.words;
    const dv = v.words;
    let k = 0;
    while (k < words.length && dv.getInt32(p + 4 * k, true) === words[k]) k++;
    if (k === words.length) {
      const want = known.nameLabel;
      k *= 4;
      while (k < want.length && buf[p + k] === want[k]) k++;
      isKnown = k === want.length;
    }
  }
  s.known = isKnown;
  if (isKnown) {
    const k = known as KnownType;
    s.nameStart = p - o;
    s.nameEnd = p + k.name.length - o;
    labelStart = p + k.name.length + 1;
    eq = p + k.nameLabel.length - 1;
    p = eq + 1;
    while (p < n && buf[p] !== 32) p++;
  } else {
    // NAME: [A-Z0-9_]+.
    const nameStart = p;
    while (p < n) {
      c = buf[p];
      if (!((c >= 65 && c <= 90) || DEC[c] >= 0 || c === 95)) break;
      p++;
    }
    if (p === nameStart || p >= n || buf[p] !== 32) return false;
    s.nameStart = nameStart - o;
    s.nameEnd = p - o;
    p++;
    // <label>=<payload>: labels hold `<<` and `|`, so the payload starts after the token's last '='.
    labelStart = p;
    while (p < n) {
      c = buf[p];
      if (c === 32) break;
      // Brackets and colons come from other CPUs' lines, never from a label.
      if (c === 91 || c === 93 || c === 58) return false;
      if (c === 61) eq = p;
      p++;
    }
  }
  if (eq <= labelStart || eq === p - 1 || p - eq > 11) return false;
  x = 0;
  for (let k = eq + 1; k < p; k++) {
    d = DEC[buf[k]];
    if (d < 0) return false;
    x = x * 10 + d;
  }
  if (x > 0xffffffff) return false;
  s.labelStart = labelStart - o;
  s.labelEnd = eq - o;
  s.payloadStart = eq + 1 - o;
  s.payloadEnd = p - o;
  s.payload = x;
  s.flags = -1;
  if (p === n) return true;
  // ` flags=0x<h>` with one or two hex digits, to the line's end.
  if (!(p + 10 <= n && n <= p + 11 && tagAt(buf, p, n, 102, 108, 97) && buf[p + 4] === 103 && buf[p + 5] === 115 && buf[p + 6] === 61 && buf[p + 7] === 48 && buf[p + 8] === 120)) return false;
  p += 9;
  x = 0;
  for (; p < n; p++) {
    d = HEX[buf[p]];
    if (d < 0) return false;
    x = x * 16 + d;
  }
  s.flags = x;
  return true;
}

/** A known type's name and label as bytes. */
interface KnownType {
  name: Uint8Array;
  label: Uint8Array | null;
  /** `NAME label=`: what a clean line holds after `type=0x…`. */
  nameLabel: Uint8Array;
  /** nameLabel's whole 4-byte words, little-endian. */
  words: Int32Array;
  /** Name and label are what the scanner's own grammar accepts (so a match reads the same either way). */
  plain: boolean;
}

/** Known types by id: built on the first event line of a pass. */
let KNOWN_BYTES: (KnownType | undefined)[] | null = null;
const UNKNOWN_NAME = asciiBytes(BREENIX_UNKNOWN_NAME);
const UNKNOWN_LABEL = asciiBytes(BREENIX_UNKNOWN_LABEL);

function knownBytes(id: number): KnownType | undefined {
  if (!KNOWN_BYTES) {
    KNOWN_BYTES = new Array<KnownType | undefined>(1 << 16);
    for (const t of breenixEventTypes()) {
      const plain = /^[A-Z0-9_]+$/.test(t.name) && t.name !== BREENIX_UNKNOWN_NAME && t.label !== undefined && t.label !== null && /^[^\s[\]:=]+$/.test(t.label);
      const nameLabel = asciiBytes(`${t.name} ${t.label ?? ''}=`);
      const dv = new DataView(nameLabel.buffer);
      const words = new Int32Array(nameLabel.length >> 2);
      for (let k = 0; k < words.length; k++) words[k] = dv.getInt32(4 * k, true);
      KNOWN_BYTES[t.id] = { name: asciiBytes(t.name), label: t.label ? asciiBytes(t.label) : null, nameLabel, words, plain };
    }
  }
  return KNOWN_BYTES[id];
}

/** `UNKNOWN payload=`: what a kernel prints for a type its own table lacks; the family reads such a line as an event of that type. */
export function unknownNameLabel(): Uint8Array {
  return asciiBytes(`${BREENIX_UNKNOWN_NAME} ${BREENIX_UNKNOWN_LABEL}=`);
}

/** The `NAME label=` bytes of every type whose known name and label the scanner's grammar reads as they are, by id. */
export function plainKnownTypes(): [number, Uint8Array][] {
  const out: [number, Uint8Array][] = [];
  for (const { id } of breenixEventTypes()) {
    const k = knownBytes(id);
    if (k?.plain) out.push([id, k.nameLabel]);
  }
  return out;
}

function rangeIs(v: LineView, s: number, e: number, want: Uint8Array): boolean {
  return e - s === want.length && bytesAt(v.buf, v.s + s, v.e, want);
}

/** True when `want` can be had from line[s, e) by deleting characters: what an insertion from another CPU leaves. */
function hasInserted(v: LineView, s: number, e: number, want: Uint8Array): boolean {
  if (e - s <= want.length) return false;
  let k = 0;
  for (let i = v.s + s; i < v.s + e && k < want.length; i++) if (v.buf[i] === want[k]) k++;
  return k === want.length;
}

/**
 * Why a grammatical event line is still garbled, or null. The name must be the
 * id's name or UNKNOWN, and the label the one the kernel prints; when they
 * differ only by inserted characters another CPU wrote into the line. A name
 * or label that differs otherwise is taken as a kernel version we do not know.
 */
export function garbledReason(v: LineView, s: EventScan): string | null {
  if (rangeIs(v, s.nameStart, s.nameEnd, UNKNOWN_NAME)) {
    return rangeIs(v, s.labelStart, s.labelEnd, UNKNOWN_LABEL) ? null : 'label of an UNKNOWN event is not "payload"';
  }
  const known = knownBytes(s.id);
  if (!known) return null;
  if (!rangeIs(v, s.nameStart, s.nameEnd, known.name)) {
    return hasInserted(v, s.nameStart, s.nameEnd, known.name) ? `name is ${breenixEventType(s.id)?.name} with characters inserted` : null;
  }
  if (known.label && !rangeIs(v, s.labelStart, s.labelEnd, known.label) && hasInserted(v, s.labelStart, s.labelEnd, known.label)) {
    return `label is ${breenixEventType(s.id)?.label} with characters inserted`;
  }
  return null;
}

/** One per-CPU ring dump: its header and what the dump lines held. */
interface Block {
  cpu: number;
  header_events: number;
  write_idx: number;
  dropped: number;
  parsed: number;
  /** Event lines of another CPU inside this ring's dump (a lost header, or digits garbled). */
  foreign: number;
  /** Slots that do not follow the previous one (lines lost or garbled between them). */
  slot_gaps: number;
  /** Timestamps lower than the previous event's. */
  ts_backwards: number;
  in_full_dump: boolean;
}

/** What a matcher learned over its part of the log; plain data, so it can cross a worker boundary. */
interface TraceState {
  freq: number | null;
  freqSource: string | null;
  freqs: number[];
  events: number;
  eventsInTicks: number;
  garbled: number;
  meta: number;
  perCpu: number[];
  /** [id, count] pairs. */
  perId: number[][];
  /** The part's first MAX_BLOCKS ring dumps. */
  blocks: Block[];
  blocksDropped: number;
  /** Each CPU's last ring dump in the part, whether kept or not. */
  lastBlocks: Block[];
  /** Over every ring dump of the part: those short of their header's count, and headers that disagree with write_idx. */
  shortRings: RingTally;
  oddRings: RingTally;
  fullDumps: number;
  latestDumps: number;
  panicDumps: number;
  counterDumps: number;
  counterLines: number;
  counters: Record<string, { total: number | string; per_cpu: Record<string, number | string> }>;
  registeredCounters: number | null;
  providers: Record<string, { id: number; enabled: string }>;
  registeredProviders: number | null;
  kernelSummary: Record<string, number>;
  tracingEnabled: boolean | null;
  eventsInLatest: number;
}

/** Keep at most this many ring dumps in the summary (a log may dump again and again). */
const MAX_BLOCKS = 1024;

/** Ring dumps of one kind: how many, how many event lines they miss, and the first few, described. */
interface RingTally {
  count: number;
  missing: number;
  examples: string[];
}

const SHORT_EXAMPLES = 8;
const ODD_EXAMPLES = 4;

function tally(t: RingTally, missing: number, example: string, keep: number): void {
  t.count++;
  t.missing += missing;
  if (t.examples.length < keep) t.examples.push(example);
}

/** A ring dump header that is not what the kernel's ring arithmetic gives for its write_idx. */
function isOdd(b: Block): boolean {
  return b.header_events !== Math.min(b.write_idx, 1024) || b.dropped !== Math.max(0, b.write_idx - 1024);
}

/**
 * Running counts of the open ring (RingCounts.ring), at these offsets; the
 * same again RING_FIELDS after them for events outside any ring; then 1
 * while a ring is open, 1 inside a latest-N dump, and the counter frequency
 * (0: none yet). A const enum: the offsets are literals in the hot path.
 */
const enum R {
  CPU = 0,
  PARSED = 1,
  FOREIGN = 2,
  GAPS = 3,
  BACKWARDS = 4,
  LAST_SLOT = 5,
  LAST_TICKS = 6,
  RING_FIELDS = 8,
  OPEN = 16,
  LATEST = 17,
  FREQ = 18,
}

/**
 * What a pass counts per ring event: the indexing loop's hot path, kept
 * apart from Pass so its objects never change shape. Every event runs the
 * same code, inside a ring or not (then on a scratch copy of the ring's
 * counts, unused), and the state it reads sits in `ring`: code optimized
 * before a dump's first ring, frequency line or latest-N dump meets no new
 * path, field type or map there — each deoptimized the whole indexing loop
 * the code is inlined into, and had it compiled again.
 */
class RingCounts {
  events = 0;
  eventsInTicks = 0;
  eventsInLatest = 0;
  readonly perCpu = new Float64Array(256);
  // Counts per type id in 256-id pages made on first use: a 64K array would cost every
  // query-time matcher (one per decoded line) half a megabyte, a Map two lookups per event.
  // Filled, not holey: the first page stored then keeps the array's elements kind (a change would deoptimize countRun).
  readonly perId: (Float64Array | undefined)[] = new Array<Float64Array | undefined>(256).fill(undefined);
  readonly ring = new Float64Array(R.FREQ + 1).fill(-1, R.RING_FIELDS + R.CPU, R.RING_FIELDS + R.CPU + 1);

  /** One ring event as `countRun` reads it (the lines the families read: a row of one). */
  private readonly one = { kind: new Uint8Array(1), cpu: new Float64Array(1), slot: new Uint16Array(1), ts: new Float64Array(1), aux: new Float64Array(1) };

  /** One ring event: its CPU, ring slot, tick count and type id. */
  event(cpu: number, slot: number, ticks: number, id: number): void {
    const e = this.one;
    e.cpu[0] = cpu;
    e.slot[0] = slot;
    e.ts[0] = ticks;
    e.aux[0] = id;
    this.countRun(e.kind, 0, e.cpu, e.slot, e.ts, e.aux, 0, 1, 1);
  }

  /**
   * The ring events among rows [from, to) (those whose kind is `eventKind`):
   * CPU in `cpu`, ring slot in `slot`, tick count in `ts` (replaced by ticks
   * over `div`), type id in `aux`. The open ring's counts are kept in locals
   * meanwhile: nothing but these events changes them. Keep runs short (see
   * EVENT_CHUNK): the code after the loop must have run before the loop is
   * compiled.
   */
  countRun(kind: Uint8Array, eventKind: number, cpu: Float64Array, slot: Uint16Array, ts: Float64Array, aux: Float64Array, from: number, to: number, div: number): void {
    const r = this.ring;
    const latest = r[R.LATEST] === 1;
    const inTicks = r[R.FREQ] === 0 ? 1 : 0;
    const o = latest || r[R.OPEN] === 0 ? R.RING_FIELDS : 0;
    const perCpu = this.perCpu;
    let own = r[o + R.CPU];
    let foreign = r[o + R.FOREIGN];
    let gaps = r[o + R.GAPS];
    let backwards = r[o + R.BACKWARDS];
    let parsed = r[o + R.PARSED];
    let lastSlot = r[o + R.LAST_SLOT];
    let lastTicks = r[o + R.LAST_TICKS];
    let n = 0;
    for (let k = from; k < to; k++) {
      if (kind[k] !== eventKind) continue;
      n++;
      const c = cpu[k];
      const ticks = ts[k];
      const id = aux[k];
      ts[k] = ticks / div;
      perCpu[c]++;
      (this.perId[id >>> 8] ??= new Float64Array(256))[id & 0xff]++;
      // A ring whose `=== CPU n Buffer ===` line was garbled takes the CPU of its first event.
      own = own < 0 ? c : own;
      if (c !== own) {
        foreign++;
        continue;
      }
      const s = slot[k];
      const seen = parsed > 0 ? 1 : 0;
      gaps += s !== ((lastSlot + 1) & 1023) ? seen : 0;
      backwards += ticks < lastTicks ? seen : 0;
      parsed++;
      lastSlot = s;
      lastTicks = ticks;
    }
    r[o + R.CPU] = own;
    r[o + R.FOREIGN] = foreign;
    r[o + R.GAPS] = gaps;
    r[o + R.BACKWARDS] = backwards;
    r[o + R.PARSED] = parsed;
    r[o + R.LAST_SLOT] = lastSlot;
    r[o + R.LAST_TICKS] = lastTicks;
    // Small integers only (a double would change the field's representation, and so the object's map).
    this.events += n;
    this.eventsInTicks += inTicks * n;
    this.eventsInLatest += latest ? n : 0;
  }
}

/**
 * Rows RingCounts.countRun reads per call: a longer loop would be compiled on
 * the stack during its first call, before the code after it first ran, and
 * that code would deoptimize at every later call.
 */
const EVENT_CHUNK = 256;

/** The mutable state of one pass, made on the first dump line so query-time matchers cost nothing. */
class Pass {
  freqSource: string | null = null;
  readonly freqs: number[] = [];
  readonly counts = new RingCounts();
  garbled = 0;
  meta = 0;
  readonly blocks: Block[] = [];
  blocksDropped = 0;
  readonly lastBlocks = new Map<number, Block>();
  readonly shortRings: RingTally = { count: 0, missing: 0, examples: [] };
  readonly oddRings: RingTally = { count: 0, missing: 0, examples: [] };
  block: Block | null = null;
  /** CPU from the last `=== CPU n Buffer ===` not yet followed by its `Events:` line. */
  headerCpu = -1;
  inFull = false;
  fullDumps = 0;
  latestDumps = 0;
  panicDumps = 0;
  counterDumps = 0;
  counterLines = 0;
  readonly counters: TraceState['counters'] = {};
  registeredCounters: number | null = null;
  readonly providers: TraceState['providers'] = {};
  registeredProviders: number | null = null;
  readonly kernelSummary: Record<string, number> = {};
  tracingEnabled: boolean | null = null;

  /** The counter frequency in Hz (0: none yet); kept in the ring counts, which the event path reads. */
  get freq(): number {
    return this.counts.ring[R.FREQ];
  }

  /** Inside a latest-N dump (its events mix CPUs and belong to no ring). */
  get inLatest(): boolean {
    return this.counts.ring[R.LATEST] === 1;
  }

  set inLatest(on: boolean) {
    this.counts.ring[R.LATEST] = on ? 1 : 0;
  }

  setFreq(hz: number, source: string): void {
    if (hz <= 0) return;
    if (!this.freqs.includes(hz)) this.freqs.push(hz);
    // The dump's own line is the one its timestamps were taken with.
    this.counts.ring[R.FREQ] = hz;
    this.freqSource = source;
  }

  openBlock(b: Block): void {
    this.closeBlock();
    this.block = b;
    const r = this.counts.ring;
    r.fill(0, 0, R.RING_FIELDS);
    r[R.CPU] = b.cpu;
    r[R.OPEN] = 1;
  }

  closeBlock(): void {
    const b = this.block;
    if (!b) return;
    const r = this.counts.ring;
    b.cpu = r[R.CPU];
    b.parsed = r[R.PARSED];
    b.foreign = r[R.FOREIGN];
    b.slot_gaps = r[R.GAPS];
    b.ts_backwards = r[R.BACKWARDS];
    r[R.OPEN] = 0;
    const keep = this.blocks.length < MAX_BLOCKS;
    if (keep) this.blocks.push(b);
    // Counted at every ring (+0 while kept): a first count in code optimized before it would deoptimize.
    this.blocksDropped += keep ? 0 : 1;
    if (b.cpu >= 0) this.lastBlocks.set(b.cpu, b);
    if (b.parsed < b.header_events) tally(this.shortRings, b.header_events - b.parsed, `cpu${b.cpu < 0 ? '?' : b.cpu} ${b.parsed}/${b.header_events}`, SHORT_EXAMPLES);
    if (isOdd(b)) tally(this.oddRings, 0, `cpu${b.cpu} events=${b.header_events} write_idx=${b.write_idx} dropped=${b.dropped}`, ODD_EXAMPLES);
    this.block = null;
  }

  state(): TraceState {
    const { events, eventsInTicks, eventsInLatest } = this.counts;
    const perCpu: number[] = [];
    let top = -1;
    for (let c = 0; c < 256; c++) if (this.counts.perCpu[c]) top = c;
    for (let c = 0; c <= top; c++) perCpu.push(this.counts.perCpu[c]);
    const perId: number[][] = [];
    for (let hi = 0; hi < 256; hi++) {
      const page = this.counts.perId[hi];
      if (page) for (let lo = 0; lo < 256; lo++) if (page[lo]) perId.push([(hi << 8) | lo, page[lo]]);
    }
    this.closeBlock();
    return {
      freq: this.freq || null,
      freqSource: this.freqSource,
      freqs: this.freqs,
      events,
      eventsInTicks,
      garbled: this.garbled,
      meta: this.meta,
      perCpu,
      perId,
      blocks: this.blocks,
      blocksDropped: this.blocksDropped,
      lastBlocks: [...this.lastBlocks.values()],
      shortRings: this.shortRings,
      oddRings: this.oddRings,
      fullDumps: this.fullDumps,
      latestDumps: this.latestDumps,
      panicDumps: this.panicDumps,
      counterDumps: this.counterDumps,
      counterLines: this.counterLines,
      counters: this.counters,
      registeredCounters: this.registeredCounters,
      providers: this.providers,
      registeredProviders: this.registeredProviders,
      kernelSummary: this.kernelSummary,
      tracingEnabled: this.tracingEnabled,
      eventsInLatest,
    };
  }
}

/** Handles a line that starts like a dump line but is not an event: meta, counter, provider, summary, or garbled. */
function otherLine(pass: Pass, line: string, row: RowScratch): number {
  const fixed = fixedMeta(line);
  if (fixed !== undefined) {
    switch (fixed) {
      case 'dump_start':
        pass.closeBlock();
        pass.inFull = true;
        pass.inLatest = false;
        pass.fullDumps++;
        break;
      case 'dump_end':
        pass.closeBlock();
        pass.inFull = false;
        break;
      case 'latest_end':
        pass.inLatest = false;
        break;
      case 'panic_start':
        pass.closeBlock();
        pass.panicDumps++;
        break;
      case 'counter_dump_start':
        pass.closeBlock();
        pass.counterDumps++;
        break;
      default:
        break;
    }
    return meta(pass, line, row);
  }
  const c1 = line.charCodeAt(1);
  if (c1 === 84 /* T */) {
    let m = CPU_HEADER.exec(line);
    if (m) {
      pass.closeBlock();
      pass.inLatest = false;
      pass.headerCpu = Number(m[1]);
      return meta(pass, line, row);
    }
    m = EVENTS_HEADER.exec(line);
    if (m) {
      pass.inLatest = false;
      pass.openBlock({ cpu: pass.headerCpu, header_events: Number(m[1]), write_idx: Number(m[2]), dropped: Number(m[3]), parsed: 0, foreign: 0, slot_gaps: 0, ts_backwards: 0, in_full_dump: pass.inFull });
      pass.headerCpu = -1;
      return meta(pass, line, row);
    }
    m = FREQ.exec(line);
    if (m) {
      pass.setFreq(Number(m[1]), 'trace');
      return meta(pass, line, row);
    }
    m = LATEST.exec(line);
    if (m) {
      pass.closeBlock();
      pass.inLatest = true;
      pass.latestDumps++;
      return meta(pass, line, row);
    }
    m = ENABLED.exec(line);
    if (m) {
      pass.tracingEnabled = m[1] === 'yes';
      return meta(pass, line, row);
    }
    if (INVALID_CPU.test(line)) return meta(pass, line, row);
    if (KLOG_TRACE.test(line)) return -1;
    return garbled(pass, 'TRACE', row);
  }
  if (c1 === 67 /* C */) {
    const m = COUNTER.exec(line);
    if (m) {
      pass.counterLines++;
      pass.counters[m[1]] = { total: breenixNumber(m[2]), per_cpu: breenixPerCpuValues(m[3]) };
      row.sub = 'COUNTER';
      row.aux = Number(m[2]);
      return T_COUNTER;
    }
    const r = COUNTERS_REGISTERED.exec(line);
    if (r) {
      pass.registeredCounters = Number(r[1]);
      return meta(pass, line, row);
    }
    return garbled(pass, 'COUNTER', row);
  }
  if (c1 === 80 /* P */) {
    const m = PROVIDER.exec(line);
    if (m) {
      pass.providers[m[1]] = { id: parseInt(m[2], 16), enabled: `0x${m[3]}` };
      row.sub = 'PROVIDER';
      row.aux = parseInt(m[2], 16);
      return T_PROVIDER;
    }
    const r = PROVIDERS_REGISTERED.exec(line);
    if (r) {
      pass.registeredProviders = Number(r[1]);
      return meta(pass, line, row);
    }
    return garbled(pass, 'PROVIDER', row);
  }
  if (c1 === 83 /* S */) {
    const m = SUMMARY.exec(line);
    if (!m) return -1;
    pass.kernelSummary[m[1]] = Number(m[2]);
    row.sub = 'SUMMARY';
    row.aux = Number(m[2]);
    return T_SUMMARY;
  }
  return -1;
}

function meta(pass: Pass, line: string, row: RowScratch): number {
  pass.meta++;
  row.sub = line.charCodeAt(0) === 61 /* = */ ? 'TRACE' : line.slice(1, line.indexOf(']'));
  return T_META;
}

function garbled(pass: Pass, tag: string, row: RowScratch): number {
  pass.garbled++;
  row.sub = tag;
  return T_GARBLED;
}

/** Starts of lines this family claims (others return -1 after one or two byte compares). */
const P_PANIC_START = new Prefix('====== PANIC TRACE DUMP');
const P_PANIC_END = new Prefix('====== END PANIC DUMP');
const P_TRACE = new Prefix('[TRACE');
const P_COUNTER = new Prefix('[COUNTER');
const P_PROVIDER = new Prefix('[PROVIDER]');
const P_SUMMARY = new Prefix('[SUMMARY]');
const P_BOOT_FREQ = new Prefix(BOOT_FREQ_PREFIX);

function claims(v: LineView): boolean {
  const c0 = v.at(0);
  if (c0 === 61 /* = */) return v.has(P_PANIC_START) || v.has(P_PANIC_END);
  if (c0 !== 91 /* [ */) return false;
  const c1 = v.at(1);
  if (c1 === 84) return v.has(P_TRACE);
  if (c1 === 67) return v.has(P_COUNTER);
  if (c1 === 80) return v.has(P_PROVIDER);
  if (c1 === 83) return v.has(P_SUMMARY);
  return false;
}

/**
 * The family's matcher, plus `knownEvents`: what the matcher does for ring
 * event lines with their type's own name and label whose values were already
 * read (by the WebAssembly fast lane, which takes only such lines), a run of
 * rows at a time: the rows [from, to) whose kind is `event` are counted, and
 * their tick counts in `ts` become their timestamps; their type id is in
 * `aux`, slot in `slot`. The other rows of the run must be lines that leave
 * the family's state as it is (as every line the lane classifies does).
 * Returns the subsystem the run's events take. For runs with events only
 * (the family's state is made at the first).
 */
export interface TraceMatcher extends LineMatcher {
  knownEvents(kind: Uint8Array, eventKind: number, cpu: Float64Array, slot: Uint16Array, ts: Float64Array, aux: Float64Array, from: number, to: number): string;
}

/** The type of the events `knownEvents` counts, in the family's types. */
export const KNOWN_EVENT_TYPE = T_EVENT;

function createMatcher(): TraceMatcher {
  let pass: Pass | null = null;
  // The event path reads only these (see RingCounts).
  let counts: RingCounts | null = null;
  const scan = newEventScan();
  // Out of line: the event path compiled with Pass's map in it would deoptimize when a field of Pass first changes type.
  const firstCounts = (): RingCounts => (counts = (pass ??= new Pass()).counts);
  const ringEvent = (cpu: number, slot: number, ticks: number, id: number, row: RowScratch): number => {
    const c = counts ?? firstCounts();
    c.event(cpu, slot, ticks, id);
    row.cpu = cpu;
    const r = c.ring;
    // Divided always (by 1 without a frequency): a first division after optimization would deoptimize.
    const f = r[R.FREQ];
    row.ts = ticks / (f > 0 ? f : 1);
    row.aux = id;
    row.sub = r[R.LATEST] === 1 ? SUB_LATEST : SUB_RING;
    return T_EVENT;
  };
  const event = (row: RowScratch): number => ringEvent(scan.cpu, scan.slot, scan.ticks, scan.id, row);
  const knownEvents = (kind: Uint8Array, eventKind: number, cpu: Float64Array, slot: Uint16Array, ts: Float64Array, aux: Float64Array, from: number, to: number): string => {
    const c = counts ?? firstCounts();
    const r = c.ring;
    // A run holds no frequency line, so one divisor serves it (1 without a frequency, as in ringEvent).
    const f = r[R.FREQ];
    const div = f > 0 ? f : 1;
    const sub = r[R.LATEST] === 1 ? SUB_LATEST : SUB_RING;
    for (let k = from; k < to; k += EVENT_CHUNK) c.countRun(kind, eventKind, cpu, slot, ts, aux, k, Math.min(to, k + EVENT_CHUNK), div);
    return sub;
  };
  const matcher = ((line, row) => {
    // Event lines first: they are most of a dump.
    if (line.at(1) === 84 /* T */ && scanEventLine(line, scan)) {
      if (!scan.known && garbledReason(line, scan) !== null) return garbled((pass ??= new Pass()), 'TRACE', row);
      return event(row);
    }
    if (!claims(line)) {
      // The aarch64 boot line carries the counter frequency; it stays a TAGGED line of breenix-log.
      if (line.at(1) === 98 /* b */ && line.has(P_BOOT_FREQ)) {
        const m = BOOT_FREQ.exec(line.text());
        if (m) (pass ??= new Pass()).setFreq(Number(m[1]), 'boot');
      }
      return -1;
    }
    pass ??= new Pass();
    return otherLine(pass, line.full(), row);
  }) as TraceMatcher;
  matcher.state = () => (pass ? pass.state() : undefined);
  matcher.knownEvents = knownEvents;
  return matcher;
}

/**
 * A part that started after a frequency line stored its events up to its own
 * first one in ticks (eventsInTicks of them): one pass would have used the
 * earlier part's frequency.
 */
function carry(states: unknown[]): { states: unknown[]; fixes: TsFix[] } {
  const fixes: TsFix[] = [];
  let freq: number | null = null;
  let source: string | null = null;
  const out = states.map((st, part) => {
    const s = st as TraceState | undefined | null;
    if (!s) return st;
    let next = s;
    if (freq !== null && s.eventsInTicks > 0) {
      fixes.push({ part, type: T_EVENT, count: s.eventsInTicks, divisor: freq });
      next = { ...s, eventsInTicks: 0, freq: s.freq ?? freq, freqSource: s.freqSource ?? source };
    }
    if (next.freq !== null) {
      freq = next.freq;
      source = next.freqSource;
    }
    return next;
  });
  return { states: out, fixes };
}

/** The tallies of consecutive parts as one pass would have kept them. */
function merged(parts: RingTally[], keep: number): RingTally {
  return { count: parts.reduce((a, t) => a + t.count, 0), missing: parts.reduce((a, t) => a + t.missing, 0), examples: parts.flatMap((t) => t.examples).slice(0, keep) };
}

/** Merges the states of the passes over consecutive parts of one log into the summary extras. */
function summarize(states: unknown[]): Record<string, unknown> {
  const parts = states.filter((s): s is TraceState => s !== undefined && s !== null);
  if (parts.length === 0) return {};
  const sum = (f: (s: TraceState) => number) => parts.reduce((a, s) => a + f(s), 0);
  const events = sum((s) => s.events);
  const lines = events + sum((s) => s.meta + s.garbled + s.counterLines) + parts.reduce((a, s) => a + Object.keys(s.providers).length + Object.keys(s.kernelSummary).length, 0);
  // A frequency alone (every aarch64 boot prints one) is no trace content.
  if (lines === 0) return {};
  const freqPart = [...parts].reverse().find((s) => s.freq !== null);
  const perCpu: Record<string, number> = {};
  for (const s of parts) {
    for (let c = 0; c < s.perCpu.length; c++) if (s.perCpu[c]) perCpu[String(c)] = (perCpu[String(c)] ?? 0) + s.perCpu[c];
  }
  const perId = new Map<number, number>();
  for (const s of parts) for (const [id, n] of s.perId) perId.set(id, (perId.get(id) ?? 0) + n);
  const eventTypes: Record<string, number> = {};
  const eventIds: Record<string, number> = {};
  for (const [id, n] of [...perId].sort((a, b) => b[1] - a[1])) {
    const name = breenixEventName(id);
    eventTypes[name] = (eventTypes[name] ?? 0) + n;
    eventIds[breenixTypeHex(id)] = n;
  }
  // What one pass keeps, however the log was divided between threads: its first MAX_BLOCKS ring dumps.
  const ringDumps = sum((s) => s.blocks.length + s.blocksDropped);
  const blocks = parts.flatMap((s) => s.blocks).slice(0, MAX_BLOCKS);
  // Per CPU: its event lines, and the header of its last ring dump in the log.
  const cpus: Record<string, Record<string, number | boolean>> = {};
  for (const [c, n] of Object.entries(perCpu)) cpus[c] = { events: n };
  for (const b of parts.flatMap((s) => s.lastBlocks)) {
    cpus[String(b.cpu)] = { ...(cpus[String(b.cpu)] ?? { events: 0 }), write_idx: b.write_idx, dropped: b.dropped, ring_events: b.header_events, parsed: b.parsed };
  }
  const notes: { code: string; message: string }[] = [];
  const inTicks = sum((s) => s.eventsInTicks);
  const tsUnit = events === 0 ? null : inTicks === 0 ? 's' : inTicks === events ? 'ticks' : 'mixed';
  if (tsUnit === 'ticks') notes.push({ code: 'TRACE_TS_TICKS', message: 'no counter frequency in the log (`[TRACE] Timestamp frequency` or `[boot] Timer frequency`): trace event ts is in raw ticks' });
  if (tsUnit === 'mixed') notes.push({ code: 'TRACE_TS_MIXED', message: `${inTicks} of ${events} trace events came before any counter frequency line: their ts is in raw ticks, the rest in seconds` });
  const freqs = [...new Set(parts.flatMap((s) => s.freqs))];
  if (freqs.length > 1) notes.push({ code: 'TRACE_FREQ_CONFLICT', message: `the log names ${freqs.length} counter frequencies (${freqs.join(', ')} Hz); each event used the last one before it` });
  const garbledLines = sum((s) => s.garbled);
  if (garbledLines) notes.push({ code: 'TRACE_GARBLED', message: `${garbledLines} dump lines were garbled by output from other CPUs and not read as events (kscope filter --type TRACE_GARBLED)` });
  const short = merged(parts.map((s) => s.shortRings), SHORT_EXAMPLES);
  if (short.count) {
    notes.push({ code: 'TRACE_RING_SHORT', message: `${short.count} of ${ringDumps} ring dumps hold fewer event lines than their header says (${short.missing} missing in all: ${short.examples.join(', ')}${short.count > SHORT_EXAMPLES ? ', …' : ''})` });
  }
  const odd = merged(parts.map((s) => s.oddRings), ODD_EXAMPLES);
  if (odd.count) {
    notes.push({ code: 'TRACE_RING_COUNTS', message: `${odd.count} ring dump headers disagree with write_idx (expected events = min(write_idx, 1024), dropped = write_idx - 1024): ${odd.examples.join('; ')}` });
  }
  const counters: TraceState['counters'] = {};
  const providers: TraceState['providers'] = {};
  const kernelSummary: Record<string, number> = {};
  for (const s of parts) {
    Object.assign(counters, s.counters);
    Object.assign(providers, s.providers);
    Object.assign(kernelSummary, s.kernelSummary);
  }
  const last = <K extends keyof TraceState>(k: K): TraceState[K] | null => [...parts].reverse().find((s) => s[k] !== null)?.[k] ?? null;
  const out: Record<string, unknown> = {
    breenix_trace: {
      frequency_hz: freqPart?.freq ?? null,
      frequency_source: freqPart?.freqSource ?? null,
      ts_unit: tsUnit,
      events,
      events_in_latest_dumps: sum((s) => s.eventsInLatest),
      garbled_lines: garbledLines,
      meta_lines: sum((s) => s.meta),
      events_per_cpu: perCpu,
      event_types: eventTypes,
      event_ids: eventIds,
      cpus,
      dumps: { full: sum((s) => s.fullDumps), ring: ringDumps, latest: sum((s) => s.latestDumps), panic: sum((s) => s.panicDumps), counters: sum((s) => s.counterDumps) },
      rings: blocks,
      tracing_enabled: last('tracingEnabled'),
      registered_counters: last('registeredCounters'),
      counter_lines: sum((s) => s.counterLines),
      counters,
      registered_providers: last('registeredProviders'),
      providers,
      kernel_summary: kernelSummary,
    },
  };
  if (tsUnit) out.ts_unit = tsUnit;
  if (notes.length) out.notes = notes;
  return out;
}

/** Ticks per second recovered from a row: ts is ticks / frequency, or the ticks themselves when none was known. */
function freqOf(ticks: number, row: DecodedRow | undefined): number | null {
  if (!row || !(row.ts === row.ts) || ticks <= 0 || row.ts <= 0 || row.ts === ticks) return null;
  return Math.round(ticks / row.ts);
}

function eventFields(line: string, s: EventScan, row: DecodedRow | undefined): Record<string, FieldValue> {
  const known = breenixEventType(s.id);
  const printed = line.slice(s.nameStart, s.nameEnd);
  const label = line.slice(s.labelStart, s.labelEnd);
  const ticksText = line.slice(line.indexOf(' ts=') + 4, line.indexOf(' type='));
  const out: Record<string, FieldValue> = {
    cpu: s.cpu,
    slot: s.slot,
    ticks: breenixNumber(ticksText),
  };
  const freq = freqOf(s.ticks, row);
  if (freq) {
    out.ns = Number((BigInt(ticksText) * 1000000000n) / BigInt(freq));
    out.freq_hz = freq;
  }
  out.type_id = breenixTypeHex(s.id);
  // The superset name wins over the kernel's UNKNOWN.
  out.name = known ? known.name : printed === BREENIX_UNKNOWN_NAME ? breenixEventName(s.id) : printed;
  if (printed !== out.name) out.printed_name = printed;
  out.category = breenixCategory(s.id);
  out.label = label === BREENIX_UNKNOWN_LABEL && known?.label ? known.label : label;
  out.payload = s.payload;
  const packed = breenixPackedNames(typeof out.label === 'string' ? out.label : null);
  if (packed) {
    out.val1 = s.payload >>> 16;
    out.val2 = s.payload & 0xffff;
    out.val1_name = packed[0];
    out.val2_name = packed[1];
  }
  if (s.flags >= 0) out.flags = `0x${s.flags.toString(16)}`;
  out.dump = row?.sub === SUB_LATEST ? 'latest' : 'ring';
  return out;
}

function metaFields(line: string): Record<string, FieldValue> {
  const fixed = fixedMeta(line);
  if (fixed) return { kind: fixed };
  let m = CPU_HEADER.exec(line);
  if (m) return { kind: 'ring_header', cpu: Number(m[1]) };
  m = EVENTS_HEADER.exec(line);
  if (m) return { kind: 'ring_events', events: Number(m[1]), write_idx: Number(m[2]), dropped: Number(m[3]) };
  m = FREQ.exec(line);
  if (m) return { kind: 'frequency', frequency_hz: Number(m[1]) };
  m = LATEST.exec(line);
  if (m) return { kind: 'latest_start', count: Number(m[1]) };
  m = ENABLED.exec(line);
  if (m) return { kind: 'tracing_enabled', enabled: m[1] === 'yes' };
  m = INVALID_CPU.exec(line);
  if (m) return { kind: 'invalid_cpu', cpu: Number(m[1]) };
  m = COUNTERS_REGISTERED.exec(line) ?? PROVIDERS_REGISTERED.exec(line);
  if (m) return { kind: line.startsWith('[COUNTER]') ? 'registered_counters' : 'registered_providers', count: Number(m[1]) };
  return { message: line };
}

/** The family, whose matchers also take lines the fast lane read (see TraceMatcher). */
interface TraceFamily extends LineFamily {
  create(): TraceMatcher;
}

export const breenixTrace: TraceFamily = {
  id: 'breenix-trace',
  types: TYPES,
  create: createMatcher,
  summarize,
  carry,
  fields(line, type, row): Record<string, FieldValue> {
    if (type === T_EVENT) {
      const s = newEventScan();
      return scanEventLine(LineView.of(line), s) ? eventFields(line, s, row) : { message: line };
    }
    if (type === T_META) return metaFields(line);
    if (type === T_COUNTER) {
      const m = COUNTER.exec(line);
      if (!m) return { message: line };
      return { counter: m[1], total: breenixNumber(m[2]), ...breenixPerCpuValues(m[3]) };
    }
    if (type === T_PROVIDER) {
      const m = PROVIDER.exec(line);
      if (!m) return { message: line };
      return { provider: m[1], provider_id: parseInt(m[2], 16), enabled: `0x${m[3]}`, all_probes: /^f{16}$/.test(m[3]) };
    }
    if (type === T_SUMMARY) {
      const m = SUMMARY.exec(line);
      return m ? { category: m[1], count: Number(m[2]) } : { message: line };
    }
    // TRACE_GARBLED: say why, so a reader of the log can judge the line.
    const s = newEventScan();
    const v = LineView.of(line);
    const reason = scanEventLine(v, s) ? garbledReason(v, s) : line.startsWith(EVENT_PREFIX) ? 'event line breaks the grammar' : 'dump line breaks the grammar';
    return { reason: reason ?? 'garbled', message: line };
  },
};
