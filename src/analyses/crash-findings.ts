import { statSync } from 'node:fs';
import { startWorker } from '../util/worker.js';
import { extractCrashes, type CrashKind, type CrashRecord, type KnownRingLines } from './crashes/index.js';
import type { Analysis, AnalysisInstance, Evidence, FindingDraft, Interest, Severity, SourceMeta } from './types.js';

/** Logs at least this big are searched for crashes on a worker thread, alongside the main pass (a worker costs ~40 ms to start). */
export const CRASH_WORKER_MIN_BYTES = 16 << 20;

/** How many backtrace frames go into a finding's detail (the data has them all). */
export const CRASH_DETAIL_FRAMES = 5;

const SEVERITY: Record<CrashKind, Severity> = {
  panic: 'error',
  oops: 'error',
  bug: 'error',
  fault: 'error',
  lockup: 'warning',
  stall: 'warning',
  'hung-task': 'warning',
  warning: 'warning',
};

const HINT: Record<CrashKind, string> = {
  panic: 'The kernel stopped here: the first frames and the report before the panic name the path; `kscope crashes INPUT` shows the whole record.',
  oops: 'A kernel fault: the faulting instruction is the pc/RIP register, the frames the call path; check the address (NULL + small offset means a missing pointer check).',
  bug: 'An assertion in the kernel fired (BUG/BUG_ON): the location or first frame is the check that failed.',
  fault: 'An exception the kernel did not handle: decode ESR/error code (shown) and look at the faulting pc (ELR/RIP) with addr2line or objdump.',
  lockup: 'A CPU ran too long without scheduling: the frames show the loop it was stuck in.',
  stall: 'RCU saw a CPU or task that never passed a quiescent state: look at the stalled CPU’s frames for a loop with preemption or interrupts off.',
  'hung-task': 'A task sat in uninterruptible sleep (D state) past the hung-task timeout: its frames show what it waits for; find who holds that lock or event.',
  warning: 'A WARN_ON fired: not fatal by itself, but the condition it checks was violated; later failures may follow from it.',
};

/** The crash kinds as finding codes: CRASH_PANIC, CRASH_HUNG_TASK, … */
export function crashCode(kind: CrashKind): string {
  return `CRASH_${kind.toUpperCase().replace(/-/g, '_')}`;
}

const KEY_REGISTERS = ['PC', 'RIP', 'ELR', 'LR', 'FAR', 'CR2', 'ESR', 'SP', 'RSP'];

/** One crash record as a finding: the report's first line as evidence, the record itself as data. */
export function crashFinding(c: CrashRecord): FindingDraft {
  const parts: string[] = [`${c.kind} at line ${c.line}${c.end_line > c.line ? `-${c.end_line}` : ''}`];
  if (c.cpu !== null) parts.push(`CPU ${c.cpu}`);
  if (c.comm || c.pid !== undefined) parts.push(`task ${c.comm ?? '?'}${c.pid !== undefined ? ` (pid ${c.pid})` : ''}`);
  if (c.tid !== undefined) parts.push(`tid ${c.tid}`);
  if (c.context) parts.push(`in ${c.context} mode`);
  let detail = `${parts.join(', ')}: ${c.message}`;
  const regs = KEY_REGISTERS.filter((k) => c.registers[k] !== undefined).map((k) => `${k}=${c.registers[k]}`);
  if (regs.length) detail += `. Registers: ${regs.join(' ')}`;
  if (c.esr) detail += `. ESR ${c.esr.value}: ${c.esr.ec_name}${c.esr.fsc_name ? `, ${c.esr.fsc_name}` : ''}`;
  if (c.location) detail += `. At ${c.location}`;
  if (c.frames.length) {
    detail += `. Frames: ${c.frames.slice(0, CRASH_DETAIL_FRAMES).map((f) => f.text).join(' <- ')}${c.frames.length > CRASH_DETAIL_FRAMES ? ` (+${c.frames.length - CRASH_DETAIL_FRAMES} more)` : ''}`;
  }
  if (c.fatal) detail += '. A panic followed.';
  if (c.truncated) detail += '. The log ends inside this report.';
  const evidence: Evidence[] = [{ line: c.line, text: c.message }];
  return {
    code: crashCode(c.kind),
    severity: c.fatal && SEVERITY[c.kind] !== 'error' ? 'error' : SEVERITY[c.kind],
    title: c.title,
    detail,
    evidence,
    hint: HINT[c.kind],
    data: { crash: c },
  };
}

/** What `crashes` hands to analyses that need it (hang: did the log end in a crash?). */
export interface CrashesOutput {
  crashes: CrashRecord[];
  lines: number;
}

export function isCrashesOutput(v: unknown): v is CrashesOutput {
  return typeof v === 'object' && v !== null && Array.isArray((v as CrashesOutput).crashes);
}

/**
 * Every record of `kscope crashes` (panics, oopses, BUGs, faults, warnings,
 * hung tasks, lockups, stalls) as a finding. The extractor reads the text
 * itself in one streaming pass (its families need whole reports, not events),
 * so this analysis asks for no events.
 */
export const crashes: Analysis = {
  id: 'crashes',
  title: 'crashes, faults and hung tasks in a console log',
  create(): AnalysisInstance {
    let path: string | null = null;
    let out: CrashesOutput = { crashes: [], lines: 0 };
    let pending: { wait(): unknown } | null = null;
    let ring: KnownRingLines | undefined;
    return {
      begin(meta: SourceMeta): Interest {
        // Crash reports are console text; event streams and QEMU/ftrace logs hold none in this form.
        path = meta.format === 'console-log' || meta.format === 'lines' ? meta.path : null;
        if (!path) return 'none';
        const trace = meta.typeNames.indexOf('TRACE_EVENT');
        if (trace >= 0 && (meta.summary.types.TRACE_EVENT ?? 0) > 0 && meta.lineTypes) ring = { lineTypes: meta.lineTypes(), code: trace + 1 };
        // The extractor reads the text itself; on a big log it runs on the other core during the pass.
        if (statSync(path).size >= CRASH_WORKER_MIN_BYTES) pending = startWorker(new URL('./crash-worker.js', import.meta.url), { path, ring });
        return 'none';
      },
      onEvent() {},
      end() {
        if (pending) out = pending.wait() as CrashesOutput;
        else if (path) out = extractCrashes(path, ring);
      },
      findings: () => out.crashes.map(crashFinding),
      output: () => out,
    };
  },
};
