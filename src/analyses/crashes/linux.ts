/**
 * Linux console reports (x86_64 and arm64): panics, oopses, BUG/BUG_ON,
 * WARNINGs, hung tasks, soft/hard lockups and RCU stalls. Titles follow
 * syzbot's dedup shape: the report's kind plus the function it happened in
 * (`BUG: kernel NULL pointer dereference in do_sys_openat2`), never an
 * address, pid or timestamp.
 *
 * A report is one header line followed by body lines (CPU/Comm line,
 * registers, `Call Trace:` frames, `---[ end trace … ]---`). Follow-ups that
 * are part of the same event join it: `Oops:`/`Internal error:` after a
 * `BUG:`/`Unable to handle` line, the register re-print after `end trace`,
 * and `Kernel panic - not syncing: Fatal exception` after an oops.
 */
import { decodeEsr } from './esr.js';
import { maskMessage, normHex, titleFunction } from './title.js';
import type { CrashFamilyMatcher, CrashFrame, CrashKind, CrashRecord, Emit, LineCtx } from './types.js';

/** Foreign lines (other CPUs, user space) tolerated inside a report before it is closed. */
export const IDLE_LINES = 8;
/** A panic this many lines after a report, saying the report was fatal, joins it. */
const FOLLOWUP_LINES = 60;
/** An `Oops:`/`Internal error:` line this close to a header belongs to it. */
const OOPS_JOIN_LINES = 40;

type HeaderType =
  | 'panic'
  | 'null'
  | 'paging'
  | 'unable'
  | 'kernel-bug'
  | 'bug'
  | 'warning'
  | 'hung'
  | 'softlockup'
  | 'hardlockup'
  | 'rcu'
  | 'oops';

const KIND: Record<HeaderType, CrashKind> = {
  panic: 'panic',
  null: 'oops',
  paging: 'oops',
  unable: 'oops',
  oops: 'oops',
  'kernel-bug': 'bug',
  bug: 'bug',
  warning: 'warning',
  hung: 'hung-task',
  softlockup: 'lockup',
  hardlockup: 'lockup',
  rcu: 'stall',
};

interface Header {
  type: HeaderType;
  /** Where the report starts inside the line (junk from other writers may precede it). */
  at: number;
  message: string;
  /** A panic's reason (the text after `not syncing:`). */
  reason?: string;
  cpu?: number;
  pid?: number;
  comm?: string;
  func?: string;
  location?: string;
  /** Fault address named by the header (CR2 on x86, FAR on arm64). */
  address?: string;
  esr?: string;
  /** `Oops:`/`Internal error:`/trap lines: may join an open report instead of starting one. */
  joinable?: boolean;
}

// Unambiguous headers: matched anywhere in a line, because interleaved output can precede them.
const H_PANIC = /Kernel panic - not syncing:? ?(.*)$/;
const H_NULL = /BUG: kernel NULL pointer dereference, address: ([0-9a-fA-Fx]+)/;
const H_PAGING = /BUG: unable to handle (page fault for address|kernel paging request at|kernel NULL pointer dereference at)[: ]\s*([0-9a-fA-Fx]+)/;
const H_UNABLE = /Unable to handle kernel (.+?) at virtual address ([0-9a-fA-Fx]+)/;
const H_SOFT = /BUG: soft lockup - CPU#(\d+) stuck for \d+s! \[(.*):(\d+)\]/;
const H_HARD = /[Ww]atchdog: (?:Watchdog detected )?[Hh]ard LOCKUP on cpu (\d+)/;
const H_RCU = /INFO: (rcu_\w+|rcu) (?:self-detected stall|detected stalls?) on CPU/;
const H_HUNG = /INFO: task (.+):(\d+) blocked for more than \d+ seconds\./;
const H_KBUG = /kernel BUG at ([^\s:]+):(\d+)!/;
const H_INTERNAL = /Internal error: (.+?): ([0-9a-fA-F]+) \[#\d+\]/;
// Headers that are only headers at the start of a message (user space prints "WARNING:" too).
const H_WARN = /^WARNING: CPU: (\d+) PID: (\d+) at (\S+) ([\w.$]+)\+0x/;
const H_WARN_OLD = /^WARNING: at (\S+) ([\w.$]+)\+0x/;
const H_WARN_ANY = /^WARNING: (.+)$/;
const H_BUG_ANY = /^BUG: (.+)$/;
const H_OOPS = /^Oops(?::| -) .*\[#\d+\]/;
const H_TRAP =
  /^(general protection fault|invalid opcode|divide error|stack segment|double fault|int3|alignment check|bounds|invalid TSS|segment not present|machine check)(?:,[^:]*)?: [0-9a-f]{4}(?: \[#\d+\])?/;

/** Substrings every header and follow-up contains one of (the skip gate in extract.ts). */
export const TRIGGERS = [
  'panic', 'BUG', 'WARNING', 'INFO:', 'Oops', 'error', 'Unable to handle', 'LOCKUP', 'fault', 'opcode', 'segment',
  'int3', 'check', 'bounds', 'TSS', 'cut here',
];
/** Cheap test that a line may hold a header at all; most lines of a log fail it. */
const PREFILTER = /panic|BUG|WARNING|INFO:|Oops|Internal error|Unable to handle|LOCKUP|fault|opcode|error|segment|int3|check|bounds|TSS/;
const CUT_HERE = /-{6,}\[ cut here \]-{6,}/;
const END_TRACE = /---\[ end trace [0-9a-f]+ \]---/;
const END_PANIC = /---\[ end Kernel panic - not syncing/;
const PANIC_DONE = /^(?:Kernel Offset:|Memory Limit:|Rebooting in )/;
const FATAL_FOLLOWUP =
  /^(?:Fatal exception|Oops|softlockup: hung tasks|hung_task: blocked tasks|[Hh]ard ?LOCKUP|Fatal hardware error|Fatal Machine check|Fatal trap|panic_on_warn set|System is deadlocked on memory|RCU Stall)/;

const CPU_LINE = /^CPU: (\d+) (?:UID: \d+ )?PID: (\d+) Comm: (\S+)/;
const CALL_TRACE = /^Call [Tt]race:/;
const STACK_MARK = /^<(\/?)(TASK|IRQ|NMI|SOFTIRQ|EOI)>$/;
const FRAME =
  /^(?:\[<([0-9a-f]+)>\]\s*)?(?:\[[0-9a-f]+\] \[([0-9a-f]+)\] )?(\? )?([A-Za-z_.$][\w.$]*)\+(0x[0-9a-f]+)\/(0x[0-9a-f]+)(?: \[([\w-]+)(?: [A-Z]+)?\])?(?: \([A-Z]\))?$/;
/** The start of a frame line the end of the log cut short: the `+` says the function name is whole. */
const CUT_FRAME = /^(?:\[<[0-9a-f]+>\]\s*)?(\? )?([A-Za-z_.$][\w.$]*)\+(?:0x[0-9a-f]*(?:\/(?:0x[0-9a-f]*(?: \[[\w-]*)?)?)?)?$/;
/** A printk timestamp opening a line, or a whole line that the end of the log cut inside one. */
const STAMP_START = /^(?:<\d>)?\[\s*\d+\.\d+\]|^(?:<\d?>?|(?:<\d>)?\[[\s\d.]*)$/;
const RIP = /^[RE]IP: (?:([0-9a-f]{4}):)?(.*)$/;
const X86_REGS_LINE = /^(?:[A-Za-z][A-Za-z0-9_]{1,7}:\s*(?:[0-9a-f]{4}:)?[0-9a-f]+(?:\([0-9a-f]{4}\))?\s*)+$/;
const X86_REG = /([A-Za-z][A-Za-z0-9_]{1,7}):\s*(?:[0-9a-f]{4}:)?([0-9a-f]+)/g;
const ARM_REG = /^(pc|lr|sp)\s*: (.*)$/;
const ARM_XROW = /^(?:x\d{1,2}\s*: [0-9a-f]{8,16}\s*)+$/;
const ARM_X = /x(\d{1,2})\s*: ([0-9a-f]{8,16})/g;
const PSTATE = /^pstate: ([0-9a-f]+)/;
const ESR_LINE = /^ESR = (0x[0-9a-fA-F]+)/;
const SYM = /([A-Za-z_.$][\w.$]*)\+(0x[0-9a-f]+)\/(0x[0-9a-f]+)/;

/** Report body lines that carry nothing we parse but are part of the report. */
const BODY = [
  /^Hardware name:/,
  /^Modules linked in:/,
  /^(?:Not tainted |Tainted:)/,
  /^Workqueue:/,
  /^task:\S+\s+state:/,
  /hung_task_timeout_secs" disables this message/,
  /^#PF: /,
  /^(?:PGD|P4D|PUD|PMD|PTE) [0-9a-f]+/,
  /^(?:Mem|Data) abort info:/,
  /^(?:EC|SET|EA|FSC|ISV|ISS|ISS2|CM|WnR|IL|FnV|S1PTW|Access size|SSE|SRT|SF|AR|VNCR|TnD|TagAccess|GCS|Overlay|DirtyBit|Xs|LST)\s*=/,
  /^(?:user|swapper) pgtable:/,
  /^\[[0-9a-f]+\] pgd=/,
  /^Code: /,
  /^Instruction dump:/,
  /^(?:Kernel Offset:|PHYS_OFFSET:|CPU features:|Memory Limit:|Rebooting in |SMP: stopping secondary CPUs)/,
  /^irq event stamp:/,
  /^(?:hard|soft)irqs last (?:en|dis)abled at/,
  /^Showing all locks held/,
  /^\d+ locks? held by/,
  /^#\d+: /,
  /^(?:NMI backtrace for cpu|Sending NMI from CPU|Task dump for CPU)/,
  /^rcu: /,
  /^\(t=\d+ jiffies/,
  /^Disabling lock debugging/,
  /^(?:Read|Write) of size \d+/,
  /^(?:Allocated|Freed) by task/,
  /^The buggy address/,
  /^Memory state around/,
  /^[0-9a-f]{8,16}: /,
  /^Stack:/,
];

const SKIP_FRAMES = new Set([
  'dump_stack',
  'dump_stack_lvl',
  'show_stack',
  'dump_backtrace',
  'panic',
  'vpanic',
  '__warn',
  'warn_slowpath_fmt',
  'warn_slowpath_null',
  'report_bug',
  'handle_bug',
  'exc_invalid_op',
  'asm_exc_invalid_op',
  'do_trap',
  'do_error_trap',
  'die',
  '__die',
  'oops_end',
  'bug_handler',
  'brk_handler',
  'call_el1_break_hook',
  'do_el1_brk64',
  'el1_dbg',
  'el1h_64_sync_handler',
  'el1h_64_sync',
  'el1_abort',
  'do_mem_abort',
  '__do_kernel_fault',
  'die_kernel_fault',
  'do_translation_fault',
  'do_page_fault',
  'page_fault_oops',
  'exc_page_fault',
  'asm_exc_page_fault',
  'kernelmode_fixup_or_oops',
  '__bad_area_nosemaphore',
  'bad_area_nosemaphore',
  'do_user_addr_fault',
  'show_regs',
  'nmi_cpu_backtrace',
  'watchdog_timer_fn',
]);

/**
 * Where a blocked task sleeps (scheduler, wait and lock primitives): the
 * hung-task title names the first caller outside them, the code that waited.
 */
const SLEEP_FRAME =
  /^_*(?:switch_to|schedule|io_schedule|preempt_schedule|wait_for_|do_wait_for_common|wait_woken|percpu_rwsem|percpu_down|percpu_up|rwsem_|down_|down$|up_|up$|mutex_|rt_mutex|msleep|folio_wait|folio_lock|lock_page|wait_on_|bit_wait|out_of_line_wait_on_bit|raw_spin_lock|spin_lock|futex_wait)/;

function detect(text: string): Header | null {
  let m = H_PANIC.exec(text);
  if (m) return { type: 'panic', at: m.index, message: text.slice(m.index).trim(), reason: m[1].trim() };
  m = H_NULL.exec(text);
  if (m) return { type: 'null', at: m.index, message: text.slice(m.index).trim(), address: m[1] };
  m = H_PAGING.exec(text);
  if (m) return { type: 'paging', at: m.index, message: text.slice(m.index).trim(), address: m[2] };
  m = H_SOFT.exec(text);
  if (m) return { type: 'softlockup', at: m.index, message: text.slice(m.index).trim(), cpu: Number(m[1]), comm: m[2], pid: Number(m[3]) };
  m = H_HUNG.exec(text);
  if (m) return { type: 'hung', at: m.index, message: text.slice(m.index).trim(), comm: m[1], pid: Number(m[2]) };
  m = H_KBUG.exec(text);
  if (m) return { type: 'kernel-bug', at: m.index, message: text.slice(m.index).trim(), location: `${m[1]}:${m[2]}` };
  m = H_UNABLE.exec(text);
  if (m) return { type: 'unable', at: m.index, message: text.slice(m.index).trim(), address: m[2] };
  m = H_HARD.exec(text);
  if (m) return { type: 'hardlockup', at: m.index, message: text.slice(m.index).trim(), cpu: Number(m[1]) };
  m = H_RCU.exec(text);
  if (m) return { type: 'rcu', at: m.index, message: text.slice(m.index).trim() };
  m = H_INTERNAL.exec(text);
  if (m) return { type: 'oops', at: m.index, message: text.slice(m.index).trim(), esr: m[2], joinable: true };
  const t = text.trimStart();
  m = H_WARN.exec(t);
  if (m) return { type: 'warning', at: 0, message: t.trim(), cpu: Number(m[1]), pid: Number(m[2]), location: m[3], func: m[4] };
  m = H_WARN_OLD.exec(t);
  if (m) return { type: 'warning', at: 0, message: t.trim(), location: m[1], func: m[2] };
  m = H_WARN_ANY.exec(t);
  if (m) return { type: 'warning', at: 0, message: t.trim() };
  m = H_BUG_ANY.exec(t);
  if (m) return { type: 'bug', at: 0, message: t.trim() };
  if (H_OOPS.test(t) || H_TRAP.test(t)) return { type: 'oops', at: 0, message: t.trim(), joinable: true };
  return null;
}

interface Open {
  rec: CrashRecord;
  type: HeaderType;
  header: Header;
  foreign: number;
  /** The latest unclaimed foreign line, while it is the only one since the report's last line. */
  lastForeign: LineCtx | null;
  /** The header line starts with a printk timestamp, so the kernel's lines around it do too. */
  stamped: boolean;
  complete: boolean;
  /** After `---[ end trace ]---` only the register re-print still belongs. */
  afterEnd: boolean;
  emitted: boolean;
  oopsSeen: boolean;
  traces: number;
  inTrace: boolean;
  /** The trace has `<TASK>`-style markers (x86), so it runs to `</TASK>`. */
  taskMarks: boolean;
  /** Register lines go to the record while the current RIP block is the one kept. */
  takingRegs: boolean;
  userRegs: boolean | null;
  /** Function of the kernel-mode RIP (x86) or pc (arm64). */
  func?: string;
}

function frameOf(t: string): CrashFrame | null {
  const m = FRAME.exec(t);
  if (!m) return null;
  const f: CrashFrame = { text: `${m[4]}+${m[5]}/${m[6]}${m[7] ? ` [${m[7]}]` : ''}`, function: m[4], offset: m[5], size: m[6] };
  if (m[7]) f.module = m[7];
  const addr = m[1] ?? m[2];
  if (addr) f.address = normHex(addr);
  if (m[3]) {
    f.unreliable = true;
    f.text = `? ${f.text}`;
  }
  return f;
}

/** A register value as printed: a symbol (`func+0x1/0x2`) or a hex address. */
function regValue(v: string): { value: string; func?: string } | null {
  const s = SYM.exec(v);
  if (s) return { value: s[0], func: s[1] };
  const h = /(?:0x)?([0-9a-fA-F]{1,16})\b/.exec(v.replace(/\[<|>\]/g, ' ').trim());
  return h ? { value: normHex(h[1]) } : null;
}

function firstFrame(frames: CrashFrame[], skip: (fn: string) => boolean): string | undefined {
  for (const f of frames) if (!f.unreliable && f.function && !skip(f.function)) return f.function;
  return undefined;
}

function titleOf(o: Open): string {
  const h = o.header;
  const frames = o.rec.frames;
  const fnRaw = o.func ?? firstFrame(frames, (fn) => SKIP_FRAMES.has(titleFunction(fn)));
  const fn = fnRaw ? titleFunction(fnRaw) : undefined;
  const inFn = (base: string, f = fn) => (f ? `${base} in ${f}` : base);
  switch (o.type) {
    case 'panic':
      return `Kernel panic - not syncing: ${maskMessage(h.reason ?? '')}`;
    case 'null':
      return inFn('BUG: kernel NULL pointer dereference');
    case 'paging':
      return inFn(/NULL/.test(h.message) ? 'BUG: unable to handle kernel NULL pointer dereference' : 'BUG: unable to handle page fault');
    case 'unable': {
      const what = /Unable to handle kernel (.+?) at virtual address/.exec(h.message)?.[1] ?? 'paging request';
      return inFn(`Unable to handle kernel ${maskMessage(what)}`);
    }
    case 'kernel-bug':
      return fn ? `kernel BUG in ${fn}` : `kernel BUG at ${h.location ?? 'unknown'}!`;
    case 'warning':
      if (h.func) return `WARNING in ${titleFunction(h.func)}`;
      return `WARNING: ${maskMessage(h.message.replace(/^WARNING: /, ''))}`;
    case 'hung': {
      const f = firstFrame(frames, (x) => SLEEP_FRAME.test(titleFunction(x)) || SKIP_FRAMES.has(titleFunction(x)));
      return f ? `INFO: task hung in ${titleFunction(f)}` : 'INFO: task hung';
    }
    case 'softlockup':
      return inFn('BUG: soft lockup');
    case 'hardlockup':
      return inFn('hard LOCKUP');
    case 'rcu':
      return inFn('INFO: rcu detected stall');
    case 'bug': {
      const msg = h.message.replace(/^BUG: /, '');
      const withFn = /^(.*? in [A-Za-z_.$][\w.$]*)\+0x/.exec(msg);
      if (withFn) return `BUG: ${maskMessage(withFn[1])}`;
      const head = msg.split(/: | at /)[0];
      return inFn(`BUG: ${maskMessage(head)}`);
    }
    case 'oops': {
      const trap = H_TRAP.exec(h.message)?.[1];
      if (trap) return inFn(trap);
      if (/^Internal error: /.test(h.message)) return inFn(`Internal error: ${maskMessage(h.message.replace(/^Internal error: (.+?): .*$/, '$1'))}`);
      return inFn('Oops');
    }
  }
}

export function makeLinuxMatcher(emit: Emit): CrashFamilyMatcher {
  let open: Open | null = null;
  let last: Open | null = null;
  let cutHere = -1;
  let cutHereOffset = 0;

  const setReg = (o: Open, name: string, value: string, override = false) => {
    if (override || o.rec.registers[name] === undefined) o.rec.registers[name] = value;
  };

  /** `cutLine`: the log stopped inside this line (no newline after it). */
  const close = (eof = false, cutLine = -1) => {
    if (!open) return;
    const o = open;
    open = null;
    // A foreign last line that the log cut short may be the report's own line, missing the part
    // that would have said so, when its start is kernel output like the report's (a timestamp, or
    // a frame's indentation in a log without them): then the report was cut, and a frame still
    // recognisable is kept. User space's last words (a prompt) are not the report's.
    const c = o.lastForeign;
    const cut = c && o.foreign === 1 && c.no === cutLine && (o.stamped ? STAMP_START.test(c.raw) : /^\s/.test(c.raw)) ? c : null;
    if (cut) {
      o.rec.end_line = cut.no;
      const f = o.inTrace ? CUT_FRAME.exec(cut.text.trim()) : null;
      if (f && o.rec.frames.length < 256) o.rec.frames.push({ text: f[0], function: f[2], ...(f[1] ? { unreliable: true } : {}) });
    }
    // Cut only when the log stops on a line of the report before its end marker.
    o.rec.truncated = eof && !o.complete && (o.foreign === 0 || cut !== null);
    o.rec.title = titleOf(o);
    if (o.rec.registers.ESR && !o.rec.esr) {
      const e = decodeEsr(o.rec.registers.ESR);
      if (e) o.rec.esr = e;
    }
    if (!o.emitted) {
      o.emitted = true;
      emit(o.rec);
    }
  };

  const start = (l: LineCtx, h: Header) => {
    close();
    const rec: CrashRecord = {
      kind: KIND[h.type],
      title: '',
      line: l.no,
      end_line: l.no,
      cpu: h.cpu ?? l.callerCpu ?? null,
      registers: {},
      frames: [],
      family: 'linux',
      message: h.message,
      byte_offset: l.offset,
      truncated: false,
    };
    if (h.pid !== undefined) rec.pid = h.pid;
    if (h.comm !== undefined) rec.comm = h.comm;
    if (h.location !== undefined) rec.location = h.location;
    // BUG() and WARN() print a cut-here line right before the header: the report starts there.
    if ((h.type === 'kernel-bug' || h.type === 'warning' || h.type === 'bug') && cutHere >= l.no - 2 && cutHere > 0) {
      rec.line = cutHere;
      rec.byte_offset = cutHereOffset;
    }
    const o: Open = {
      rec,
      type: h.type,
      header: h,
      foreign: 0,
      lastForeign: null,
      stamped: STAMP_START.test(l.raw),
      complete: false,
      afterEnd: false,
      emitted: false,
      oopsSeen: h.type === 'oops',
      traces: 0,
      inTrace: false,
      taskMarks: false,
      takingRegs: false,
      userRegs: null,
    };
    if (h.address !== undefined) {
      if (h.type === 'unable') {
        setReg(o, 'FAR', normHex(h.address));
        rec.arch = 'arm64';
      } else setReg(o, 'CR2', normHex(h.address));
    }
    if (h.esr !== undefined) {
      setReg(o, 'ESR', normHex(h.esr));
      rec.arch = 'arm64';
    }
    open = o;
    last = o;
  };

  /** Joins a follow-up header (oops line, fatal panic) to `o`; true when it did. */
  const join = (o: Open, h: Header, l: LineCtx): boolean => {
    if (h.joinable && !o.oopsSeen && o.type !== 'panic' && o.type !== 'warning' && l.no - o.rec.line <= OOPS_JOIN_LINES) {
      o.oopsSeen = true;
      if (h.esr !== undefined) {
        setReg(o, 'ESR', normHex(h.esr));
        o.rec.arch = 'arm64';
      }
      return true;
    }
    if (h.type === 'panic' && o.type !== 'panic' && FATAL_FOLLOWUP.test(h.reason ?? '') && l.no - o.rec.end_line <= FOLLOWUP_LINES) {
      o.rec.fatal = true;
      o.complete = false;
      o.afterEnd = false;
      return true;
    }
    return false;
  };

  /** Body lines of an open report; true when the line belongs to it. */
  const body = (o: Open, l: LineCtx): boolean => {
    const t = l.text.trim();
    const r = o.rec;
    if (END_PANIC.test(t)) {
      o.complete = true;
      return true;
    }
    if (END_TRACE.test(t)) {
      o.complete = true;
      o.afterEnd = true;
      o.inTrace = false;
      return true;
    }
    const rip = RIP.exec(t);
    if (rip) {
      const cs = rip[1];
      const user = cs !== undefined && (Number.parseInt(cs, 16) & 3) === 3;
      // Keep the first register block, unless it was user mode and a kernel one follows.
      o.takingRegs = o.userRegs === null || (o.userRegs && !user);
      if (o.takingRegs) {
        if (o.userRegs !== null) for (const k of Object.keys(r.registers)) if (!['CR2', 'FAR', 'ESR'].includes(k)) delete r.registers[k];
        o.userRegs = user;
        const v = regValue(rip[2]);
        if (v) {
          setReg(o, 'RIP', v.value, true);
          if (v.func && !user) o.func = v.func;
        }
        if (cs !== undefined) setReg(o, 'CS', normHex(cs), true);
      }
      r.arch = 'x86_64';
      return true;
    }
    if (o.afterEnd) {
      // The re-print after `end trace` repeats what we already have.
      return t.startsWith('Code: ') || X86_REGS_LINE.test(t);
    }
    if (X86_REGS_LINE.test(t)) {
      // Lines of a register block we chose not to keep (user pt_regs inside a trace) are skipped.
      if (o.takingRegs || o.userRegs === null) for (const m of t.matchAll(X86_REG)) setReg(o, m[1].toUpperCase(), normHex(m[2]), true);
      return true;
    }
    const cpu = CPU_LINE.exec(t);
    if (cpu) {
      if (r.cpu === null) r.cpu = Number(cpu[1]);
      if (r.pid === undefined) r.pid = Number(cpu[2]);
      if (r.comm === undefined) r.comm = cpu[3];
      return true;
    }
    if (CALL_TRACE.test(t)) {
      o.traces++;
      o.inTrace = o.traces === 1;
      o.taskMarks = false;
      return true;
    }
    const mark = STACK_MARK.exec(t);
    if (mark) {
      if (mark[1] === '/' && mark[2] === 'TASK') o.inTrace = false;
      else if (mark[1] === '') o.taskMarks = true;
      return true;
    }
    const f = frameOf(t);
    if (f) {
      if (o.inTrace && r.frames.length < 256) r.frames.push(f);
      return true;
    }
    const known = notFrame(o, t);
    // x86 traces run to `</TASK>` (user registers sit inside them); others end at the report's first
    // line that is not a frame. A line that is not the report's (another CPU's printk, user space)
    // ends nothing: the frames after it are still this trace's.
    if (known && !o.taskMarks) o.inTrace = false;
    return known;
  };

  /** Body lines that are not frames (registers, markers, known report lines); true when the line belongs. */
  const notFrame = (o: Open, t: string): boolean => {
    const r = o.rec;
    const arm = ARM_REG.exec(t);
    if (arm) {
      const name = arm[1].toUpperCase();
      if (r.registers[name] === undefined) {
        const v = regValue(arm[2]);
        if (v) {
          setReg(o, name, v.value);
          if (name === 'PC' && v.func) o.func = v.func;
        }
      }
      r.arch = 'arm64';
      return true;
    }
    const ps = PSTATE.exec(t);
    if (ps) {
      setReg(o, 'PSTATE', normHex(ps[1]));
      r.arch = 'arm64';
      return true;
    }
    if (ARM_XROW.test(t)) {
      for (const m of t.matchAll(ARM_X)) setReg(o, `X${m[1]}`, normHex(m[2]));
      return true;
    }
    const esr = ESR_LINE.exec(t);
    if (esr) {
      setReg(o, 'ESR', normHex(esr[1]), true);
      r.arch = 'arm64';
      return true;
    }
    if ((o.type === 'panic' || o.rec.fatal) && PANIC_DONE.test(t)) {
      o.complete = true;
      return true;
    }
    return BODY.some((re) => re.test(t));
  };

  return {
    line(l: LineCtx, claimed: boolean): boolean {
      if (claimed) {
        if (open && l.raw.trim() !== '') {
          open.lastForeign = null;
          if (++open.foreign > IDLE_LINES) close();
        }
        return false;
      }
      const h = PREFILTER.test(l.text) ? detect(l.text) : null;
      if (h) {
        if (open && join(open, h, l)) {
          open.rec.end_line = l.no;
          open.foreign = 0;
          return true;
        }
        if (!open && last && h.type === 'panic' && join(last, h, l)) {
          // The report already closed (e.g. after `end trace`): the panic that follows is its end.
          open = last;
          open.rec.end_line = l.no;
          open.foreign = 0;
          return true;
        }
        start(l, h);
        return true;
      }
      if (CUT_HERE.test(l.text)) {
        cutHere = l.no;
        cutHereOffset = l.offset;
        if (open && open.complete) close();
        return false;
      }
      const o = open;
      if (!o) return false;
      if (body(o, l)) {
        o.rec.end_line = l.no;
        o.foreign = 0;
        if (END_PANIC.test(l.text)) close();
        return true;
      }
      if (l.raw.trim() === '') return false;
      // A finished report ends at its first foreign line; an unfinished one tolerates a few.
      o.lastForeign = o.foreign === 0 ? l : null;
      if (o.complete || ++o.foreign > IDLE_LINES) close();
      return false;
    },
    active(): boolean {
      return open !== null;
    },
    end(lastLine: number, cut: boolean): void {
      close(true, cut ? lastLine : -1);
    },
  };
}
