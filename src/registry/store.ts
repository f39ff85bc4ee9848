/**
 * The run registry: an embedded DuckDB file (default `.kscope/runs.duckdb`
 * under the working directory) holding runs, their artifacts, one result
 * row per test, crash reports and failure signatures. Each `add` is one
 * transaction, so an error leaves the store as it was.
 */
import { basename, join, resolve } from 'node:path';
import { UserError } from '../util/errors.js';
import { canonicalArch } from './arch.js';
import { Db, type Row, type Scalar } from './db.js';
import { prepareRun } from './prepare.js';
import type { RunInput, StatusCounts, StoredArtifact, StoredRun } from './types.js';
import { passRate } from './types.js';

/** Bumped when the schema changes; a store with a higher number was written by a newer kscope. */
export const SCHEMA_VERSION = 1;

export const DEFAULT_STORE = join('.kscope', 'runs.duckdb');

/** `--store` beats `KSCOPE_STORE` beats `.kscope/runs.duckdb` under the working directory. */
export function storePath(option?: string, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  const p = option ?? (env.KSCOPE_STORE && env.KSCOPE_STORE !== '' ? env.KSCOPE_STORE : DEFAULT_STORE);
  return resolve(cwd, p);
}

// Status counts live on the run row so history over 1,000 runs never scans results.
const SCHEMA = [
  `CREATE TABLE kscope_schema (version INTEGER NOT NULL, written_by VARCHAR, created TIMESTAMP DEFAULT current_timestamp)`,
  `CREATE SEQUENCE run_ids START 1`,
  `CREATE TABLE runs (
     id INTEGER PRIMARY KEY, arch VARCHAR NOT NULL, config VARCHAR NOT NULL, commit VARCHAR, label VARCHAR,
     time TIMESTAMP NOT NULL, added TIMESTAMP NOT NULL, key VARCHAR NOT NULL,
     tests INTEGER NOT NULL, pass INTEGER NOT NULL, fail INTEGER NOT NULL, skip INTEGER NOT NULL,
     timeout INTEGER NOT NULL, error INTEGER NOT NULL, notrun INTEGER NOT NULL, unnamed INTEGER NOT NULL, crashes INTEGER NOT NULL)`,
  `CREATE TABLE artifacts (
     run_id INTEGER NOT NULL, idx INTEGER NOT NULL, path VARCHAR NOT NULL, name VARCHAR NOT NULL, size BIGINT NOT NULL,
     sha256 VARCHAR NOT NULL, mtime TIMESTAMP, format VARCHAR, results INTEGER NOT NULL, crashes INTEGER NOT NULL,
     lines INTEGER, diagnostics INTEGER NOT NULL, unnamed INTEGER NOT NULL, unnamed_notrun INTEGER NOT NULL, unnamed_blocked_by VARCHAR)`,
  `CREATE TABLE results (
     run_id INTEGER NOT NULL, test VARCHAR NOT NULL, suite VARCHAR NOT NULL, name VARCHAR NOT NULL, status VARCHAR NOT NULL,
     message VARCHAR, artifact INTEGER NOT NULL, line INTEGER, start_line INTEGER, end_line INTEGER, duration_ms DOUBLE,
     source VARCHAR, signature VARCHAR, blocked BOOLEAN NOT NULL, repeats INTEGER NOT NULL, detail VARCHAR)`,
  `CREATE TABLE crashes (
     run_id INTEGER NOT NULL, artifact INTEGER NOT NULL, kind VARCHAR NOT NULL, title VARCHAR NOT NULL,
     line INTEGER NOT NULL, end_line INTEGER NOT NULL, cpu INTEGER, registers VARCHAR, frames VARCHAR)`,
  `CREATE TABLE signatures (signature VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, label VARCHAR NOT NULL, first_run INTEGER)`,
];

const RUN_COLUMNS = `id, arch, config, commit, label, epoch_ms(time) AS time_ms, epoch_ms(added) AS added_ms, tests, pass, fail, skip, timeout, error, notrun, unnamed, crashes`;

function num(v: Scalar): number {
  return typeof v === 'number' ? v : Number(v ?? 0);
}
function str(v: Scalar): string | null {
  return v === null ? null : String(v);
}

export function runFromRow(r: Row): StoredRun {
  const counts: StatusCounts = { pass: num(r.pass), fail: num(r.fail), skip: num(r.skip), timeout: num(r.timeout), error: num(r.error), notrun: num(r.notrun) };
  const tests = num(r.tests);
  return {
    id: num(r.id),
    arch: String(r.arch),
    config: String(r.config ?? ''),
    commit: str(r.commit),
    label: str(r.label),
    time: new Date(num(r.time_ms)).toISOString(),
    time_ms: num(r.time_ms),
    added: new Date(num(r.added_ms)).toISOString(),
    tests,
    ...counts,
    unnamed: num(r.unnamed),
    crashes: num(r.crashes),
    pass_rate: passRate({ tests, pass: counts.pass, skip: counts.skip }),
  };
}

export interface RunFilter {
  arch?: string;
  config?: string;
  commit?: string;
  ids?: readonly number[];
  /** Only the N most recent (still returned oldest first). */
  last?: number;
}

export type AddOutcome = { added: true; run: StoredRun } | { added: false; run: StoredRun };

export class RunStore {
  private constructor(readonly db: Db) {}

  get path(): string {
    return this.db.path;
  }

  /**
   * Opens the store. Read-only opens let several readers share the file and
   * never create one; a writable open creates the schema in a new file.
   */
  static async open(path: string, options: { write?: boolean } = {}): Promise<RunStore> {
    const db = await Db.open(path, options.write === true);
    try {
      await checkSchema(db);
    } catch (e) {
      db.close();
      throw e;
    }
    return new RunStore(db);
  }

  close(): void {
    this.db.close();
  }

  /** The run already holding exactly these artifacts for this arch/config, if any. */
  async findByKey(key: string): Promise<StoredRun | undefined> {
    const r = await this.db.one(`SELECT ${RUN_COLUMNS} FROM runs WHERE key = $1`, [key]);
    return r ? runFromRow(r) : undefined;
  }

  /** Adds one run in one transaction; the same artifacts for the same arch/config again are a no-op. */
  async addRun(input: RunInput): Promise<AddOutcome> {
    if (!this.db.writable) throw new Error('store opened read-only');
    const prepared = prepareRun(input);
    const existing = await this.findByKey(prepared.key);
    if (existing) return { added: false, run: existing };
    const config = input.config ?? '';
    const crashCount = input.artifacts.reduce((n, a) => n + a.crashes.length, 0);
    const tests = prepared.results.length + prepared.unnamed;
    const id = await this.db.transaction(async () => {
      const row = await this.db.one(`SELECT nextval('run_ids')::INTEGER AS id`);
      const id = num(row?.id ?? null);
      const c = prepared.counts;
      await this.db.run(
        `INSERT INTO runs VALUES ($1, $2, $3, $4, $5, epoch_ms($6::BIGINT), current_timestamp, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
        [id, input.arch, config, input.commit ?? null, input.label ?? null, Math.round(input.timeMs), prepared.key, tests, c.pass, c.fail, c.skip, c.timeout, c.error, c.notrun, prepared.unnamed, crashCount],
      );
      await this.db.append(
        'artifacts',
        ['int', 'int', 'text', 'text', 'bigint', 'text', 'text', 'text', 'int', 'int', 'int', 'int', 'int', 'int', 'text'],
        input.artifacts.map((a, i) => [
          id,
          i,
          resolve(a.path),
          basename(a.path),
          a.size,
          a.sha256,
          new Date(a.mtimeMs).toISOString(),
          a.format,
          a.results.length,
          a.crashes.length,
          a.lines ?? null,
          a.diagnostics ?? 0,
          Object.values(a.unnamed ?? {}).reduce((k, v) => k + (v ?? 0), 0),
          prepared.blockedUnnamed.find((b) => b.artifact === i)?.count ?? 0,
          prepared.blockedUnnamed.find((b) => b.artifact === i)?.signature ?? null,
        ]),
      );
      await this.db.append(
        'results',
        ['int', 'text', 'text', 'text', 'text', 'text', 'int', 'int', 'int', 'int', 'double', 'text', 'text', 'bool', 'int', 'text'],
        prepared.results.map((r) => [
          id,
          r.test,
          r.suite,
          r.name,
          r.status,
          r.message,
          r.artifact,
          r.line,
          r.start_line,
          r.end_line,
          r.duration_ms,
          r.source,
          r.signature,
          r.blocked,
          r.repeats,
          r.detail,
        ]),
      );
      const crashRows: Scalar[][] = [];
      input.artifacts.forEach((a, i) => {
        for (const c of a.crashes) {
          crashRows.push([id, i, c.kind, c.title, c.line, c.end_line, c.cpu, JSON.stringify(c.registers ?? {}), JSON.stringify(c.frames ?? [])]);
        }
      });
      await this.db.append('crashes', ['int', 'int', 'text', 'text', 'int', 'int', 'int', 'text', 'text'], crashRows);
      for (const s of prepared.signatures.values()) {
        await this.db.run(`INSERT INTO signatures VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, [s.key, s.kind, s.label, id]);
      }
      return id;
    });
    const run = await this.getRun(id);
    if (!run) throw new Error(`run ${id} vanished after commit`);
    return { added: true, run };
  }

  async listRuns(filter: RunFilter = {}): Promise<StoredRun[]> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (filter.arch) {
      params.push(canonicalArch(filter.arch) ?? filter.arch.toLowerCase());
      where.push(`arch = $${params.length}`);
    }
    if (filter.config !== undefined) {
      params.push(filter.config);
      where.push(`config = $${params.length}`);
    }
    if (filter.commit) {
      params.push(`${filter.commit}%`);
      where.push(`commit LIKE $${params.length}`);
    }
    if (filter.ids) where.push(`id IN (${filter.ids.map((i) => Math.trunc(i)).join(',') || 'NULL'})`);
    const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const rows = await this.db.all(`SELECT ${RUN_COLUMNS} FROM runs ${w} ORDER BY time, id`, params);
    const runs = rows.map(runFromRow);
    return filter.last !== undefined ? runs.slice(Math.max(0, runs.length - filter.last)) : runs;
  }

  async getRun(id: number): Promise<StoredRun | undefined> {
    const r = await this.db.one(`SELECT ${RUN_COLUMNS} FROM runs WHERE id = $1`, [id]);
    if (!r) return undefined;
    const run = runFromRow(r);
    run.artifacts = (await this.db.all(`SELECT * FROM artifacts WHERE run_id = $1 ORDER BY idx`, [id])).map(
      (a): StoredArtifact => ({
        index: num(a.idx),
        path: String(a.path),
        name: String(a.name),
        size: num(a.size),
        sha256: String(a.sha256),
        format: String(a.format ?? ''),
        results: num(a.results),
        crashes: num(a.crashes),
        lines: a.lines === null ? null : num(a.lines),
        diagnostics: num(a.diagnostics),
        unnamed: num(a.unnamed),
      }),
    );
    return run;
  }

  /** Removes runs and everything stored for them, in one transaction. */
  async removeRuns(ids: readonly number[]): Promise<StoredRun[]> {
    if (!this.db.writable) throw new Error('store opened read-only');
    const runs: StoredRun[] = [];
    for (const id of ids) {
      const r = await this.getRun(id);
      if (!r) throw new UserError(`${this.path}: no run ${id} (kscope runs list shows the ids)`);
      runs.push(r);
    }
    const list = ids.map((i) => Math.trunc(i)).join(',');
    await this.db.transaction(async () => {
      for (const t of ['results', 'crashes', 'artifacts']) await this.db.run(`DELETE FROM ${t} WHERE run_id IN (${list})`);
      await this.db.run(`DELETE FROM runs WHERE id IN (${list})`);
      // Signatures no stored result uses any more would only clutter the catalogue.
      await this.db.run(
        `DELETE FROM signatures WHERE signature NOT IN (SELECT DISTINCT signature FROM results WHERE signature IS NOT NULL)
           AND signature NOT IN (SELECT DISTINCT unnamed_blocked_by FROM artifacts WHERE unnamed_blocked_by IS NOT NULL)`,
      );
    });
    return runs;
  }

  /**
   * A run named on the command line: an id, `latest`, `latest~N` (N runs
   * before the latest), optionally for one arch/config (`latest:aarch64`,
   * `latest~1:x86_64/debug`).
   */
  async resolveRun(selector: string): Promise<StoredRun> {
    const s = selector.trim();
    if (/^\d+$/.test(s)) {
      const r = await this.getRun(Number(s));
      if (!r) throw new UserError(`${this.path}: no run ${s} (kscope runs list shows the ids)`);
      return r;
    }
    const m = /^(latest|last|previous|prev)(?:~(\d+))?(?::([^/]+)(?:\/(.*))?)?$/.exec(s);
    if (!m) throw new UserError(`bad run "${selector}": expected a run id, latest, latest~N or latest:ARCH[/CONFIG]`);
    const back = Number(m[2] ?? 0) + (m[1].startsWith('prev') ? 1 : 0);
    const runs = await this.listRuns({ arch: m[3], config: m[4] });
    const r = runs[runs.length - 1 - back];
    if (!r) throw new UserError(`${this.path}: no run matches "${selector}" (${runs.length} run(s) considered)`);
    return (await this.getRun(r.id)) ?? r;
  }

  /** The most recent run of each arch/config, ordered by arch then config. */
  async latestRuns(filter: { arch?: string; config?: string } = {}): Promise<StoredRun[]> {
    const runs = await this.listRuns(filter);
    const latest = new Map<string, StoredRun>();
    for (const r of runs) latest.set(`${r.arch}\0${r.config}`, r);
    return [...latest.values()].sort((a, b) => a.arch.localeCompare(b.arch) || a.config.localeCompare(b.config));
  }
}

async function checkSchema(db: Db): Promise<void> {
  const tables = new Set((await db.all(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'`)).map((r) => String(r.table_name)));
  if (!tables.has('kscope_schema')) {
    if (tables.size > 0) throw new UserError(`${db.path}: a DuckDB database, but not a kscope run store (no kscope_schema table)`);
    if (!db.writable) throw new UserError(`${db.path}: empty run store; add runs with "kscope runs add <files…> --arch A"`);
    await db.transaction(async () => {
      for (const s of SCHEMA) await db.run(s);
      await db.run(`INSERT INTO kscope_schema (version, written_by) VALUES ($1, 'kscope')`, [SCHEMA_VERSION]);
    });
    return;
  }
  const v = await db.one(`SELECT max(version) AS v FROM kscope_schema`);
  const version = num(v?.v ?? null);
  if (version > SCHEMA_VERSION) {
    throw new UserError(`${db.path}: run store has schema version ${version}, newer than this kscope reads (${SCHEMA_VERSION}); upgrade kscope`);
  }
  // Older versions would be migrated here; version 1 is the first.
}
