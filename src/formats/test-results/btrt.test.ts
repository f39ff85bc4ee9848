import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { readTests } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'kscope-btrt-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Entry {
  id: number;
  status: number;
  code?: number;
  detail?: number;
  durationUs?: number;
}

/** Builds a table the way the kernel lays it out (breenix.md §4.4), independently of the reader. */
function table(entries: Entry[], header: { total: number; completed: number; passed: number; failed: number }): Buffer {
  const b = Buffer.alloc(48 + 512 * 16);
  b.write('0100010054525442', 0, 'hex');
  b.writeUInt32LE(header.total, 8);
  b.writeUInt32LE(header.completed, 12);
  b.writeUInt32LE(header.passed, 16);
  b.writeUInt32LE(header.failed, 20);
  b.writeBigUInt64LE(1000n, 24);
  b.writeBigUInt64LE(250_000n, 32);
  for (const e of entries) {
    const off = 48 + e.id * 16;
    b.writeUInt16LE(e.id, off);
    b[off + 2] = e.status;
    b[off + 3] = e.code ?? 0;
    b.writeUInt32LE(e.durationUs ?? 0, off + 4);
    b.writeUInt32LE(e.detail ?? 0, off + 8);
  }
  return b;
}

function write(name: string, buf: Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, buf);
  return p;
}

const ENTRIES: Entry[] = [
  { id: 1, status: 2 },                              // serial_init pass
  { id: 4, status: 2 },                              // memory_init pass
  { id: 30, status: 2 },                             // aarch64_mmu_init pass
  { id: 104, status: 3, code: 5, detail: 0x2a },     // ext2_mount fail IO_ERROR
  { id: 200, status: 1 },                            // still running when read
  { id: 300, status: 2 },                            // utest_hello_time
  { id: 302, status: 3, code: 2, detail: 1 },        // utest_brk exit 1
  { id: 343, status: 5, code: 3 },                   // utest_udp_socket timeout
  { id: 344, status: 4 },                            // utest_tcp_socket skip
  { id: 345, status: 0 },                            // utest_dns pending
  { id: 376, status: 2, durationUs: 1500 },          // beyond the built-in catalog
];

describe('BTRT table', () => {
  test('entries decode with catalog names, categories, statuses and messages', () => {
    const p = write('btrt.bin', table(ENTRIES, { total: 11, completed: 8, passed: 5, failed: 3 }));
    const r = readTests(p);
    assert.deepEqual(r.results.map((x) => [x.number, x.suite, x.name, x.status, x.message]), [
      [1, 'kernel_init', 'serial_init', 'pass', ''],
      [4, 'kernel_init', 'memory_init', 'pass', ''],
      [30, 'aarch64', 'aarch64_mmu_init', 'pass', ''],
      [104, 'subsystem', 'ext2_mount', 'fail', 'IO_ERROR detail=0x2a'],
      [200, 'userspace_exec', 'userspace_process_create', 'timeout', 'hung (still running when the table was read)'],
      [300, 'userspace_result', 'utest_hello_time', 'pass', ''],
      [302, 'userspace_result', 'utest_brk', 'fail', 'ASSERT exit code 1'],
      [343, 'userspace_result', 'utest_udp_socket', 'timeout', 'TIMEOUT'],
      [344, 'userspace_result', 'utest_tcp_socket', 'skip', ''],
      [345, 'userspace_result', 'utest_dns', 'notrun', 'pending (never started)'],
      [376, 'userspace_result', 'btrt_376', 'pass', ''],
    ]);
    assert.deepEqual(r.results.map((x) => x.offset), ENTRIES.map((e) => 48 + e.id * 16));
    assert.ok(r.results.every((x) => x.line === 0 && x.source === 'btrt'));
    assert.equal(r.results[10].duration_ms, 1.5);
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.summary.sources.btrt.info.boot_ticks, 249_000);
  });

  test('the catalog covers the userspace range up to utest_job_control (375)', () => {
    const r = readTests(write('jc.bin', table([{ id: 375, status: 2 }, { id: 331, status: 2 }], { total: 2, completed: 2, passed: 2, failed: 0 })));
    assert.deepEqual(r.results.map((x) => x.name), ['utest_fork_memory', 'utest_job_control']);
  });

  test('a header that disagrees with the entries and a short file are diagnosed, good entries kept', () => {
    const full = table(ENTRIES, { total: 11, completed: 8, passed: 9, failed: 3 });
    const r = readTests(write('short.bin', full.subarray(0, 48 + 301 * 16 + 5)));
    assert.deepEqual(r.results.map((x) => x.number), [1, 4, 30, 104, 200, 300]);
    const codes = r.diagnostics.map((d) => d.code).sort();
    assert.deepEqual(codes, ['BTRT_HEADER_MISMATCH', 'BTRT_SIZE']);
    const size = r.diagnostics.find((d) => d.code === 'BTRT_SIZE');
    assert.equal(size?.offset, 48 + 301 * 16 + 5);
  });

  test('an unknown status value is an error row and a diagnostic', () => {
    const r = readTests(write('bad.bin', table([{ id: 5, status: 9 }], { total: 1, completed: 0, passed: 0, failed: 0 })));
    assert.deepEqual(r.results.map((x) => [x.name, x.status]), [['heap_init', 'error']]);
    assert.equal(r.diagnostics[0].code, 'BTRT_BAD_STATUS');
    assert.equal(r.diagnostics[0].offset, 48 + 5 * 16 + 2);
  });

  test('without the magic, a binary file is not read as BTRT', () => {
    const b = table(ENTRIES, { total: 0, completed: 0, passed: 0, failed: 0 });
    b[7] = 0;
    assert.equal(readTests(write('nomagic.bin', b)).results.length, 0);
  });
});
