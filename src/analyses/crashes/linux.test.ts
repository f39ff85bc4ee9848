// Linux reports: synthetic snippets for each branch, then the real Debian-kernel fixtures in
// test/fixtures/linux (each check skips when its fixture is absent). Expected line numbers are
// found by the test's own grep over the decompressed fixture, never typed in.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { plainInput } from '../../index/plain-input.js';
import { extractFromFile, extractFromText } from './extract.js';
import type { CrashRecord } from './types.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const FIXTURES = join(ROOT, 'test', 'fixtures', 'linux');

const X86_OOPS = [
  '[    2.529727] kscope_crash: attempting bad read from NULL',
  '[    2.530365] BUG: kernel NULL pointer dereference, address: 0000000000000000',
  '[    2.530604] #PF: supervisor read access in kernel mode',
  '[    2.530849] PGD 11dc8067 P4D 11dc8067 PUD 11dc9067 PMD 0 ',
  '[    2.531123] Oops: 0000 [#1] PREEMPT SMP NOPTI',
  '[    2.531298] CPU: 0 PID: 94 Comm: sh Tainted: G           OE      6.1.0-56-amd64 #1  Debian 6.1.192-2',
  '[    2.531793] RIP: 0010:kscope_NULL+0x11/0x1d [kscope_crash]',
  '[    2.532485] RSP: 0018:ffffd3a4003e3d10 EFLAGS: 00000246',
  '[    2.533774] CR2: 0000000000000000 CR3: 0000000001850000 CR4: 00000000000006f0',
  'KSCOPE: a user-space line written in the middle',
  '[    2.534038] Call Trace:',
  '[    2.534171]  <TASK>',
  '[    2.534171]  direct_write.cold+0x5/0xa [kscope_crash]',
  '[    2.534171]  ? do_fault+0x1a7/0x410',
  '[    2.534171]  vfs_write+0xc7/0x3f0',
  '[    2.534171] RIP: 0033:0x47b7a0',
  '[    2.534171] RSP: 002b:00007ffe64a23be8 EFLAGS: 00000202 ORIG_RAX: 0000000000000001',
  '[    2.534171]  </TASK>',
  '[    2.534171] Modules linked in: kscope_crash(OE)',
  '[    2.538361] ---[ end trace 0000000000000000 ]---',
  '[    2.538484] RIP: 0010:kscope_NULL+0x11/0x1d [kscope_crash]',
  '[    2.538916] RSP: 0018:ffffd3a4003e3d10 EFLAGS: 00000246',
];

test('x86 NULL dereference: BUG line + Oops + registers + trace + re-print are one record', () => {
  const { crashes } = extractFromText([...X86_OOPS, 'Killed', 'KSCOPE: writer exited with status 137'].join('\r\n'));
  assert.equal(crashes.length, 1);
  const c = crashes[0];
  assert.equal(c.kind, 'oops');
  assert.equal(c.title, 'BUG: kernel NULL pointer dereference in kscope_NULL');
  assert.deepEqual([c.line, c.end_line], [2, 22]);
  assert.equal(c.cpu, 0);
  assert.equal(c.pid, 94);
  assert.equal(c.comm, 'sh');
  assert.equal(c.arch, 'x86_64');
  assert.equal(c.registers.RIP, 'kscope_NULL+0x11/0x1d');
  assert.equal(c.registers.RSP, '0xffffd3a4003e3d10', 'the kernel block, not the user pt_regs inside the trace');
  assert.equal(c.registers.CR2, '0x0');
  assert.deepEqual(
    c.frames.map((f) => f.text),
    ['direct_write.cold+0x5/0xa [kscope_crash]', '? do_fault+0x1a7/0x410', 'vfs_write+0xc7/0x3f0'],
  );
  assert.equal(c.frames[0].module, 'kscope_crash');
  assert.equal(c.frames[1].unreliable, true);
  assert.equal(c.fatal, undefined);
});

test('"Kernel panic - not syncing: Fatal exception" after an oops joins it', () => {
  const text = [...X86_OOPS, '[    3.148915] Kernel panic - not syncing: Fatal exception', '[    3.149980] Kernel Offset: 0x12400000 from 0xffffffff81000000'];
  const { crashes } = extractFromText(text.join('\n'));
  assert.equal(crashes.length, 1);
  assert.equal(crashes[0].fatal, true);
  assert.equal(crashes[0].end_line, text.length);
  assert.equal(crashes[0].title, 'BUG: kernel NULL pointer dereference in kscope_NULL');
  assert.equal(crashes[0].truncated, false);
});

test('a panic on its own is titled by its reason, numbers masked; one that stops early is truncated', () => {
  const text = [
    '[    2.726343] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100',
    '[    2.726732] CPU: 1 PID: 1 Comm: init Not tainted 6.1.0-56-amd64 #1  Debian 6.1.192-2',
    '[    2.727227] Call Trace:',
    '[    2.727741]  <TASK>',
    '[    2.728021]  dump_stack_lvl+0x44/0x5c',
    '[    2.728299]  panic+0x118/0x2f4',
  ];
  const { crashes } = extractFromText(text.join('\n'));
  assert.equal(crashes.length, 1);
  assert.equal(crashes[0].kind, 'panic');
  assert.equal(crashes[0].title, 'Kernel panic - not syncing: Attempted to kill init! exitcode=0x...');
  assert.equal(crashes[0].message, 'Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100');
  assert.equal(crashes[0].cpu, 1);
  assert.equal(crashes[0].truncated, true);
  const done = extractFromText([...text, '[    2.729824]  </TASK>', '[    2.729824] Kernel Offset: 0x35200000 from 0xffffffff81000000'].join('\n'));
  assert.equal(done.crashes[0].truncated, false);
});

test('hung task: titled by the first frame outside scheduler and lock primitives', () => {
  const text = [
    '[   11.195581] INFO: task sh:107 blocked for more than 5 seconds.',
    '[   11.195835]       Not tainted 6.1.0-56-amd64 #1 Debian 6.1.192-2',
    '[   11.196010] "echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.',
    '[   11.196203] task:sh              state:D stack:0     pid:107   ppid:1      flags:0x00000002',
    '[   11.196625] Call Trace:',
    '[   11.196885]  <TASK>',
    '[   11.197036]  __schedule+0x34d/0xa00',
    '[   11.197638]  schedule+0x5a/0xd0',
    '[   11.197678]  percpu_rwsem_wait+0x116/0x140',
    '[   11.197678]  ? __percpu_rwsem_trylock.part.0+0x60/0x60',
    '[   11.197678]  __percpu_down_read+0x64/0x120',
    '[   11.197678]  mnt_want_write+0x8b/0xc0',
    '[   11.200859]  </TASK>',
    'KSCOPE: hung task report seen after 8s, thawing /mnt',
  ];
  const { crashes } = extractFromText(text.join('\n'));
  assert.equal(crashes.length, 1);
  const c = crashes[0];
  assert.equal(c.kind, 'hung-task');
  assert.equal(c.title, 'INFO: task hung in mnt_want_write');
  assert.deepEqual([c.pid, c.comm, c.cpu], [107, 'sh', null]);
  assert.deepEqual([c.line, c.end_line], [1, 13]);
});

test('BUG()/WARN() start at their cut-here line; WARNING is its own kind', () => {
  const text = [
    '[    3.088061] ------------[ cut here ]------------',
    '[    3.088180] WARNING: CPU: 1 PID: 94 at /tmp/mod/kscope_crash.c:35 kscope_WARNING+0x5/0x10 [kscope_crash]',
    '[    3.088608] Modules linked in: kscope_crash(OE)',
    '[    3.095785] ---[ end trace 0000000000000000 ]---',
    '[    1.842335] ------------[ cut here ]------------',
    '[    1.842432] kernel BUG at /tmp/mod/kscope_crash.c:30!',
    '[    1.842731] Internal error: Oops - BUG: 00000000f2000800 [#1] SMP',
    '[    1.843891] pc : kscope_BUG+0x8/0x10 [kscope_crash]',
    '[    1.844307] lr : direct_write+0x134/0x194 [kscope_crash]',
    '[    1.847767] Code: d50323bf d65f03c0 aa1e03e9 d503201f (d4210000) ',
  ];
  const { crashes } = extractFromText(text.join('\n'));
  assert.deepEqual(
    crashes.map((c) => [c.kind, c.title, c.line, c.end_line, c.cpu]),
    [
      ['warning', 'WARNING in kscope_WARNING', 1, 4, 1],
      ['bug', 'kernel BUG in kscope_BUG', 5, 10, null],
    ],
  );
  assert.equal(crashes[0].location, '/tmp/mod/kscope_crash.c:35');
  assert.equal(crashes[1].location, '/tmp/mod/kscope_crash.c:30');
  assert.equal(crashes[1].esr?.ec_name, 'BRK (AArch64)');
  assert.equal(crashes[1].registers.LR, 'direct_write+0x134/0x194');
});

test('other BUG:, GPF and KASAN headers get syzbot-shaped titles', () => {
  const gpf = extractFromText(
    [
      'general protection fault, probably for non-canonical address 0xdffffc0000000000: 0000 [#1] PREEMPT SMP KASAN',
      'CPU: 3 PID: 5043 Comm: syz-executor Not tainted 6.8.0 #1',
      'RIP: 0010:do_sys_openat2+0x9b/0x170',
    ].join('\n'),
  ).crashes;
  assert.equal(gpf[0].title, 'general protection fault in do_sys_openat2');
  assert.equal(gpf[0].cpu, 3);
  const kasan = extractFromText('BUG: KASAN: slab-use-after-free in ext4_find_entry+0x1c/0x3a0\nRead of size 8 at addr ffff888012345678 by task sh/94\n').crashes;
  assert.equal(kasan[0].title, 'BUG: KASAN: slab-use-after-free in ext4_find_entry');
  assert.equal(kasan[0].kind, 'bug');
  const atomic = extractFromText('BUG: scheduling while atomic: sh/94/0x00000002\nCall Trace:\n dump_stack_lvl+0x44/0x5c\n __schedule_bug+0x5c/0x70\n').crashes;
  assert.equal(atomic[0].title, 'BUG: scheduling while atomic in __schedule_bug');
});

test('soft lockups repeat with the same title; the printk caller field gives the CPU', () => {
  const one = (t: string) => [
    `[${t}][    C1] watchdog: BUG: soft lockup - CPU#1 stuck for 6s! [sh:94]`,
    `[${t}][    C1] RIP: 0010:kscope_SOFTLOCKUP+0x3c/0x70 [kscope_crash]`,
  ];
  const { crashes } = extractFromText([...one('    8.729271'), 'other', ...one('   14.329180')].join('\n'));
  assert.equal(crashes.length, 2);
  assert.equal(crashes[0].title, 'BUG: soft lockup in kscope_SOFTLOCKUP');
  assert.equal(crashes[1].title, crashes[0].title);
  assert.equal(crashes[0].cpu, 1);
});

test('"WARNING:" or "BUG:" inside someone else\'s line is not a report', () => {
  assert.deepEqual(extractFromText('sh: WARNING: something odd\necho BUG: not really\nkscope_crash: Performing direct entry BUG\n').crashes, []);
});

// ---- real fixtures ----

interface Fixture {
  path: string;
  text: string[];
  crashes: CrashRecord[];
}

const cache = new Map<string, Promise<Fixture | null>>();
function fixture(name: string): Promise<Fixture | null> {
  let p = cache.get(name);
  if (!p) {
    p = (async () => {
      const gz = join(FIXTURES, name);
      if (!existsSync(gz)) return null;
      const path = await plainInput(gz);
      return { path, text: readFileSync(path, 'latin1').split('\n'), crashes: extractFromFile(path).crashes };
    })();
    cache.set(name, p);
  }
  return p;
}

/** 1-based line numbers of the fixture lines matching `re`. */
function grep(f: Fixture, re: RegExp): number[] {
  const out: number[] = [];
  f.text.forEach((l, i) => {
    if (re.test(l)) out.push(i + 1);
  });
  return out;
}

const skipIfMissing = (name: string) => (existsSync(join(FIXTURES, name)) ? false : `fixture ${name} not present`);

for (const arch of ['x86_64', 'arm64']) {
  const boot = `${arch}-boot.log.gz`;
  test(`${boot}: a clean boot has no crash records`, { skip: skipIfMissing(boot) }, async () => {
    const f = await fixture(boot);
    assert.ok(f);
    assert.deepEqual(f.crashes, []);
  });

  const panic = `${arch}-panic.log.gz`;
  test(`${panic}: one panic at the "Kernel panic" line, complete (ends with the kernel's own closing lines)`, { skip: skipIfMissing(panic) }, async () => {
    const f = await fixture(panic);
    assert.ok(f);
    const [at] = grep(f, /Kernel panic - not syncing: sysrq triggered crash/);
    assert.equal(f.crashes.length, 1);
    const c = f.crashes[0];
    assert.deepEqual([c.kind, c.title, c.line], ['panic', 'Kernel panic - not syncing: sysrq triggered crash', at]);
    assert.equal(c.truncated, false);
    assert.equal(c.comm, 'init');
    assert.ok(c.frames.some((fr) => fr.function === 'panic'));
    // The CPU line follows the header, possibly after a line /init wrote in between.
    const cpuLine = grep(f, /CPU: \d+ PID: 1 Comm: init/).find((l) => l > at) ?? 0;
    assert.ok(cpuLine > at && cpuLine <= c.end_line);
    assert.equal(c.cpu, Number(/CPU: (\d+)/.exec(f.text[cpuLine - 1])?.[1]));
  });

  const init = `${arch}-init-exit.log.gz`;
  test(`${init}: "Attempted to kill init!" with the exit code masked`, { skip: skipIfMissing(init) }, async () => {
    const f = await fixture(init);
    assert.ok(f);
    const [at] = grep(f, /Attempted to kill init!/);
    assert.equal(f.crashes.length, 1);
    assert.equal(f.crashes[0].line, at);
    assert.equal(f.crashes[0].title, 'Kernel panic - not syncing: Attempted to kill init! exitcode=0x...');
    assert.ok(f.crashes[0].frames.some((fr) => fr.function === 'do_exit' || fr.function === 'do_exit.cold'));
  });

  const oops = `${arch}-oops.log.gz`;
  const oopsPanic = `${arch}-oops-panic.log.gz`;
  const nullTitle = arch === 'x86_64' ? 'BUG: kernel NULL pointer dereference in kscope_NULL' : 'Unable to handle kernel NULL pointer dereference in kscope_NULL';
  test(`${oops}: NULL read in a module`, { skip: skipIfMissing(oops) }, async () => {
    const f = await fixture(oops);
    assert.ok(f);
    const [at] = grep(f, /BUG: kernel NULL pointer dereference|Unable to handle kernel NULL pointer dereference/);
    const [end] = grep(f, /---\[ end trace/);
    assert.equal(f.crashes.length, 1);
    const c = f.crashes[0];
    assert.deepEqual([c.kind, c.title, c.line], ['oops', nullTitle, at]);
    assert.ok(c.end_line >= end);
    assert.equal(c.comm, 'sh');
    if (arch === 'x86_64') {
      assert.match(c.registers.RIP, /^kscope_NULL\+0x/);
      assert.equal(c.registers.CR2, '0x0');
    } else {
      assert.match(c.registers.PC, /^kscope_NULL\+0x/);
      assert.equal(c.registers.FAR, '0x0');
      assert.equal(c.registers.ESR, '0x96000006');
      assert.equal(c.esr?.fsc_name, 'translation fault L2', 'the kernel printed "FSC = 0x06: level 2 translation fault"');
    }
  });

  test(`${oopsPanic}: the same bug in another run has the same title, and is marked fatal`, { skip: skipIfMissing(oopsPanic) }, async () => {
    const f = await fixture(oopsPanic);
    assert.ok(f);
    // x86 says "Fatal exception", arm64 "Oops: Fatal exception".
    assert.equal(grep(f, /Kernel panic - not syncing: (?:Oops: )?Fatal exception/).length, 1);
    assert.equal(f.crashes.length, 1);
    assert.equal(f.crashes[0].title, nullTitle);
    assert.equal(f.crashes[0].fatal, true);
    assert.ok(f.crashes[0].end_line >= grep(f, /Kernel panic - not syncing/)[0]);
  });

  const bug = `${arch}-bug.log.gz`;
  test(`${bug}: kernel BUG at … → "kernel BUG in kscope_BUG", starting at its cut-here line`, { skip: skipIfMissing(bug) }, async () => {
    const f = await fixture(bug);
    assert.ok(f);
    const [at] = grep(f, /kernel BUG at /);
    const c = f.crashes[0];
    assert.deepEqual([c.kind, c.title, c.line], ['bug', 'kernel BUG in kscope_BUG', at - 1]);
    assert.match(f.text[at - 2], /cut here/);
    assert.match(c.location ?? '', /kscope_crash\.c:\d+$/);
    // arm64's real follow-on damage: a second report, a WARNING in context tracking.
    const warnings = grep(f, /WARNING: CPU:/);
    assert.equal(f.crashes.filter((x) => x.kind === 'warning').length, warnings.length);
    assert.equal(f.crashes.length, 1 + warnings.length);
  });

  const warn = `${arch}-warn.log.gz`;
  test(`${warn}: WARNING in kscope_WARNING`, { skip: skipIfMissing(warn) }, async () => {
    const f = await fixture(warn);
    assert.ok(f);
    const [at] = grep(f, /WARNING: CPU: (\d+)/);
    assert.equal(f.crashes.length, 1);
    const c = f.crashes[0];
    assert.deepEqual([c.kind, c.title, c.cpu], ['warning', 'WARNING in kscope_WARNING', Number(/WARNING: CPU: (\d+)/.exec(f.text[at - 1])?.[1])]);
    assert.equal(c.end_line, grep(f, /---\[ end trace/)[0]);
  });

  for (const [name, title] of [
    [`${arch}-hung-task.log.gz`, arch === 'x86_64' ? 'INFO: task hung in direct_write' : 'INFO: task hung in kscope_HUNG_TASK'],
    [`${arch}-hung-task-fsfreeze.log.gz`, 'INFO: task hung in mnt_want_write'],
  ]) {
    test(`${name}: ${title}`, { skip: skipIfMissing(name) }, async () => {
      const f = await fixture(name);
      assert.ok(f);
      const at = grep(f, /INFO: task sh:\d+ blocked for more than/);
      assert.deepEqual(
        f.crashes.map((c) => [c.kind, c.line, c.title, c.comm]),
        at.map((l) => ['hung-task', l, title, 'sh']),
      );
    });
  }

  const soft = `${arch}-softlockup.log.gz`;
  test(`${soft}: every soft-lockup report is a record, all with one title`, { skip: skipIfMissing(soft) }, async () => {
    const f = await fixture(soft);
    assert.ok(f);
    const at = grep(f, /BUG: soft lockup - CPU#/);
    assert.ok(at.length >= 1);
    assert.deepEqual(
      f.crashes.map((c) => [c.kind, c.line, c.title]),
      at.map((l) => ['lockup', l, 'BUG: soft lockup in kscope_SOFTLOCKUP']),
    );
  });

  const rcu = `${arch}-rcu-stall.log.gz`;
  test(`${rcu}: an RCU stall is a stall record`, { skip: skipIfMissing(rcu) }, async () => {
    const f = await fixture(rcu);
    assert.ok(f);
    const at = grep(f, /rcu: INFO: rcu_\w+ (?:self-)?detected stall/);
    assert.deepEqual(
      f.crashes.map((c) => [c.kind, c.line, c.title]),
      at.map((l) => ['stall', l, 'INFO: rcu detected stall in kscope_SOFTLOCKUP']),
    );
  });
}

test('a hung-task report the log cuts inside a kernel line is truncated; one followed by a cut-off prompt is not', () => {
  const report = [
    '[   11.195581] INFO: task sh:107 blocked for more than 5 seconds.',
    '[   11.196203] task:sh              state:D stack:0     pid:107   ppid:1      flags:0x00000002',
    '[   11.196625] Call Trace:',
    '[   11.196885]  <TASK>',
    '[   11.197036]  __schedule+0x34d/0xa00',
    '[   11.197678]  mnt_want_write+0x8b/0xc0',
  ];
  // The log stops inside the next kernel line: the report had more to say.
  let [c] = extractFromText([...report, '[   11.1976'].join('\n')).crashes;
  assert.deepEqual([c.truncated, c.end_line, c.title], [true, 7, 'INFO: task hung in mnt_want_write']);
  // A shell prompt, which never ends in a newline, is user space's: the report is whole.
  [c] = extractFromText([...report, '~ # '].join('\n')).crashes;
  assert.deepEqual([c.truncated, c.end_line], [false, 6]);
  // The same kernel line with its newline is a foreign line, not a cut one.
  [c] = extractFromText([...report, '[   11.1976', ''].join('\n')).crashes;
  assert.deepEqual([c.truncated, c.end_line], [false, 6]);
});

// ---- the real fixtures, damaged the way serial captures are ----

const scratch = mkdtempSync(join(tmpdir(), 'kscope-crash-damage-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let scratchFiles = 0;

/** Crash records of `bytes` read as a file, the way the CLI reads a log. */
function crashesOfBytes(bytes: Buffer, chunkBytes?: number): CrashRecord[] {
  const path = join(scratch, `${scratchFiles++}.log`);
  writeFileSync(path, bytes);
  return extractFromFile(path, chunkBytes).crashes;
}

/** The decompressed fixture, split after each newline (lines keep their CR LF). */
function fixtureLines(name: string): Buffer[] {
  const data = gunzipSync(readFileSync(join(FIXTURES, name)));
  const out: Buffer[] = [];
  for (let s = 0; s < data.length; ) {
    const nl = data.indexOf(10, s);
    const e = nl < 0 ? data.length : nl + 1;
    out.push(data.subarray(s, e));
    s = e;
  }
  return out;
}

/** 0-based index of the line holding `rec`'s first frame: the first line after its `Call trace:` ending in it. */
function firstFrameLine(lines: Buffer[], rec: CrashRecord): number {
  const text = lines.map((l) => l.toString('latin1').trimEnd());
  const trace = text.findIndex((l, i) => i >= rec.line - 1 && /Call [Tt]race:/.test(l));
  const at = text.findIndex((l, i) => i > trace && l.endsWith(` ${rec.frames[0].text}`));
  assert.ok(trace >= 0 && at > trace, `no frame line for ${rec.title}`);
  return at;
}

const JUNK = Buffer.from([0x00, 0x01, 0x02, 0xff, 0xfe, 0x0d, 0x0a]);
const summary = (c: CrashRecord) => ({ title: c.title, line: c.line, end_line: c.end_line, frames: c.frames.map((f) => f.text), truncated: c.truncated });

for (const arch of ['x86_64', 'arm64']) {
  const names = ['oops', 'oops-panic', 'panic', 'init-exit', 'bug', 'warn', 'hung-task', 'hung-task-fsfreeze', 'softlockup', 'rcu-stall'].map((n) => `${arch}-${n}.log.gz`);
  for (const name of names) {
    test(`${name}: serial junk or another CPU's printk line after a report's first frame changes nothing but line numbers`, { skip: skipIfMissing(name) }, () => {
      const lines = fixtureLines(name);
      const clean = crashesOfBytes(Buffer.concat(lines));
      const withFrames = clean.filter((c) => c.frames.length > 1);
      assert.ok(withFrames.length > 0);
      for (const rec of withFrames) {
        const at = firstFrameLine(lines, rec);
        const stamp = /^\[\s*\d+\.\d+\]/.exec(lines[at].toString('latin1'))?.[0] ?? '';
        const printk = Buffer.from(`${stamp} random: crng init done\r\n`);
        for (const extra of [JUNK, printk]) {
          const got = crashesOfBytes(Buffer.concat([...lines.slice(0, at + 1), extra, ...lines.slice(at + 1)]));
          // Records after the inserted line move down one line; the damaged one grows by one.
          const shift = (n: number) => (n > at + 1 ? n + 1 : n);
          const want = clean.map((c) => ({ ...summary(c), line: shift(c.line), end_line: shift(c.end_line) }));
          assert.deepEqual(got.map(summary), want, `${JSON.stringify(extra.toString('latin1'))} after line ${at + 1}`);
        }
      }
    });
  }

  const oops = `${arch}-oops.log.gz`;
  test(`${oops}: a log that stops inside the call trace is truncated and keeps every frame it holds, a cut one by its function`, { skip: skipIfMissing(oops) }, () => {
    const lines = fixtureLines(oops);
    const data = Buffer.concat(lines);
    const [clean] = crashesOfBytes(data);
    const at = firstFrameLine(lines, clean);
    const lineStart = (i: number) => lines.slice(0, i).reduce((n, l) => n + l.length, 0);

    // The tester's cut: 40 bytes after "Call trace", inside the first frame's line or before it.
    const cut40 = data.indexOf(/Call trace/i.exec(data.toString('latin1'))?.[0] ?? 'Call trace') + 40;
    for (const chunk of [undefined, 7]) {
      const got = crashesOfBytes(data.subarray(0, cut40), chunk);
      assert.equal(got.length, 1);
      assert.deepEqual([got[0].title, got[0].truncated], [clean.title, true]);
      assert.deepEqual(got[0].frames, [], 'no frame line is whole yet');
      assert.equal(got[0].end_line, data.subarray(0, cut40).toString('latin1').split('\n').length);
    }

    // Cut just after the "+0x" of the third frame: two whole frames, and the third's function.
    const third = at + 2;
    const fn = clean.frames[2].function ?? '';
    const plus = lines[third].indexOf(`${fn}+0x`) + fn.length + 3;
    assert.ok(fn !== '' && plus > fn.length + 3);
    const [got] = crashesOfBytes(data.subarray(0, lineStart(third) + plus));
    assert.equal(got.truncated, true);
    assert.equal(got.title, clean.title);
    assert.equal(got.end_line, third + 1);
    assert.deepEqual(got.frames.slice(0, 2), clean.frames.slice(0, 2));
    assert.deepEqual(got.frames.slice(2), [{ text: `${fn}+0x`, function: fn }]);
  });
}
