// Worker entry: indexes the second byte range of an ftrace text file, into its own segment of the bundle, for the build in parallel.ts.
import { serveWorker } from '../../util/worker.js';
import { readSecondPart } from '../../model/two-parts.js';
import { FTRACE_PARTS } from './parallel.js';

serveWorker((data) => ({ result: readSecondPart(FTRACE_PARTS, data) }));
