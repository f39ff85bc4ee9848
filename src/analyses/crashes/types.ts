/**
 * One crash report found in a console log: the JSON contract of `kscope crashes`.
 * `kind`, `title`, `line`, `end_line`, `cpu`, `registers` and `frames` are fixed
 * by PRODUCT.md; the rest are extras that scripts may use.
 */

/** What happened, coarsely: the kernel died (panic), trapped (oops/fault), asserted (bug), or stalled. */
export type CrashKind = 'panic' | 'oops' | 'bug' | 'warning' | 'hung-task' | 'lockup' | 'stall' | 'fault';

/** Which kernel's conventions the report follows. */
export type CrashFamily = 'linux' | 'rust' | 'breenix';

/** One backtrace entry as the kernel printed it, plus its parsed parts. */
export interface CrashFrame {
  /** `func+0x1c/0x30 [module]`, or a bare address when nothing else is known. */
  text: string;
  function?: string;
  offset?: string;
  size?: string;
  module?: string;
  address?: string;
  /** Linux prints `? func` for frames it found on the stack but could not prove are calls. */
  unreliable?: boolean;
  /** Rust backtraces print the source position on the next line. */
  location?: string;
}

/** An arm64 ESR_ELx value decoded (exception class, fault status). */
export interface EsrInfo {
  value: string;
  ec: string;
  ec_name: string;
  il: number;
  iss: string;
  /** IFSC for instruction aborts, DFSC for data aborts. */
  fsc_kind?: 'IFSC' | 'DFSC';
  fsc?: string;
  fsc_name?: string;
  /** Data aborts: the access was a write. */
  wnr?: boolean;
  /** BRK: the immediate (0x800 is Linux's BUG()). */
  comment?: string;
}

/** One entry of a Breenix `DISPATCH_TRACE cpu=N:` block (a recent context switch on that CPU). */
export interface DispatchEntry {
  index: number;
  /** K = kernel switch, I = idle, U = user. */
  mode: string;
  old_tid: number;
  tid: number;
  elr: string;
  spsr: string;
  x30: string;
  sp: string;
}

export interface CrashRecord {
  kind: CrashKind;
  /** Stable across runs: addresses, pids, timestamps, counters and CPU numbers masked. */
  title: string;
  /** 1-based first and last line of the report. */
  line: number;
  end_line: number;
  cpu: number | null;
  /** Upper-case register name → value (hex as `0x…`, or `func+0x1/0x2` when the kernel printed a symbol). */
  registers: Record<string, string>;
  frames: CrashFrame[];
  family: CrashFamily;
  /** The report's first line, cleaned (no timestamp, escapes or junk). */
  message: string;
  /** Byte offset of `line` in the (decompressed) input. */
  byte_offset: number;
  /** The log stops inside this record. */
  truncated: boolean;
  arch?: 'x86_64' | 'arm64';
  /** Where the fault was taken, when the report says. */
  context?: 'kernel' | 'user';
  pid?: number;
  /** Thread that took the fault (Breenix `[DIAG] tid=`, `current_tid=`). */
  tid?: number;
  /** Breenix: the thread whose cleanup the fault handler deferred (`deferred_tid=`). */
  deferred_tid?: number;
  comm?: string;
  /** Source position the report names (`file:line` or `file:line:col`). */
  location?: string;
  esr?: EsrInfo;
  /** Breenix fault label (`INSTRUCTION_ABORT`, `DATA_ABORT`, `PC_ALIGN`, …). */
  label?: string;
  /** A panic followed this report (e.g. `Kernel panic - not syncing: Fatal exception`). */
  fatal?: boolean;
  dispatch_trace?: DispatchEntry[];
}

/** A cleaned input line as every family sees it. */
export interface LineCtx {
  no: number;
  offset: number;
  /** The line without CR, NUL, ANSI escapes or other control characters. */
  raw: string;
  /** `raw` without a printk timestamp/level/caller prefix or a Breenix x86 `[LEVEL] target:` prefix. */
  text: string;
  /** CPU from a printk caller field (`[ C1]`), when the log has one. */
  callerCpu?: number;
  /** The nearest line above that is not noise (extract.ts isNoise), when noise lines sit in between. */
  above?: number;
}

/**
 * One crash-report family. `line` sees every line once, in order; `claimed`
 * says an earlier family already took it, so this one must not start a report
 * from it. Returns true when this family used the line.
 */
export interface CrashFamilyMatcher {
  line(l: LineCtx, claimed: boolean): boolean;
  /** A report is open: every line matters, not only lines holding a trigger string. */
  active(): boolean;
  /**
   * End of input after `lastLine` lines: close what is open. `cut`: the last
   * line had no newline, so the log stopped inside it (it may be a report's
   * line that lost the part that would have said so).
   */
  end(lastLine: number, cut: boolean): void;
  /**
   * A Breenix `[TRACE] CPU` ring line holding no trigger, while this family
   * alone has a report open: true when the family took it as its report's
   * own without reading its text (fatal dumps are mostly such lines).
   */
  ringLine?(l: LineCtx): boolean;
}

export type Emit = (rec: CrashRecord) => void;

