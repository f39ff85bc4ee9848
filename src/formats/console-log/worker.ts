// Worker entry: indexes one byte range of a console log, into its own segment of the bundle, for the build in index.ts.
import { serveWorker } from '../../util/worker.js';
import { scanRange } from './index.js';

serveWorker((data) => {
  const { path, name, start, end, dir } = data as { path: string; name: string; start: number; end: number; dir: string };
  return { result: scanRange(path, name, start, end, dir, 1) };
});
