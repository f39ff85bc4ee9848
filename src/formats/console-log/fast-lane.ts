import { readFileSync } from 'node:fs';
import type { LineSplitter } from '../../util/lines.js';
import { CLASS } from './family.js';
import { plainKnownTypes, unknownNameLabel } from './families/breenix-trace.js';

/** Built by `npm run build` from wasm/console-scan.ts (AssemblyScript). */
const WASM = new URL('../../../wasm/console-scan.wasm', import.meta.url);

let module: WebAssembly.Module | null = null;

/** Where subsystem names get their ids (an event table: a method, so every thread's call has one target). */
interface SubTable {
  subId(name: string): number;
}

interface Exports {
  memory: WebAssembly.Memory;
  split(s: number, end: number, dumpSeen: number, search: number): number;
  watch(m: number, k1: number, k2: number): void;
  next: WebAssembly.Global;
  seen: WebAssembly.Global;
  others: WebAssembly.Global;
  events: WebAssembly.Global;
  [layout: string]: unknown;
}

/** How common a byte is in console text, roughly: spaces, `=`, lowercase and digits most; capitals and rare punctuation least. */
function commonness(c: number): number {
  if (c === 32 || c === 61) return 3;
  if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57)) return 2;
  if (c >= 65 && c <= 90) return 1;
  return 0;
}

/** Two positions of the needle whose bytes differ and are rare in logs: the ones `find` filters candidates by. */
function probes(needle: Uint8Array): [number, number] {
  const order = [...needle.keys()].sort((x, y) => commonness(needle[x]) - commonness(needle[y]) || x - y);
  const first = order[0] ?? 0;
  const second = order.find((k) => needle[k] !== needle[first]) ?? needle.length - 1;
  return [first, Math.max(0, second)];
}

/**
 * The console indexer's WebAssembly line splitter and fast lane
 * (wasm/console-scan.ts): it splits each read into lines and classifies the
 * commonest ones itself — line k's `kind[k]` is one of the module's KIND_*
 * (`kinds`), its event type `type[k]` (as set by `types`), with the row's
 * values in ts, aux, cpu and the subsystem's bytes in [subStart, subEnd); a
 * ring event's tick count in ts, type id in aux and slot in slot. OTHER
 * lines, listed in `other[0, others)`, are the JavaScript families' to
 * classify. One per thread: the read buffer lives in the module's memory.
 */
export class FastLane implements LineSplitter {
  readonly buf: Buffer;
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
  readonly kind: Uint8Array;
  readonly ts: Float64Array;
  readonly aux: Float64Array;
  readonly cpu: Float64Array;
  readonly subStart: Uint32Array;
  readonly subEnd: Uint32Array;
  readonly slot: Uint16Array;
  readonly type: Uint8Array;
  /** The rows of the last split's OTHER lines, `others` of them, and per OTHER line the EVENT lines before it (`events` in all). */
  readonly other: Uint16Array;
  readonly eventsBefore: Uint16Array;
  others = 0;
  events = 0;
  /** Where each row's subsystem sits in the module's subsystem slots: see `subIds`. */
  readonly subRef: Uint16Array;
  next = 0;
  /** The module's KIND_* numbers. */
  readonly kinds: Record<'OTHER' | 'EVENT' | 'PRINTK' | 'KLOG' | 'TEST' | 'TAGGED' | 'LINE', number>;
  private readonly x: Exports;
  seen = -1;
  private readonly needle: Uint8Array;
  private watching = false;
  /** Per subsystem slot, the id the table gave the bytes the slot holds. */
  private readonly slotIds: Int32Array;
  private readonly SUB_NEW: number;
  private readonly SUB_NONE: number;
  private readonly SUB_LONG: number;
  private readonly SUB_EVENT: number;
  private readonly typeOf: Uint8Array;

  /** `dumpMark.found` true leaves plain lines to the families (they count dump marks in them). */
  constructor(private readonly dumpMark?: { found: boolean }) {
    module ??= new WebAssembly.Module(readFileSync(WASM));
    const x = new WebAssembly.Instance(module).exports as unknown as Exports;
    this.x = x;
    const mem = x.memory.buffer;
    const at = (name: string) => (x[name] as WebAssembly.Global).value as number;
    const rows = at('MAX_LINES');
    this.buf = Buffer.from(mem, at('INPUT'), at('INPUT_BYTES'));
    this.starts = new Uint32Array(mem, at('R_START'), rows);
    this.ends = new Uint32Array(mem, at('R_END'), rows);
    this.kind = new Uint8Array(mem, at('R_KIND'), rows);
    this.ts = new Float64Array(mem, at('R_TS'), rows);
    this.aux = new Float64Array(mem, at('R_AUX'), rows);
    this.cpu = new Float64Array(mem, at('R_CPU'), rows);
    this.subStart = new Uint32Array(mem, at('R_SUB_START'), rows);
    this.subEnd = new Uint32Array(mem, at('R_SUB_END'), rows);
    this.slot = new Uint16Array(mem, at('R_SLOT'), rows);
    this.subRef = new Uint16Array(mem, at('R_SUB_REF'), rows);
    this.type = new Uint8Array(mem, at('R_TYPE'), rows);
    this.other = new Uint16Array(mem, at('R_OTHER'), rows);
    this.eventsBefore = new Uint16Array(mem, at('R_EVENTS'), rows);
    if (at('SUBS') < at('R_EVENTS') + 2 * rows) throw new Error('console-scan.wasm: result rows overlap the subsystem slots');
    this.typeOf = new Uint8Array(mem, at('TYPES'), 16);
    this.slotIds = new Int32Array(at('SUB_SLOTS'));
    this.SUB_NEW = at('SUB_NEW');
    this.SUB_NONE = at('SUB_NONE');
    this.SUB_LONG = at('SUB_LONG');
    this.SUB_EVENT = at('SUB_EVENT');
    this.needle = new Uint8Array(mem, at('NEEDLE'), at('NEEDLE_BYTES'));
    this.kinds = { OTHER: at('KIND_OTHER'), EVENT: at('KIND_EVENT'), PRINTK: at('KIND_PRINTK'), KLOG: at('KIND_KLOG'), TEST: at('KIND_TEST'), TAGGED: at('KIND_TAGGED'), LINE: at('KIND_LINE') };
    new Uint8Array(mem, at('CLASS'), 256).set(CLASS);
    // The known types' `NAME label=` bytes, and per id where they are (offset << 16 | length).
    const known = new Uint32Array(mem, at('KNOWN'), 1 << 16);
    const blob = new Uint8Array(mem, at('BLOB'), at('BLOB_BYTES'));
    const unknown = unknownNameLabel();
    new Uint8Array(mem, at('UNKNOWN_TYPE'), 1 + unknown.length).set([unknown.length, ...unknown]);
    let off = 1; // 0 marks "no known type"
    for (const [id, bytes] of plainKnownTypes()) {
      // Offsets live in 16 bits.
      if (off + bytes.length > Math.min(blob.length, 0xffff)) continue;
      blob.set(bytes, off);
      known[id] = (off << 16) | bytes.length;
      off += bytes.length;
    }
  }

  /** The event type each kind of line the lane classifies is stored as (by kind number). */
  types(byKind: number[]): void {
    byKind.forEach((t, k) => (this.typeOf[k] = t));
  }

  /**
   * Rows [from, to)'s subsystem ids (none OTHER) into `out`, as `table`
   * interns them (0 for none; ring events get `eventSub`): a string is made
   * only when the module's slot for it took new bytes (rows are read in
   * order, so each slot's id follows its bytes), or for a subsystem too long
   * for a slot (rare).
   */
  subIds(from: number, to: number, table: SubTable, eventSub: number, out: Int32Array): void {
    const { subRef, slotIds } = this;
    const NEW = this.SUB_NEW;
    const EVENT = this.SUB_EVENT;
    for (let k = from; k < to; k++) {
      const r = subRef[k];
      // One store for all three: code optimized before the first ring event has its feedback.
      out[k] = r < NEW ? slotIds[r] : r === EVENT ? eventSub : this.newSub(k, r, table);
    }
  }

  private newSub(k: number, r: number, table: SubTable): number {
    if (r === this.SUB_NONE) return 0;
    const id = table.subId(this.buf.toString('latin1', this.subStart[k], this.subEnd[k]));
    if (r !== this.SUB_LONG) this.slotIds[r - this.SUB_NEW] = id;
    return id;
  }

  watch(needle: Uint8Array): boolean {
    if (needle.length === 0 || needle.length > this.needle.length || needle.includes(10) || needle.includes(13)) return false;
    this.needle.set(needle);
    const [k1, k2] = probes(needle);
    this.x.watch(needle.length, k1, k2);
    this.watching = true;
    return true;
  }

  split(s: number, end: number): number {
    const n = this.x.split(s, end, this.dumpMark?.found ? 1 : 0, this.watching ? 1 : 0);
    this.next = this.x.next.value as number;
    this.seen = this.x.seen.value as number;
    this.others = this.x.others.value as number;
    this.events = this.x.events.value as number;
    if (this.seen >= 0) this.watching = false;
    return n;
  }
}
