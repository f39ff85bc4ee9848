// The indexer on the real QEMU -d fixtures (test/fixtures/linux), checked against an independent
// line-by-line count; then chunk edges, a > 4 MiB file, logs cut mid-record and garbage.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { readFileSync } from 'node:fs';
import { DiagnosticLog } from '../../model/diagnostics.js';
import { buildQemu, TYPE_NAMES, type QemuBuild } from './build.js';
import { decoder } from './decode.js';
import { auxToPc } from './pc.js';
import { countBy, fixture, hasFixture, oracle, removeScratch, writeScratch } from './testing.js';

after(removeScratch);

function build(path: string, chunk?: number): QemuBuild & { diags: DiagnosticLog } {
  const diags = new DiagnosticLog();
  return { ...buildQemu(path, 'test.log', diags, undefined, chunk), diags };
}

function typesOf(r: QemuBuild): Record<string, number> {
  return r.table.summary().types;
}

/** Lines, types and aux of every INTERRUPT/EXCEPTION event, in order. */
function deliveries(r: QemuBuild): { line: number; pc: string }[] {
  const ty = r.table.view().type;
  const line = r.table.view().line;
  const aux = r.table.view().aux;
  const out: { line: number; pc: string }[] = [];
  const I = TYPE_NAMES.indexOf('INTERRUPT');
  const E = TYPE_NAMES.indexOf('EXCEPTION');
  for (let i = 0; i < ty.length; i++) if (ty[i] === I || ty[i] === E) out.push({ line: line[i], pc: aux[i] === aux[i] ? auxToPc(aux[i]).slice(2) : '' });
  return out;
}

const LOGS = ['x86_64-qemu-int.log', 'arm64-qemu-int.log', 'x86_64-spin-qemu-int.log', 'arm64-spin-qemu-int.log', 'x86_64-qemu-exec.log', 'arm64-qemu-exec.log'];

describe('real fixtures match an independent count', () => {
  for (const name of LOGS) {
    test(name, { skip: !hasFixture(name) }, () => {
      const path = fixture(name);
      const want = oracle(readFileSync(path, 'latin1'));
      const r = build(path);
      assert.deepEqual(typesOf(r), want.types);
      // Every interrupt/exception event starts on the line the oracle found and carries its pc.
      assert.deepEqual(deliveries(r), want.deliveries.map((d) => ({ line: d.line, pc: d.pc })));
      assert.deepEqual(r.extra.vectors, sortDesc(countBy(want.deliveries, (d) => d.vector)));
      assert.deepEqual(r.extra.privilege_levels, sortDesc(countBy(want.deliveries, (d) => (d.level >= 0 ? String(d.level) : null))));
      const pcs = countBy(want.deliveries, (d) => (d.pc ? `0x${d.pc}` : null));
      const top = Object.entries(pcs).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
      if (top) assert.deepEqual(r.extra.top_pcs[0], { pc: top[0], count: top[1] });
      assert.deepEqual(r.diags.list(), []);
    });
  }
});

function sortDesc(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
}

describe('no-progress signal: the spin loop pc is the most interrupted', () => {
  // scripts/fixtures/spin.c: `for(;;);` at 0x401619 (x86_64) and 0x4006d4 (arm64), per the fixtures' README.
  for (const [name, pc] of [
    ['x86_64-spin-qemu-int.log', '0x401619'],
    ['arm64-spin-qemu-int.log', '0x4006d4'],
  ] as const) {
    test(name, { skip: !hasFixture(name) }, () => {
      const path = fixture(name);
      const text = readFileSync(path, 'latin1');
      const r = build(path);
      const times = name.startsWith('x86')
        ? text.split('\n').filter((l) => / pc=0+401619 /.test(l)).length
        : text.split('\n').filter((l) => l === '...with ELR 0x4006d4').length;
      assert.deepEqual(r.extra.top_pcs[0], { pc, count: times });
      assert.ok(times > 1000, 'the loop was interrupted again and again');
    });
  }
});

describe('chunk edges', () => {
  for (const name of ['x86_64-qemu-int.log', 'arm64-qemu-int.log', 'arm64-qemu-exec.log']) {
    test(`${name}: 7-byte and 4 KiB reads give the same table as 4 MiB reads`, { skip: !hasFixture(name) }, () => {
      // The first ~3000 lines keep the 7-byte pass fast and still cover every record kind of the file.
      const text = readFileSync(fixture(name), 'latin1').split('\n').slice(0, 3000).join('\n') + '\n';
      const path = writeScratch(`head-${name}`, text);
      const ref = build(path);
      for (const chunk of [7, 4096]) {
        const r = build(path, chunk);
        for (const col of ['line', 'offset', 'length', 'type', 'cpu', 'aux', 'sub'] as const) {
          assert.deepEqual(r.table.view()[col], ref.table.view()[col], `chunk ${chunk}: column ${col}`);
        }
        assert.deepEqual(r.table.subNames, ref.table.subNames);
        assert.deepEqual(r.extra, ref.extra);
      }
    });
  }

  test('a > 4 MiB log built from repeated real records: the second copy indexes like the first', { skip: !hasFixture('x86_64-qemu-int.log') }, () => {
    const one = readFileSync(fixture('x86_64-qemu-int.log'));
    const copies = Math.ceil((5 << 20) / one.length);
    const path = writeScratch('big.log', Buffer.concat(Array.from({ length: copies }, () => one)));
    const single = build(fixture('x86_64-qemu-int.log')).table;
    const seen: number[] = [];
    const r = buildQemu(path, 'big.log', new DiagnosticLog(), (done, total) => {
      assert.equal(total, one.length * copies);
      seen.push(done);
    }).table;
    assert.ok(seen.length >= 1 && seen.every((d, i) => d <= one.length * copies && (i === 0 || d > seen[i - 1])), 'progress moves forward');
    const n = single.size;
    const sv = single.view();
    const lines = one.toString('latin1').split('\n').length - 1;
    assert.equal(r.size, n * copies);
    const L = r.view().line;
    const O = r.view().offset;
    const N = r.view().length;
    const A = r.view().aux;
    for (let k = 0; k < copies; k++) {
      for (let i = 0; i < n; i++) {
        const j = k * n + i;
        if (L[j] !== sv.line[i] + k * lines || O[j] !== sv.offset[i] + k * one.length || N[j] !== sv.length[i]) {
          assert.fail(`copy ${k} event ${i}: line ${L[j]} offset ${O[j]} length ${N[j]}`);
        }
        if (!Object.is(A[j], sv.aux[i])) assert.fail(`copy ${k} event ${i}: aux ${A[j]}`);
      }
    }
  });
});

describe('a log cut mid-record', () => {
  test('x86: cut inside a register dump keeps the record as the last event and says where', { skip: !hasFixture('x86_64-qemu-int.log') }, () => {
    const text = readFileSync(fixture('x86_64-qemu-int.log'), 'latin1');
    const lines = text.split('\n');
    // The 100th delivery record, cut 5 dump lines later in the middle of a line.
    const recs = lines.map((l, i) => (/^\s*\d+: v=/.test(l) ? i : -1)).filter((i) => i >= 0);
    const at = recs[99];
    const cut = lines.slice(0, at + 6).join('\n') + '\n' + lines[at + 6].slice(0, 9);
    const r = build(writeScratch('cut-x86.log', cut));
    const want = oracle(cut);
    assert.deepEqual(typesOf(r), want.types);
    const last = r.table.size - 1;
    const start = /^(?:Servicing|check_exception)/.test(lines[at - 1]) ? at : at + 1;
    assert.equal(r.table.view().line[last], start);
    assert.equal(r.table.view().offset[last] + r.table.view().length[last], cut.length, 'the event reaches the last byte');
    const codes = r.diags.list().map((d) => [d.code, d.line]);
    assert.deepEqual(codes, [
      ['TRUNCATED_RECORD', start],
      ['TRUNCATED_LINE', at + 7],
    ]);
  });

  test('Arm: cut after `...from` keeps the exception without its pc', { skip: !hasFixture('arm64-qemu-int.log') }, () => {
    const lines = readFileSync(fixture('arm64-qemu-int.log'), 'latin1').split('\n');
    const at = lines.findIndex((l, i) => i > 500 && l.startsWith('Taking exception 4 [Data Abort]'));
    const cut = lines.slice(0, at + 2).join('\n') + '\n';
    const r = build(writeScratch('cut-arm.log', cut));
    assert.deepEqual(typesOf(r), oracle(cut).types);
    const last = r.table.size - 1;
    assert.equal(TYPE_NAMES[r.table.view().type[last]], 'EXCEPTION');
    assert.equal(r.table.view().line[last], at + 1);
    assert.ok(Number.isNaN(r.table.view().aux[last]));
    assert.deepEqual(
      r.diags.list().map((d) => [d.code, d.line]),
      [['TRUNCATED_RECORD', at + 1]],
    );
  });

  test('a file holding only a few record lines of a longer log still indexes', () => {
    const r = build(writeScratch('tiny.log', 'Taking exception 5 [IRQ] on CPU 1\n...from EL0 to EL1\n'));
    assert.deepEqual(typesOf(r), { INTERRUPT: 1 });
    assert.equal(r.table.view().cpu[0], 1);
  });
});

describe('garbage and empty input', () => {
  test('random bytes are LINE events with BINARY_JUNK warnings, never records', () => {
    let x = 12345;
    const bytes = Buffer.alloc(64 << 10);
    for (let i = 0; i < bytes.length; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      bytes[i] = x >>> 24;
    }
    const r = build(writeScratch('random.bin', bytes));
    assert.deepEqual(Object.keys(typesOf(r)), ['LINE']);
    assert.ok(r.diags.list().some((d) => d.code === 'BINARY_JUNK'));
  });

  test('an empty file: no events, one NO_EVENTS error', () => {
    const r = build(writeScratch('empty.log', ''));
    assert.equal(r.table.size, 0);
    assert.deepEqual(
      r.diags.list().map((d) => d.code),
      ['NO_EVENTS'],
    );
  });
});

/** Console lines as they land in a shared stream: printk, Breenix, plain user output. */
const CONSOLE = ['[    1.234567] console line', '[ INFO] kernel::time: tick 42', 'Hello from init'];

/**
 * The fixture with console lines inserted after every 3rd line that `at` picks (two lines every
 * 5th time); `lineOf[i]` is where original line i (0-based) ends up (1-based), `inserted` the
 * added lines with their 1-based numbers and whether the record goes on after them.
 */
function interleave(name: string, at: RegExp) {
  const lines = readFileSync(fixture(name), 'latin1').split('\n');
  lines.pop();
  const out: string[] = [];
  const lineOf: number[] = [];
  const inserted: { line: number; text: string; inside: boolean }[] = [];
  let seen = 0;
  for (let i = 0; i < lines.length; i++) {
    out.push(lines[i]);
    lineOf.push(out.length);
    if (!at.test(lines[i]) || seen++ % 3 !== 0) continue;
    const inside = i + 1 < lines.length && continues(lines[i], lines[i + 1]);
    for (let k = 0; k < (seen % 5 === 1 ? 2 : 1); k++) {
      const text = CONSOLE[(seen + k) % CONSOLE.length];
      out.push(text);
      inserted.push({ line: out.length, text, inside });
    }
  }
  return { text: out.join('\n') + '\n', lineOf, inserted };
}

/** Whether `next` goes on with the record of `prev`: x86 record after its announcement, dump line, Arm `...` line. */
function continues(prev: string, next: string): boolean {
  if (/^\s*\d+: v=/.test(next)) return /^(?:Servicing|check_exception)/.test(prev);
  if (/^(?:Servicing|check_exception|CPU Reset|SMM: |Taking exception|Exception return)/.test(next)) return false;
  return /^[A-Z ][A-Z0-9 ]{0,8}[=:]/.test(next) || next.startsWith('...');
}

describe('console lines interleaved inside records (serial and -d output in one stream)', () => {
  for (const [name, at] of [
    // Announcement, delivery record, the middle and the end (EFER) of register dumps.
    ['x86_64-qemu-int.log', /^(?:Servicing hardware INT=|check_exception|\s*\d+: v=|RIP=|EIP=|EFER=|CPU Reset|SMM: )/],
    // The record line and each kind of `...` continuation (`...to EL` ends one), and reset dumps.
    ['arm64-qemu-int.log', /^(?:Taking exception|\.\.\.from|\.\.\.with ESR|\.\.\.with FAR|\.\.\.with ELR|\.\.\.to EL|CPU Reset| PC=|X14=)/],
  ] as const) {
    test(`${name}: every record reads as in the clean log; each console line is a LINE event at its line`, { skip: !hasFixture(name) }, () => {
      const clean = build(fixture(name));
      const mix = interleave(name, at);
      const bytes = Buffer.from(mix.text, 'latin1');
      const r = build(writeScratch(`interleaved-${name}`, bytes));
      assert.ok(mix.inserted.length > 1500 && mix.inserted.some((x) => !x.inside), 'lines inside records and between them');

      const { lines, interleaved_lines, ...rest } = r.extra;
      const { lines: cleanLines, interleaved_lines: none, ...want } = clean.extra;
      assert.deepEqual(rest, want, 'vectors, kinds, levels, ESR classes, top pcs, record counter');
      assert.equal(lines, cleanLines + mix.inserted.length);
      assert.equal(none, 0);
      const inside = mix.inserted.filter((x) => x.inside);
      assert.equal(interleaved_lines, inside.length);
      assert.deepEqual(
        r.diags.list().map((d) => [d.code, d.severity, d.line]),
        [['INTERLEAVED_LINES', 'info', inside[0].line]],
      );
      assert.deepEqual(typesOf(r), { LINE: mix.inserted.length, ...typesOf(clean) });

      // Records: the clean log's events, same order, type, cpu, kind and pc, at their moved lines,
      // and decoded to the same fields and text.
      const v = r.table.view();
      const c = clean.table.view();
      const cleanBytes = readFileSync(fixture(name));
      const LINE = TYPE_NAMES.indexOf('LINE');
      const got: { line: number; text: string }[] = [];
      let j = 0;
      for (let i = 0; i < r.table.size; i++) {
        if (v.type[i] === LINE) {
          got.push({ line: v.line[i], text: bytes.toString('latin1', v.offset[i], v.offset[i] + v.length[i]) });
          continue;
        }
        const at = `event ${i} (clean ${j}, line ${v.line[i]})`;
        assert.equal(v.line[i], mix.lineOf[c.line[j] - 1], at);
        assert.deepEqual([v.type[i], v.cpu[i], r.table.subNames[v.sub[i]], v.aux[i]], [c.type[j], c.cpu[j], clean.table.subNames[c.sub[j]], c.aux[j]], at);
        const d = decoder.decode(bytes.subarray(v.offset[i], v.offset[i] + v.length[i]), v.type[i], { line: 0, ts: NaN, cpu: v.cpu[i], sub: r.table.subNames[v.sub[i]], aux: v.aux[i] });
        const e = decoder.decode(cleanBytes.subarray(c.offset[j], c.offset[j] + c.length[j]), c.type[j], { line: 0, ts: NaN, cpu: c.cpu[j], sub: clean.table.subNames[c.sub[j]], aux: c.aux[j] });
        assert.deepEqual(d, e, at);
        j++;
      }
      assert.equal(j, clean.table.size);
      assert.deepEqual(got, mix.inserted.map(({ line, text }) => ({ line, text })));
    });
  }
});

describe("QEMU's own lines still end a record around console lines", () => {
  const lineEvents = (r: QemuBuild) => {
    const v = r.table.view();
    return [...v.type].map((t, i) => [TYPE_NAMES[t], v.line[i], v.length[i]]);
  };

  test('a blank line ends an in_asm block; an instruction line after it is not taken in', () => {
    const text = ['----------------', 'IN: foo', '0x00001000:  nop', '[    1.0] console', '0x00001004:  nop', '', '[    1.1] console', '0x00001008:  nop', ''].join('\n');
    const r = build(writeScratch('tb-console.log', text));
    const lens = text.split('\n').map((l) => l.length + 1);
    const upTo = (n: number) => lens.slice(0, n).reduce((a, b) => a + b, 0) - 1;
    assert.deepEqual(lineEvents(r), [
      ['TB', 1, upTo(5)],
      ['LINE', 4, lens[3] - 1],
      ['LINE', 7, lens[6] - 1],
      ['LINE', 8, lens[7] - 1],
    ]);
    const tb = decoder.decode(Buffer.from(text).subarray(0, upTo(5)), TYPE_NAMES.indexOf('TB'), { line: 1, ts: NaN, cpu: -1, sub: 'foo', aux: r.table.view().aux[0] });
    assert.deepEqual([tb.fields.insns, tb.fields.pc, tb.fields.end_pc], [2, '0x1000', '0x1004']);
    assert.equal(r.extra.interleaved_lines, 1);
  });

  test('a dump is over at a line of another record grammar, and after a long run of console output', () => {
    const dump = (more: string[]) => ['CPU Reset (CPU 0)', 'EAX=00000000 EBX=00000000 ECX=00000000 EDX=00000000', ...more, 'EIP=00000000 EFL=00000000 [-------] CPL=0 II=0 A20=0 SMM=0 HLT=0', ''].join('\n');
    const short = build(writeScratch('dump-arm-line.log', dump(['[ INFO] hello', '...from EL0 to EL1'])));
    assert.deepEqual(lineEvents(short).map((e) => e.slice(0, 2)), [['CPU_RESET', 1], ['LINE', 3], ['LINE', 4], ['LINE', 5]]);
    assert.equal(short.table.view().length[0], 'CPU Reset (CPU 0)\nEAX=00000000 EBX=00000000 ECX=00000000 EDX=00000000'.length);
    const long = build(writeScratch('dump-long-console.log', dump(Array.from({ length: 100 }, (_, i) => `[    2.${i}] console`))));
    assert.deepEqual(typesOf(long), { CPU_RESET: 1, LINE: 101 });
    assert.equal(long.extra.interleaved_lines, 0);
  });

  test('an announcement followed by another record stays alone across console lines', () => {
    const text = [
      'Servicing hardware INT=0x08',
      '[ INFO] x',
      'check_exception old: 0xffffffff new 0xe',
      '[ INFO] y',
      '     0: v=0e e=0000 i=0 cpl=0 IP=0010:ffffffffaa879246 pc=ffffffffaa879246 SP=0000:ffffffffaa203f30 CR2=ffff888000014790',
      '',
    ].join('\n');
    const r = build(writeScratch('announce-console.log', text));
    assert.deepEqual(lineEvents(r).map((e) => e.slice(0, 2)), [['INTERRUPT', 1], ['LINE', 2], ['EXCEPTION', 3], ['LINE', 4]]);
    assert.equal(r.table.view().length[0], 'Servicing hardware INT=0x08'.length);
    assert.deepEqual(r.extra.vectors, { '0x8': 1, '0xe': 1 });
    assert.equal(r.extra.interleaved_lines, 1);
  });
});
