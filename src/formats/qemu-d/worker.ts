// Worker entry: indexes the second byte range of a QEMU -d log, into its own segment of the bundle, for the build in parallel.ts.
import { serveWorker } from '../../util/worker.js';
import { readSecondPart } from '../../model/two-parts.js';
import { QEMU_PARTS } from './parallel.js';

serveWorker((data) => ({ result: readSecondPart(QEMU_PARTS, data) }));
