import { test } from 'node:test';
import assert from 'node:assert/strict';
import { thousands } from './thousands.js';

test('thousands writes what toLocaleString(en-US) writes', () => {
  const xs = [0, 1, -1, 12, 999, 1000, -1000, 12345, 123456, 1234567, -987654321, 2 ** 53 - 1, 1.5, 1234.5678, NaN, Infinity, -0];
  let seed = 3;
  for (let i = 0; i < 500; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    xs.push(Math.floor(seed / 10 ** (seed % 9)) * (seed & 1 ? -1 : 1));
  }
  for (const x of xs) assert.equal(thousands(x), x.toLocaleString('en-US'), String(x));
});
