import { existsSync } from 'node:fs';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort, type TransferListItem } from 'node:worker_threads';

interface Envelope {
  ok: boolean;
  result?: unknown;
  error?: string;
}

/** Inputs smaller than this are indexed on one thread (a worker costs ~40 ms to start). */
export const PARALLEL_MIN_BYTES = 32 << 20;

/** What a worker is handed: its module, the data for it, where to answer and its flag (see startWorker). */
export interface Task {
  module: string;
  data: unknown;
  port: MessagePort;
  flag: Int32Array;
}

/** Where a spare worker keeps the task it was handed (serveWorker reads it there). */
const TASK = Symbol.for('kscope.workerTask');

/**
 * The worker's first code: waits for its task (a spare worker is started
 * before it has one), loads the module, and answers with the error when
 * loading fails (a module that throws while loading never reaches
 * serveWorker, and `wait()` would wait for it forever).
 */
const BOOT = `const { parentPort, workerData } = require('node:worker_threads');
// A spare worker loads what its task will likely need while it waits for it (a failure shows when the task's module loads).
const ready = workerData?.preload ? import(workerData.preload).catch(() => {}) : Promise.resolve();
parentPort.once('message', (task) => {
  globalThis[Symbol.for('kscope.workerTask')] = task;
  // Its OS thread id (Linux), so the parent sees the thread end when it ends without an answer (out of memory, process.exit).
  try {
    Atomics.store(task.flag, 1, Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop()) || 0);
  } catch {}
  ready.then(() => import(task.module)).catch((e) => {
    task.port.postMessage({ ok: false, error: String((e && e.stack) || e) });
    Atomics.store(task.flag, 0, 1);
    Atomics.notify(task.flag, 0);
  });
});`;

let spare: Worker | null = null;

function newWorker(preload?: URL): Worker {
  const worker = new Worker(BOOT, { eval: true, workerData: { preload: preload?.href } });
  worker.unref();
  return worker;
}

/**
 * Starts a worker thread now, for the next startWorker: Node's start of a
 * thread (~50 ms) and the loading of `preload` (the module its task will
 * likely need, with what that imports) then run while this thread is still
 * loading the command, not on the core the scan and its compiler want once
 * it runs.
 */
export function prestartWorker(preload?: URL): void {
  spare ??= newWorker(preload);
}

/** How often a blocked wait looks whether the other thread still runs. */
const LIVENESS_MS = 200;

/**
 * Starts `module` in a worker thread with `data`; `wait()` blocks this thread
 * until the worker has answered and returns its result. Synchronous on
 * purpose: the caller does its own share of the work meanwhile, and builds
 * stay simple straight-line code. `alive()` is false once the worker's
 * thread has ended (known on Linux; elsewhere always true), so a worker that
 * dies without answering is reported instead of waited for.
 */
export function startWorker(module: URL, data: unknown): { wait(): unknown; alive(): boolean } {
  const { port1, port2 } = new MessageChannel();
  // [answered, the worker's OS thread id]
  const flag = new Int32Array(new SharedArrayBuffer(8));
  const worker = spare ?? newWorker();
  spare = null;
  worker.postMessage({ module: module.href, data, port: port2, flag } satisfies Task, [port2]);
  const alive = () => {
    const tid = Atomics.load(flag, 1);
    return tid === 0 || existsSync(`/proc/self/task/${tid}`);
  };
  return {
    alive,
    wait() {
      while (Atomics.wait(flag, 0, 0, LIVENESS_MS) === 'timed-out') {
        if (!alive() && Atomics.load(flag, 0) === 0) break;
      }
      const msg = receiveMessageOnPort(port1);
      port1.close();
      void worker.terminate();
      const env = msg?.message as Envelope | undefined;
      if (!env) throw new Error('worker ended without an answer (out of memory, or killed)');
      if (!env.ok) throw new Error(`worker failed: ${env.error}`);
      return env.result;
    },
  };
}

/** Worker side: the task this worker was handed (its data in `data`). */
export function workerTask(): Task {
  return (globalThis as unknown as Record<symbol, Task>)[TASK];
}

/** Worker side: runs `task` on the data and posts the result (transferring buffers). */
export function serveWorker(task: (data: unknown) => { result: unknown; transfer?: TransferListItem[] }): void {
  const { data, port, flag } = workerTask();
  try {
    const { result, transfer } = task(data);
    port.postMessage({ ok: true, result } satisfies Envelope, transfer ?? []);
  } catch (e) {
    port.postMessage({ ok: false, error: (e as Error).stack ?? String(e) } satisfies Envelope);
  }
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

/**
 * Where a first thread's part of a file ends and a second's begins, agreed
 * while both run, so neither waits for the other's start-up: the first
 * claims the bytes it is about to read, a read at a time; the second, once
 * running, stops the claims and picks its start at or after what was
 * claimed. Two shared 64-bit cells: the claimed end (as -(end + 1) once
 * stopped) and the second part's start + 1 (0 until picked).
 */
export class Handoff {
  readonly cells: BigInt64Array;
  /** Whether the second thread still runs (see startWorker): one that ended before picking lets the first read on. */
  alive: () => boolean = () => true;

  constructor(cells?: BigInt64Array) {
    this.cells = cells ?? new BigInt64Array(new SharedArrayBuffer(16));
  }

  /** First thread, before reading up to `end`: how far it may read (its part's end, once the second has picked it). */
  claim(end: number): number {
    const want = BigInt(end);
    for (;;) {
      const c = Atomics.load(this.cells, 0);
      if (c < 0n) {
        if (want <= -c - 1n) return end;
        while (Atomics.wait(this.cells, 1, 0n, LIVENESS_MS) === 'timed-out') if (!this.alive() && Atomics.load(this.cells, 1) === 0n) return end;
        return Math.min(end, Number(Atomics.load(this.cells, 1)) - 1);
      }
      if (c >= want || Atomics.compareExchange(this.cells, 0, c, want) === c) return end;
    }
  }

  /** Second thread: stops the claims; returns how far the first may read before a start is picked. */
  stop(): number {
    for (;;) {
      const c = Atomics.load(this.cells, 0);
      if (c < 0n) return Number(-c - 1n);
      if (Atomics.compareExchange(this.cells, 0, c, -c - 1n) === c) return Number(c);
    }
  }

  /** Second thread: its part starts at `at` (a line start at or after what stop() returned; the file size to take nothing). */
  pick(at: number): void {
    Atomics.store(this.cells, 1, BigInt(at) + 1n);
    Atomics.notify(this.cells, 1);
  }

  /** Where the second part starts, -1 while not picked. */
  picked(): number {
    return Number(Atomics.load(this.cells, 1)) - 1;
  }
}
