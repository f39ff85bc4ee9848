import type { Bundle } from '../../model/bundle.js';
import type { DiagnosticLog } from '../../model/diagnostics.js';
import type { EventRecord, FieldValue } from '../../model/event.js';
import { EventTableBuilder, TableSource, finishTable, newScratch, type RowDecoder, type TableInfo } from '../../model/event-table.js';
import { ColumnWriter, type Column, type ColumnInfo } from '../../model/bundle.js';
import type { EventSource, Summary } from '../../model/source.js';
import { breenixCategory, breenixEventName, breenixEventType, breenixPackedNames, breenixTypeHex } from '../../model/breenix-names.js';
import { FormatError } from '../../util/errors.js';
import { FileSource } from '../../util/file-source.js';
import { TYPE_NAMES, T_EVENT } from './types.js';

/*
 * Raw memory images of Breenix's `TRACE_BUFFERS` (breenix.md §1.1-1.2): what
 * GDB's `dump binary memory` or QMP `pmemsave` writes. Per CPU one
 * `TraceCpuBuffer` of 16448 bytes: 1024 16-byte `TraceEvent`s, then
 * write_idx, read_idx and dropped (u64 each, little-endian).
 */

export const RING_SLOTS = 1024;
export const EVENT_BYTES = 16;
export const RING_STRIDE = 16448;
export const WRITE_IDX_OFFSET = 16384;
export const READ_IDX_OFFSET = 16392;
export const DROPPED_OFFSET = 16400;
export const MAX_CPUS = 16;
/** A write_idx beyond this is not a count of events (2^48 events at one per ns is 3 days). */
const PLAUSIBLE_WRITE_IDX = 2 ** 48;
/** Provider bytes of every known event id (`type >> 8`): a head full of others is not a trace ring. */
const PROVIDER_BYTES = new Set([0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0a, 0xff]);

function u64(buf: Buffer, at: number): number {
  // Exact up to 2^53; larger values only matter as "implausible".
  return buf.readUInt32LE(at) + buf.readUInt32LE(at + 4) * 2 ** 32;
}

/**
 * Ring `r` of `head` read as a TraceCpuBuffer: null when it cannot be one
 * (an implausible trailer, or a slot that is neither empty nor an event
 * with a timestamp below 2^56 and a CPU byte below 16), else its events and
 * how many of them have a known provider byte.
 */
function ringFit(head: Buffer, r: number): { events: number; known: number } | null {
  const base = r * RING_STRIDE;
  const w = u64(head, base + WRITE_IDX_OFFSET);
  if (w >= PLAUSIBLE_WRITE_IDX || u64(head, base + READ_IDX_OFFSET) > w || u64(head, base + DROPPED_OFFSET) > w) return null;
  let events = 0;
  let known = 0;
  for (let k = 0; k < RING_SLOTS; k++) {
    const at = base + k * EVENT_BYTES;
    const lo = head.readUInt32LE(at);
    const hi = head.readUInt32LE(at + 4);
    if (lo === 0 && hi === 0) {
      for (let b = at + 8; b < at + 16; b++) if (head[b] !== 0) return null;
      continue;
    }
    if (hi >>> 24 !== 0 || head[at + 10] >= MAX_CPUS) return null;
    events++;
    if (PROVIDER_BYTES.has(head[at + 9])) known++;
  }
  return { events, known };
}

/**
 * How sure we are that `head` starts a `TRACE_BUFFERS` image. With whole
 * rings in the head, each must fit (ringFit: slots and write_idx/read_idx/
 * dropped trailer), which tells an image whose CPU 0 ring is nearly empty
 * from other binary data. Else from ring 0's first slots: every slot empty
 * or an event of CPU 0 with a timestamp below 2^56, and most events with a
 * known provider byte.
 */
export function imageScore(head: Buffer, name: string): number {
  if (head.length < 64) return 0;
  const named = /trace[_-]?buffers|breenix/i.test(name);
  const rings = Math.min(MAX_CPUS, Math.floor(head.length / RING_STRIDE));
  let events = 0;
  let known = 0;
  let fits = rings > 0;
  for (let r = 0; r < rings && fits; r++) {
    const fit = ringFit(head, r);
    if (!fit) fits = false;
    else {
      events += fit.events;
      known += fit.known;
    }
  }
  // Every whole ring fits and holds events: sure. A torn slot (a live pmemsave) leaves it to ring 0's first slots.
  if (fits && events > 0) return known * 4 >= events * 3 || named ? 0.95 : 0.5;
  events = 0;
  known = 0;
  const n = Math.floor(Math.min(head.length, 4096) / EVENT_BYTES);
  for (let k = 0; k < n; k++) {
    const at = k * EVENT_BYTES;
    const lo = head.readUInt32LE(at);
    const hi = head.readUInt32LE(at + 4);
    if (lo === 0 && hi === 0) {
      for (let b = at + 8; b < at + 16; b++) if (head[b] !== 0) return 0;
      continue;
    }
    if (hi >>> 24 !== 0) return 0;
    if (head[at + 10] !== 0) return 0;
    events++;
    if (PROVIDER_BYTES.has(head[at + 9])) known++;
  }
  // A newer kernel may add providers: most ids, not all, must be known ones.
  if (events >= 4 && known * 4 >= events * 3) return 0.95;
  if (events >= 4) return named ? 0.95 : 0.5;
  // An all-zero head (CPU 0's ring empty) says nothing by itself.
  return named ? 0.95 : events > 0 ? 0.5 : 0.05;
}

export interface RingInfo {
  cpu: number;
  offset: number;
  /** null when the image ends before this trailer field (a cut last ring). */
  write_idx: number | null;
  read_idx: number | null;
  dropped: number | null;
  /** min(write_idx, 1024): the entries the kernel would dump. */
  valid_entries: number;
  /** Non-empty slots read as events. */
  events: number;
  oldest_slot: number;
  /** Slots inside the valid range that hold no event (timestamp 0). */
  empty_in_range: number;
  /** Non-empty slots outside the valid range (write_idx < 1024 says they were never written). */
  stale_slots: number;
  /** Events whose cpu byte is not this ring's index. */
  cpu_mismatch: number;
  /** Events older than the one before them in ring order. */
  ts_backwards: number;
  /** Only on a ring the image cuts short: the bytes of it present and the whole slots among them. */
  cut?: { bytes: number; slots: number };
}

export interface ImageData {
  kind: 'image';
  table: TableInfo;
  rings: RingInfo[];
}

/** Decodes every ring of the image, a cut last one too: events in ring order per CPU, oldest slot first (§1.2). */
export function buildImage(path: string, name: string, dir: string, diags: DiagnosticLog, progress?: (done: number, total: number) => void): { data: ImageData; columns: Record<string, Column>; segmented: Record<string, ColumnInfo> } {
  const src = new FileSource(path);
  const b = new EventTableBuilder(TYPE_NAMES, new ColumnWriter(dir, 0));
  const row = newScratch();
  const rings: RingInfo[] = [];
  const perId = new Map<number, number>();
  let truncatedAt: number | null = null;
  try {
    const count = Math.floor(src.size / RING_STRIDE);
    if (count === 0) {
      throw new FormatError({ file: name, byteOffset: 0 }, `expected a TRACE_BUFFERS image of ${RING_STRIDE}-byte TraceCpuBuffer rings; the file holds ${src.size} bytes, less than one ring`);
    }
    if (count > MAX_CPUS) diags.add({ code: 'IMAGE_MANY_RINGS', severity: 'info', file: name, offset: MAX_CPUS * RING_STRIDE, unit: 'byte', message: `${count} rings; the kernel has ${MAX_CPUS} (MAX_CPUS): the rest may be other memory` });
    for (let cpu = 0; cpu * RING_STRIDE < src.size; cpu++) {
      const base = cpu * RING_STRIDE;
      const ring = src.read(base, RING_STRIDE);
      const info = walkRing(ring, cpu, base, b, row, perId, name, diags);
      rings.push(info);
      if (info.cut) {
        truncatedAt = src.size;
        diags.add({ code: 'IMAGE_TRUNCATED', severity: 'warning', file: name, offset: src.size, unit: 'byte', message: cutMessage(info, src.size) });
      }
      progress?.(base + ring.length, src.size);
    }
  } finally {
    src.close();
  }
  const eventTypes: Record<string, number> = {};
  const eventIds: Record<string, number> = {};
  for (const [id, n] of [...perId].sort((x, y) => y[1] - x[1])) {
    const nm = breenixEventName(id);
    eventTypes[nm] = (eventTypes[nm] ?? 0) + n;
    eventIds[breenixTypeHex(id)] = n;
  }
  const perCpu: Record<string, Omit<RingInfo, 'cpu'>> = {};
  for (const r of rings) {
    const { cpu, ...rest } = r;
    perCpu[String(cpu)] = rest;
  }
  const t = finishTable([b.finish()], [0], dir, 't0.', {
    label: name,
    typeNames: TYPE_NAMES,
    tsUnit: 'ticks',
    format: 'breenix-trace',
    warnings: diags.list(),
    extra: {
      input_kind: 'image',
      ts_unit: 'ticks',
      rings: rings.length,
      ring_stride: RING_STRIDE,
      truncated_at: truncatedAt,
      per_cpu: perCpu,
      event_types: eventTypes,
      event_ids: eventIds,
      notes: [{ code: 'TRACE_TS_TICKS', message: 'a memory image carries no counter frequency: ts is in raw ticks (RDTSC / CNTVCT_EL0)' }],
    },
  });
  return { data: { kind: 'image', table: t.info, rings }, columns: t.columns, segmented: t.segmented };
}

/** A trailer field, or null when a cut ring ends before it. */
function field(ring: Buffer, at: number): number | null {
  return ring.length >= at + 8 ? u64(ring, at) : null;
}

/**
 * Walks one ring. A ring the image cuts short (the last) keeps its whole
 * slots: with write_idx present they are all there; without it they are read
 * in slot order, as for an implausible write_idx.
 */
function walkRing(ring: Buffer, cpu: number, base: number, b: EventTableBuilder, row: ReturnType<typeof newScratch>, perId: Map<number, number>, name: string, diags: DiagnosticLog): RingInfo {
  const slots = Math.min(RING_SLOTS, Math.floor(ring.length / EVENT_BYTES));
  const writeIdx = field(ring, WRITE_IDX_OFFSET);
  const info: RingInfo = {
    cpu,
    offset: base,
    write_idx: writeIdx,
    read_idx: field(ring, READ_IDX_OFFSET),
    dropped: field(ring, DROPPED_OFFSET),
    valid_entries: 0,
    events: 0,
    oldest_slot: 0,
    empty_in_range: 0,
    stale_slots: 0,
    cpu_mismatch: 0,
    ts_backwards: 0,
  };
  if (ring.length < RING_STRIDE) info.cut = { bytes: ring.length, slots };
  let nonEmpty = 0;
  for (let s = 0; s < slots; s++) if (ring.readUInt32LE(s * EVENT_BYTES) !== 0 || ring.readUInt32LE(s * EVENT_BYTES + 4) !== 0) nonEmpty++;
  const plausible = writeIdx !== null && writeIdx < PLAUSIBLE_WRITE_IDX;
  let oldest = 0;
  let valid = slots;
  if (plausible) {
    valid = Math.min(writeIdx, RING_SLOTS);
    oldest = writeIdx > RING_SLOTS ? writeIdx % RING_SLOTS : 0;
  } else if (writeIdx !== null) {
    diags.add({ code: 'RING_WRITE_IDX_IMPLAUSIBLE', severity: 'warning', file: name, offset: base + WRITE_IDX_OFFSET, unit: 'byte', message: `CPU ${cpu}: write_idx ${writeIdx} is not an event count; read the ${nonEmpty} non-empty slots in slot order` });
  }
  info.valid_entries = valid;
  info.oldest_slot = oldest;
  let lastTs = -1;
  for (let i = 0; i < valid; i++) {
    const slot = (oldest + i) % RING_SLOTS;
    const at = slot * EVENT_BYTES;
    const ts = u64(ring, at);
    if (ts === 0) {
      // The kernel's dump skips these too (timestamp 0 = empty slot).
      info.empty_in_range++;
      continue;
    }
    const id = ring.readUInt16LE(at + 8);
    if (ring[at + 10] !== cpu) info.cpu_mismatch++;
    if (ts < lastTs) info.ts_backwards++;
    lastTs = ts;
    row.type = T_EVENT;
    row.ts = ts;
    row.cpu = cpu;
    row.aux = id;
    row.sub = breenixCategory(id) ?? '';
    b.add(0, base + at, EVENT_BYTES, row);
    perId.set(id, (perId.get(id) ?? 0) + 1);
    info.events++;
  }
  if (plausible) info.stale_slots = nonEmpty - (info.events);
  // write_idx and dropped against what the slots hold (§1.2: dropped == write_idx - 1024 once wrapped).
  const problems: string[] = [];
  const expectDropped = plausible ? Math.max(0, writeIdx - RING_SLOTS) : 0;
  if (plausible && info.dropped !== null && info.dropped !== expectDropped) problems.push(`dropped=${info.dropped}, expected ${expectDropped} for write_idx=${writeIdx}`);
  if (plausible && info.empty_in_range > 0) problems.push(`${info.empty_in_range} of the ${valid} slots write_idx=${writeIdx} says were written are empty`);
  if (plausible && info.stale_slots > 0) problems.push(`${info.stale_slots} slots beyond write_idx=${writeIdx} hold events`);
  if (info.cpu_mismatch > 0) problems.push(`${info.cpu_mismatch} events carry another CPU's id`);
  if (problems.length) diags.add({ code: 'RING_DISAGREES', severity: 'warning', file: name, offset: base + WRITE_IDX_OFFSET, unit: 'byte', message: `CPU ${cpu}: ${problems.join('; ')}` });
  return info;
}

/** What a cut ring kept and lost, from its RingInfo. */
function cutMessage(r: RingInfo, size: number): string {
  const { bytes, slots } = r.cut as NonNullable<RingInfo['cut']>;
  const head = `image is ${size} bytes, not a whole number of ${RING_STRIDE}-byte rings: ring ${r.cpu} (from byte ${r.offset}) is cut ${bytes} bytes in`;
  if (r.write_idx !== null) {
    const lost = [r.read_idx === null ? 'read_idx' : '', r.dropped === null ? 'dropped' : ''].filter(Boolean);
    return `${head}, after its 1024 slots and write_idx: kept its ${r.events} events, lost none${lost.length ? ` (${lost.join(' and ')} missing, not checked)` : ''}`;
  }
  const partial = bytes > slots * EVENT_BYTES && slots < RING_SLOTS ? `, and the partial record at byte ${r.offset + slots * EVENT_BYTES}` : '';
  const missing = slots < RING_SLOTS ? `; slots ${slots}..1023 (${RING_SLOTS - slots} records) are missing${partial}` : '';
  return `${head}, before its write_idx (byte ${r.offset + WRITE_IDX_OFFSET}): kept the ${r.events} events in its ${slots} whole slots, in slot order (without write_idx the oldest slot is unknown)${missing}`;
}

/**
 * Fields of one 16-byte TraceEvent, named as the kernel's serial dump names
 * them; the text is the dump line from `ts=` on (ring and slot come from the offset).
 */
export function eventFields(raw: Buffer): { fields: Record<string, FieldValue>; text: string } {
  const ts = raw.readBigUInt64LE(0);
  const id = raw.readUInt16LE(8);
  const cpuByte = raw[10];
  const flags = raw[11];
  const payload = raw.readUInt32LE(12);
  const known = breenixEventType(id);
  const label = known?.label ?? 'payload';
  const ticks = ts <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(ts) : ts.toString();
  const fields: Record<string, FieldValue> = { ticks, type_id: breenixTypeHex(id), name: breenixEventName(id), category: breenixCategory(id), label, payload };
  const packed = breenixPackedNames(known?.label ?? null);
  if (packed) {
    fields.val1 = payload >>> 16;
    fields.val2 = payload & 0xffff;
    fields.val1_name = packed[0];
    fields.val2_name = packed[1];
  }
  if (flags !== 0) fields.flags = `0x${flags.toString(16)}`;
  fields.cpu_byte = cpuByte;
  const text = `ts=${ts} type=${breenixTypeHex(id)} ${fields.name} ${label}=${payload}${flags ? ` flags=0x${flags.toString(16)}` : ''}`;
  return { fields, text };
}

const imageDecoder: RowDecoder = {
  // Ring and slot come from the offset, which the table source adds after decoding (see ImageSource).
  decode(raw) {
    return eventFields(raw);
  },
};

/** Events of an image: the table's records, with ring and slot filled in from the byte offset. */
export class ImageSource implements EventSource {
  private readonly table: TableSource;
  readonly count: number;
  readonly typeNames: readonly string[];

  constructor(bundle: Bundle, data: ImageData, path: string) {
    this.table = new TableSource(bundle, data.table, path, imageDecoder);
    this.count = this.table.count;
    this.typeNames = this.table.typeNames;
  }

  private fix(e: EventRecord): EventRecord {
    const off = e.offset ?? 0;
    const ring = Math.floor(off / RING_STRIDE);
    const slot = (off - ring * RING_STRIDE) / EVENT_BYTES;
    const { cpu_byte: cpuByte, ...rest } = e.fields;
    e.fields = { ring, slot, ...rest };
    // The record's own cpu byte is shown only when it disagrees with the ring it sits in.
    if (cpuByte !== ring) e.fields.cpu_byte = cpuByte;
    e.text = `byte ${off}: CPU${ring} idx=${slot} ${e.text}`;
    return e;
  }

  summary(): Summary {
    return this.table.summary();
  }

  event(n: number): EventRecord {
    return this.fix(this.table.event(n));
  }

  events(from: number, count: number): EventRecord[] {
    return this.table.events(from, count).map((e) => this.fix(e));
  }

  filter(type: string, from: number, limit: number, visit: (e: EventRecord) => boolean | void): void {
    this.table.filter(type, from, limit, (e) => visit(this.fix(e)));
  }

  close(): void {
    this.table.close();
  }
}
