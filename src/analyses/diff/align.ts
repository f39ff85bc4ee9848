/**
 * Alignment of two id sequences (normalized lines or events) by patience
 * diff: lines that occur exactly once in both sides anchor the alignment,
 * the longest increasing run of anchors is kept, and the gaps between
 * anchors are aligned the same way. It is O(n log n) on logs, where a plain
 * LCS (O(n·m)) would not finish on two million-line boots, and it resists
 * the noise of console logs (a line printed a little earlier in one run does
 * not misalign everything after it). Gaps with no unique line fall back to an
 * exact LCS when they are small.
 */
import { U32List } from '../../util/growable.js';

/** Gaps up to this many cells (n·m) with no unique anchor get an exact LCS. */
export const LCS_MAX_CELLS = 2_000_000;

export interface Alignment {
  /** Positions matched in A and in B, increasing in both. */
  a: Uint32Array;
  b: Uint32Array;
}

/** A change: entries [a0, a1) of A stand where entries [b0, b1) of B stand (either side may be empty). */
export interface Hunk {
  a0: number;
  a1: number;
  b0: number;
  b1: number;
}

// Tasks on the work stack: a range to align, or a run of known matches to emit.
const RANGE = 0;
const RUN = 1;

export function align(A: Uint32Array, B: Uint32Array, ids: number): Alignment {
  const outA = new U32List(1024);
  const outB = new U32List(1024);
  const cntA = new Int32Array(ids);
  const cntB = new Int32Array(ids);
  const posB = new Int32Array(ids);
  // Flat task stack: kind, p, q, r, s (RANGE: a0 a1 b0 b1; RUN: a b len -).
  const stack: number[] = [RANGE, 0, A.length, 0, B.length];
  const emitRun = (a: number, b: number, n: number) => {
    for (let k = 0; k < n; k++) {
      outA.push(a + k);
      outB.push(b + k);
    }
  };
  while (stack.length) {
    const s = stack.pop() as number;
    const r = stack.pop() as number;
    const q = stack.pop() as number;
    const p = stack.pop() as number;
    const kind = stack.pop() as number;
    if (kind === RUN) {
      emitRun(p, q, r);
      continue;
    }
    let a0 = p;
    let a1 = q;
    let b0 = r;
    let b1 = s;
    // Common prefix: emitted now, since everything left of this range is already out.
    while (a0 < a1 && b0 < b1 && A[a0] === B[b0]) {
      outA.push(a0++);
      outB.push(b0++);
    }
    let suf = 0;
    while (a1 - suf > a0 && b1 - suf > b0 && A[a1 - 1 - suf] === B[b1 - 1 - suf]) suf++;
    a1 -= suf;
    b1 -= suf;
    // Tasks are popped last-in first-out: push what comes last first.
    if (suf > 0) stack.push(RUN, a1, b1, suf, 0);
    if (a0 === a1 || b0 === b1) continue;
    const anchors = uniqueAnchors(A, B, a0, a1, b0, b1, cntA, cntB, posB);
    if (anchors.length > 0) {
      let endA = a1;
      let endB = b1;
      for (let k = anchors.length - 2; k >= 0; k -= 2) {
        const ai = anchors[k];
        const bi = anchors[k + 1];
        if (ai + 1 < endA || bi + 1 < endB) stack.push(RANGE, ai + 1, endA, bi + 1, endB);
        stack.push(RUN, ai, bi, 1, 0);
        endA = ai;
        endB = bi;
      }
      if (a0 < endA || b0 < endB) stack.push(RANGE, a0, endA, b0, endB);
    } else if ((a1 - a0) * (b1 - b0) <= LCS_MAX_CELLS) {
      lcs(A, B, a0, a1, b0, b1, outA, outB);
    }
    // A large gap without one shared unique entry stays unmatched: the runs have nothing to hold on to there.
  }
  return { a: outA.toArray(), b: outB.toArray() };
}

/**
 * Entries unique in both ranges, as flat [a, b, a, b, …] pairs forming the
 * longest chain increasing in both (patience sorting).
 */
function uniqueAnchors(A: Uint32Array, B: Uint32Array, a0: number, a1: number, b0: number, b1: number, cntA: Int32Array, cntB: Int32Array, posB: Int32Array): number[] {
  for (let i = a0; i < a1; i++) cntA[A[i]]++;
  for (let j = b0; j < b1; j++) {
    cntB[B[j]]++;
    posB[B[j]] = j;
  }
  const candA: number[] = [];
  const candB: number[] = [];
  for (let i = a0; i < a1; i++) {
    const id = A[i];
    if (cntA[id] === 1 && cntB[id] === 1) {
      candA.push(i);
      candB.push(posB[id]);
    }
  }
  for (let i = a0; i < a1; i++) cntA[A[i]] = 0;
  for (let j = b0; j < b1; j++) cntB[B[j]] = 0;
  if (candA.length === 0) return [];
  // Longest increasing subsequence of candB (candA is increasing already).
  const tails: number[] = [];
  const prev = new Int32Array(candB.length);
  for (let k = 0; k < candB.length; k++) {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (candB[tails[mid]] < candB[k]) lo = mid + 1;
      else hi = mid;
    }
    prev[k] = lo > 0 ? tails[lo - 1] : -1;
    tails[lo] = k;
  }
  const out: number[] = new Array<number>(tails.length * 2);
  let k = tails[tails.length - 1];
  for (let n = tails.length - 1; n >= 0; n--) {
    out[2 * n] = candA[k];
    out[2 * n + 1] = candB[k];
    k = prev[k];
  }
  return out;
}

/** Exact LCS of a small gap, emitted in order. */
function lcs(A: Uint32Array, B: Uint32Array, a0: number, a1: number, b0: number, b1: number, outA: U32List, outB: U32List): void {
  const n = a1 - a0;
  const m = b1 - b0;
  const w = m + 1;
  // L[i][j] = LCS length of A[a0+i..a1) and B[b0+j..b1): filled from the end so the walk can go forwards.
  const L = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      L[i * w + j] = A[a0 + i] === B[b0 + j] ? L[(i + 1) * w + j + 1] + 1 : Math.max(L[(i + 1) * w + j], L[i * w + j + 1]);
    }
  }
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (A[a0 + i] === B[b0 + j]) {
      outA.push(a0 + i++);
      outB.push(b0 + j++);
    } else if (L[(i + 1) * w + j] >= L[i * w + j + 1]) i++;
    else j++;
  }
}

/** The changes between matched positions, in order. */
export function hunksOf(al: Alignment, lenA: number, lenB: number): Hunk[] {
  const out: Hunk[] = [];
  let pa = 0;
  let pb = 0;
  for (let k = 0; k <= al.a.length; k++) {
    const na = k < al.a.length ? al.a[k] : lenA;
    const nb = k < al.b.length ? al.b[k] : lenB;
    if (na > pa || nb > pb) out.push({ a0: pa, a1: na, b0: pb, b1: nb });
    pa = na + 1;
    pb = nb + 1;
  }
  return out;
}
