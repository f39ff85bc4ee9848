// Shared helpers for end-to-end tests: run the built CLI as a user would, make temp dirs,
// and turn the generator's ground truth into the records queries must return.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TiiGenerated } from '../src/gen/tii-generator.js';
import type { TiiSpecInput } from '../src/formats/tii-ftrace/spec.js';

/** Compiled tests run from dist/test/, so the repo root is two levels up. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `kscope ARGS` in a child process (no terminal, so no progress bar). */
export function runCli(args: string[], opts: { cwd?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: opts.cwd, encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * runCli without blocking, so independent calls overlap; at most `cores + 1`
 * run at once, so a batch of queries does not swamp a small CI machine.
 */
const slots = os.availableParallelism() + 1;
let running = 0;
const waiting: (() => void)[] = [];
export async function runCliAsync(args: string[], opts: { cwd?: string } = {}): Promise<CliResult> {
  if (running >= slots) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await new Promise<CliResult>((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
    });
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** A fresh directory under the system temp dir; `cleanup()` removes every one made. */
const made: string[] = [];
export function tmpdir(prefix = 'kscope-test-'): string {
  const d = mkdtempSync(join(os.tmpdir(), prefix));
  made.push(d);
  return d;
}
export function cleanup(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** One JSON object per line (the contract for event lists). */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export function json(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout) as Record<string, unknown>;
}

/** Stack frames look like "    at fn (file:line:col)"; none may reach a user. */
export function assertNoStack(r: CliResult, what = ''): void {
  assert.ok(!/^\s+at /m.test(r.stderr), `${what}: stack trace on stderr:\n${r.stderr}`);
  assert.ok(!/^\s+at /m.test(r.stdout), `${what}: stack trace on stdout:\n${r.stdout}`);
  assert.ok(!r.stderr.includes('internal error'), `${what}: internal error:\n${r.stderr}`);
}

/** `kscope ARGS` must succeed without a stack trace; its stdout. */
export function cliOk(args: string[]): string {
  const r = runCli(args);
  assertNoStack(r, args.join(' '));
  assert.equal(r.code, 0, `kscope ${args.join(' ')}\n${r.stderr}`);
  return r.stdout;
}

/** As cliOk, without blocking: independent commands run side by side. */
export async function cliOkAsync(args: string[]): Promise<string> {
  const r = await runCliAsync(args);
  assertNoStack(r, args.join(' '));
  assert.equal(r.code, 0, `kscope ${args.join(' ')}\n${r.stderr}`);
  return r.stdout;
}

/** A user error: non-zero exit, exactly one line on stderr that names `file`, and matches `re`. */
export function assertUserError(r: CliResult, file: string, re: RegExp): void {
  assertNoStack(r, file);
  assert.notEqual(r.code, 0, `expected a non-zero exit; stdout:\n${r.stdout}`);
  // A note that a stale bundle is being rebuilt may come first; it is not an error.
  const lines = r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('kscope: rebuilding '));
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${r.stderr}`);
  assert.ok(lines[0].includes(file), `stderr should name ${file}: ${lines[0]}`);
  assert.match(lines[0], re);
}

/** What an event record must say, as ground truth. */
export interface TruthEvent {
  index: number;
  type: string;
  offset: number;
  vmid: number | null;
}

export function truthEvent(g: TiiGenerated, n: number): TruthEvent {
  const t = g.truth;
  if (!t.type || !t.offset || !t.vmid) throw new Error('generate with truth: true');
  return { index: n, type: g.spec.typeNames[t.type[n]], offset: t.offset[n], vmid: t.vmid[n] < 0 ? null : t.vmid[n] };
}

/** The contract fields of an event record (JSON or in-process), for comparison with TruthEvent. */
export function core(e: { index?: unknown; type?: unknown; offset?: unknown; vmid?: unknown }): TruthEvent {
  return { index: e.index as number, type: e.type as string, offset: e.offset as number, vmid: (e.vmid ?? null) as number | null };
}

/** Indexes of ground-truth events of `type`, from index `from`, at most `limit` (-1 = all). */
export function truthOfType(g: TiiGenerated, type: string, from = 0, limit = -1, events = g.truth.events): number[] {
  const t = g.spec.typeNames.indexOf(type);
  const ty = g.truth.type as Uint8Array;
  const out: number[] = [];
  for (let n = from; n < events && (limit < 0 || out.length < limit); n++) if (ty[n] === t) out.push(n);
  return out;
}

/** Events complete within the first `words` words (a stream cut there keeps exactly these). */
export function eventsWithin(g: TiiGenerated, words: number): number {
  const off = g.truth.offset as Uint32Array;
  let n = 0;
  while (n < g.truth.events && off[n] + g.spec.lenOf[g.words[off[n]]] <= words) n++;
  return n;
}

/** Per-type counts of the first `events` ground-truth events. */
export function truthCounts(g: TiiGenerated, events = g.truth.events): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of g.spec.typeNames) out[n] = 0;
  const ty = g.truth.type as Uint8Array;
  for (let i = 0; i < events; i++) out[g.spec.typeNames[ty[i]]]++;
  return out;
}

export interface Decoded {
  types: string[];
  offsets: number[];
  vmids: (number | null)[];
  counts: Record<string, number>;
}

/**
 * An independent reference decoder written straight from tii-ftrace.md's
 * word-class rule and a marker table: the oracle for streams decoded with a
 * non-default --format-spec, where the generator's truth no longer applies.
 */
export function referenceDecode(words: Uint16Array, spec: TiiSpecInput): Decoded {
  const markers = new Map(spec.markers.map((m) => [m.word, m]));
  const out: Decoded = { types: [], offsets: [], vmids: [], counts: { FUNC_ENTER: 0, FUNC_EXIT: 0, VMID: 0, UNKNOWN_MARKER: 0 } };
  for (const m of spec.markers) out.counts[m.name] = 0;
  let vmid: number | null = null;
  let i = 0;
  while (i < words.length) {
    const w = words[i];
    let type: string;
    let len = 1;
    if (w % 2 === 0 && w >= spec.classes.marker.min) {
      const m = markers.get(w);
      type = m ? m.name : 'UNKNOWN_MARKER';
      len = m ? m.words : 1;
    } else if (w % 2 === 0 && w <= spec.classes.vmid.max) {
      type = 'VMID';
      vmid = w >> spec.classes.vmid.shift;
    } else {
      type = (w % 2 === 1) === (spec.classes.function.enter === 'odd') ? 'FUNC_ENTER' : 'FUNC_EXIT';
    }
    if (i + len > words.length) break;
    out.types.push(type);
    out.offsets.push(i);
    out.vmids.push(vmid);
    out.counts[type]++;
    i += len;
  }
  return out;
}

/** Writes `ftrace.bin` (+ optional meta text) into `dir` and returns the bin path. */
export function writeStream(dir: string, words: Uint16Array, meta?: string, name = 'ftrace.bin'): string {
  const bin = join(dir, name);
  writeFileSync(bin, words);
  if (meta !== undefined) writeFileSync(join(dir, name.replace(/\.bin$/, '.meta')), meta);
  return bin;
}
