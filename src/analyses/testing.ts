// Test support for this folder's unit tests: real fixtures and Breenix captures, a scratch
// dir for generated inputs, diagnose in-process with bundles kept out of the repo, and a
// small in-memory event source for driving the runner with synthetic events.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { breenixEventTypes, breenixTypeHex } from '../model/breenix-names.js';
import type { EventRecord } from '../model/event.js';
import type { EventCursor, EventSource, Summary } from '../model/source.js';
import { diagnoseInput, type DiagnoseResult } from './diagnose.js';
import type { ExpectationSet } from './expect-file.js';
import type { Finding } from './types.js';

/** Compiled tests run from dist/src/analyses/, so the repo root is three levels up. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const LINUX = join(ROOT, 'test', 'fixtures', 'linux');
/** The shared Breenix captures sit beside the repo (`<repo>/../shared/samples/breenix`). */
export const BREENIX = join(ROOT, '..', 'shared', 'samples', 'breenix');

export function linux(name: string): string {
  return join(LINUX, name);
}

/** A Breenix capture, or null when the shared samples are not there (the caller skips with a message). */
export function breenix(name: string): string | null {
  const p = join(BREENIX, name);
  return existsSync(p) ? p : null;
}

export const NO_BREENIX = `shared Breenix samples not found at ${BREENIX}`;

let dir: string | null = null;
export function scratch(): string {
  if (!dir) dir = mkdtempSync(join(tmpdir(), 'kscope-analyses-'));
  return dir;
}
export function removeScratch(): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
}
export function writeScratch(name: string, data: string | Buffer): string {
  const p = join(scratch(), name);
  writeFileSync(p, data);
  return p;
}

let outSeq = 0;
/** Runs every analysis (or `only`) over an input in-process; its bundle goes to the scratch dir, never beside a fixture. */
export async function diagnose(input: string, only: string[] | null = null, expect: ExpectationSet[] = []): Promise<DiagnoseResult> {
  const out = join(scratch(), `${basename(input)}-${outSeq++}.kscope`);
  return diagnoseInput(input, { out }, { expect }, only ? new Set(only) : null);
}

export function byCode(r: DiagnoseResult | Finding[], code: string): Finding[] {
  const list = Array.isArray(r) ? r : r.findings;
  return list.filter((f) => f.code === code);
}

/** Findings at warning or error level: what must stay empty on a clean input. */
export function alarms(r: DiagnoseResult): Finding[] {
  return r.findings.filter((f) => f.severity !== 'info');
}

/** One synthetic event. */
export interface Row {
  type: string;
  ts?: number;
  cpu?: number;
  aux?: number;
  line?: number;
  text?: string;
}

/**
 * Events in memory with the contract of EventSource: `scan` through one
 * reused cursor, `filter` by type name, records with the given text.
 */
export class ArraySource implements EventSource {
  readonly count: number;
  readonly typeNames: readonly string[];
  scans = 0;
  filters = 0;

  constructor(
    readonly rows: readonly Row[],
    typeNames: readonly string[],
    private readonly format = 'test',
  ) {
    this.count = rows.length;
    this.typeNames = typeNames;
  }

  summary(): Summary {
    const types: Record<string, number> = {};
    for (const r of this.rows) types[r.type] = (types[r.type] ?? 0) + 1;
    return { format: this.format, source: 'test', events: this.count, types, warnings: [] };
  }

  event(n: number): EventRecord {
    const r = this.rows[n];
    const e: EventRecord = { index: n, type: r.type, fields: {}, text: r.text ?? `${r.type} ${n}` };
    if (r.line !== undefined) e.line = r.line;
    if (r.ts !== undefined) e.ts = r.ts;
    if (r.cpu !== undefined) e.cpu = r.cpu;
    return e;
  }

  events(from: number, count: number): EventRecord[] {
    const out: EventRecord[] = [];
    for (let i = Math.max(0, from); i < Math.min(this.count, from + count); i++) out.push(this.event(i));
    return out;
  }

  filter(type: string, from: number, limit: number, visit: (e: EventRecord) => boolean | void): void {
    this.filters++;
    let left = limit < 0 ? Infinity : limit;
    for (let i = Math.max(0, from); i < this.count && left > 0; i++) {
      if (this.rows[i].type !== type) continue;
      left--;
      if (visit(this.event(i)) === false) return;
    }
  }

  scan(visit: (c: EventCursor) => boolean | void): void {
    this.scans++;
    const cur: EventCursor = { index: 0, type: 0, ts: NaN, cpu: -1, vmid: -1, line: 0, offset: -1, aux: NaN, record: () => this.event(cur.index) };
    for (let i = 0; i < this.count; i++) {
      const r = this.rows[i];
      cur.index = i;
      cur.type = this.typeNames.indexOf(r.type);
      cur.ts = r.ts ?? NaN;
      cur.cpu = r.cpu ?? -1;
      cur.aux = r.aux ?? NaN;
      cur.line = r.line ?? 0;
      if (visit(cur) === false) return;
    }
  }

  close(): void {}
}

/** One Breenix trace event to print as a serial `[TRACE]` dump line. */
export interface BreenixRow {
  cpu: number;
  /** Counter ticks (62.5 MHz, as the aarch64 captures say). */
  ticks: number;
  name: string;
  payload: number;
}

/**
 * A console log holding Breenix `[TRACE]` dump lines, written the way the
 * kernel prints them (breenix.md §1.7), for events no real capture holds
 * (lock, syscall and IRQ entry/exit probes).
 */
export function breenixTraceLog(rows: readonly BreenixRow[], before: readonly string[] = [], afterLines: readonly string[] = []): string {
  const byName = new Map(breenixEventTypes().map((t) => [t.name, t]));
  const idx = new Map<number, number>();
  const lines = [...before, '[TRACE] ====== TRACE BUFFER DUMP ======', '[TRACE] Timestamp frequency: 62500000 Hz'];
  for (const r of rows) {
    const t = byName.get(r.name);
    if (!t) throw new Error(`unknown Breenix event ${r.name}`);
    const slot = idx.get(r.cpu) ?? 0;
    idx.set(r.cpu, slot + 1);
    lines.push(`[TRACE] CPU${r.cpu} idx=${slot & 1023} ts=${r.ticks} type=${breenixTypeHex(t.id)} ${t.name} ${t.label ?? 'payload'}=${r.payload}`);
  }
  lines.push('[TRACE] ====== END TRACE DUMP ======', ...afterLines);
  return `${lines.join('\n')}\n`;
}
