// The indexer on the real QEMU -d fixtures (test/fixtures/linux), checked against an independent
// line-by-line count; then chunk edges, a > 4 MiB file, logs cut mid-record and garbage.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { readFileSync } from 'node:fs';
import { DiagnosticLog } from '../../model/diagnostics.js';
import { buildQemu, TYPE_NAMES, type QemuBuild } from './build.js';
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
