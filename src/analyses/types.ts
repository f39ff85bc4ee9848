import type { EventRecord } from '../model/event.js';
import type { EventCursor, Summary } from '../model/source.js';
import type { LineText } from './text.js';
import type { ExpectationSet } from './expect-file.js';

export type Severity = 'error' | 'warning' | 'info';

/** Severities from the most to the least urgent: the order findings are shown in. */
export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];

/**
 * One piece of evidence: where (a 1-based line for text, an event index, a
 * word/byte offset for binary streams) and the text found there. PRODUCT.md
 * asks for "line or index"; both are given when both are known, so a user
 * can open the line in an editor and `kscope event INPUT N` alike.
 */
export interface Evidence {
  line?: number;
  index?: number;
  offset?: number;
  text: string;
}

/**
 * A finding as the analyses produce it. `title` must stay the same across runs
 * of the same problem (no addresses, counts or timestamps in it) so findings
 * dedupe; the numbers go into `detail` and `data`.
 */
export interface FindingDraft {
  /** UPPER_SNAKE, stable for scripts. */
  code: string;
  severity: Severity;
  title: string;
  detail: string;
  evidence: Evidence[];
  hint: string;
  data?: Record<string, unknown>;
}

/** The JSON contract (PRODUCT.md): `id`, `severity`, `title`, `detail`, `evidence`, `hint`, plus `code`, `data`, `source`. */
export interface Finding {
  /** The analysis id (kebab-case). */
  id: string;
  code: string;
  severity: Severity;
  title: string;
  detail: string;
  evidence: Evidence[];
  hint: string;
  data: Record<string, unknown>;
  /** The input (and stream) the finding is about. */
  source: string;
}

/**
 * What one pass is over, handed to every analysis in `begin`. `text` is set
 * for line-oriented inputs: it reads the line of the current event from the
 * input in step with the scan (no per-line work unless asked).
 */
export interface SourceMeta {
  /** The input as the user named it, with `#stream` when it holds several. */
  name: string;
  /** Reader id (`console-log`, `qemu-d`, `tii-ftrace`, …) or `lines` for a plain line view. */
  format: string;
  typeNames: readonly string[];
  count: number;
  summary: Summary;
  /** Unit of `cursor.ts` (`s`, `ticks`, …), null when events carry no time. */
  tsUnit: string | null;
  /** The plain (decompressed) text file behind a line-oriented source, else null. */
  path: string | null;
  text: LineText | null;
  /** Event N, decoded (for evidence at the end of the pass; costs a read each). */
  event(index: number): EventRecord;
  /**
   * A second pass over every event, for the end of an analysis that needs
   * one only when it reports (rare): work every run would pay for stays out
   * of the shared pass.
   */
  rescan(visit: (c: EventCursor) => void): void;
  /** Text sources with an index: per line number, 1 + the type id of its event (0: none); see EventSource.lineTypes. */
  lineTypes?(): Uint8Array;
}

/** Which events an analysis wants: every one, some types (ids into `typeNames`), or none (it works in `end`). */
export type Interest = 'all' | readonly number[] | 'none';

/** Options of one `diagnose` run that analyses may read; each takes what concerns it. */
export interface AnalysisConfig {
  /** Expectation sets from `--expect` files (already parsed and checked). */
  expect: ExpectationSet[];
  /** Leave the built-in expectation sets out. */
  noBuiltinExpectations?: boolean;
}

/** Outputs of the analyses an analysis declared in `needs`, by id (absent when one failed). */
export type DependencyOutputs = ReadonlyMap<string, unknown>;

/**
 * One analysis over one source: made fresh by `create` for every pass, so it
 * keeps its state in itself and nowhere else. The runner calls `begin` once,
 * `onEvent` for every event of the types `begin` asked for (in order; the
 * cursor is reused, so keep numbers and indexes, never the cursor), `end`
 * once (after the `end` of everything it needs), then `findings`.
 */
export interface AnalysisInstance {
  begin(meta: SourceMeta): Interest;
  onEvent(c: EventCursor): void;
  end(deps: DependencyOutputs): void;
  findings(): FindingDraft[];
  /** Data for analyses that declared this one in `needs`. */
  output?(): unknown;
}

export interface Analysis {
  /** Stable kebab-case id (used by `--only` and in every finding). */
  id: string;
  title: string;
  /** Ids of analyses whose output this one reads in `end`; they run first. */
  needs?: readonly string[];
  create(config: AnalysisConfig): AnalysisInstance;
}
