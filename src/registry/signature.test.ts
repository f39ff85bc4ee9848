import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalArch, normaliseArch } from './arch.js';
import { errnoByName, errnoByNumber, errnoLabel, findErrno } from './errno.js';
import { esrFault, findFault, pageFaultLabel } from './fault.js';
import { prepareRun } from './prepare.js';
import { failureSignature, maskText } from './signature.js';
import type { TestResult } from '../model/test-result.js';
import { UserError } from '../util/errors.js';

describe('errno table', () => {
  it('maps names and numbers both ways, aliases included', () => {
    assert.equal(errnoByName('ENETUNREACH')?.number, 101);
    assert.equal(errnoByNumber(101)?.name, 'ENETUNREACH');
    assert.equal(errnoByNumber(14)?.name, 'EFAULT');
    assert.equal(errnoByNumber(38)?.name, 'ENOSYS');
    assert.equal(errnoByNumber(-30)?.name, 'EROFS');
    assert.equal(errnoByName('EWOULDBLOCK')?.name, 'EAGAIN');
    assert.equal(errnoByName('ENOTSUP')?.number, 95);
    assert.equal(errnoByNumber(517)?.name, 'EPROBE_DEFER');
    const e = errnoByName('EFAULT');
    assert.ok(e);
    assert.equal(errnoLabel(e), 'EFAULT (14)');
  });

  it('finds an errno by name, by number in context, by negative return and by strerror text', () => {
    const cases: [string, string | undefined][] = [
      ['udp_socket_test: ENETUNREACH on send', 'ENETUNREACH'],
      ['socketpair returned -14', 'EFAULT'],
      ['ret=-38', 'ENOSYS'],
      ['connect: Network is unreachable (os error 101)', 'ENETUNREACH'],
      ['errno 101', 'ENETUNREACH'],
      ['errno=30', 'EROFS'],
      ['write failed: Read-only file system', 'EROFS'],
      ['sys_read returns EOPNOTSUPP', 'EOPNOTSUPP'],
      ['probe of virtio0 failed with -517', 'EPROBE_DEFER'],
      // Not errnos: a bare negative offset, -1 (userspace "see errno"), identifiers that merely contain a name.
      ['offset=-100 from base', undefined],
      ['read returned -1', undefined],
      ['RET_EINVAL_COUNT=3', undefined],
      ['ERROR: something broke', undefined],
    ];
    for (const [line, want] of cases) assert.equal(findErrno(line)?.name, want, line);
  });
});

describe('faults', () => {
  it('decodes an arm64 ESR into class and fault status, dropping the address', () => {
    assert.deepEqual(esrFault(0x96000005), { key: 'esr:ec=0x25:fsc=0x05', label: 'data abort (current EL), translation fault L1 (ESR 0x96000005)' });
    assert.equal(esrFault(0x8600000e).key, 'esr:ec=0x21:fsc=0x0e');
    assert.match(esrFault(0x8600000e).label, /instruction abort \(current EL\), permission fault L2/);
    assert.equal(esrFault(0x8a000000).key, 'esr:ec=0x22');
    assert.equal(esrFault(0xf2000800).label, 'BRK #0x800 (BUG) (ESR 0xf2000800)');
  });

  it('finds ESR in Breenix and Linux spellings, and x86 page faults with their error code', () => {
    assert.equal(findFault(['[INSTRUCTION_ABORT] FAR=0x0 ELR=0x0 ESR=0x8600000d IFSC=0xd TTBR0=0x40200000'])?.key, 'esr:ec=0x21:fsc=0x0d');
    assert.equal(findFault(['Internal error: Oops: 0000000096000045', 'ESR = 0x0000000096000045'])?.key, 'esr:ec=0x25:fsc=0x05');
    assert.equal(findFault(['[FATAL_REGS] label=PC_ALIGN cpu=2 spsr=0x5 esr=0x8a000000 far=0x7'])?.key, 'esr:ec=0x22');
    assert.equal(findFault(['BUG: unable to handle page fault for address: 0000000000001234', '#PF: supervisor write access in kernel mode', '#PF: error_code(0x0002) - not-present page'])?.key, 'x86:#PF:err=0x2');
    assert.equal(findFault(['EXCEPTION: PAGE FAULT', 'Error Code: PageFaultErrorCode(CAUSED_BY_WRITE | USER_MODE)'])?.key, 'x86:#PF:CAUSED_BY_WRITE|USER_MODE');
    assert.equal(findFault(['general protection fault, probably for non-canonical address 0xdead'])?.key, 'x86:#GP');
    assert.equal(findFault(['all good']), undefined);
    assert.equal(pageFaultLabel(0x2), 'not-present page, write, kernel');
  });
});

describe('masking', () => {
  it('masks numbers, addresses and symbol offsets but keeps words with digits', () => {
    assert.equal(maskText('expected 3, got 4 at 0xffff0000dead'), 'expected <n>, got <n> at <hex>');
    assert.equal(maskText('x86_64 ext4 fault in do_page_fault+0x1c/0x30'), 'x86_64 ext4 fault in do_page_fault');
    assert.equal(maskText('waited 250ms for pid 1234'), 'waited <n>ms for pid <n>');
    assert.equal(maskText('hash ffff000054243f00 done'), 'hash <hex> done');
  });
});

describe('failureSignature', () => {
  const sig = (status: 'fail' | 'timeout' | 'error', message: string, output?: string[], crashes?: { kind: string; title: string }[], name?: string) =>
    failureSignature({ status, message, output, crashes, name });

  it('gives passes, skips and not-runs no signature', () => {
    assert.equal(failureSignature({ status: 'pass', message: '' }), null);
    assert.equal(failureSignature({ status: 'skip', message: 'no net' }), null);
    assert.equal(failureSignature({ status: 'notrun', message: '' }), null);
  });

  it('groups one errno whatever the spelling', () => {
    const keys = ['sendto returned -101', 'connect: Network is unreachable (os error 101)', 'ENETUNREACH (101) on port 4242'].map((m) => sig('fail', m)?.key);
    assert.deepEqual(new Set(keys), new Set(['errno:ENETUNREACH']));
    assert.equal(sig('fail', 'socketpair returned -14')?.label, 'EFAULT (14)');
  });

  it('prefers crash over fault over errno over hang over assertion over message', () => {
    const crash = [{ kind: 'panic', title: 'Kernel panic - not syncing: VFS: Unable to mount root fs' }];
    assert.equal(sig('error', 'EFAULT', ['ESR=0x96000005'], crash)?.kind, 'crash');
    assert.equal(sig('error', 'EFAULT', ['ESR=0x96000005'])?.kind, 'fault');
    assert.equal(sig('timeout', 'timed out after EFAULT')?.kind, 'errno');
    assert.equal(sig('timeout', 'expected 3 got 4')?.kind, 'hang');
    assert.equal(sig('fail', 'assertion failed: expected 3, got 4')?.kind, 'assert');
    assert.equal(sig('fail', 'init group refusal did not refuse')?.kind, 'message');
    assert.deepEqual(sig('fail', ''), { key: 'status:fail', kind: 'status', label: 'fail (no message)' });
  });

  it('tells hangs apart by where they hung, not by how long they waited', () => {
    assert.equal(sig('timeout', 'timeout')?.key, 'hang');
    assert.equal(sig('timeout', '')?.key, 'hang');
    assert.equal(sig('timeout', 'timeout after 30s')?.key, 'hang');
    assert.equal(sig('timeout', 'timed out waiting for wakeup after 500ms')?.key, 'hang:waiting for wakeup');
    assert.equal(sig('timeout', 'timed out waiting for wakeup after 20ms')?.key, 'hang:waiting for wakeup');
    assert.equal(sig('fail', 'hung after exec()')?.key, 'hang:after exec');
  });

  it('masks assertion numbers so one assertion is one group, and strips the kunit test-name prefix', () => {
    const a = sig('fail', 'timer_12_test: assertion failed: expected 40 ticks, got 3', undefined, undefined, 'timer_12_test');
    const b = sig('fail', 'clock_56_test: assertion failed: expected 77 ticks, got 9', undefined, undefined, 'clock_56_test');
    assert.equal(a?.key, 'assert:assertion failed: expected <n> ticks, got <n>');
    assert.equal(a?.key, b?.key);
    assert.equal(sig('fail', 'panicked at src/x.rs:12:5: assertion `left == right` failed')?.key, 'assert:panicked at src/x.rs:<n>:<n>: assertion `left == right` failed');
  });
});

describe('arch names', () => {
  it('normalises spellings and refuses unknown names, listing the known ones', () => {
    for (const a of ['x86_64', 'amd64', 'x86-64', 'X64']) assert.equal(normaliseArch(a), 'x86_64');
    for (const a of ['aarch64', 'arm64', 'ARM64']) assert.equal(normaliseArch(a), 'aarch64');
    assert.equal(canonicalArch('sparc'), undefined);
    assert.throws(() => normaliseArch('aarch46'), (e: unknown) => e instanceof UserError && /unknown architecture "aarch46"; known: x86_64 .*aarch64/.test(e.message) && /--arch-any/.test(e.message));
    assert.equal(normaliseArch('SPARC64', { any: true }), 'sparc64');
  });
});

describe('crash attribution', () => {
  it('a crash belongs to the test whose output it starts in, not to the tests a long report runs into', () => {
    const results: TestResult[] = [
      { name: 'a', suite: 's', status: 'error', message: '', line: 20, start_line: 10, end_line: 20, source: 't' },
      { name: 'b', suite: 's', status: 'fail', message: 'socketpair returned -14', line: 30, start_line: 21, end_line: 30, source: 't' },
    ];
    const p = prepareRun({ arch: 'aarch64', timeMs: 0, artifacts: [{ path: 'x', size: 0, sha256: 'x', mtimeMs: 0, format: 't', results, crashes: [{ kind: 'fault', title: 'DATA_ABORT at kernel', line: 12, end_line: 400, cpu: 0 }] }] });
    assert.deepEqual(p.results.map((r) => r.signature), ['crash:DATA_ABORT at kernel', 'errno:EFAULT']);
  });

  it('not-run tests after a hang carry the hang\'s signature, marked blocked', () => {
    const results: TestResult[] = [
      { name: 'a', suite: 's', status: 'pass', message: '', line: 1, source: 't' },
      { name: 'b', suite: 's', status: 'timeout', message: 'hung after exec', line: 2, source: 't' },
      { name: 'c', suite: 's', status: 'notrun', message: '', line: 3, source: 't' },
      { name: 'd', suite: 's', status: 'notrun', message: '', line: 3, source: 't' },
    ];
    const p = prepareRun({ arch: 'aarch64', timeMs: 0, artifacts: [{ path: 'x', size: 0, sha256: 'x', mtimeMs: 0, format: 't', results, crashes: [] }] });
    assert.deepEqual(p.results.map((r) => [r.name, r.signature, r.blocked]), [['a', null, false], ['b', 'hang:after exec', false], ['c', 'hang:after exec', true], ['d', 'hang:after exec', true]]);
    assert.deepEqual(p.counts, { pass: 1, fail: 0, skip: 0, timeout: 1, error: 0, notrun: 2 });
  });

  it('a test reported twice keeps its worst status and counts once', () => {
    const results: TestResult[] = [
      { name: 'a', suite: 's', status: 'pass', message: '', line: 1, source: 't' },
      { name: 'a', suite: 's', status: 'fail', message: 'boom', line: 2, source: 't' },
      { name: 'a', suite: 's', status: 'pass', message: '', line: 3, source: 't' },
    ];
    const p = prepareRun({ arch: 'aarch64', timeMs: 0, artifacts: [{ path: 'x', size: 0, sha256: 'x', mtimeMs: 0, format: 't', results, crashes: [] }] });
    assert.equal(p.results.length, 1);
    assert.equal(p.results[0].status, 'fail');
    assert.equal(p.results[0].repeats, 3);
  });
});
