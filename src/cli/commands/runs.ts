/**
 * `kscope runs add/list/show/rm`: the run registry. `add` reads each
 * artifact (test results and crash reports), then stores the run in one
 * transaction; everything is read before the store is opened for writing,
 * so a bad artifact never leaves anything half-written.
 */
import type { Command } from 'commander';
import type { Diagnostic } from '../../model/diagnostics.js';
import { formatDiagnostic } from '../../model/diagnostics.js';
import {
  artifactIdentity,
  columnKey,
  failureGroups,
  normaliseArch,
  RunStore,
  runName,
  storePath,
  type ArtifactInput,
  type CrashInput,
  type StoredRun,
} from '../../registry/index.js';
import { UserError } from '../../util/errors.js';
import { indexContext, type CommandResult } from '../context.js';
import { thousands } from '../../util/thousands.js';

type Runner = (f: () => CommandResult | Promise<CommandResult>) => void;

export interface StoreOptions {
  store?: string;
  json?: boolean;
}

export function addStoreOption(cmd: Command): Command {
  return cmd.option('--store <path>', 'run store (default: $KSCOPE_STORE, else .kscope/runs.duckdb under the working directory)');
}

/** Opens the store, runs `f`, and always closes it (DuckDB keeps the file locked while open). */
export async function withStore<T>(opts: StoreOptions, write: boolean, f: (s: RunStore) => Promise<T>): Promise<T> {
  const store = await RunStore.open(storePath(opts.store), { write });
  try {
    return await f(store);
  } finally {
    store.close();
  }
}

/** A whole-number option; a bad value is the user's mistake, said in one line. */
export function intOption(value: string, what: string, min = 0): number {
  const v = value.trim();
  if (!/^\d+$/.test(v) || Number(v) < min) throw new UserError(`${what} must be a whole number${min > 0 ? ` ≥ ${min}` : ''}, got "${value}"`);
  return Number(v);
}

export const pct = (r: number | null): string => (r === null ? '-' : `${(r * 100).toFixed(1)}%`);
const n = thousands;

/** `200 pass, 10 fail, 2 timeout, 1 not run` — zero counts left out. */
export function countsText(r: Pick<StoredRun, 'pass' | 'fail' | 'skip' | 'timeout' | 'error' | 'notrun'>): string {
  const parts: string[] = [`${n(r.pass)} pass`];
  for (const [k, label] of [
    ['fail', 'fail'],
    ['timeout', 'timeout'],
    ['error', 'error'],
    ['skip', 'skip'],
    ['notrun', 'not run'],
  ] as const) {
    if (r[k] > 0) parts.push(`${n(r[k])} ${label}`);
  }
  return parts.join(', ');
}

/**
 * `--time`: ISO 8601 (a date, or a date and time; UTC unless it says
 * otherwise) or Unix seconds. Runs are ordered by it, so a nonsense value is refused.
 */
export function parseTime(s: string): number {
  const t = s.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  const iso = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.exec(t);
  if (iso) {
    // A date or a date-time without zone is taken as UTC so the same flag means the same instant everywhere.
    const ms = Date.parse(iso[1] && !iso[4] ? `${t.replace(' ', 'T')}Z` : t);
    if (Number.isFinite(ms)) return ms;
  }
  throw new UserError(`--time "${s}": expected an ISO 8601 date or time (2026-02-02, 2026-02-02T10:30:00Z) or Unix seconds`);
}

interface AddOptions extends StoreOptions {
  arch: string;
  archAny?: boolean;
  config?: string;
  commit?: string;
  label?: string;
  time?: string;
  rules?: string;
}

export interface AddValue {
  added: boolean;
  run: StoredRun;
  message: string;
  diagnostics: Diagnostic[];
}

/** Reads one artifact: identity, test results, crash reports. */
async function readArtifact(path: string, rules: string | undefined): Promise<{ artifact: ArtifactInput; diagnostics: Diagnostic[] }> {
  // The readers load only when a run is added: every other command starts faster without them.
  const [{ readTests }, { extractCrashes }, { plainInput }] = await Promise.all([
    import('../../formats/test-results/index.js'),
    import('../../analyses/crashes/index.js'),
    import('../../index/plain-input.js'),
  ]);
  const id = artifactIdentity(path);
  const plain = await plainInput(path, indexContext().note);
  const t = readTests(plain, { rules, name: path });
  const c = extractCrashes(plain);
  const crashes: CrashInput[] = c.crashes.map((x) => ({ kind: x.kind, title: x.title, line: x.line, end_line: x.end_line, cpu: x.cpu, registers: x.registers, frames: x.frames }));
  const formats = [...new Set(t.results.map((r) => r.source))].sort();
  const diagnostics = t.diagnostics;
  return {
    artifact: { path, size: id.size, sha256: id.sha256, mtimeMs: id.mtimeMs, format: formats.join(',') || 'none', lines: c.lines, diagnostics: diagnostics.length, results: t.results, crashes, unnamed: t.summary.unnamed },
    diagnostics,
  };
}

export async function addRun(files: readonly string[], opts: AddOptions): Promise<AddValue> {
  // Refuse a bad arch or time before reading anything.
  const arch = normaliseArch(opts.arch, { any: opts.archAny });
  const timeGiven = opts.time !== undefined ? parseTime(opts.time) : undefined;
  const artifacts: ArtifactInput[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const f of files) {
    const r = await readArtifact(f, opts.rules);
    artifacts.push(r.artifact);
    diagnostics.push(...r.diagnostics);
  }
  const total = artifacts.reduce((k, a) => k + a.results.length + Object.values(a.unnamed ?? {}).reduce((x, y) => x + (y ?? 0), 0), 0);
  if (total === 0) {
    throw new UserError(`${files.join(', ')}: no test results found (kscope tests <file> shows what a file holds); nothing added`);
  }
  // Without --time a run happened when its newest artifact was written.
  const timeMs = timeGiven ?? Math.max(...artifacts.map((a) => a.mtimeMs));
  return withStore(opts, true, async (store) => {
    const out = await store.addRun({ arch, config: opts.config ?? '', commit: opts.commit ?? null, label: opts.label ?? null, timeMs, artifacts });
    const r = out.run;
    const where = columnKey(r);
    const message = out.added
      ? `added ${runName(r)}: ${where}, ${artifacts.length} artifact${artifacts.length > 1 ? 's' : ''}, ${n(r.tests)} tests: ${countsText(r)} (pass rate ${pct(r.pass_rate)})${r.crashes ? `; ${n(r.crashes)} crash report${r.crashes > 1 ? 's' : ''}` : ''}`
      : `${runName(r)} already holds these artifacts for ${where}; nothing added`;
    return { added: out.added, run: r, message, diagnostics };
  });
}

function runLine(r: StoredRun): string {
  return [
    String(r.id).padStart(5),
    r.time.slice(0, 16).replace('T', ' '),
    columnKey(r).padEnd(14),
    (r.commit ?? '-').slice(0, 10).padEnd(10),
    `${String(r.tests).padStart(6)} tests`,
    `${String(r.pass).padStart(6)} pass`,
    `${String(r.fail + r.timeout + r.error).padStart(5)} failing`,
    pct(r.pass_rate).padStart(7),
    r.label ?? '',
  ].join('  ');
}

function showText(r: StoredRun, groups: Awaited<ReturnType<typeof failureGroups>>, crashes: { kind: string; title: string; line: number; artifact: number }[]): string {
  const out = [
    `${runName(r)}`,
    `  arch: ${r.arch}${r.config ? `  config: ${r.config}` : ''}${r.commit ? `  commit: ${r.commit}` : ''}`,
    `  time: ${r.time}  (added ${r.added})`,
    `  tests: ${n(r.tests)}: ${countsText(r)}; pass rate ${pct(r.pass_rate)}${r.unnamed ? ` (${n(r.unnamed)} implied by a plan or tally but never named)` : ''}`,
    '  artifacts:',
  ];
  for (const a of r.artifacts ?? []) out.push(`    [${a.index}] ${a.path}  ${n(a.size)} bytes  ${a.format}  ${n(a.results)} results  ${n(a.crashes)} crashes  sha256 ${a.sha256.slice(0, 16)}`);
  if (groups.length) {
    out.push('  failures by signature:');
    for (const g of groups) {
      const names = g.entries.map((e) => e.test + (e.blocked ? ' (not run)' : ''));
      if (g.unnamed) names.push(`${g.unnamed} unnamed test${g.unnamed > 1 ? 's' : ''} not run`);
      out.push(`    ${g.label}  [${g.tests}]`);
      out.push(`      ${names.slice(0, 12).join(', ')}${names.length > 12 ? `, … ${names.length - 12} more` : ''}`);
    }
  }
  if (crashes.length) {
    out.push('  crashes:');
    for (const c of crashes.slice(0, 20)) out.push(`    [${c.artifact}] line ${c.line}  ${c.kind}  ${c.title}`);
    if (crashes.length > 20) out.push(`    … ${crashes.length - 20} more`);
  }
  return out.join('\n');
}

function parseRunIds(values: readonly string[]): string[] {
  return values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

export function register(program: Command, run: Runner): void {
  const runs = program.command('runs').description('the run registry: add, list, show and remove test runs (DuckDB file)');

  addStoreOption(
    runs
      .command('add')
      .argument('<files...>', 'artifacts of one run: console logs, KTAP/TAP, JUnit XML, … (plain or .gz)')
      .description('read test results and crashes from the artifacts and store them as one run')
      .requiredOption('--arch <arch>', 'architecture (x86_64/amd64, aarch64/arm64, …)')
      .option('--arch-any', 'accept an architecture kscope does not know, as given')
      .option('--config <name>', 'build or machine configuration, when an arch has several', '')
      .option('--commit <sha>', 'commit the run tested')
      .option('--label <text>', 'a name for the run (the change it tests)')
      .option('--time <when>', 'when the run happened: ISO 8601 or Unix seconds (default: newest artifact mtime)')
      .option('--rules <file>', 'user rules for in-house test output (see kscope tests)')
      .option('--json', 'machine-readable output'),
  ).action((files: string[], opts: AddOptions) =>
    run(async () => {
      const v = await addRun(files, opts);
      const warn = v.diagnostics.filter((d) => d.severity !== 'info');
      return {
        kind: 'object',
        value: v,
        text: () =>
          [v.message, ...warn.slice(0, 5).map((d) => `  ${formatDiagnostic(d)}`), ...(warn.length > 5 ? [`  … ${warn.length - 5} more reader warnings (kscope tests <file> lists them)`] : [])].join('\n'),
      };
    }),
  );

  addStoreOption(
    runs
      .command('list')
      .description('stored runs, oldest first')
      .option('--arch <arch>', 'only this architecture')
      .option('--config <name>', 'only this configuration')
      .option('--commit <sha>', 'only runs of this commit (prefix)')
      .option('--last <n>', 'only the N most recent')
      .option('--json', 'one JSON object per run'),
  ).action((opts: StoreOptions & { arch?: string; config?: string; commit?: string; last?: string }) =>
    run(async () => {
      const list = await withStore(opts, false, (s) =>
        s.listRuns({ arch: opts.arch, config: opts.config, commit: opts.commit, last: opts.last !== undefined ? intOption(opts.last, '--last', 1) : undefined }),
      );
      return {
        kind: 'records',
        each: (emit) => {
          if (!list.length) {
            emit(null, 'no runs stored');
            return;
          }
          emit(null, `${'id'.padStart(5)}  ${'time (UTC)'.padEnd(16)}  ${'arch/config'.padEnd(14)}  ${'commit'.padEnd(10)}  ${'tests'.padStart(12)}  ${'pass'.padStart(11)}  ${'failing'.padStart(13)}  ${'rate'.padStart(7)}  label`);
          for (const r of list) emit(r, runLine(r));
        },
      };
    }),
  );

  addStoreOption(
    runs
      .command('show')
      .argument('<run>', 'run id, latest, latest~N or latest:ARCH[/CONFIG]')
      .description('one run: artifacts, counts, failures by signature, crashes')
      .option('--json', 'machine-readable output'),
  ).action((sel: string, opts: StoreOptions) =>
    run(async () => {
      const value = await withStore(opts, false, async (s) => {
        const r = await s.resolveRun(sel);
        const groups = await failureGroups(s.db, [r]);
        const crashes = (await s.db.all(`SELECT artifact, kind, title, line, end_line, cpu FROM crashes WHERE run_id = $1 ORDER BY artifact, line`, [r.id])).map((c) => ({
          artifact: Number(c.artifact),
          kind: String(c.kind),
          title: String(c.title),
          line: Number(c.line),
          end_line: Number(c.end_line),
          cpu: c.cpu === null ? null : Number(c.cpu),
        }));
        return { run: r, failures: groups, crashes };
      });
      return { kind: 'object', value, text: () => showText(value.run, value.failures, value.crashes) };
    }),
  );

  addStoreOption(
    runs
      .command('rm')
      .argument('<runs...>', 'run ids (or latest…)')
      .description('remove runs and everything stored for them (one transaction)')
      .option('--json', 'machine-readable output'),
  ).action((sels: string[], opts: StoreOptions) =>
    run(async () => {
      const removed = await withStore(opts, true, async (s) => {
        const ids: number[] = [];
        for (const sel of parseRunIds(sels)) ids.push((await s.resolveRun(sel)).id);
        return s.removeRuns([...new Set(ids)]);
      });
      return {
        kind: 'object',
        value: { removed },
        text: () => removed.map((r) => `removed ${runName(r)}: ${columnKey(r)}, ${n(r.tests)} tests`).join('\n'),
      };
    }),
  );
}
