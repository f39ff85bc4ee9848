// The decoder on every event of the real fixtures: fields agree with the raw record, with the
// register dump printed beside it, and with what the indexer stored for the event.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { readFileSync } from 'node:fs';
import type { FieldValue } from '../../model/event.js';
import { DiagnosticLog } from '../../model/diagnostics.js';
import { buildQemu, TYPE_NAMES } from './build.js';
import { decoder } from './decode.js';
import { auxToPc } from './pc.js';
import { fixture, hasFixture, removeScratch } from './testing.js';

after(removeScratch);

type Fields = Record<string, FieldValue>;

/** Every event of a fixture decoded from its stored byte range, with its type name and raw text. */
function decodeAll(name: string): { type: string; f: Fields; raw: string; line: number; aux: number; cpu: number; text: string }[] {
  const path = fixture(name);
  const bytes = readFileSync(path);
  const { table: t } = buildQemu(path, name, new DiagnosticLog());
  const out = [];
  for (let i = 0; i < t.size; i++) {
    const raw = bytes.subarray(t.view().offset[i], t.view().offset[i] + t.view().length[i]);
    const row = { line: t.view().line[i], ts: NaN, cpu: t.view().cpu[i], sub: t.subNames[t.view().sub[i]], aux: t.view().aux[i] };
    const d = decoder.decode(raw, t.view().type[i], row);
    out.push({ type: TYPE_NAMES[t.view().type[i]], f: d.fields, raw: raw.toString('latin1'), line: row.line, aux: row.aux, cpu: row.cpu, text: d.text });
  }
  return out;
}

test('x86 interrupts and exceptions: vector, pc and cpl from the record; RIP of the dump is the pc', { skip: !hasFixture('x86_64-qemu-int.log') }, () => {
  const all = decodeAll('x86_64-qemu-int.log');
  let checked = 0;
  for (const e of all) {
    assert.ok(e.text.startsWith(`${e.line}: `), e.text);
    if (e.type !== 'INTERRUPT' && e.type !== 'EXCEPTION') continue;
    const rec = /\d+: v=([0-9a-f]+) e=([0-9a-f]+) i=(\d) cpl=(\d) IP=[0-9a-f]+:[0-9a-f]+ pc=([0-9a-f]+)/.exec(e.raw);
    if (!rec) {
      // A hardware interrupt taken in real mode: QEMU prints the Servicing line only.
      assert.equal(e.type, 'INTERRUPT');
      assert.match(e.raw, /^Servicing hardware INT=0x/);
      assert.equal(e.f.serviced, true);
      continue;
    }
    assert.equal(e.f.vector, `0x${parseInt(rec[1], 16).toString(16)}`);
    assert.equal(e.f.cpl, Number(rec[4]));
    assert.equal(e.f.level, Number(rec[4]));
    assert.equal(e.f.software, rec[3] === '1');
    assert.equal(e.f.pc, auxToPc(e.aux));
    assert.equal(e.f.rip, e.f.pc, `line ${e.line}: dump RIP vs record pc`);
    if (rec[1] === '0e') {
      assert.equal(e.f.kind, '#PF');
      const cr2 = /pc=[0-9a-f]+ SP=\S+ CR2=0*([0-9a-f]+)/.exec(e.raw) as RegExpExecArray;
      assert.equal(e.f.cr2, `0x${cr2[1]}`);
    }
    if (e.raw.startsWith('check_exception')) assert.equal(e.f.raised, e.f.vector);
    checked++;
  }
  assert.ok(checked > 1000);
});

test('Arm exceptions: pc is ELR, level is the source EL, syndrome only for synchronous exceptions', { skip: !hasFixture('arm64-qemu-int.log') }, () => {
  const all = decodeAll('arm64-qemu-int.log');
  let aborts = 0;
  for (const e of all) {
    if (e.type === 'EXCEPTION_RETURN') {
      const m = /PC 0x([0-9a-f]+)$/.exec(e.raw.trim()) as RegExpExecArray;
      assert.equal(e.f.pc, `0x${m[1]}`);
      assert.equal(e.f.cpu_inferred, e.cpu >= 0 ? true : undefined);
      continue;
    }
    if (e.type !== 'INTERRUPT' && e.type !== 'EXCEPTION') continue;
    assert.equal(e.f.cpu_inferred, undefined, 'Taking exception names its CPU');
    assert.equal(e.cpu, Number(/on CPU (\d+)/.exec(e.raw)?.[1]));
    const elr = /\.\.\.with ELR 0x([0-9a-f]+)/.exec(e.raw);
    if (elr) {
      assert.equal(e.f.elr, `0x${elr[1]}`);
      assert.equal(e.f.pc, e.f.elr);
      assert.equal(auxToPc(e.aux), e.f.pc);
    } else assert.equal(e.f.psci, true, `line ${e.line}: only PSCI calls have no ELR`);
    assert.equal(e.f.level, Number(/from EL(\d)/.exec(e.raw)?.[1]));
    if (e.type === 'INTERRUPT') assert.equal(e.f.esr, undefined);
    if (e.f.name === 'Data Abort') {
      assert.match(String(e.f.ec_name), /^DABT_(?:LOW|CUR)$/);
      assert.match(String(e.f.far), /^0x[0-9a-f]+$/);
      aborts++;
    }
  }
  assert.ok(aborts > 0);
});

test('in_asm blocks and exec lines: pc, instruction count, CPU', { skip: !hasFixture('arm64-qemu-exec.log') }, () => {
  const all = decodeAll('arm64-qemu-exec.log');
  for (const e of all) {
    if (e.type === 'TB') {
      const insns = e.raw.split('\n').filter((l) => /^0x[0-9a-f]+:/.test(l));
      assert.equal(e.f.insns, insns.length);
      assert.equal(e.f.pc, `0x${/^0x([0-9a-f]+)/.exec(insns[0])?.[1]}`);
      assert.equal(auxToPc(e.aux), e.f.pc);
    } else if (e.type === 'EXEC') {
      assert.equal(e.f.pc, auxToPc(e.aux));
      assert.equal(e.cpu, Number(/^Trace (\d+):/.exec(e.raw)?.[1]));
    }
  }
});

test('CPU reset dumps: CPU from the header, registers from the dump', { skip: !hasFixture('x86_64-qemu-int.log') }, () => {
  const resets = decodeAll('x86_64-qemu-int.log').filter((e) => e.type === 'CPU_RESET');
  assert.ok(resets.length > 0);
  for (const e of resets) {
    assert.equal(e.cpu, Number(/^CPU Reset \(CPU (\d+)\)/.exec(e.raw)?.[1]));
    assert.equal(e.f.arch, 'x86');
    assert.match(String(e.f.eip), /^0x[0-9a-f]+$/);
    assert.equal(e.f.dump_lines, e.raw.trimEnd().split('\n').length - 1);
  }
});
