import type { Bundle, Column, ColumnInfo } from './bundle.js';
import type { DiagnosticLog } from './diagnostics.js';
import type { EventSource } from './source.js';

/** Options given on the command line that a reader may use (`--meta`, `--format-spec`, `--elf`). */
export type ReaderOptions = Record<string, string | undefined>;

export interface BuildContext {
  /** The input as the user named it (the file read may be a decompressed copy). */
  name: string;
  diagnostics: DiagnosticLog;
  /** The bundle being written (a draft directory): builds that stream columns write them here (ColumnWriter). */
  dir: string;
  /** Called now and then with bytes done and total. */
  progress?: (done: number, total: number) => void;
}

/**
 * The first line of a TII dump on a serial console. Text readers watch for it
 * in their input (one memmem per chunk) and name `tii-console` in
 * BuildResult.better when it is there.
 */
export const TII_DUMP_START = '=== BINARY TRANSFER START ===';
/** TII_DUMP_START as bytes. */
export const TII_DUMP_START_BYTES: Uint8Array = Buffer.from(TII_DUMP_START, 'latin1');

export interface BuildResult {
  /** Format-specific description stored in the manifest (streams, summaries). */
  data: unknown;
  columns: Record<string, Column>;
  /** Columns already written into the draft directory, in segments. */
  segmented?: Record<string, ColumnInfo>;
  /** Small side files (JSON) stored in the bundle. */
  files?: Record<string, string>;
  /** Crc32 of the whole input when the build streamed it. */
  crc32?: number;
  /**
   * Id of a reader that reads this input better, learned while building
   * (a console log holding a TII dump past its head): a build of an
   * auto-detected input is redone with that reader.
   */
  better?: string;
}

/** One stream inside an indexed input (a console log may hold several dumps). */
export interface StreamInfo {
  id: string;
  label: string;
  events: number;
}

/**
 * One input format. `detect` is pure and reads only the head; `build` makes
 * one streaming pass; `open` answers queries from the bundle.
 */
export interface FormatReader {
  id: string;
  title: string;
  kind: 'binary' | 'text';
  /** 0 = not mine … 1 = certainly mine. `name` only breaks ties. */
  detect(head: Buffer, name: string): number;
  /** The options that change what `build` produces, as stable strings (file fingerprints, hashes). */
  optionsKey(options: ReaderOptions, path: string): Record<string, string | null>;
  build(path: string, options: ReaderOptions, ctx: BuildContext): BuildResult;
  streams(bundle: Bundle): StreamInfo[];
  open(bundle: Bundle, path: string, stream: string | undefined): EventSource;
}
