/**
 * The only module that talks to DuckDB. Everything else in the registry
 * sees `Db`: plain SQL in, plain rows out (numbers, strings, booleans,
 * null), so queries stay testable and the driver can change in one place.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DuckDBAppender, DuckDBConnection, DuckDBInstance, DuckDBValue } from '@duckdb/node-api';
import { UserError } from '../util/errors.js';

export type Scalar = string | number | boolean | null;
export type Row = Record<string, Scalar>;
export type Param = string | number | boolean | null;

/** One column of an appender batch: how to append a value of it. */
/**
 * How long an open waits for another kscope process to let go of the store
 * before giving up: CI jobs that add runs in parallel, or a `report` running
 * while a `runs add` commits, then take turns instead of failing.
 */
export const LOCK_WAIT_MS = 2000;
const LOCK_RETRY_MS = 100;

export type ColumnKind = 'int' | 'bigint' | 'double' | 'text' | 'bool';

function toScalar(v: unknown): Scalar {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof Date) return v.toISOString();
  return String(v);
}

export class Db {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    readonly path: string,
    readonly writable: boolean,
  ) {}

  /**
   * Opens (or, when writable, creates) the DuckDB file. DuckDB's own errors
   * become one-line user errors: a lock held by another process, a file that
   * is not a database, a database from a newer DuckDB.
   */
  static async open(path: string, writable: boolean): Promise<Db> {
    if (!writable && !existsSync(path)) {
      throw new UserError(`${path}: no run store here; add runs with "kscope runs add <files…> --arch A" (or point --store / KSCOPE_STORE at one)`);
    }
    if (writable) mkdirSync(dirname(path), { recursive: true });
    // Loaded here, not at the top: the CLI registers every command at start-up, and DuckDB's
    // 70 MB native library must only be paid for by commands that open a store.
    const { DuckDBInstance: Instance } = await import('@duckdb/node-api');
    let instance: DuckDBInstance | undefined;
    const deadline = Date.now() + LOCK_WAIT_MS;
    while (!instance) {
      try {
        instance = await Instance.create(path, writable ? {} : { access_mode: 'READ_ONLY' });
      } catch (e) {
        if (!isLockError(e) || Date.now() >= deadline) throw translateOpenError(path, e);
        await new Promise((r) => setTimeout(r, LOCK_RETRY_MS));
      }
    }
    const conn = await instance.connect();
    return new Db(instance, conn, path, writable);
  }

  async all(sql: string, params: Param[] = []): Promise<Row[]> {
    const reader = await this.conn.runAndReadAll(sql, params as DuckDBValue[]);
    return reader.getRowObjectsJS().map((r) => {
      const out: Row = {};
      for (const [k, v] of Object.entries(r)) out[k] = toScalar(v);
      return out;
    });
  }

  /** Like `all`, but list columns come back as arrays (of scalars) instead of being flattened to text. */
  async allRaw(sql: string, params: Param[] = []): Promise<Record<string, Scalar | Scalar[]>[]> {
    const reader = await this.conn.runAndReadAll(sql, params as DuckDBValue[]);
    return reader.getRowObjectsJS().map((r) => {
      const out: Record<string, Scalar | Scalar[]> = {};
      for (const [k, v] of Object.entries(r)) out[k] = Array.isArray(v) ? v.map(toScalar) : toScalar(v);
      return out;
    });
  }

  async one(sql: string, params: Param[] = []): Promise<Row | undefined> {
    return (await this.all(sql, params))[0];
  }

  async run(sql: string, params: Param[] = []): Promise<void> {
    await this.conn.run(sql, params as DuckDBValue[]);
  }

  /** Runs `f` in one transaction: all of it lands, or (on any error) none of it. */
  async transaction<T>(f: () => Promise<T>): Promise<T> {
    await this.conn.run('BEGIN TRANSACTION');
    try {
      const r = await f();
      await this.conn.run('COMMIT');
      return r;
    } catch (e) {
      await this.conn.run('ROLLBACK');
      throw e;
    }
  }

  /**
   * Bulk insert through DuckDB's appender (row-at-a-time SQL would cost
   * ~10 s for 10,000 results). Inside `transaction` it joins that transaction.
   */
  async append(table: string, kinds: readonly ColumnKind[], rows: Iterable<readonly Scalar[]>): Promise<number> {
    const a: DuckDBAppender = await this.conn.createAppender(table);
    let n = 0;
    try {
      for (const row of rows) {
        for (let i = 0; i < kinds.length; i++) {
          const v = row[i];
          if (v === null || v === undefined) a.appendNull();
          else if (kinds[i] === 'int') a.appendInteger(Number(v));
          else if (kinds[i] === 'bigint') a.appendBigInt(BigInt(Math.trunc(Number(v))));
          else if (kinds[i] === 'double') a.appendDouble(Number(v));
          else if (kinds[i] === 'bool') a.appendBoolean(Boolean(v));
          else a.appendVarchar(String(v));
        }
        a.endRow();
        n++;
      }
      a.flushSync();
    } finally {
      a.closeSync();
    }
    return n;
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}

function isLockError(e: unknown): boolean {
  return e instanceof Error && /Could not set lock on file/.test(e.message);
}

/** DuckDB's messages name the problem but run over several lines and end in a URL; users get one line. */
export function translateOpenError(path: string, e: unknown): UserError {
  const msg = e instanceof Error ? e.message : String(e);
  const lock = /Could not set lock on file[^:]*: Conflicting lock is held in (\S+)(?: \(PID (\d+)\))?/.exec(msg);
  if (lock) {
    const who = lock[2] ? `process ${lock[2]} (${lock[1]})` : lock[1];
    return new UserError(`${path}: run store is locked by another process, ${who} (waited ${LOCK_WAIT_MS / 1000} s); try again when it has finished, or use another --store`);
  }
  if (/not a valid DuckDB database file/i.test(msg)) return new UserError(`${path}: not a run store (not a DuckDB database file)`);
  if (/version number|newer|created with a newer|storage version/i.test(msg)) {
    return new UserError(`${path}: run store was written by a newer DuckDB than this kscope bundles; upgrade kscope`);
  }
  const first = msg.split('\n')[0].replace(/^IO Error: /, '');
  return new UserError(`${path}: cannot open run store: ${first}`);
}
