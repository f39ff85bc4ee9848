import { DROPPED_OFFSET, EVENT_BYTES, READ_IDX_OFFSET, RING_SLOTS, RING_STRIDE, WRITE_IDX_OFFSET } from './image.js';
import { rng } from '../../util/rng.js';

/*
 * Deterministic `TRACE_BUFFERS` images with ground truth. No real memory image
 * of Breenix is public, so the reader is tested against images written the
 * way the kernel writes them (§1.2): `slot = write_idx++ & 0x3FF`, newer
 * events overwrite older ones, dropped counts the overwritten slots.
 */

/** One ring to generate: how many events were ever written to it. */
export interface RingSpec {
  writeIdx: number;
  /** Override the trailer's dropped (default: max(0, writeIdx - 1024), what the kernel keeps). */
  dropped?: number;
  /** Override the trailer's write_idx without changing the events (to test disagreement). */
  claimWriteIdx?: number;
  /** Write this CPU id into the events instead of the ring's index. */
  cpuByte?: number;
}

export interface ImageSpec {
  seed: number;
  rings: RingSpec[];
  /** Ticks per event step (events get strictly increasing timestamps). */
  tickStep?: number;
}

/** One event as the reader must return it. */
export interface TruthEvent {
  ring: number;
  slot: number;
  /** Byte offset of the 16-byte record in the image. */
  offset: number;
  ticks: number;
  id: number;
  cpuByte: number;
  flags: number;
  payload: number;
}

export interface GeneratedImage {
  image: Buffer;
  /** Events in reader order: per ring, oldest slot first. */
  events: TruthEvent[];
  rings: { writeIdx: number; dropped: number; valid: number }[];
}

/** The ids the generator draws from: kernel-named, superset-only (printed UNKNOWN), and one nobody knows. */
export const GEN_IDS = [0x0001, 0x0102, 0x0300, 0x0301, 0x0012, 0x060b, 0xff46, 0xff47, 0xff48, 0xff49, 0x7777];

function writeU64(buf: Buffer, at: number, v: number): void {
  buf.writeUInt32LE(v % 2 ** 32, at);
  buf.writeUInt32LE(Math.floor(v / 2 ** 32), at + 4);
}

export function generateImage(spec: ImageSpec): GeneratedImage {
  const next = rng(spec.seed);
  const step = spec.tickStep ?? 62;
  const image = Buffer.alloc(spec.rings.length * RING_STRIDE);
  const events: TruthEvent[] = [];
  const rings: GeneratedImage['rings'] = [];
  spec.rings.forEach((r, ring) => {
    const base = ring * RING_STRIDE;
    const cpuByte = r.cpuByte ?? ring;
    // Every CPU starts at its own tick so rings interleave in time.
    let ts = 1000 + ring * 7 + Math.floor(next() * 1000);
    // Only the last 1024 writes survive; earlier ones only advance the clock.
    const first = Math.max(0, r.writeIdx - RING_SLOTS);
    ts += first * step;
    const kept: TruthEvent[] = [];
    for (let k = first; k < r.writeIdx; k++) {
      ts += 1 + Math.floor(next() * step);
      const id = GEN_IDS[Math.floor(next() * GEN_IDS.length)];
      const flags = next() < 0.05 ? 1 : 0;
      const payload = Math.floor(next() * 2 ** 32) >>> 0;
      const slot = k % RING_SLOTS;
      const at = base + slot * EVENT_BYTES;
      writeU64(image, at, ts);
      image.writeUInt16LE(id, at + 8);
      image[at + 10] = cpuByte;
      image[at + 11] = flags;
      image.writeUInt32LE(payload, at + 12);
      kept.push({ ring, slot, offset: at, ticks: ts, id, cpuByte, flags, payload });
    }
    const dropped = r.dropped ?? Math.max(0, r.writeIdx - RING_SLOTS);
    writeU64(image, base + WRITE_IDX_OFFSET, r.claimWriteIdx ?? r.writeIdx);
    writeU64(image, base + READ_IDX_OFFSET, 0);
    writeU64(image, base + DROPPED_OFFSET, dropped);
    events.push(...kept);
    rings.push({ writeIdx: r.claimWriteIdx ?? r.writeIdx, dropped, valid: kept.length });
  });
  return { image, events, rings };
}
