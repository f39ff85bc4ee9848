// A console-log indexing worker that waits 4 ms before each read: the second part's reader made slow, for
// the test that the first thread then reads the end of the worker's part itself (console-log-steal.test.ts).
import { serveWorker } from '../src/util/worker.js';
import { readSecondPart, type PartReader } from '../src/model/two-parts.js';
import { CONSOLE_PARTS } from '../src/formats/console-log/index.js';

const pause = new Int32Array(new SharedArrayBuffer(4));
const slow = (claim: (end: number) => number) => (end: number) => {
  Atomics.wait(pause, 0, 0, 4);
  return claim(end);
};

const SLOW: typeof CONSOLE_PARTS = { ...CONSOLE_PARTS, scan: (task, diags, progress, claim) => CONSOLE_PARTS.scan(task, diags, progress, claim && slow(claim)) };
serveWorker((data) => ({ result: readSecondPart(SLOW as PartReader<never, unknown>, data) }));
