import { MessageChannel, Worker, receiveMessageOnPort, workerData, type MessagePort, type TransferListItem } from 'node:worker_threads';

interface Envelope {
  ok: boolean;
  result?: unknown;
  error?: string;
}

/** Inputs smaller than this are indexed on one thread (a worker costs ~40 ms to start). */
export const PARALLEL_MIN_BYTES = 32 << 20;

/**
 * Starts `module` in a worker thread with `data`; `wait()` blocks this thread
 * until the worker has answered and returns its result. Synchronous on
 * purpose: the caller does its own share of the work meanwhile, and builds
 * stay simple straight-line code.
 */
export function startWorker(module: URL, data: unknown): { wait(): unknown } {
  const { port1, port2 } = new MessageChannel();
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(module, { workerData: { data, port: port2, flag }, transferList: [port2] });
  worker.unref();
  return {
    wait() {
      Atomics.wait(flag, 0, 0);
      const msg = receiveMessageOnPort(port1);
      port1.close();
      void worker.terminate();
      const env = msg?.message as Envelope | undefined;
      if (!env) throw new Error('worker ended without an answer');
      if (!env.ok) throw new Error(`worker failed: ${env.error}`);
      return env.result;
    },
  };
}

/** Worker side: runs `task` on the data and posts the result (transferring buffers). */
export function serveWorker(task: (data: unknown) => { result: unknown; transfer?: TransferListItem[] }): void {
  const { data, port, flag } = workerData as { data: unknown; port: MessagePort; flag: Int32Array };
  try {
    const { result, transfer } = task(data);
    port.postMessage({ ok: true, result } satisfies Envelope, transfer ?? []);
  } catch (e) {
    port.postMessage({ ok: false, error: (e as Error).stack ?? String(e) } satisfies Envelope);
  }
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}
