// Worker entry: indexes one byte range of a console log for the build in index.ts.
import { serveWorker } from '../../util/worker.js';
import { scanRange } from './index.js';

serveWorker((data) => {
  const { path, name, start, end } = data as { path: string; name: string; start: number; end: number };
  const r = scanRange(path, name, start, end);
  const p = r.part;
  const cols = [p.line, p.offset, p.length, p.type, p.ts, p.cpu, p.sub, p.aux];
  return { result: r, transfer: cols.map((c) => c.buffer as ArrayBuffer) };
});
