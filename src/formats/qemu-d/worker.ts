// Worker entry: indexes the second byte range of a QEMU -d log, into its own segment of the bundle, for the build in parallel.ts.
import { serveWorker } from '../../util/worker.js';
import type { PartTask } from '../../model/two-parts.js';
import type { QemuState } from './build.js';
import { scanPart } from './parallel.js';

serveWorker((data) => ({ result: scanPart(data as PartTask<QemuState>) }));
