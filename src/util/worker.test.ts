// The handoff between the thread that reads a file's first part and the worker that takes the
// rest: claims granted before the worker stops them stand, and none reaches past its pick.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Handoff, prestartWorker, startWorker } from './worker.js';

/** Runs `body` with a scratch folder, removed after. */
function inScratch(body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'kscope-worker-'));
  try {
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('claims stand until stopped; after that the first part ends at the pick', () => {
  const h = new Handoff();
  assert.equal(h.claim(100), 100);
  assert.equal(h.claim(300), 300);
  assert.equal(h.picked(), -1);
  assert.equal(h.stop(), 300, 'what was claimed');
  assert.equal(h.stop(), 300, 'stopping twice changes nothing');
  assert.equal(h.claim(250), 250, 'inside the claimed bytes: no wait');
  h.pick(450);
  assert.equal(h.claim(400), 400);
  assert.equal(h.claim(600), 450, 'never past the pick');
  assert.equal(h.picked(), 450);
});

test('a worker stopping the claims while this thread claims: the reads meet exactly at the pick', async () => {
  const h = new Handoff();
  const url = new URL('./worker.js', import.meta.url).href;
  // The worker waits until some claims were made, stops them and picks 1000 bytes past them.
  const code = `const { workerData } = require('node:worker_threads');
    import(${JSON.stringify(url)}).then(({ Handoff }) => {
      const h = new Handoff(workerData);
      while (Atomics.load(workerData, 0) < 5000n) {}
      h.pick(h.stop() + 1000);
    });`;
  const w = new Worker(code, { eval: true, workerData: h.cells });
  let end = 0;
  for (;;) {
    const got = h.claim(end + 10);
    assert.ok(got >= end && got <= end + 10);
    if (got < end + 10) {
      end = got;
      break;
    }
    end = got;
  }
  await new Promise((resolve) => w.once('exit', resolve));
  assert.equal(end, h.picked(), 'the first part ends where the second starts');
  assert.ok(end >= 6000);
});

test('a worker module that fails while loading is reported, not waited for', { timeout: 20_000 }, () =>
  inScratch((dir) => {
    const bad = join(dir, 'bad.mjs');
    writeFileSync(bad, "throw new Error('broken on load');\n");
    const w = startWorker(pathToFileURL(bad), {});
    assert.throws(() => w.wait(), /worker failed: .*broken on load/);
  }));

test('a worker that ends without answering (out of memory, process.exit) is reported, not waited for', { timeout: 20_000 }, () =>
  inScratch((dir) => {
    const gone = join(dir, 'gone.mjs');
    writeFileSync(gone, 'process.exit(3);\n');
    const w = startWorker(pathToFileURL(gone), {});
    assert.throws(() => w.wait(), /worker ended without an answer/);
    assert.equal(w.alive(), false);
  }));

test('a worker that stops the claims and ends before picking lets the first thread read on to the end', { timeout: 20_000 }, () =>
  inScratch((dir) => {
    const url = new URL('./worker.js', import.meta.url).href;
    const quits = join(dir, 'quits.mjs');
    writeFileSync(quits, `import { Handoff, workerTask } from ${JSON.stringify(url)};\nnew Handoff(workerTask().data.cells).stop();\nprocess.exit(0);\n`);
    const h = new Handoff();
    const w = startWorker(pathToFileURL(quits), { cells: h.cells });
    h.alive = w.alive;
    let end = h.claim(100_000);
    // Claims go on only once the worker has stopped them: the next ones wait for a pick that never comes.
    while (Atomics.load(h.cells, 0) >= 0n) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    while (end < 1_000_000) {
      const got = h.claim(end + 100_000);
      assert.equal(got, end + 100_000, 'every claim granted in full');
      end = got;
    }
    assert.equal(h.picked(), -1);
    assert.throws(() => w.wait(), /worker ended without an answer/);
  }));

test('a worker started ahead loads its preload module, then takes the next task; the one after gets a new worker', { timeout: 20_000 }, () =>
  inScratch((dir) => {
    const url = new URL('./worker.js', import.meta.url).href;
    const preload = join(dir, 'preload.mjs');
    writeFileSync(preload, 'globalThis.preloaded = (globalThis.preloaded ?? 0) + 1;\n');
    const task = join(dir, 'task.mjs');
    writeFileSync(task, `import { threadId } from 'node:worker_threads';\nimport { serveWorker } from ${JSON.stringify(url)};\nserveWorker((data) => ({ result: { echo: data.x, preloaded: globalThis.preloaded ?? 0, threadId } }));\n`);
    prestartWorker(pathToFileURL(preload));
    const first = startWorker(pathToFileURL(task), { x: 41 }).wait() as { echo: number; preloaded: number; threadId: number };
    assert.equal(first.echo, 41, 'the task got its data');
    assert.equal(first.preloaded, 1, 'the spare had loaded its preload module once');
    const second = startWorker(pathToFileURL(task), { x: 42 }).wait() as { echo: number; preloaded: number; threadId: number };
    assert.equal(second.echo, 42);
    assert.equal(second.preloaded, 0, 'a worker started on demand preloads nothing');
    assert.notEqual(second.threadId, first.threadId);
  }));
