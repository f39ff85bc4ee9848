import type { EventRecord, FieldValue } from '../../model/event.js';
import { fieldValue } from './scanner.js';
import { FIRST_MARKER, FUNC_ENTER, FUNC_EXIT, UNKNOWN_MARKER, VMID, type CompiledSpec, type FieldSpec } from './spec.js';

/** Function id → kernel address (from the dictionary) and symbol name (from an ELF). */
export interface FunctionNames {
  /** A bigint when the address needs more than 53 bits (kernel addresses do). */
  address(id: number): number | bigint | undefined;
  symbol(id: number): string | undefined;
}

export function hex(v: number | bigint): string {
  return `0x${v.toString(16)}`;
}

function shown(f: FieldSpec, v: FieldValue): string {
  if (Array.isArray(v)) return `[${v.map(hex).join(' ')}]`;
  if (typeof v === 'number' && f.hex) return hex(v);
  return String(v);
}

/**
 * Decodes the event whose first word is words[i] into a record, with the
 * text line in the user's own style: `?:[51517274] KENTRY Syscall Call cap=1 tag=42`.
 */
export function decodeEvent(
  spec: CompiledSpec,
  words: Uint16Array,
  i: number,
  index: number,
  offset: number,
  vmid: number,
  names?: FunctionNames,
): EventRecord {
  const w = words[i];
  const t = spec.typeOf[w];
  const type = spec.typeNames[t];
  const fields: Record<string, FieldValue> = {};
  let body: string;
  if (t === FUNC_ENTER || t === FUNC_EXIT) {
    const id = w >>> spec.fnShift;
    fields.function_id = id;
    const addr = names?.address(id);
    const sym = names?.symbol(id);
    if (addr !== undefined) fields.address = hex(addr);
    if (sym !== undefined) fields.symbol = sym;
    const what = sym ?? (addr !== undefined ? hex(addr) : `fn#${id}`);
    body = `${t === FUNC_ENTER ? 'ENTER' : 'EXIT'} ${what}${sym !== undefined || addr !== undefined ? ` (id=${id})` : ''}`;
  } else if (t === VMID) {
    fields.vmid = w >>> spec.vmidShift;
    body = `VMID ${fields.vmid}`;
  } else if (t === UNKNOWN_MARKER) {
    fields.word = hex(w);
    body = `UNKNOWN_MARKER ${hex(w)}`;
  } else {
    const m = spec.markers[t - FIRST_MARKER];
    const shownByName: Record<string, string> = {};
    for (const f of m.fields) {
      let v: FieldValue;
      if (f.raw) v = f.raw.map((k) => words[i + 1 + k]);
      else {
        const n = fieldValue(words, i, f.flat);
        v = f.bool ? n !== 0 : n;
        const name = f.enumNames?.get(n);
        if (name !== undefined) fields[`${f.name}_name`] = name;
        shownByName[f.name] = name ?? shown(f, v);
      }
      fields[f.name] = typeof v === 'number' && f.hex ? hex(v) : v;
      shownByName[f.name] ??= shown(f, v);
    }
    body = m.text
      ? m.text.replace(/\{([a-z0-9_]+)\}/g, (_, k: string) => shownByName[k] ?? `{${k}}`)
      : [m.label, ...m.fields.map((f) => `${f.name}=${shownByName[f.name]}`)].join(' ');
  }
  return {
    index,
    type,
    offset,
    vmid: vmid < 0 ? null : vmid,
    fields,
    text: `${vmid < 0 ? '?' : vmid}:[${index}] ${body}`,
  };
}

const NO_SKIPS: readonly number[] = [];

/**
 * Walks events from words[i] (event `index`, VMID context `vmid` before it),
 * calling `visit` with each event's word position, type, index and context.
 * Stops when `visit` returns false or when the next event does not fit.
 * `skips` are [from, to) pairs of positions in `words`, ascending and at or
 * after `i`, where the index found no events (words lost from a dump); the
 * VMID context after one is unknown (-1), as the scanner has it.
 */
export function walkEvents(
  spec: CompiledSpec,
  words: Uint16Array,
  i: number,
  index: number,
  vmid: number,
  visit: (i: number, type: number, index: number, vmid: number) => boolean,
  skips = NO_SKIPS,
): void {
  const { typeOf, lenOf, vmidShift } = spec;
  const end = words.length;
  let g = 0;
  let nextSkip = skips.length ? skips[0] : Infinity;
  while (i < end) {
    if (i === nextSkip) {
      // A VMID switch may have been among the lost words: the context is unknown until the next one.
      vmid = -1;
      i = skips[g + 1];
      g += 2;
      nextSkip = g < skips.length ? skips[g] : Infinity;
      continue;
    }
    const w = words[i];
    const len = lenOf[w];
    if (i + len > end) return;
    const t = typeOf[w];
    if (t === VMID) vmid = w >>> vmidShift;
    if (!visit(i, t, index, vmid)) return;
    i += len;
    index++;
  }
}
