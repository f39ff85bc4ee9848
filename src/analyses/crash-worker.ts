import { serveWorker } from '../util/worker.js';
import { extractCrashes } from './crashes/index.js';

// Crash extraction of a large log on the second core while the main thread makes the one pass of the other analyses.
serveWorker((data) => ({ result: extractCrashes((data as { path: string }).path) }));
