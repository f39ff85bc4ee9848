import { test } from 'node:test';
import assert from 'node:assert/strict';
import { align, hunksOf, LCS_MAX_CELLS } from './align.js';

/** Letters → ids, so cases read as strings. */
function ids(s: string): Uint32Array {
  return Uint32Array.from([...s].map((c) => c.charCodeAt(0) - 97));
}

function pairs(a: string, b: string): [number, number][] {
  const al = align(ids(a), ids(b), 26);
  return [...al.a].map((x, k) => [x, al.b[k]]);
}

test('identical sequences align completely and have no hunks', () => {
  const al = align(ids('abcdef'), ids('abcdef'), 26);
  assert.deepEqual([...al.a], [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(hunksOf(al, 6, 6), []);
});

test('an inserted and a replaced entry are hunks at the right places', () => {
  const al = align(ids('abcdefg'), ids('abxcdyfg'), 26);
  assert.deepEqual(hunksOf(al, 7, 8), [
    { a0: 2, a1: 2, b0: 2, b1: 3 },
    { a0: 4, a1: 5, b0: 5, b1: 6 },
  ]);
});

test('unique entries anchor the alignment even when repeated ones move around', () => {
  // `q` and `z` occur once on each side: they are matched, and the `a`s around them fill in.
  const p = pairs('aaqaaz', 'aqaaaz');
  assert.equal(p.length, 5);
  assert.ok(p.some(([x, y]) => x === 2 && y === 1), 'q is matched to q');
  assert.deepEqual(p[p.length - 1], [5, 5]);
});

test('matches are increasing on both sides and always equal', () => {
  const a = ids('thequickbrownfoxjumpsoverthelazydog');
  const b = ids('thequickredfoxjumpedoverthesleepydog');
  const al = align(a, b, 26);
  for (let k = 0; k < al.a.length; k++) {
    assert.equal(a[al.a[k]], b[al.b[k]]);
    if (k > 0) assert.ok(al.a[k] > al.a[k - 1] && al.b[k] > al.b[k - 1]);
  }
  const h = hunksOf(al, a.length, b.length);
  const changedA = h.reduce((n, x) => n + x.a1 - x.a0, 0);
  assert.equal(changedA + al.a.length, a.length);
});

test('a large gap without any unique shared entry stays unmatched instead of running an n·m LCS', () => {
  const n = Math.ceil(Math.sqrt(LCS_MAX_CELLS)) + 10;
  const a = new Uint32Array(n).fill(1);
  const b = new Uint32Array(n).fill(2);
  a[0] = b[0] = 0;
  const al = align(a, b, 3);
  assert.deepEqual([...al.a], [0]);
  assert.deepEqual(hunksOf(al, n, n), [{ a0: 1, a1: n, b0: 1, b1: n }]);
});

test('empty sides', () => {
  assert.deepEqual(hunksOf(align(ids(''), ids('ab'), 26), 0, 2), [{ a0: 0, a1: 0, b0: 0, b1: 2 }]);
  assert.deepEqual(hunksOf(align(ids('ab'), ids(''), 26), 2, 0), [{ a0: 0, a1: 2, b0: 0, b1: 0 }]);
});
