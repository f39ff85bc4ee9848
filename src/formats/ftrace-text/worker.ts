// Worker entry: indexes the second byte range of an ftrace text file, into its own segment of the bundle, for the build in index.ts.
import { serveWorker } from '../../util/worker.js';
import { scanPart, type PartTask } from './parallel.js';

serveWorker((data) => ({ result: scanPart(data as PartTask) }));
