import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { UserError } from '../../util/errors.js';
import { DEFAULT_TII_SPEC } from './default-spec.js';
import { compileSpec, FUNC_ENTER, FUNC_EXIT, loadSpec, UNKNOWN_MARKER, VMID, type TiiSpecInput } from './spec.js';

/** The marker table of tii-ftrace.md (normative part): name, word, length in words. */
const DOC_MARKERS: [string, number, number][] = [
  ['SAFE_PTE', 0xfffe, 4], ['SYSCALL', 0xfffc, 2], ['VSPACE', 0xfffa, 4], ['THREAD', 0xfff8, 4],
  ['RETYPE', 0xfff6, 5], ['INIT_PT', 0xfff4, 5], ['CREATE_OBJ', 0xfff2, 5], ['PT_MAP', 0xfff0, 8],
  ['KERNEL_ENTRY', 0xffee, 4], ['INTERRUPT', 0xffec, 2], ['KERNEL_EXIT', 0xffea, 3], ['VM_FAULT', 0xffe8, 5],
  ['USER_FAULT', 0xffe6, 4], ['TRACEPOINT', 0xffe4, 5],
];

const dir = mkdtempSync(join(tmpdir(), 'kscope-spec-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function clone(): TiiSpecInput {
  return structuredClone(DEFAULT_TII_SPEC);
}

/** compileSpec must reject `spec` with a UserError naming `path`. */
function rejects(spec: unknown, path: string): void {
  assert.throws(
    () => compileSpec(spec as TiiSpecInput, 'my-spec.json'),
    (e: unknown) => e instanceof UserError && e.message.startsWith(`my-spec.json: ${path}: expected`) && !e.message.includes('\n'),
    `expected an error naming ${path}`,
  );
}

describe('tii spec: the default interpretation', () => {
  const spec = compileSpec(DEFAULT_TII_SPEC);

  test('every 16-bit word is classified by the word-class rule of the format doc', () => {
    const markers = new Map(DOC_MARKERS.map(([name, word, len]) => [word, { name, len }]));
    for (let w = 0; w < 65536; w++) {
      const even = w % 2 === 0;
      let name: string;
      let len = 1;
      if (even && w >= 0xff00) {
        const m = markers.get(w);
        name = m?.name ?? 'UNKNOWN_MARKER';
        len = m?.len ?? 1;
      } else if (even && w <= 0x01fe) name = 'VMID';
      else name = even ? 'FUNC_EXIT' : 'FUNC_ENTER';
      if (spec.typeNames[spec.typeOf[w]] !== name || spec.lenOf[w] !== len) {
        assert.fail(`word 0x${w.toString(16)}: ${spec.typeNames[spec.typeOf[w]]}/${spec.lenOf[w]}, doc says ${name}/${len}`);
      }
    }
  });

  test('fixed type ids and the longest marker', () => {
    assert.equal(spec.typeNames[FUNC_ENTER], 'FUNC_ENTER');
    assert.equal(spec.typeNames[FUNC_EXIT], 'FUNC_EXIT');
    assert.equal(spec.typeNames[VMID], 'VMID');
    assert.equal(spec.typeNames[UNKNOWN_MARKER], 'UNKNOWN_MARKER');
    assert.equal(spec.maxLen, Math.max(...DOC_MARKERS.map((m) => m[2])));
    assert.equal(spec.fnShift, 1);
    assert.equal(spec.vmidShift, 1);
  });

  test('the hash follows the content, so a bundle built with another spec is rebuilt', () => {
    const renamed = clone();
    renamed.markers[8].name = 'SLOW_ENTRY';
    assert.equal(compileSpec(clone()).hash, spec.hash);
    assert.notEqual(compileSpec(renamed).hash, spec.hash);
    const longer = clone();
    longer.markers[10].words = 4;
    assert.notEqual(compileSpec(longer).hash, spec.hash);
  });

  test('a user spec changes names and lengths (data, not code)', () => {
    const s = clone();
    s.markers.push({ name: 'MY_PROBE', word: 0xff10, words: 3, fields: [{ name: 'value', words: [0, 1] }] });
    const c = compileSpec(s);
    assert.equal(c.typeNames[c.typeOf[0xff10]], 'MY_PROBE');
    assert.equal(c.lenOf[0xff10], 3);
    assert.equal(c.typeNames[c.typeOf[0xff12]], 'UNKNOWN_MARKER');
  });
});

describe('tii spec: errors name the JSON path', () => {
  test('classes', () => {
    const noMin = clone() as unknown as { classes: { marker: Record<string, unknown> } };
    delete noMin.classes.marker.min;
    rejects(noMin, 'classes.marker.min');
    const s = clone();
    s.classes.vmid.max = 0xff00;
    rejects(s, 'classes.vmid.max');
    const e = clone() as unknown as { classes: { function: { enter: string } } };
    e.classes.function.enter = 'sometimes';
    rejects(e, 'classes.function.enter');
    rejects({ markers: [] }, 'classes');
    rejects(null, '(top)');
  });

  test('markers', () => {
    const cases: [(s: TiiSpecInput) => void, string][] = [
      [(s) => (s.markers[1].word = 0xfffd), 'markers[1].word'],
      [(s) => (s.markers[2].words = 0), 'markers[2].words'],
      [(s) => (s.markers[3].word = s.markers[0].word), 'markers[3].word'],
      [(s) => (s.markers[4].name = 'retype'), 'markers[4].name'],
      [(s) => (s.markers[5].name = 'VMID'), 'markers[5].name'],
      [(s) => ((s.markers[0].fields ?? [])[0].words = [0, 1, 3]), 'markers[0].fields[0].words[2]'],
      [(s) => ((s.markers[8].fields ?? [])[0].parts = [{ word: 0, lo: 14, width: 3 }]), 'markers[8].fields[0].parts[0].width'],
      [(s) => ((s.markers[8].fields ?? [])[1] = { name: 'x' }), 'markers[8].fields[1]'],
    ];
    for (const [mutate, path] of cases) {
      const s = clone();
      mutate(s);
      rejects(s, path);
    }
    rejects({ ...clone(), markers: 'all of them' }, 'markers');
  });

  test('loadSpec: unreadable file and bad JSON give one line naming the file', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"classes": {');
    assert.throws(() => loadSpec(bad), (e: unknown) => e instanceof UserError && e.message.startsWith(`${bad}: not valid JSON`));
    const missing = join(dir, 'missing.json');
    assert.throws(() => loadSpec(missing), (e: unknown) => e instanceof UserError && e.message.startsWith(`${missing}: cannot read`));
    const wrong = join(dir, 'wrong.json');
    const s = clone();
    s.markers[6].words = 300;
    writeFileSync(wrong, JSON.stringify(s));
    assert.throws(() => loadSpec(wrong), (e: unknown) => e instanceof UserError && e.message.startsWith(`${wrong}: markers[6].words: expected`));
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify(DEFAULT_TII_SPEC));
    assert.equal(loadSpec(good).hash, loadSpec().hash);
  });
});
