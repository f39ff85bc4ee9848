/**
 * Tracepoints common enough in kernel debugging to get a type of their own,
 * so `filter --type SCHED_SWITCH` and entry/exit pairing work on type ids.
 * Any other tracepoint is a TRACEPOINT; every event also carries its name
 * in `sub`, so nothing is lost by the fallback.
 */
export const KNOWN_TRACEPOINTS = [
  'sched_switch',
  'sched_wakeup',
  'sched_wakeup_new',
  'sched_waking',
  'sched_migrate_task',
  'sched_process_fork',
  'sched_process_exec',
  'sched_process_exit',
  'sched_process_free',
  'sched_process_wait',
  'sched_stat_runtime',
  'irq_handler_entry',
  'irq_handler_exit',
  'softirq_raise',
  'softirq_entry',
  'softirq_exit',
  'ipi_raise',
  'ipi_entry',
  'ipi_exit',
  'sys_enter',
  'sys_exit',
  'timer_start',
  'timer_cancel',
  'timer_expire_entry',
  'timer_expire_exit',
  'hrtimer_start',
  'hrtimer_cancel',
  'hrtimer_expire_entry',
  'hrtimer_expire_exit',
  'tick_stop',
  'cpu_idle',
  'cpu_frequency',
  'workqueue_queue_work',
  'workqueue_activate_work',
  'workqueue_execute_start',
  'workqueue_execute_end',
  'page_fault_user',
  'page_fault_kernel',
  'kmalloc',
  'kfree',
  'mm_page_alloc',
  'mm_page_free',
  'block_rq_insert',
  'block_rq_issue',
  'block_rq_complete',
  'console',
  'kvm_entry',
  'kvm_exit',
] as const;

/** The format's own types, then one per known tracepoint (upper-cased name). */
export const BASE_TYPES = [
  'LINE',
  'TRACEPOINT',
  'MARKER',
  'FUNCTION',
  'STACK_TRACE',
  'LOST_EVENTS',
  'FUNC_ENTRY',
  'FUNC_EXIT',
  'FUNC_LEAF',
  'CONTEXT_SWITCH',
  'GRAPH_IRQ_ENTRY',
  'GRAPH_IRQ_EXIT',
  'GRAPH_COMMENT',
] as const;

export const TYPE_NAMES: readonly string[] = [...BASE_TYPES, ...KNOWN_TRACEPOINTS.map((n) => n.toUpperCase())];

export const T = Object.fromEntries(BASE_TYPES.map((n, i) => [n, i])) as Record<(typeof BASE_TYPES)[number], number>;

const KNOWN = new Map<string, number>(KNOWN_TRACEPOINTS.map((n, i) => [n, BASE_TYPES.length + i]));

/** The type of a tracepoint line by event name: `tracing_mark_write` is a MARKER (trace_marker writes). */
export function tracepointType(name: string): number {
  if (name === 'tracing_mark_write') return T.MARKER;
  return KNOWN.get(name) ?? T.TRACEPOINT;
}
