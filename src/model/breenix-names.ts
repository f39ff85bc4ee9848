/**
 * Breenix trace event types: the superset name table.
 *
 * This is data shared by two readers of one kernel's formats (the `[TRACE]`
 * serial-dump family inside console-log and the breenix-trace reader for
 * `/proc/trace/*` and raw `TRACE_BUFFERS` images). Formats may not import each
 * other, so the table lives here; it holds no format logic.
 *
 * The kernel's own name table (`event_type_name` in `tracing/output.rs`)
 * misses ids that are emitted anyway, and prints those as `UNKNOWN` with the
 * label `payload`. A decoder must name them itself, so every entry says
 * whether the kernel prints its name (`kernelNamed`).
 */

export interface BreenixEventType {
  id: number;
  name: string;
  /** What the payload holds, as the kernel labels it (`old_tid<<16|new_tid`); null when unknown. */
  label: string | null;
  /** The kernel's own table has this id; otherwise it prints `UNKNOWN payload=…`. */
  kernelNamed: boolean;
}

/** The label the kernel prints for ids missing from its table. */
export const BREENIX_UNKNOWN_NAME = 'UNKNOWN';
export const BREENIX_UNKNOWN_LABEL = 'payload';

// [id, name, label, kernelNamed]. Sources: breenix.md §1.4, tracing/output.rs and the
// providers, and the ids the committed serial captures print (0xFF10-0xFF49 follow the
// order of output.rs, and every id the captures show agrees with it).
const ROWS: readonly (readonly [number, string, string | null, boolean])[] = [
  [0x0001, 'CTX_SWITCH_ENTRY', 'old_tid<<16|new_tid', true],
  [0x0002, 'CTX_SWITCH_EXIT', 'new_tid', true],
  [0x0003, 'CTX_SWITCH_TO_USER', 'tid', true],
  [0x0004, 'CTX_SWITCH_TO_KERNEL', 'tid', true],
  [0x0005, 'CTX_SWITCH_TO_IDLE', '0', true],
  // The sched provider's own probes: emitted, printed as UNKNOWN.
  [0x0010, 'SCHED_PICK', 'tid', false],
  [0x0011, 'SCHED_RESCHED', '0', false],
  [0x0012, 'SCHED_QUEUE_STATE', 'ready_len<<16|chosen_tid', false],
  [0x0100, 'IRQ_ENTRY', 'vector', true],
  [0x0101, 'IRQ_EXIT', 'vector', true],
  [0x0102, 'TIMER_TICK', 'tick_count', true],
  [0x0103, 'HEARTBEAT_MARKER', null, false],
  [0x0200, 'SCHED_PICK', 'tid', true],
  [0x0201, 'SCHED_RESCHED', '0', true],
  [0x0202, 'SCHED_PREEMPT', '0', true],
  [0x0203, 'SCHED_WAKE_CURRENT', 'target_cpu<<16|tid', true],
  [0x0204, 'SCHED_RESCHED_IPI_SEND', 'target_cpu<<16|source_cpu', true],
  [0x0205, 'SCHED_RESCHED_IPI_RECV', 'irq_id', true],
  [0x0300, 'SYSCALL_ENTRY', 'syscall_nr', true],
  [0x0301, 'SYSCALL_EXIT', 'result', true],
  [0x0400, 'PAGE_FAULT', 'error_code', true],
  [0x0401, 'TLB_FLUSH', '0', true],
  [0x0402, 'CR3_SWITCH', '0', true],
  [0x0500, 'LOCK_ACQUIRE', 'lock_id', true],
  [0x0501, 'LOCK_RELEASE', 'lock_id', true],
  [0x0502, 'LOCK_CONTEND', 'lock_id', true],
  [0x0600, 'FORK_ENTRY', 'parent_pid', true],
  [0x0601, 'FORK_EXIT', 'child_pid', true],
  [0x0602, 'EXEC_ENTRY', 'pid', true],
  [0x0603, 'EXEC_EXIT', 'pid', true],
  [0x0604, 'COW_FAULT', 'pid<<16|page_idx', true],
  [0x0605, 'COW_COPY', 'pid<<16|page_idx', true],
  [0x0606, 'STACK_MAP', 'pid', true],
  [0x0607, 'DATA_ABORT', 'pid<<16|dfsc', true],
  [0x0608, 'PROCESS_EXIT', 'pid<<16|exit_code', true],
  [0x0609, 'COW_LOCK_FAIL', 'pid', true],
  [0x060a, 'SPAWN_FRONT', null, false],
  [0x060b, 'WAITPID_BLOCK', null, false],
  [0x060c, 'WAITPID_WAKE', null, false],
  [0x060d, 'THREAD_EXIT', null, false],
  [0x0700, 'VIRTGPU_CMD_SUBMIT', 'seq<<16|cmd_type', true],
  [0x0701, 'VIRTGPU_CMD_RESOURCE', 'resource_id', true],
  [0x0702, 'VIRTGPU_Q_NOTIFY', 'used_idx_before<<16|head_desc_idx', true],
  [0x0703, 'VIRTGPU_Q_COMPLETE', 'used_idx_after<<16|head_desc_idx', true],
  [0x0704, 'VIRTGPU_RESPONSE', 'resp_type', true],
  [0x0705, 'VIRTGPU_STALE_DRAIN', 'last_used_idx_after<<16|entries_drained', true],
  [0x0706, 'VIRTGPU_FLUSH_CONSTRUCT', null, true],
  [0x0707, 'VIRTGPU_FLUSH_BUFFER_PRE_NOTIFY', 'resource_id_on_wire', true],
  [0x0708, 'VIRTGPU_FLUSH_READBACK_MISMATCH', 'readback_resource_id<<16|expected_resource_id', true],
  [0x0709, 'VIRTGPU_WAIT_TIMEOUT', 'resource_id<<16|cmd_type', true],
  [0x0a00, 'TEARDOWN_DEFER', 'pid', false],
  [0x0a01, 'TEARDOWN_RECLAIM', 'pid', false],
  [0x0a02, 'EXIT_SGI_SENT', 'pid', false],
  [0x0a03, 'EXIT_SGI_BATCH', 'batch', false],
  [0x0a04, 'EXIT_KICK_OBSERVED', 'pid', false],
  [0xff00, 'MARKER_A', 'user_data', true],
  [0xff01, 'MARKER_B', 'user_data', true],
  [0xff02, 'MARKER_C', 'user_data', true],
  [0xff03, 'MARKER_D', 'user_data', true],
  [0xff10, 'WAIT_TIMEOUT_STAGE', 'stage<<16|tid', true],
  [0xff11, 'WAIT_TIMEOUT_SP', 'sp_low32', true],
  [0xff12, 'WAIT_TIMEOUT_X30', 'x30_low32', true],
  [0xff13, 'EL1_INLINE_ABORT', 'x30_low32', true],
  [0xff14, 'EINTR_CHECK_STAGE', 'stage<<16|tid', true],
  [0xff15, 'EINTR_CHECK_X30', 'x30_low32', true],
  [0xff16, 'RET_DISPATCH_SP', 'sp_low32', true],
  [0xff17, 'RET_DISPATCH_LR', 'slot20_low32', true],
  [0xff18, 'ERET_DISPATCH_STAGE', 'stage<<16|tid', true],
  [0xff19, 'ERET_DISPATCH_ELR', 'elr_low32', true],
  [0xff1a, 'ERET_DISPATCH_X30', 'x30_low32', true],
  [0xff1b, 'ERET_DISPATCH_SPSR', 'spsr_low32', true],
  [0xff1c, 'CTX_PUBLISH_STAGE', 'stage<<16|tid', true],
  [0xff1d, 'CTX_PUBLISH_SP', 'sp_low32', true],
  [0xff1e, 'CTX_PUBLISH_ELR', 'elr_low32', true],
  [0xff1f, 'CTX_PUBLISH_X30', 'x30_low32', true],
  [0xff20, 'CTX_PUBLISH_FLAGS', 'flags', true],
  [0xff21, 'CTX_PUBLISH_AUX', 'aux_low32', true],
  [0xff22, 'DISPATCH_REDIRECT', 'reason<<16|tid', true],
  [0xff23, 'PM_LOCK_BUSY_CONTEXT', 'owner_cpu<<16|req_tid', true],
  [0xff24, 'PM_LOCK_BUSY_OWNER', 'owner_tid_low32', true],
  [0xff25, 'SCHEDULE_RESUME_STAGE', 'stage<<16|tid', true],
  [0xff26, 'SCHEDULE_RESUME_SP', 'sp_low32', true],
  [0xff27, 'SCHEDULE_RESUME_X30', 'x30_low32', true],
  [0xff28, 'WAIT_TIMEOUT_SLOT20', 'slot20_low32', true],
  [0xff29, 'ERET_RESUME_INFO', 'tid', true],
  [0xff2a, 'ERET_RESUME_SP', 'sp_low32', true],
  [0xff2b, 'ERET_RESUME_SLOT20', 'slot20_low32', true],
  [0xff2c, 'KERNEL_RESUME_IRQ_INFO', 'kind<<16|tid', true],
  [0xff2d, 'KERNEL_RESUME_IRQ_ELR', 'elr_low32', true],
  [0xff2e, 'KERNEL_RESUME_IRQ_X29', 'x29_low32', true],
  [0xff2f, 'KERNEL_RESUME_IRQ_X30', 'x30_low32', true],
  [0xff30, 'KERNEL_RESUME_IRQ_SLOTX30', 'slot_x30_low32', true],
  [0xff31, 'RESCHED_TAIL_STAGE', 'stage<<16|tid', true],
  [0xff32, 'RESCHED_TAIL_SP', 'sp_low32', true],
  [0xff33, 'RESCHED_TAIL_X30', 'x30_low32', true],
  [0xff34, 'RESCHED_TAIL_SLOTX30', 'slot_x30_low32', true],
  [0xff35, 'CPU0_USER_DISPATCH_STAGE', 'stage<<16|tid', true],
  [0xff36, 'CPU0_USER_DISPATCH_ELR', 'elr_low32', true],
  [0xff37, 'CPU0_USER_DISPATCH_SPSR', 'spsr_low32', true],
  [0xff38, 'CPU0_USER_DISPATCH_TTBR0', 'ttbr0_low32', true],
  [0xff39, 'DEFER_REQUEUE_STAGE', 'stage<<16|tid', true],
  [0xff3a, 'DEFER_REQUEUE_SP', 'sp_low32', true],
  [0xff3b, 'DEFER_REQUEUE_ELR', 'elr_low32', true],
  [0xff3c, 'DEFER_REQUEUE_X30', 'x30_low32', true],
  [0xff3d, 'DEFER_REQUEUE_FLAGS', 'aux_tid<<16|flags', true],
  [0xff3e, 'CTX_DIAG_STAGE', 'stage<<16|tid', true],
  [0xff3f, 'CTX_DIAG_TID_PAIR', 'old_tid<<16|new_tid', true],
  [0xff40, 'CTX_DIAG_FRAME_ELR', 'frame_elr_low32', true],
  [0xff41, 'CTX_DIAG_FRAME_X30', 'frame_x30_low32', true],
  [0xff42, 'CTX_DIAG_THREAD_ELR', 'thread_context_elr_low32', true],
  [0xff43, 'CTX_DIAG_THREAD_X30', 'thread_context_x30_low32', true],
  [0xff44, 'CTX_DIAG_SP', 'sp_low32', true],
  [0xff45, 'CTX_DIAG_FLAGS', 'previous_tid<<16|flags', true],
  [0xff46, 'SCHED_DIAG_STAGE', 'stage<<16|tid', true],
  [0xff47, 'SCHED_DIAG_TID_PAIR', 'old_tid<<16|new_tid', true],
  [0xff48, 'SCHED_DIAG_FLAGS', 'flags', true],
  [0xff49, 'FATAL_CPU_TRACE_MARKER', 'kind', true],
];

const BY_ID = new Map<number, BreenixEventType>(ROWS.map(([id, name, label, kernelNamed]) => [id, { id, name, label, kernelNamed }]));

/** The entry for an event-type id, or undefined for ids no Breenix version is known to emit. */
export function breenixEventType(id: number): BreenixEventType | undefined {
  return BY_ID.get(id);
}

/** Every known entry, by id (for tests and the `/proc/trace/events` cross-check). */
export function breenixEventTypes(): readonly BreenixEventType[] {
  return [...BY_ID.values()];
}

/** `0x0102`: the id as the kernel prints it (4 lowercase hex digits). */
export function breenixTypeHex(id: number): string {
  return `0x${id.toString(16).padStart(4, '0')}`;
}

/** Name for display: the superset name, or `UNKNOWN_0x....` for an id nobody named. */
export function breenixEventName(id: number): string {
  return BY_ID.get(id)?.name ?? `${BREENIX_UNKNOWN_NAME}_${breenixTypeHex(id)}`;
}

/** Category of an id (its provider byte), as the kernel's `[SUMMARY]` names them. */
const CATEGORIES: Record<number, string> = {
  0x00: 'Context Switch',
  0x01: 'Interrupt',
  0x02: 'Scheduler',
  0x03: 'Syscall',
  0x04: 'Memory',
  0x05: 'Lock',
  0x06: 'Process',
  0x07: 'VirtIO GPU',
  0x0a: 'Teardown',
  0xff: 'Marker/Debug',
};

export function breenixCategory(id: number): string | null {
  return CATEGORIES[id >>> 8] ?? null;
}

/** Names of the two halves of a packed payload (`a<<16|b` → [a, b]), or null when the payload is one value. */
export function breenixPackedNames(label: string | null): [string, string] | null {
  if (!label) return null;
  const k = label.indexOf('<<16|');
  if (k <= 0 || k + 5 >= label.length) return null;
  return [label.slice(0, k), label.slice(k + 5)];
}

/** A counter or tick value as printed: a number when exact in a double, else its digits (u64 counters can pass 2^53). */
export function breenixNumber(digits: string): number | string {
  if (!/^\d+$/.test(digits)) return digits;
  const v = Number(digits);
  return Number.isSafeInteger(v) ? v : digits;
}

/** Parses `cpu0=1, cpu2=3` (a counter's per-CPU list) into { cpu0: 1, cpu2: 3 }. */
export function breenixPerCpuValues(list: string | undefined): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  if (!list) return out;
  for (const part of list.split(', ')) {
    const eq = part.indexOf('=');
    out[part.slice(0, eq)] = breenixNumber(part.slice(eq + 1));
  }
  return out;
}
