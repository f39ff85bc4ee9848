/**
 * One run as diff sees it: its detected format, its counts per event type,
 * and its normalized line (or event) sequence as integer ids shared by every
 * run of the comparison, so alignment and set arithmetic never touch strings.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { openForQuery, type IndexContext } from '../../index/bundle-cache.js';
import { plainInput } from '../../index/plain-input.js';
import type { EventSource } from '../../model/source.js';
import { UserError } from '../../util/errors.js';
import { U32List } from '../../util/growable.js';
import { forEachLine } from '../../util/lines.js';
import { normalizeEvent, normalizeLine } from './normalize.js';

/** Event streams longer than this are compared on their first events only (type counts still cover all). */
export const DEFAULT_MAX_EVENTS = 2_000_000;
/** Events decoded per batch when reading an event stream. */
const EVENT_BATCH = 8192;

/** Formats read as one event model under two reader ids compare with each other. */
const SAME_KIND: Record<string, string> = { 'tii-ftrace': 'tii', 'tii-console': 'tii' };
/** Formats compared event by event; every other format is compared line by line. */
const EVENT_KINDS = new Set(['tii', 'breenix-trace']);

export function kindOf(format: string): string {
  return SAME_KIND[format] ?? format;
}

/** Normalized strings ↔ dense ids, shared by all runs of one comparison. */
export class Interner {
  private readonly map = new Map<string, number>();
  readonly texts: string[] = [];
  id(s: string): number {
    let v = this.map.get(s);
    if (v === undefined) {
      v = this.texts.length;
      this.map.set(s, v);
      this.texts.push(s);
    }
    return v;
  }
  get size(): number {
    return this.texts.length;
  }
}

export interface RunInfo {
  /** As the user named it. */
  path: string;
  format: string;
  /** `line`: text logs, positions are 1-based line numbers; `event`: binary streams, 0-based event indexes. */
  unit: 'line' | 'event';
  /** Lines in the file, or events in the stream. */
  total: number;
  /** Entries in the compared sequence (blank lines are skipped; long streams are cut at max events). */
  compared: number;
  /** The stream was cut at max events. */
  cut: boolean;
  types: Record<string, number>;
  events: number;
}

export interface Run {
  info: RunInfo;
  /** Normalized-entry id per compared entry. */
  ids: Uint32Array;
  /** Line number or event index per compared entry. */
  pos: Uint32Array;
  /** The decompressed input (text runs), for showing original lines. */
  plain: string;
  /** Open until `closeRun`: event runs show their events' text from it. */
  source: EventSource;
}

export interface ReadOptions {
  /** Where bundles go (one subfolder per input); default beside each input, or the temp dir when that is not writable. */
  bundleDir?: string;
  maxEvents?: number;
  ctx?: IndexContext;
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The bundle directory for an input: under `bundleDir` when given (inputs
 * from many folders, one place for their indexes), beside the input when its
 * folder is writable, else under the temp dir (CI artifacts are often read-only).
 */
export function bundleOutFor(path: string, bundleDir?: string): string | undefined {
  const key = createHash('sha1').update(resolve(path)).digest('hex').slice(0, 10);
  if (bundleDir) {
    mkdirSync(bundleDir, { recursive: true });
    return join(bundleDir, `${basename(path)}-${key}.kscope`);
  }
  if (writable(dirname(resolve(path)))) return undefined;
  mkdirSync(join(tmpdir(), 'kscope-bundles'), { recursive: true });
  return join(tmpdir(), 'kscope-bundles', `${basename(path)}-${key}.kscope`);
}

/** Detects an input's format (building or reusing its index) without reading its sequence yet. */
export async function probeRun(path: string, opts: ReadOptions = {}): Promise<{ info: RunInfo; source: EventSource; plain: string }> {
  const o = await openForQuery(path, { out: bundleOutFor(path, opts.bundleDir) }, opts.ctx);
  const s = o.source.summary();
  const format = o.reader.id;
  const unit = EVENT_KINDS.has(kindOf(format)) ? 'event' : 'line';
  // A bundle given instead of its input: the lines are read from the input it indexes.
  const plain = unit === 'line' ? await plainInput(o.input) : '';
  return {
    info: { path, format, unit, total: unit === 'event' ? o.source.count : 0, compared: 0, cut: false, types: { ...s.types }, events: s.events },
    source: o.source,
    plain,
  };
}

/** Refuses runs of different kinds with one line naming both formats. */
export function checkSameKind(runs: RunInfo[]): void {
  const first = runs[0];
  for (const r of runs.slice(1)) {
    if (kindOf(r.format) !== kindOf(first.format)) {
      throw new UserError(`cannot compare ${first.path} (${first.format}) with ${r.path} (${r.format}): diff needs artifacts of the same kind`);
    }
  }
}

/** Reads a probed run's normalized sequence into ids of `interner`; the source stays open for showing events. */
export function readRun(p: { info: RunInfo; source: EventSource; plain: string }, interner: Interner, opts: ReadOptions = {}): Run {
  const ids = new U32List(1 << 14);
  const pos = new U32List(1 << 14);
  const info = { ...p.info };
  if (info.unit === 'line') {
    const { lines } = forEachLine(p.plain, (buf, s, e, lineNo, _off, piece) => {
      // Pieces of an over-long line are one line: only its first piece is compared.
      if (piece > 1) return;
      const n = normalizeLine(buf.toString('utf8', s, e));
      if (n === '') return;
      ids.push(interner.id(n));
      pos.push(lineNo);
    });
    info.total = lines;
  } else {
    const max = Math.min(p.source.count, opts.maxEvents ?? DEFAULT_MAX_EVENTS);
    for (let from = 0; from < max; from += EVENT_BATCH) {
      for (const e of p.source.events(from, Math.min(EVENT_BATCH, max - from))) {
        ids.push(interner.id(normalizeEvent(e.type, e.text, e.fields)));
        pos.push(e.index);
      }
    }
    info.cut = max < p.source.count;
  }
  info.compared = ids.length;
  return { info, ids: ids.toArray(), pos: pos.toArray(), plain: p.plain, source: p.source };
}

/** Original text (cleaned) of the given line numbers of a text run, read in one pass. */
export function linesOf(plain: string, wanted: Iterable<number>, clean: (s: string) => string): Map<number, string> {
  const want = new Set(wanted);
  const out = new Map<number, string>();
  if (want.size === 0) return out;
  forEachLine(plain, (buf, s, e, lineNo, _off, piece) => {
    if (piece > 1 || !want.has(lineNo)) return;
    // Shown lines are capped: one megabyte of binary junk is not worth printing.
    out.set(lineNo, clean(buf.toString('utf8', s, Math.min(e, s + 4096))));
  });
  return out;
}
