import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { UserError } from '../../util/errors.js';
import { DEFAULT_TII_SPEC } from './default-spec.js';

/** A run of bits taken from one payload word (word 0 = first word after the marker). */
export interface BitPart {
  word: number;
  lo: number;
  width: number;
}

/**
 * One decoded field. `words: [0,1,2]` concatenates whole 16-bit words, low
 * word first; `parts` takes bit ranges; `raw` keeps the words as an array.
 */
export interface FieldSpecInput {
  name: string;
  words?: number[];
  parts?: BitPart[];
  raw?: number[];
  hex?: boolean;
  bool?: boolean;
  enum?: Record<string, string>;
  /** Count events per value in the summary. */
  histogram?: boolean;
  /** Keep min/max/zero counts in the summary. */
  stats?: boolean;
}

export interface MarkerSpecInput {
  name: string;
  word: number;
  words: number;
  label?: string;
  /** Display template: `{field}` is replaced by the field's shown value. */
  text?: string;
  fields?: FieldSpecInput[];
}

/** The word-class rule: which 16-bit words are markers, VMID switches or function events. */
export interface TiiSpecInput {
  name?: string;
  classes: {
    marker: { min: number };
    vmid: { max: number; shift: number };
    function: { shift: number; enter: 'odd' | 'even' };
  };
  markers: MarkerSpecInput[];
}

export interface FieldSpec {
  name: string;
  parts: BitPart[];
  /** Bit parts flattened for the hot path: [payload word, lo bit, mask, scale] × n. */
  flat: Float64Array;
  raw?: number[];
  hex: boolean;
  bool: boolean;
  enumNames?: Map<number, string>;
  histogram: boolean;
  stats: boolean;
}

export interface MarkerSpec {
  name: string;
  word: number;
  words: number;
  label: string;
  text?: string;
  fields: FieldSpec[];
}

/** Type ids fixed by the word-class rule; markers follow from FIRST_MARKER on. */
export const FUNC_ENTER = 0;
export const FUNC_EXIT = 1;
export const VMID = 2;
export const UNKNOWN_MARKER = 3;
export const FIRST_MARKER = 4;

/** A spec compiled to per-word lookup tables for the decoder's hot loop. */
export interface CompiledSpec {
  source: TiiSpecInput;
  /** sha1 of the spec JSON, so a bundle built with another spec is rebuilt. */
  hash: string;
  typeNames: string[];
  markers: MarkerSpec[];
  /** Type id for every 16-bit word value. */
  typeOf: Uint8Array;
  /** Event length in words for every 16-bit word value. */
  lenOf: Uint8Array;
  maxLen: number;
  fnShift: number;
  vmidShift: number;
}

const NAME_RE = /^[A-Z][A-Z0-9_]*$/;

function fail(file: string, path: string, expected: string): never {
  throw new UserError(`${file}: ${path}: expected ${expected}`);
}

function isInt(v: unknown, lo: number, hi: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
}

function compileField(file: string, path: string, f: FieldSpecInput, payloadWords: number): FieldSpec {
  if (typeof f !== 'object' || f === null) fail(file, path, 'an object');
  if (typeof f.name !== 'string' || !/^[a-z_][a-z0-9_]*$/.test(f.name)) fail(file, `${path}.name`, 'a snake_case name');
  let parts: BitPart[] = [];
  const checkWord = (w: unknown, p: string) => {
    if (!isInt(w, 0, payloadWords - 1)) fail(file, p, `a payload word index 0..${payloadWords - 1}`);
  };
  if (f.words !== undefined) {
    if (!Array.isArray(f.words) || f.words.length === 0 || f.words.length > 3) fail(file, `${path}.words`, 'an array of 1 to 3 word indexes');
    f.words.forEach((w, i) => checkWord(w, `${path}.words[${i}]`));
    parts = f.words.map((w) => ({ word: w, lo: 0, width: 16 }));
  } else if (f.parts !== undefined) {
    if (!Array.isArray(f.parts) || f.parts.length === 0) fail(file, `${path}.parts`, 'a non-empty array');
    let total = 0;
    f.parts.forEach((p, i) => {
      checkWord(p.word, `${path}.parts[${i}].word`);
      if (!isInt(p.lo, 0, 15)) fail(file, `${path}.parts[${i}].lo`, 'a bit number 0..15');
      if (!isInt(p.width, 1, 16 - p.lo)) fail(file, `${path}.parts[${i}].width`, `a width 1..${16 - p.lo}`);
      total += p.width;
    });
    if (total > 52) fail(file, `${path}.parts`, 'at most 52 bits in all');
    parts = f.parts.map((p) => ({ word: p.word, lo: p.lo, width: p.width }));
  } else if (f.raw !== undefined) {
    if (!Array.isArray(f.raw) || f.raw.length === 0) fail(file, `${path}.raw`, 'a non-empty array of word indexes');
    f.raw.forEach((w, i) => checkWord(w, `${path}.raw[${i}]`));
  } else {
    fail(file, path, 'one of "words", "parts" or "raw"');
  }
  let enumNames: Map<number, string> | undefined;
  if (f.enum !== undefined) {
    if (typeof f.enum !== 'object' || f.enum === null) fail(file, `${path}.enum`, 'an object of value → name');
    enumNames = new Map();
    for (const [k, v] of Object.entries(f.enum)) {
      if (!/^\d+$/.test(k) || typeof v !== 'string') fail(file, `${path}.enum`, 'keys that are integers and string names');
      enumNames.set(Number(k), v);
    }
  }
  const flat = new Float64Array(parts.length * 4);
  let scale = 1;
  parts.forEach((p, k) => {
    flat.set([p.word + 1, p.lo, p.width === 16 ? 0xffff : (1 << p.width) - 1, scale], k * 4);
    scale *= 2 ** p.width;
  });
  return {
    name: f.name,
    parts,
    flat,
    raw: f.raw ? [...f.raw] : undefined,
    hex: f.hex === true,
    bool: f.bool === true,
    enumNames,
    histogram: f.histogram === true,
    stats: f.stats === true,
  };
}

/** Validates a spec and builds the lookup tables; every error names the JSON path. */
export function compileSpec(input: TiiSpecInput, file = 'format spec'): CompiledSpec {
  if (typeof input !== 'object' || input === null) fail(file, '(top)', 'a JSON object');
  const c = input.classes;
  if (typeof c !== 'object' || c === null) fail(file, 'classes', 'an object with marker, vmid and function');
  if (!isInt(c.marker?.min, 2, 0xffff)) fail(file, 'classes.marker.min', 'an integer 2..65535');
  if (!isInt(c.vmid?.max, 0, 0xffff)) fail(file, 'classes.vmid.max', 'an integer 0..65535');
  if (!isInt(c.vmid?.shift, 0, 15)) fail(file, 'classes.vmid.shift', 'an integer 0..15');
  if (!isInt(c.function?.shift, 0, 15)) fail(file, 'classes.function.shift', 'an integer 0..15');
  if (c.function.enter !== 'odd' && c.function.enter !== 'even') fail(file, 'classes.function.enter', '"odd" or "even"');
  if (c.vmid.max >= c.marker.min) fail(file, 'classes.vmid.max', 'a value below classes.marker.min');
  if (!Array.isArray(input.markers)) fail(file, 'markers', 'an array');

  const typeNames = ['FUNC_ENTER', 'FUNC_EXIT', 'VMID', 'UNKNOWN_MARKER'];
  const markers: MarkerSpec[] = [];
  const seenWords = new Set<number>();
  input.markers.forEach((m, i) => {
    const p = `markers[${i}]`;
    if (typeof m !== 'object' || m === null) fail(file, p, 'an object');
    if (typeof m.name !== 'string' || !NAME_RE.test(m.name)) fail(file, `${p}.name`, 'an UPPER_SNAKE name');
    if (typeNames.includes(m.name)) fail(file, `${p}.name`, `a name not used twice (${m.name})`);
    if (!isInt(m.word, c.marker.min, 0xffff) || m.word % 2 !== 0) fail(file, `${p}.word`, `an even word >= ${c.marker.min}`);
    if (seenWords.has(m.word)) fail(file, `${p}.word`, 'a word not used by another marker');
    if (!isInt(m.words, 1, 255)) fail(file, `${p}.words`, 'a length 1..255 in words, marker included');
    if (m.text !== undefined && typeof m.text !== 'string') fail(file, `${p}.text`, 'a string');
    seenWords.add(m.word);
    typeNames.push(m.name);
    markers.push({
      name: m.name,
      word: m.word,
      words: m.words,
      label: typeof m.label === 'string' ? m.label : m.name,
      text: m.text,
      fields: (m.fields ?? []).map((f, j) => compileField(file, `${p}.fields[${j}]`, f, m.words - 1)),
    });
  });
  if (typeNames.length > 255) fail(file, 'markers', 'at most 251 markers');

  const typeOf = new Uint8Array(65536);
  const lenOf = new Uint8Array(65536).fill(1);
  const enterParity = c.function.enter === 'odd' ? 1 : 0;
  for (let w = 0; w < 65536; w++) {
    const even = (w & 1) === 0;
    if (even && w >= c.marker.min) typeOf[w] = UNKNOWN_MARKER;
    else if (even && w <= c.vmid.max) typeOf[w] = VMID;
    else typeOf[w] = (w & 1) === enterParity ? FUNC_ENTER : FUNC_EXIT;
  }
  markers.forEach((m, i) => {
    typeOf[m.word] = FIRST_MARKER + i;
    lenOf[m.word] = m.words;
  });
  return {
    source: input,
    hash: specHash(input),
    typeNames,
    markers,
    typeOf,
    lenOf,
    maxLen: Math.max(1, ...markers.map((m) => m.words)),
    fnShift: c.function.shift,
    vmidShift: c.vmid.shift,
  };
}

/** Identity of a spec, for bundle keys: cheap, no tables built. */
export function specHash(input: TiiSpecInput): string {
  return createHash('sha1').update(JSON.stringify(input)).digest('hex');
}

/** The spec as given (default or `--format-spec FILE`), parsed but not yet validated. */
export function readSpecInput(file?: string): TiiSpecInput {
  if (!file) return DEFAULT_TII_SPEC;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`${file}: cannot read format spec (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  return json as TiiSpecInput;
}

export function loadSpec(file?: string): CompiledSpec {
  return compileSpec(readSpecInput(file), file ?? 'default spec');
}
