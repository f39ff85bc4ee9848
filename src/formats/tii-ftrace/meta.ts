import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../../util/errors.js';

/** Contents of `ftrace.meta` (or a dump's header + dictionary). Unknown keys are kept in `extra`. */
export interface TiiMeta {
  header: Record<string, string | number | boolean>;
  /** Function id → kernel address (exact: addresses exceed 2^53). */
  dictionary: Map<number, bigint>;
  rawSize?: number;
  entryCount?: number;
  extra: Record<string, unknown>;
}

export function emptyMeta(): TiiMeta {
  return { header: {}, dictionary: new Map(), extra: {} };
}

/** The sidecar beside `ftrace.bin`: `<name>.meta` or `ftrace.meta` in the same folder. */
export function findMetaBeside(binPath: string): string | undefined {
  const dir = dirname(binPath);
  const base = basename(binPath).replace(/\.bin$/, '');
  for (const cand of [join(dir, `${base}.meta`), join(dir, 'ftrace.meta')]) if (existsSync(cand)) return cand;
  return undefined;
}

/**
 * Parses ftrace.meta. The dictionary is read from the raw text because its
 * addresses (0xffffff80…) do not survive JSON numbers' 53-bit precision.
 */
export function readMetaFile(path: string): TiiMeta {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`${path}: cannot read meta file (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new UserError(`${path}: meta file is not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new UserError(`${path}: meta file: expected a JSON object`);
  const meta = emptyMeta();
  const { header, dictionary, raw_size, entry_count, ...extra } = json;
  meta.extra = extra;
  if (header && typeof header === 'object') {
    for (const [k, v] of Object.entries(header)) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') meta.header[k] = v;
    }
  }
  if (typeof raw_size === 'number') meta.rawSize = raw_size;
  if (typeof entry_count === 'number') meta.entryCount = entry_count;
  if (dictionary && typeof dictionary === 'object') {
    const start = text.indexOf('"dictionary"');
    const open = text.indexOf('{', start);
    const close = text.indexOf('}', open);
    const body = text.slice(open + 1, close);
    for (const m of body.matchAll(/"(\d+)"\s*:\s*(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g)) {
      const exact = /^\d+$/.test(m[2]) ? BigInt(m[2]) : BigInt(Math.round(Number(m[2])));
      meta.dictionary.set(Number(m[1]), exact);
    }
  }
  return meta;
}
