import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_TII_SPEC } from './default-spec.js';
import { decodeEvent, walkEvents, type FunctionNames } from './decode.js';
import { compileSpec } from './spec.js';

const spec = compileSpec(DEFAULT_TII_SPEC);
const word = (name: string) => {
  const m = spec.markers.find((x) => x.name === name);
  assert.ok(m, name);
  return m.word;
};

/** KERNEL_ENTRY words from the doc's bit layout: path 2..0, syscall_no 6..3, cap_type 11..7, fastpath 12; tag over words 1-2. */
function kentry(path: number, sys: number, cap: number, fast: boolean, tag: number): number[] {
  return [word('KERNEL_ENTRY'), path | (sys << 3) | (cap << 7) | (fast ? 1 << 12 : 0), tag & 0xffff, tag >>> 16];
}

describe('tii decode: events in the user\'s own style', () => {
  test('KENTRY and KEXIT lines as the seed prints them', () => {
    const w = Uint16Array.from([...kentry(6, 1, 1, false, 42), word('KERNEL_EXIT'), 0, 0]);
    const e = decodeEvent(spec, w, 0, 51517274, 1234, -1);
    assert.equal(e.text, '?:[51517274] KENTRY Syscall Call cap=1 tag=42');
    assert.equal(e.type, 'KERNEL_ENTRY');
    assert.equal(e.offset, 1234);
    assert.equal(e.vmid, null);
    assert.deepEqual(
      { path: e.fields.path_name, sys: e.fields.syscall_no_name, cap: e.fields.cap_type, fast: e.fields.is_fastpath, tag: e.fields.tag },
      { path: 'Syscall', sys: 'Call', cap: 1, fast: false, tag: 42 },
    );
    const x = decodeEvent(spec, w, 4, 51517376, 1238, -1);
    assert.equal(x.text, '?:[51517376] KEXIT duration=0');
    assert.equal(x.fields.duration, 0);
  });

  test('every KERNEL_ENTRY field at its bits, the 19-bit tag across two words', () => {
    const paths = ['Unknown', 'Interrupt', 'UnknownSyscall', 'UserFault', 'DebugFault', 'VMFault', 'Syscall', 'VCPUFault'];
    for (let path = 0; path < 8; path++) {
      const tag = 0x40000 + path * 0x1111;
      const e = decodeEvent(spec, Uint16Array.from(kentry(path, 8, 31, true, tag)), 0, 0, 0, 5);
      assert.equal(e.fields.path_name, paths[path]);
      assert.equal(e.fields.syscall_no_name, 'NBRecv');
      assert.equal(e.fields.cap_type, 31);
      assert.equal(e.fields.is_fastpath, true);
      assert.equal(e.fields.tag, tag);
      assert.equal(e.text, `5:[0] KENTRY ${paths[path]} NBRecv cap=31 tag=${tag}`);
    }
  });

  test('multi-word values: 32-bit durations, 48-bit addresses in hex', () => {
    const d = decodeEvent(spec, Uint16Array.from([word('KERNEL_EXIT'), 0x5678, 0x1234]), 0, 0, 0, -1);
    assert.equal(d.fields.duration, 0x12345678);
    const p = decodeEvent(spec, Uint16Array.from([word('SAFE_PTE'), 0x3456, 0x9abc, 0xff12]), 0, 0, 0, -1);
    assert.equal(p.fields.pc, '0xff129abc3456');
    const pt = decodeEvent(spec, Uint16Array.from([word('PT_MAP'), 1, 2, 3, 4, 5, 6, 7]), 0, 0, 0, -1);
    assert.deepEqual([pt.fields.pt, pt.fields.parent, pt.fields.slot], ['0x300020001', '0x600050004', 7]);
    const r = decodeEvent(spec, Uint16Array.from([word('RETYPE'), 9, 8, 7, 6]), 0, 0, 0, -1);
    assert.deepEqual(r.fields.raw, [9, 8, 7, 6]);
  });

  test('functions, VMIDs and unknown markers', () => {
    const names: FunctionNames = {
      address: (id) => (id === 700 ? 0x1000 : undefined),
      symbol: (id) => (id === 700 ? 'handleSyscall' : undefined),
    };
    const w = Uint16Array.from([(700 << 1) | 1, 700 << 1, (701 << 1) | 1, 3 << 1, 0xff10]);
    assert.equal(decodeEvent(spec, w, 0, 0, 0, -1, names).text, '?:[0] ENTER handleSyscall (id=700)');
    assert.equal(decodeEvent(spec, w, 1, 1, 1, -1, names).text, '?:[1] EXIT handleSyscall (id=700)');
    const unnamed = decodeEvent(spec, w, 2, 2, 2, -1, names);
    assert.equal(unnamed.text, '?:[2] ENTER fn#701');
    assert.equal(unnamed.fields.function_id, 701);
    const vm = decodeEvent(spec, w, 3, 3, 3, 3);
    assert.deepEqual([vm.type, vm.fields.vmid, vm.vmid], ['VMID', 3, 3]);
    const u = decodeEvent(spec, w, 4, 4, 4, 3);
    assert.deepEqual([u.type, u.fields.word, u.text], ['UNKNOWN_MARKER', '0xff10', '3:[4] UNKNOWN_MARKER 0xff10']);
  });

  test('walkEvents carries the VMID context and stops before an event that does not fit', () => {
    const w = Uint16Array.from([0x0801, 2 << 1, 0x0800, word('KERNEL_EXIT'), 0, 0, 0x0803, word('KERNEL_ENTRY'), 1]);
    const seen: [number, string, number, number][] = [];
    walkEvents(spec, w, 0, 100, -1, (i, t, index, vmid) => (seen.push([i, spec.typeNames[t], index, vmid]), true));
    assert.deepEqual(seen, [
      [0, 'FUNC_ENTER', 100, -1],
      [1, 'VMID', 101, 2],
      [2, 'FUNC_EXIT', 102, 2],
      [3, 'KERNEL_EXIT', 103, 2],
      [6, 'FUNC_ENTER', 104, 2],
    ]);
  });
});

test('tii decode: 64-bit dictionary addresses are shown exactly', () => {
  const addr = 0xffffff8040016640n; // not a multiple of 2^11: a double would round it
  const names: FunctionNames = { address: () => addr, symbol: () => undefined };
  const e = decodeEvent(spec, Uint16Array.from([(1433 << 1) | 1]), 0, 0, 0, -1, names);
  assert.equal(e.fields.address, '0xffffff8040016640');
  assert.equal(e.text, '?:[0] ENTER 0xffffff8040016640 (id=1433)');
});
