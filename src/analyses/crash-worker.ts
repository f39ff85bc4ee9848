import { serveWorker } from '../util/worker.js';
import { extractCrashes, type KnownRingLines } from './crashes/index.js';

// Crash extraction of a large log on the second core while the main thread makes the one pass of the other analyses.
serveWorker((data) => {
  const { path, ring } = data as { path: string; ring?: KnownRingLines };
  return { result: extractCrashes(path, ring) };
});
