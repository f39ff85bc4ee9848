// Breenix BTRT (Boot Test Result Table, breenix.md §4.4): an 8240-byte little-endian table the
// kernel fills during boot and the host reads out with QMP pmemsave.
//   header (48 bytes): magic u64 | total_tests u32 | tests_completed u32 | tests_passed u32 |
//                      tests_failed u32 (Fail + Timeout) | boot_start u64 | boot_end u64 | reserved u64
//   512 entries of 16 bytes at offset 48, array index = test_id:
//                      test_id u16 | status u8 | error_code u8 | duration_us u32 | error_detail u32 | reserved u32
import type { DiagnosticLog } from '../../model/diagnostics.js';
import type { TestStatus } from '../../model/test-result.js';
import { FormatError } from '../../util/errors.js';
import { emptyCounts, type ReaderOutput, type TestRecord } from './types.js';

export const BTRT_MAGIC = 0x4254525400010001n;
export const BTRT_HEADER_BYTES = 48;
export const BTRT_ENTRY_BYTES = 16;
export const BTRT_ENTRIES = 512;
export const BTRT_BYTES = BTRT_HEADER_BYTES + BTRT_ENTRIES * BTRT_ENTRY_BYTES;

export const BTRT_STATUS = ['pending', 'running', 'pass', 'fail', 'skip', 'timeout'] as const;

const ERROR_CODES: Record<number, string> = {
  0: 'OK', 1: 'PANIC', 2: 'ASSERT', 3: 'TIMEOUT', 4: 'NOT_FOUND', 5: 'IO_ERROR', 6: 'PERMISSION',
  7: 'NO_MEMORY', 8: 'NO_EXEC', 9: 'SIGNAL', 10: 'DEADLOCK', 11: 'CORRUPT', 0xff: 'UNKNOWN',
};

/**
 * The catalog's id → name table (kernel/src/test_framework/catalog.rs, mirrored in
 * xtask/src/btrt_catalog.rs). The table itself carries ids only; ids not listed here are
 * reported as `btrt_<id>` so a newer kernel's entries still read.
 */
const CATALOG: Record<number, string> = {
  0: 'kernel_entry', 1: 'serial_init', 2: 'gdt_idt_init', 3: 'per_cpu_init', 4: 'memory_init', 5: 'heap_init',
  6: 'frame_alloc_init', 7: 'interrupts_enabled', 8: 'tracing_init', 9: 'timer_init',
  10: 'pci_enumeration', 11: 'nic_init', 12: 'virtio_blk_init',
  30: 'aarch64_mmu_init', 31: 'aarch64_exception_vectors', 32: 'aarch64_gic_init', 33: 'aarch64_timer_init',
  34: 'aarch64_uart_init', 35: 'aarch64_framebuffer_init',
  100: 'scheduler_init', 101: 'kthread_subsystem', 102: 'workqueue_init', 103: 'filesystem_init', 104: 'ext2_mount',
  105: 'network_stack_init', 106: 'procfs_init', 107: 'pipe_subsystem',
  200: 'userspace_process_create', 201: 'userspace_elf_load', 202: 'userspace_first_instruction', 203: 'userspace_first_syscall',
  250: 'boot_tests_start', 251: 'boot_tests_complete',
};
const UTESTS = [
  'hello_time', 'clock_gettime', 'brk', 'mmap', 'syscall_diagnostic', 'signal', 'signal_regs', 'sigaltstack', 'pipe',
  'unix_socket', 'sigchld', 'pause', 'sigsuspend', 'dup', 'fcntl', 'cloexec', 'pipe2', 'shell_pipe', 'signal_exec',
  'waitpid', 'signal_fork', 'wnohang_timing', 'poll', 'select', 'nonblock', 'tty', 'session', 'file_read', 'getdents',
  'lseek', 'ctrl_c', 'fork_memory', 'fork_state', 'fork_pending_signal', 'cow_signal', 'cow_cleanup', 'cow_sole_owner',
  'cow_stress', 'cow_readonly', 'argv', 'exec_argv', 'exec_stack_argv', 'fbinfo', 'udp_socket', 'tcp_socket', 'dns',
  'http', 'true_coreutil', 'false_coreutil', 'head_coreutil', 'tail_coreutil', 'wc_coreutil', 'which_coreutil',
  'cat_coreutil', 'ls_coreutil', 'hello_std_real', 'fifo', 'kill_process_group', 'exec_from_ext2', 'fs_block_alloc',
  'fs_write', 'fs_rename', 'fs_large_file', 'fs_directory', 'fs_link', 'access', 'devfs', 'cwd', 'signal_kill',
  'signal_return', 'signal_handler', 'syscall_enosys', 'unix_named_socket', 'pipe_fork', 'pipe_concurrent', 'job_control',
];
UTESTS.forEach((n, i) => (CATALOG[300 + i] = `utest_${n}`));

/** Catalog category by id range (catalog.rs's ranges), used as the suite. */
export function btrtCategory(id: number): string {
  if (id < 10) return 'kernel_init';
  if (id < 30) return 'driver_init';
  if (id < 50) return 'aarch64';
  if (id < 100) return 'kernel_init';
  if (id < 200) return 'subsystem';
  if (id >= 250 && id < 260) return 'boot_tests';
  if (id < 300) return 'userspace_exec';
  if (id < 500) return 'userspace_result';
  return 'reserved';
}

export function btrtName(id: number, names: Record<number, string> = CATALOG): string {
  return names[id] ?? `btrt_${id}`;
}

/** True when `head` starts with the BTRT magic (LE bytes 01 00 01 00 54 52 54 42). */
export function isBtrt(head: Buffer): boolean {
  return head.length >= 8 && head.readBigUInt64LE(0) === BTRT_MAGIC;
}

/** Decodes a whole BTRT table; entries cut off by a short file are diagnosed, the rest kept. */
export function readBtrt(buf: Buffer, file: string, log: DiagnosticLog, names?: Record<number, string>): ReaderOutput {
  if (!isBtrt(buf)) throw new FormatError({ file, byteOffset: 0 }, 'expected the BTRT magic 0x4254525400010001');
  if (buf.length < BTRT_HEADER_BYTES) throw new FormatError({ file, byteOffset: buf.length }, `BTRT header needs ${BTRT_HEADER_BYTES} bytes, file has ${buf.length}`);
  const total = buf.readUInt32LE(8);
  const completed = buf.readUInt32LE(12);
  const passed = buf.readUInt32LE(16);
  const failed = buf.readUInt32LE(20);
  const bootStart = buf.readBigUInt64LE(24);
  const bootEnd = buf.readBigUInt64LE(32);
  if (buf.length !== BTRT_BYTES) {
    log.add({
      code: 'BTRT_SIZE', severity: buf.length < BTRT_BYTES ? 'warning' : 'info', file, offset: Math.min(buf.length, BTRT_BYTES), unit: 'byte',
      message: `BTRT is ${BTRT_BYTES} bytes, file has ${buf.length}${buf.length < BTRT_BYTES ? '; entries past the end are missing' : '; bytes after the table ignored'}`,
    });
  }
  const results: TestRecord[] = [];
  const n = Math.min(BTRT_ENTRIES, Math.floor((buf.length - BTRT_HEADER_BYTES) / BTRT_ENTRY_BYTES));
  for (let slot = 0; slot < n; slot++) {
    const off = BTRT_HEADER_BYTES + slot * BTRT_ENTRY_BYTES;
    const id = buf.readUInt16LE(off);
    const st = buf[off + 2];
    const code = buf[off + 3];
    const durationUs = buf.readUInt32LE(off + 4);
    const detail = buf.readUInt32LE(off + 8);
    if (id === 0 && st === 0) continue; // an unused slot
    if (id !== slot) {
      log.add({ code: 'BTRT_ID_SLOT', severity: 'warning', file, offset: off, unit: 'byte', message: `entry ${slot} carries test_id ${id}; the table indexes entries by id` });
    }
    const name = btrtName(id, names);
    const suite = btrtCategory(id);
    const codeName = ERROR_CODES[code] ?? `0x${code.toString(16)}`;
    // Userspace results keep the exit code in error_detail.
    const detailText = detail === 0 ? '' : suite === 'userspace_result' ? `exit code ${detail}` : `detail=0x${detail.toString(16)}`;
    let status: TestStatus;
    let message = '';
    switch (st) {
      case 0: status = 'notrun'; message = 'pending (never started)'; break;
      case 1: status = 'timeout'; message = 'hung (still running when the table was read)'; break;
      case 2: status = 'pass'; break;
      case 3: status = 'fail'; message = [codeName, detailText].filter(Boolean).join(' '); break;
      case 4: status = 'skip'; break;
      case 5: status = 'timeout'; message = ['TIMEOUT', code !== 3 && code !== 0 ? codeName : '', detailText].filter(Boolean).join(' '); break;
      default:
        status = 'error';
        message = `unknown status ${st}`;
        log.add({ code: 'BTRT_BAD_STATUS', severity: 'warning', file, offset: off + 2, unit: 'byte', message: `entry ${slot} (${name}): status ${st} is not one of 0..5` });
    }
    const r: TestRecord = { name, suite, status, message, line: 0, offset: off, source: 'btrt', number: id };
    if (durationUs) r.duration_ms = durationUs / 1000;
    results.push(r);
  }
  const count = (s: TestStatus) => results.filter((r) => r.status === s).length;
  const seenPassed = count('pass');
  const seenFailed = count('fail') + results.filter((r) => r.status === 'timeout' && r.message.startsWith('TIMEOUT')).length;
  if (seenPassed !== passed || seenFailed !== failed) {
    log.add({
      code: 'BTRT_HEADER_MISMATCH', severity: 'warning', file, offset: 16, unit: 'byte',
      message: `header says ${passed} passed and ${failed} failed; the entries give ${seenPassed} and ${seenFailed}`,
    });
  }
  return {
    results,
    unnamed: emptyCounts(),
    info: { total_tests: total, tests_completed: completed, tests_passed: passed, tests_failed: failed, boot_ticks: Number(bootEnd - bootStart) },
  };
}
