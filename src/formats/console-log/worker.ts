// Worker entry: indexes the second byte range of a console log, into its own segment of the bundle, for the build in index.ts.
import { serveWorker } from '../../util/worker.js';
import { readSecondPart } from '../../model/two-parts.js';
import { CONSOLE_PARTS } from './index.js';

serveWorker((data) => ({ result: readSecondPart(CONSOLE_PARTS, data) }));
