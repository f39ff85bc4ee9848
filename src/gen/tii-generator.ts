import { crc32 } from 'node:zlib';
import { DEFAULT_TII_SPEC, compileSpec, lz4EncodeBlock, START_MARK, END_MARK } from '../formats/tii-ftrace/index.js';
import type { CompiledSpec } from '../formats/tii-ftrace/spec.js';
import { rng } from '../util/rng.js';

/**
 * Deterministic synthetic TII streams with ground truth, for tests and
 * benchmarks. The mix follows the user's real dump: deeply nested function
 * enter/exit, VMID switches, every marker, more KERNEL_EXIT than
 * KERNEL_ENTRY (only the slow path logs an entry), durations all 0.
 */
export interface TiiGenOptions {
  words: number;
  seed?: number;
  /** Distinct function ids in use (the dictionary gets all but `missingIds`). */
  functions?: number;
  missingIds?: number;
  vmids?: number;
  zeroDurations?: boolean;
  /** Emit some words that no marker table knows (0xFF10). */
  unknownMarkers?: boolean;
  /** Record every event's type, offset and VMID (costs 7 bytes per event). */
  truth?: boolean;
}

export interface TiiTruth {
  events: number;
  counts: Record<string, number>;
  type?: Uint8Array;
  offset?: Uint32Array;
  vmid?: Int16Array;
}

export interface TiiGenerated {
  words: Uint16Array;
  truth: TiiTruth;
  /** Function id → address for the dictionary. */
  dictionary: Map<number, bigint>;
  spec: CompiledSpec;
}

const FIRST_FN_ID = 256; // exit words of lower ids would read as VMID switches
const UNKNOWN_WORD = 0xff10;

export function generateTii(opts: TiiGenOptions): TiiGenerated {
  const spec = compileSpec(DEFAULT_TII_SPEC);
  const total = opts.words;
  const rand = rng(opts.seed ?? 1);
  const nFn = Math.min(opts.functions ?? 2000, 32000);
  const missing = Math.min(opts.missingIds ?? 3, nFn);
  const nVm = opts.vmids ?? 3;
  const words = new Uint16Array(total);
  const byName = new Map(spec.markers.map((m) => [m.name, m]));
  const typeId = new Map(spec.typeNames.map((n, i) => [n, i]));
  const counts = new Float64Array(spec.typeNames.length);
  const estEvents = opts.truth ? Math.ceil(total) : 0;
  const tType = opts.truth ? new Uint8Array(estEvents) : undefined;
  const tOff = opts.truth ? new Uint32Array(estEvents) : undefined;
  const tVm = opts.truth ? new Int16Array(estEvents) : undefined;
  let ev = 0;
  let pos = 0;
  let vmid = -1;
  const stack: number[] = [];

  const emit = (t: number, w0: number, payload?: (k: number) => number, len = 1) => {
    if (t === typeId.get('VMID')) vmid = w0 >>> 1;
    if (tType) {
      tType[ev] = t;
      tOff![ev] = pos;
      tVm![ev] = vmid;
    }
    words[pos] = w0;
    for (let k = 1; k < len; k++) words[pos + k] = payload ? payload(k - 1) & 0xffff : 0;
    pos += len;
    counts[t]++;
    ev++;
  };
  const marker = (name: string, payload: (k: number) => number) => {
    const m = byName.get(name)!;
    emit(typeId.get(name)!, m.word, payload, m.words);
  };
  const anyWord = () => Math.floor(rand() * 65536);
  const fnId = () => FIRST_FN_ID + Math.floor(Math.pow(rand(), 2) * nFn);
  const enter = (id: number) => {
    stack.push(id);
    emit(0, (id << 1) | 1);
  };
  const exit = () => emit(1, (stack.pop() ?? fnId()) << 1);
  const kernelExit = () => marker('KERNEL_EXIT', (k) => (opts.zeroDurations === false ? (k === 0 ? 100 + Math.floor(rand() * 5000) : 0) : 0));
  const kernelEntry = () => {
    const path = rand() < 0.8 ? 6 : Math.floor(rand() * 8);
    const sys = 1 + Math.floor(rand() * 8);
    const cap = Math.floor(rand() * 32);
    const tag = Math.floor(rand() * (1 << 19));
    marker('KERNEL_ENTRY', (k) => (k === 0 ? path | (sys << 3) | (cap << 7) | ((rand() < 0.1 ? 1 : 0) << 12) : k === 1 ? tag & 0xffff : tag >>> 16));
  };
  // Every marker once, early, so no type is missing from any stream big enough to hold them.
  const rare = spec.markers.map((m) => m.name).filter((n) => !['INTERRUPT', 'KERNEL_ENTRY', 'KERNEL_EXIT'].includes(n));
  let rareNext = 0;

  while (pos < total) {
    const left = total - pos;
    if (left < spec.maxLen + 1) {
      // Fill the end with one-word events so the stream has exactly `total` words.
      if (stack.length && rand() < 0.5) exit();
      else enter(fnId());
      continue;
    }
    if (rareNext < rare.length && rand() < 0.01) {
      marker(rare[rareNext++], anyWord);
      continue;
    }
    const r = rand();
    if (r < 0.44) enter(fnId());
    else if (r < 0.88) {
      if (stack.length) exit();
      else enter(fnId());
    } else if (r < 0.8805) {
      kernelEntry();
      enter(fnId());
      exit();
      kernelExit();
    } else if (r < 0.88055) {
      kernelExit(); // fastpath: exit without a logged entry
    } else if (r < 0.8806 && nVm > 0) {
      emit(2, Math.floor(rand() * nVm) << 1);
    } else if (r < 0.88065) {
      const names = ['SYSCALL', 'THREAD', 'VSPACE', 'SAFE_PTE', 'INIT_PT', 'CREATE_OBJ', 'PT_MAP', 'RETYPE', 'VM_FAULT', 'USER_FAULT', 'TRACEPOINT'];
      marker(names[Math.floor(rand() * names.length)], anyWord);
    } else if (opts.unknownMarkers && r < 0.880651) {
      emit(3, UNKNOWN_WORD);
    } else {
      enter(fnId());
      exit();
    }
  }
  const dictionary = new Map<number, bigint>();
  for (let id = FIRST_FN_ID; id < FIRST_FN_ID + nFn; id++) {
    if (id >= FIRST_FN_ID + nFn - missing) break;
    dictionary.set(id, 0xffffff8040000000n + BigInt(id) * 0x40n);
  }
  const countsByName: Record<string, number> = {};
  spec.typeNames.forEach((n, i) => (countsByName[n] = counts[i]));
  return {
    words,
    spec,
    dictionary,
    truth: {
      events: ev,
      counts: countsByName,
      type: tType?.subarray(0, ev),
      offset: tOff?.subarray(0, ev),
      vmid: tVm?.subarray(0, ev),
    },
  };
}

/** The `ftrace.meta` JSON the user's pipeline writes beside ftrace.bin. */
export function metaJson(g: TiiGenerated): string {
  const dict = [...g.dictionary].map(([id, a]) => `"${id}": ${a.toString()}`).join(', ');
  const header = {
    VERSION: 3, TYPE: 'FTRACE_STREAM', ENTRIES: g.words.length, TOTAL_ENTRIES: g.words.length, TOTAL_LOGGED: g.words.length,
    OVERFLOW: false, STORAGE_FULL: false, DICT_SIZE: g.dictionary.size, RAW_SIZE: g.words.length * 2, DUMP_REASON: 'FINALIZE', DUMP_REASON_CODE: 1,
  };
  return `{"header": ${JSON.stringify(header)}, "dictionary": {${dict}}, "raw_size": ${g.words.length * 2}, "entry_count": ${g.words.length}}\n`;
}

export interface DumpOptions {
  version?: 1 | 2 | 3;
  /** Words per LZ4 block (version 3). */
  blockWords?: number;
  /** Words at the end sent uncompressed as TAIL_RAW_ENTRIES (version 3). */
  tailWords?: number;
  lineWidth?: number;
}

/** push(...src) without the spread: a 90 M-word dump has millions of lines, more arguments than the stack takes. */
function append(dst: string[], src: string[]): void {
  for (const x of src) dst.push(x);
}

function base64Lines(bytes: Buffer, width: number): string[] {
  const b64 = bytes.toString('base64');
  const out: string[] = [];
  for (let i = 0; i < b64.length; i += width) out.push(b64.slice(i, i + width));
  return out;
}

/** The framed text dump the kernel prints over the UART (`=== BINARY TRANSFER START ===` …). */
export function dumpLines(words: Uint16Array, dictionary: Map<number, bigint>, opts: DumpOptions = {}): string[] {
  const version = opts.version ?? 3;
  const width = opts.lineWidth ?? 76;
  const bytes = Buffer.from(words.buffer, words.byteOffset, words.byteLength);
  const lines = [START_MARK];
  const header: [string, string | number][] = [
    ['VERSION', version], ['TYPE', 'FTRACE_STREAM'], ['ENTRIES', words.length], ['TOTAL_ENTRIES', words.length],
    ['TOTAL_LOGGED', words.length], ['DICT_SIZE', dictionary.size], ['RAW_SIZE', bytes.length],
  ];
  const data: string[] = [];
  if (version === 3) {
    const bw = opts.blockWords ?? 32768;
    const tail = Math.min(opts.tailWords ?? 0, words.length);
    const body = words.length - tail;
    let seq = 0;
    let compressedTotal = 0;
    for (let s = 0; s < body; s += bw) {
      const chunk = bytes.subarray(s * 2, Math.min(body, s + bw) * 2);
      const c = lz4EncodeBlock(chunk);
      compressedTotal += c.length;
      data.push(`BLOCK:${seq++}:${c.length}:${chunk.length}`, ...base64Lines(c, width));
    }
    if (tail > 0) {
      data.push(`TAIL_RAW_ENTRIES:${tail}`);
      append(data, base64Lines(bytes.subarray(body * 2), width));
    }
    header.push(['BLOCKS', seq], ['TOTAL_COMPRESSED', compressedTotal]);
  } else if (version === 2) {
    const c = lz4EncodeBlock(bytes);
    header.push(['COMPRESSED_SIZE', c.length]);
    append(data, base64Lines(c, width));
  } else {
    append(data, base64Lines(bytes, width));
  }
  for (const [k, v] of header) lines.push(`${k}: ${v}`);
  lines.push('===');
  for (const [id, a] of dictionary) lines.push(`${id}:${a.toString(16)}`);
  lines.push('===');
  append(lines, data);
  lines.push('===', `CHECKSUM: ${crc32(bytes).toString(16).padStart(8, '0')}`, END_MARK);
  return lines;
}

/** A serial console log around one or more dumps, as a seL4 test run prints it. */
export function consoleLog(dumps: string[][]): string {
  const out = ['ELF-loader started on CPU: ARM Ltd. Cortex-A57 r1p0', 'Bootstrapping kernel', 'Booting all finished, dropped to user space', 'Starting test suite sel4test'];
  dumps.forEach((d, i) => {
    out.push(`Test suite passed. Dumping ftrace buffer (${i + 1})`);
    append(out, d);
  });
  out.push('All is well in the universe');
  return out.join('\n') + '\n';
}
