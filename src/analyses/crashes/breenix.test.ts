// Breenix reports: synthetic snippets shaped like the real captures (to reach each branch),
// then every real capture in ../shared/samples/breenix (skipped when that folder is absent).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractFromFile, extractFromText } from './extract.js';
import type { CrashRecord } from './types.js';

/** Compiled tests run from dist/src/analyses/crashes/, so the repo root is four levels up. */
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const SAMPLES = join(ROOT, '..', 'shared', 'samples', 'breenix');
const HAVE_SAMPLES = existsSync(SAMPLES);
const NO_SAMPLES = HAVE_SAMPLES ? false : `Breenix samples not found at ${SAMPLES}`;

function sample(name: string): string {
  return join(SAMPLES, name);
}

/** 1-based numbers of the lines of `file` matching `re` (the test's own grep). */
function grepLines(file: string, re: RegExp): number[] {
  const out: number[] = [];
  readFileSync(file, 'latin1')
    .split('\n')
    .forEach((l, i) => {
      if (re.test(l)) out.push(i + 1);
    });
  return out;
}

const FAULT_BLOCK = [
  'CLONEVM_EXEC_TEST: child live',
  '',
  '[INSTRUCTION_ABORT] FAR=0xffff000054243f00 ELR=0xffff000054243f00 ESR=0x8600000e IFSC=0xe TTBR0=0x1000044137000 from_el0=0',
  '[FATAL_REGS] label=INSTRUCTION_ABORT cpu=0 spsr=0x20000305 esr=0x8600000e far=0xffff000054243f00 elr=0xffff000054243f00 sp=0xffff000054243c40',
  '  x0=0xffff0000412022c0 x1=0x400 x2=0x4 x3=0x400',
  '  x28=0xffff00004120a830 x29=0xffff000054243f00 x30=0xffff000054243f00',
  '  DISPATCH_TRACE cpu=0:',
  '  [0] I old=1212->tid=0 elr=0xffff00004049dafc spsr=0x5 x30=0x0 sp=0xffff000043200000',
  '  [1] K old=0->tid=1212 elr=0xffff00004045cb84 spsr=0x80000305 x30=0xffff00004049b918 sp=0xffff000054242480',
  '[FATAL_POSTMORTEM] cpu=0 label=INSTRUCTION_ABORT',
  '  Deferred requeue snapshots:',
  '[DEFER_SNAP] cpu=0 stage=3 tid=0 aux=0 flags=0x501 sp=0x431fff20 elr=0x4049b918 x30=0x4049b918',
  '[TRACE] === CPU 0 Buffer ===',
  '[TRACE] Events: 1024 (write_idx=791217, dropped=790193)',
  '[TRACE] CPU0 idx=689 ts=571473687 type=0xff46 SCHED_DIAG_STAGE stage<<16|tid=65543',
  '[TEST:memory:frame_allocator:PASS]',
  '[TRACE] ====== END TRACE DUMP ======',
  '[INSTRUCTION_ABORT] deferring process cleanup',
  '[INSTRUCTION_ABORT] deferred_tid=1212 queued=1',
  '[init] clonevm_exec_test exited pid=94 code=0',
];

test('a fault line and its FATAL_REGS/DISPATCH_TRACE/POSTMORTEM/trace dump/deferral are one record', () => {
  const { crashes } = extractFromText(FAULT_BLOCK.join('\n'));
  assert.equal(crashes.length, 1);
  const c = crashes[0];
  assert.equal(c.kind, 'fault');
  assert.equal(c.family, 'breenix');
  assert.equal(c.line, 3);
  assert.equal(c.end_line, 19, 'ends at deferred_tid, not at the next unrelated line');
  assert.equal(c.cpu, 0);
  assert.equal(c.title, 'INSTRUCTION_ABORT ESR=0x8600000e (IFSC permission fault L2) at kernel');
  assert.equal(c.registers.FAR, '0xffff000054243f00');
  assert.equal(c.registers.SPSR, '0x20000305');
  assert.equal(c.registers.SP, '0xffff000054243c40');
  assert.equal(c.registers.X1, '0x400');
  assert.equal(c.registers.X30, '0xffff000054243f00');
  assert.equal(c.registers.TTBR0, '0x1000044137000');
  assert.equal(c.esr?.fsc_name, 'permission fault L2');
  assert.equal(c.dispatch_trace?.length, 2);
  assert.deepEqual(c.dispatch_trace?.[1], {
    index: 1,
    mode: 'K',
    old_tid: 0,
    tid: 1212,
    elr: '0xffff00004045cb84',
    spsr: '0x80000305',
    x30: '0xffff00004049b918',
    sp: '0xffff000054242480',
  });
  assert.equal(c.deferred_tid, 1212);
  assert.equal(c.truncated, false);
});

test('CRLF, ANSI escapes, NUL bytes and a junk prefix do not hide a fault', () => {
  const lines = FAULT_BLOCK.map((l) => `${l}\r`);
  lines[2] = `T2T3\x1b[0m${FAULT_BLOCK[2].slice(0, 20)}\0${FAULT_BLOCK[2].slice(20)}\r`;
  const { crashes } = extractFromText(lines.join('\n'));
  assert.equal(crashes.length, 1);
  assert.equal(crashes[0].line, 3);
  assert.equal(crashes[0].registers.ELR, '0xffff000054243f00');
  assert.equal(crashes[0].title, 'INSTRUCTION_ABORT ESR=0x8600000e (IFSC permission fault L2) at kernel');
});

test('FATAL_REGS wins over a fault line whose ESR another CPU cut short', () => {
  const lines = [...FAULT_BLOCK];
  lines[2] = '[INSTRUCTION_ABORT] FAR=0x1000000 ELR=0x1000000 ESR=0x860000[SUBSYSTEM:process:serial:START]';
  lines[3] = lines[3].replace('esr=0x8600000e', 'esr=0x8600000d');
  const { crashes } = extractFromText(lines.join('\n'));
  assert.equal(crashes.length, 1);
  assert.equal(crashes[0].registers.ESR, '0x8600000d');
  assert.equal(crashes[0].title, 'INSTRUCTION_ABORT ESR=0x8600000d (IFSC permission fault L1) at kernel');
});

test('a cut-off ESR that contradicts the label stays out of the title', () => {
  const { crashes } = extractFromText('[INSTRUCTION_ABORT] FAR=0x0 ELR=0x0 ESR=0x860000[TEST:x:y:START]\nnext line\n');
  assert.equal(crashes.length, 1);
  assert.equal(crashes[0].esr, undefined);
  assert.equal(crashes[0].title, 'INSTRUCTION_ABORT');
});

test('repeated deferral lines are not crashes of their own', () => {
  const text = [
    ...FAULT_BLOCK,
    'quiet line',
    '[INSTRUCTION_ABORT] deferring process cleanup',
    '[INSTRUCTION_ABORT] deferred_tid=1212 queued=1',
  ].join('\n');
  assert.equal(extractFromText(text).crashes.length, 1);
  assert.equal(extractFromText('[INSTRUCTION_ABORT] deferring process cleanup\n[INSTRUCTION_ABORT] deferred_tid=8 queued=1\n').crashes.length, 0);
});

test('a FATAL_REGS line without a readable fault line still opens a record (line = the cut-off tail above it)', () => {
  const text = [
    '[TEST:filesystem:vfs_init:PASS]',
    '00d IFSC=0xd TTBR0=0x40200000 from_el0=0',
    '[FATAL_REGS] label=INSTRUCTION_ABORT cpu=2 spsr=0x80000305 esr=0x8600000d far=0x0 elr=0x0 sp=0xffff000054265ef0',
    '  x0=0xffff00005032cc30 x1=0x0',
    'unrelated',
  ].join('\n');
  const { crashes } = extractFromText(text);
  assert.equal(crashes.length, 1);
  assert.equal(crashes[0].line, 2);
  assert.equal(crashes[0].end_line, 4);
  assert.equal(crashes[0].cpu, 2);
  assert.equal(crashes[0].title, 'INSTRUCTION_ABORT ESR=0x8600000d (IFSC permission fault L1) at kernel');
});

test('a second fault while one is open starts a second record; PC_ALIGN gets its own title', () => {
  const text = [
    '[PC_ALIGN] ELR=0x4b1 FAR=0x7 from_el0=0 cpu=2',
    '[FATAL_REGS] label=PC_ALIGN cpu=2 spsr=0x5 esr=0x8a000000 far=0x7 elr=0x4b1 sp=0xffff000054275030',
    '  current_tid=1201 owner_pid=1 bis=0 saved_elr=0xffff00004045cb84',
    '',
    ...FAULT_BLOCK.slice(2),
  ].join('\n');
  const { crashes } = extractFromText(text);
  assert.equal(crashes.length, 2);
  assert.equal(crashes[0].title, 'PC_ALIGN ESR=0x8a000000 (PC alignment fault) at kernel');
  assert.equal(crashes[0].end_line, 3);
  assert.equal(crashes[0].tid, 1201);
  assert.equal(crashes[0].pid, 1);
  assert.equal(crashes[1].line, 5);
});

test('a user-mode abort (from_el0=1, EC 0x20) is titled "at user"', () => {
  const { crashes } = extractFromText(
    '[INSTRUCTION_ABORT] FAR=0xffff000040800000 ELR=0xffff000040800000 ESR=0x8200000e IFSC=0xe TTBR0=0x10000440dd000 from_el0=1[INSTRUCTION_ABORT] [iTnit]\n',
  );
  assert.equal(crashes.length, 1);
  assert.equal(crashes[0].context, 'user');
  assert.equal(crashes[0].title, 'INSTRUCTION_ABORT ESR=0x8200000e (IFSC permission fault L2) at user');
});

test('a log that stops inside a fault dump is closed at EOF and marked truncated', () => {
  const text = [
    '[DATA_ABORT] FAR=0x8 ELR=0xffff00004046c344 ESR=0x96000005 DFSC=0x5 TTBR0=0x100004406c000 from_el0=0 cpu=1',
    '  x19=0x0 x20=0xffff000040800008 x8=0x0 x9=0xf x29=0xffff0000411f4d00 x30=0xffff00004046d314 sp=0xffff000054262e70',
  ].join('\n');
  const { crashes } = extractFromText(text);
  assert.equal(crashes.length, 1);
  assert.equal(crashes[0].truncated, true);
  assert.equal(crashes[0].end_line, 2);
  assert.equal(crashes[0].registers.SP, '0xffff000054262e70');
  assert.equal(crashes[0].title, 'DATA_ABORT ESR=0x96000005 (DFSC translation fault L1) at kernel');
});

test('KERNEL PANIC banner + panicked at + message + counter dump is one panic; numbers in the message are masked', () => {
  const text = [
    '[boot] something',
    '',
    '========================================',
    '  KERNEL PANIC!',
    '========================================',
    'panicked at kernel/src/memory/frame_allocator.rs:142:9:',
    'frame 0x4321000 freed twice (refcount 3)',
    '',
    '[COUNTER] ====== COUNTER DUMP ======',
    '[COUNTER] Registered counters: 2',
    '[COUNTER] SYSCALL_TOTAL: 12 (cpu0=12)',
    '[COUNTER] ====== END COUNTERS ======',
  ].join('\n');
  const { crashes } = extractFromText(text);
  assert.equal(crashes.length, 1, JSON.stringify(crashes));
  const c = crashes[0];
  assert.equal(c.kind, 'panic');
  assert.equal(c.family, 'breenix');
  assert.equal(c.line, 3);
  assert.equal(c.end_line, 12);
  assert.equal(c.location, 'kernel/src/memory/frame_allocator.rs:142:9');
  assert.equal(c.title, 'panicked at kernel/src/memory/frame_allocator.rs:142:9: frame 0x... freed twice (refcount N)');
  assert.equal(c.truncated, false);
});

test('a PANIC TRACE DUMP on its own is a panic record ending at END PANIC DUMP', () => {
  const text = ['ok', '====== PANIC TRACE DUMP ======', '[TRACE] === Latest 32 Events ===', '====== END PANIC DUMP ======', 'x'].join('\n');
  const { crashes } = extractFromText(text);
  assert.equal(crashes.length, 1);
  assert.equal(crashes[0].kind, 'panic');
  assert.deepEqual([crashes[0].line, crashes[0].end_line], [2, 4]);
});

test('x86_64 exception handler output is a fault record', () => {
  const text = [
    '[ERROR] kernel::interrupts: EXCEPTION: PAGE FAULT',
    '[ERROR] kernel::interrupts: Accessed Address: VirtAddr(0xdeadbeef)',
    '[ERROR] kernel::interrupts: Error Code: PageFaultErrorCode(CAUSED_BY_WRITE)',
    '[ERROR] kernel::interrupts: RIP: 0x10000018',
    '[ERROR] kernel::interrupts: CS: 0x8',
    '[ INFO] kernel::task: next',
  ].join('\n');
  const { crashes } = extractFromText(text);
  assert.equal(crashes.length, 1);
  assert.equal(crashes[0].title, 'EXCEPTION: PAGE FAULT (CAUSED_BY_WRITE) at kernel');
  assert.equal(crashes[0].registers.CR2, '0xdeadbeef');
  assert.equal(crashes[0].registers.RIP, '0x10000018');
});

// ---- real captures ----

function crashesOf(name: string): CrashRecord[] {
  return extractFromFile(sample(name)).crashes;
}

test('data abort (boot55): FAR=0x8, ESR=0x96000005, cpu 1, cut off by the end of the log', { skip: NO_SAMPLES }, () => {
  const name = 'p5b-serials__dataabort-schedule-from-kernel-cortexa72-boot55.txt';
  const file = sample(name);
  const [faultLine] = grepLines(file, /\[DATA_ABORT\] FAR=/);
  const cs = crashesOf(name);
  assert.equal(cs.length, 1);
  const c = cs[0];
  assert.equal(c.line, faultLine);
  assert.equal(c.kind, 'fault');
  assert.equal(c.registers.FAR, '0x8');
  assert.equal(c.registers.ESR, '0x96000005');
  assert.equal(c.registers.ELR, '0xffff00004046c344');
  assert.equal(c.cpu, 1);
  assert.equal(c.truncated, true, 'the capture ends on the register row after the fault line');
  assert.equal(c.end_line, readFileSync(file, 'latin1').split('\n').length);
  assert.equal(c.title, 'DATA_ABORT ESR=0x96000005 (DFSC translation fault L1) at kernel');
});

test('the same bug in different captures gets the same title', { skip: NO_SAMPLES }, () => {
  const groups: [string[], string][] = [
    [
      ['p5b-serials__dataabort-schedule-from-kernel-cortexa72-boot55.txt', 'p5b-serials__gateslot-dataabort-cortexa72-boot86-596-r2.txt'],
      'DATA_ABORT ESR=0x96000005 (DFSC translation fault L1) at kernel',
    ],
    [
      [
        '607-576-serials__gate-clean100-cortexa72-boot3-stackpc-8600000e.txt',
        '607-576-serials__gate-clean100-cortexa72-boot37-stackpc-8600000e.txt',
        '607-576-serials__gate-clean100-max-boot30-stackpc-8600000e.txt',
      ],
      'INSTRUCTION_ABORT ESR=0x8600000e (IFSC permission fault L2) at kernel',
    ],
    [
      [
        'p5b-serials__576-svcseq-max-boot75-r2.txt',
        'p5b-serials__gateslot-576-instrabort-cortexa72-boot52-r2.txt',
        'p5b-serials__gateslot-576-instrabort-max-boot90-r2.txt',
      ],
      'INSTRUCTION_ABORT ESR=0x86000005 (IFSC translation fault L1) at kernel',
    ],
  ];
  for (const [names, title] of groups) {
    for (const n of names) {
      const faults = crashesOf(n).filter((c) => c.kind === 'fault');
      // One fault line per capture (the test's own grep), so one record.
      assert.equal(grepLines(sample(n), /\[(?:INSTRUCTION_ABORT|DATA_ABORT)\] FAR=/).length, 1, n);
      assert.equal(faults.length, 1, n);
      assert.equal(faults[0].title, title, n);
    }
  }
});

test('gate-clean100 boot3: one record from the fault line to deferred_tid, cpu 0, registers merged', { skip: NO_SAMPLES }, () => {
  const name = '607-576-serials__gate-clean100-cortexa72-boot3-stackpc-8600000e.txt';
  const file = sample(name);
  const [fault] = grepLines(file, /^\[INSTRUCTION_ABORT\] FAR=/);
  const [deferred] = grepLines(file, /deferred_tid=1212/);
  const cs = crashesOf(name);
  assert.equal(cs.length, 1);
  assert.deepEqual([cs[0].line, cs[0].end_line], [fault, deferred]);
  assert.equal(cs[0].cpu, 0);
  assert.equal(cs[0].registers.SPSR, '0x20000305');
  assert.equal(cs[0].registers.X0, '0xffff0000412022c0');
  assert.equal(cs[0].dispatch_trace?.length, 8);
  assert.equal(cs[0].deferred_tid, 1212);
});

test('starved100: PC_ALIGN, then two instruction aborts, each its own record on cpu 2', { skip: NO_SAMPLES }, () => {
  const name = '607-576-serials__gate-starved100-max-boot3-disagreeing-pair-613.txt';
  const file = sample(name);
  const [pcAlign] = grepLines(file, /^\[PC_ALIGN\]/);
  const aborts = grepLines(file, /^\[INSTRUCTION_ABORT\] FA/);
  const cs = crashesOf(name);
  assert.deepEqual(
    cs.map((c) => [c.line, c.cpu, c.title]),
    [
      [pcAlign, 2, 'PC_ALIGN ESR=0x8a000000 (PC alignment fault) at kernel'],
      [aborts[0], 2, 'INSTRUCTION_ABORT ESR=0x8600000e (IFSC permission fault L2) at kernel'],
      // Its fault line is garbled (`FA0R=… cpu=0` is another CPU's text); FATAL_REGS says cpu=2, ESR 0x8600000d.
      [aborts[1], 2, 'INSTRUCTION_ABORT ESR=0x8600000d (IFSC permission fault L1) at kernel'],
    ],
  );
});

test('el0 instruction abort is a user fault', { skip: NO_SAMPLES }, () => {
  const cs = crashesOf('607-576-serials__gate-r2-ss25-cortexa72-boot7-el0-kernel-pc-8200000e.txt');
  assert.equal(cs.length, 1);
  assert.equal(cs[0].context, 'user');
  assert.equal(cs[0].title, 'INSTRUCTION_ABORT ESR=0x8200000e (IFSC permission fault L2) at user');
});

test('svcseq boot75: no FATAL_REGS survived, cpu comes from the postmortem, the log ends mid-dump', { skip: NO_SAMPLES }, () => {
  const cs = crashesOf('p5b-serials__576-svcseq-max-boot75-r2.txt');
  assert.equal(cs.length, 1);
  assert.equal(cs[0].cpu, 1);
  assert.equal(cs[0].truncated, true);
});

test('chunk edges change nothing (4 MiB vs 7-byte reads)', { skip: NO_SAMPLES }, () => {
  const file = sample('607-576-serials__gate-starved100-max-boot3-disagreeing-pair-613.txt');
  assert.deepEqual(extractFromFile(file, 7), extractFromFile(file));
});

const FAULT_MARKER = /\[(?:INSTRUCTION_ABORT|DATA_ABORT|PC_ALIGN)\] [A-Z]|\[FATAL_REGS\]|\[FATAL_POSTMORTEM\]|KERNEL PANIC|panicked at/;

test('every capture: invariants hold', { skip: NO_SAMPLES }, () => {
  const names = HAVE_SAMPLES ? readdirSync(SAMPLES).filter((n) => n.endsWith('.txt')) : [];
  assert.ok(names.length > 0);
  for (const n of names) {
    const file = sample(n);
    const { crashes, lines } = extractFromFile(file);
    const where = (c: CrashRecord) => `${n}:${c.line}-${c.end_line} ${c.title}`;
    for (const c of crashes) {
      assert.ok(c.line >= 1 && c.line <= c.end_line && c.end_line <= lines, `line range: ${where(c)}`);
      assert.ok(c.title.length > 0, `empty title: ${where(c)}`);
      // Titles carry no addresses: only the ESR (a syndrome value, not an address) may be long hex.
      const rest = c.title.replace(/ESR=0x[0-9a-f]{8}\b/, '');
      assert.ok(!/0x[0-9a-fA-F]{5,}|\b[0-9a-fA-F]{8,}\b/.test(rest), `address in title: ${where(c)}`);
      assert.ok(c.cpu === null || (Number.isInteger(c.cpu) && c.cpu >= 0 && c.cpu < 16), `cpu: ${where(c)}`);
    }
    for (let i = 1; i < crashes.length; i++) {
      assert.ok(crashes[i].line > crashes[i - 1].end_line, `records overlap: ${where(crashes[i - 1])} / ${where(crashes[i])}`);
    }
    // One fault, one record: every FATAL_REGS line sits in exactly one record, and no record holds two.
    const inRecord = (ln: number) => crashes.filter((c) => c.line <= ln && ln <= c.end_line);
    for (const ln of grepLines(file, /\[FATAL_REGS\] label=/)) assert.equal(inRecord(ln).length, 1, `${n}:${ln} FATAL_REGS`);
    for (const c of crashes) {
      const regs = grepLines(file, /\[FATAL_REGS\] label=/).filter((ln) => c.line <= ln && ln <= c.end_line);
      assert.ok(regs.length <= 1, `two FATAL_REGS in one record: ${where(c)}`);
    }
    for (const ln of grepLines(file, /\[FATAL_POSTMORTEM\]/)) assert.equal(inRecord(ln).length, 1, `${n}:${ln} FATAL_POSTMORTEM`);
    // Deferral lines close a record; they never open one.
    const deferrals = new Set(grepLines(file, /\] (?:deferring process cleanup|deferred_tid=)/));
    for (const c of crashes) assert.ok(!deferrals.has(c.line), `record starts at a deferral line: ${where(c)}`);
    // A capture without any fault or panic marker has no panic/fault record.
    if (grepLines(file, FAULT_MARKER).length === 0) {
      assert.deepEqual(
        crashes.filter((c) => c.kind === 'panic' || c.kind === 'fault').map(where),
        [],
        `${n} has no fault markers`,
      );
    }
  }
});

test('clean green boots have no panic or fault records', { skip: NO_SAMPLES }, () => {
  for (const n of ['p5b-serials__green-quiesce-walk-max.txt', '584-serials__prod-profile-green-selflimiting-driver.txt', 'p5b-serials__589-fulltest-phase1c-20260817-230637.txt']) {
    assert.equal(grepLines(sample(n), FAULT_MARKER).length, 0, `${n} is expected to be clean`);
    assert.deepEqual(crashesOf(n).filter((c) => c.kind === 'panic' || c.kind === 'fault'), [], n);
  }
});

test('a fatal dump’s ring lines (taken without decoding them) stay inside their fault record', { skip: NO_SAMPLES }, () => {
  let withRing = 0;
  for (const f of readdirSync(SAMPLES).filter((x) => x.endsWith('.txt'))) {
    const lines = readFileSync(sample(f), 'latin1').split('\n').map((l) => l.replace(/\r$/, ''));
    for (const c of extractFromFile(sample(f)).crashes) {
      if (c.kind !== 'fault') continue;
      let ring = 0;
      for (let i = c.line; i < c.end_line; i++) if (lines[i - 1].startsWith('[TRACE] CPU')) ring++;
      if (ring === 0) continue;
      withRing++;
      // A record that stopped taking ring lines would end right before one.
      assert.ok(!(lines[c.end_line] ?? '').startsWith('[TRACE] CPU'), `${f}: fault at line ${c.line} ends at ${c.end_line}, before a ring line`);
    }
  }
  assert.ok(withRing >= 10, `fault records spanning a ring dump: ${withRing}`);
});

// ---- serial damage: junk, other CPUs' lines, a capture that stops inside a record ----

const NOISE = '\x00\x01\x02\ufffd\ufffd';

test('junk or another CPU\'s line inside DISPATCH_TRACE does not end the block', () => {
  const at = FAULT_BLOCK.findIndex((l) => l.startsWith('  [0] '));
  for (const extra of [NOISE, '[heartbeat] tid=190 uptime_ms=10614 kbd_nonzero=0']) {
    const { crashes } = extractFromText([...FAULT_BLOCK.slice(0, at + 1), extra, ...FAULT_BLOCK.slice(at + 1)].join('\n'));
    assert.equal(crashes.length, 1);
    assert.deepEqual(crashes[0].dispatch_trace?.map((e) => e.index), [0, 1], JSON.stringify(extra));
    assert.equal(crashes[0].end_line, 20);
    assert.equal(crashes[0].title, 'INSTRUCTION_ABORT ESR=0x8600000e (IFSC permission fault L2) at kernel');
  }
});

test('a second DISPATCH_TRACE block whose header was lost does not join the first', () => {
  const at = FAULT_BLOCK.findIndex((l) => l.startsWith('  [1] '));
  const { crashes } = extractFromText([...FAULT_BLOCK.slice(0, at + 1), '  [0] I old=5->tid=0 elr=0x1 spsr=0x5 x30=0x0 sp=0x2', ...FAULT_BLOCK.slice(at + 1)].join('\n'));
  assert.deepEqual(crashes[0].dispatch_trace?.map((e) => e.tid), [0, 1212]);
});

test('junk lines in a panic: not the message after "panicked at", not a gap between the banner and its rule', () => {
  const text = ['boot', '========================================', NOISE, '  KERNEL PANIC!', 'panicked at kernel/src/memory/frame_allocator.rs:142:9:', NOISE, 'frame 0x4321000 freed twice (refcount 3)', '[COUNTER] ====== END COUNTERS ======'];
  const { crashes } = extractFromText(text.join('\n'));
  assert.equal(crashes.length, 1);
  assert.equal(crashes[0].title, 'panicked at kernel/src/memory/frame_allocator.rs:142:9: frame 0x... freed twice (refcount N)');
  assert.deepEqual([crashes[0].line, crashes[0].end_line, crashes[0].truncated], [2, 8, false]);
});

test('legF: a DISPATCH_TRACE entry garbled by another CPU does not end the block', { skip: NO_SAMPLES }, () => {
  const name = '607-576-serials__legF-green-floor-contained.txt';
  const lines = readFileSync(sample(name), 'latin1').split('\n');
  const head = lines.findIndex((l) => /DISPATCH_TRACE cpu=\d+:/.test(l));
  const stop = lines.findIndex((l, i) => i > head && l.startsWith('[FATAL_POSTMORTEM]'));
  // The test's own reading: the whole entries of the block, past the one another CPU's output broke.
  const whole = lines.slice(head + 1, stop).flatMap((l) => /^\s*\[(\d+)\] [A-Z] old=\d+->tid=\d+ elr=0x[0-9a-f]+ spsr=0x[0-9a-f]+ x30=0x[0-9a-f]+ sp=0x[0-9a-f]+\s*$/.exec(l)?.[1] ?? []);
  assert.ok(whole.length >= 5 && whole[0] !== '0', 'entry [0] of this capture is garbled');
  const c = crashesOf(name).find((r) => r.line <= head + 1 && head + 1 <= r.end_line);
  assert.deepEqual(c?.dispatch_trace?.map((e) => String(e.index)), whole);
});

test('every capture: a junk line inside a fault record changes nothing but line numbers; a capture cut inside a [TAG] is truncated', { skip: NO_SAMPLES }, () => {
  const summary = (c: CrashRecord) => ({ title: c.title, line: c.line, end_line: c.end_line, cpu: c.cpu, registers: c.registers, dispatch: c.dispatch_trace, tid: c.tid, deferred: c.deferred_tid, truncated: c.truncated });
  let cuts = 0;
  for (const name of readdirSync(SAMPLES).filter((n) => n.endsWith('.txt'))) {
    const text = readFileSync(sample(name), 'utf8');
    const lines = text.split('\n');
    const clean = extractFromText(text).crashes;
    for (const rec of clean.filter((c) => c.kind === 'fault' && c.end_line > c.line)) {
      for (const after of [rec.line, Math.floor((rec.line + rec.end_line) / 2)]) {
        const got = extractFromText([...lines.slice(0, after), NOISE, ...lines.slice(after)].join('\n')).crashes;
        const shift = (n: number) => (n > after ? n + 1 : n);
        assert.deepEqual(got.map(summary), clean.map((c) => ({ ...summary(c), line: shift(c.line), end_line: shift(c.end_line) })), `${name}: junk after line ${after}`);
      }
      // The capture stops three bytes into a ring line of the record: `[TRA`.
      const ring = lines.findIndex((l, i) => i >= rec.line && i < rec.end_line && l.startsWith('[TRACE] CPU'));
      if (ring < 0) continue;
      cuts++;
      const cut = extractFromText([...lines.slice(0, ring), '[TRA'].join('\n')).crashes.find((c) => c.line === rec.line);
      assert.deepEqual([cut?.title, cut?.truncated, cut?.end_line], [rec.title, true, ring + 1], `${name}: cut at line ${ring + 1}`);
    }
  }
  assert.ok(cuts >= 10, `records cut inside a ring dump: ${cuts}`);
});
