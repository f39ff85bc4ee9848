import { F64List } from '../util/growable.js';

/** Percentiles every latency report gives. */
export const PERCENTILES = [50, 90, 99] as const;

export interface Distribution {
  count: number;
  min: number;
  max: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  /** Power-of-two buckets: `"<1"`, `"1-2"`, `"2-4"`, … (in the values' unit) → count; empty buckets left out. */
  histogram: Record<string, number>;
}

/**
 * Values of one kind (latencies of one syscall, intervals on one CPU),
 * kept in a growable typed array with the index of the largest, so a report
 * can show percentiles and point at the worst case as evidence.
 */
export class Samples {
  private readonly values = new F64List(64);
  maxIndex = -1;
  maxValue = -Infinity;
  /** Index of the event that closed the first sample (evidence for "every value is …"). */
  firstIndex = -1;

  add(v: number, index: number): void {
    if (this.values.length === 0) this.firstIndex = index;
    this.values.push(v);
    if (v > this.maxValue) {
      this.maxValue = v;
      this.maxIndex = index;
    }
  }

  get count(): number {
    return this.values.length;
  }

  distribution(): Distribution {
    return distribution(this.values.data.subarray(0, this.values.length));
  }
}

/** Bucket label of a value: `<1` below 1, else `lo-hi` with hi = 2 lo. */
export function bucketOf(v: number): string {
  if (!(v >= 1)) return '<1';
  const lo = 2 ** Math.floor(Math.log2(v));
  return `${lo}-${lo * 2}`;
}

/** Nearest-rank percentile of sorted values. */
function pct(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const k = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[k];
}

export function distribution(values: Float64Array): Distribution {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  const counts = new Map<number, number>();
  for (const v of sorted) {
    const b = v >= 1 ? Math.floor(Math.log2(v)) : -1;
    counts.set(b, (counts.get(b) ?? 0) + 1);
  }
  const histogram: Record<string, number> = {};
  for (const b of [...counts.keys()].sort((a, c) => a - c)) histogram[b < 0 ? '<1' : `${2 ** b}-${2 ** (b + 1)}`] = counts.get(b) as number;
  return {
    count: sorted.length,
    min: sorted.length ? sorted[0] : NaN,
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
    mean: sorted.length ? sum / sorted.length : NaN,
    p50: pct(sorted, 50),
    p90: pct(sorted, 90),
    p99: pct(sorted, 99),
    histogram,
  };
}

/** A number for people: at most 3 decimals, thousands separated. */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return v.toLocaleString('en-US', { maximumFractionDigits: Math.abs(v) >= 100 ? 0 : 3 });
}

/** A duration given in `unit` (`s`, `us`, `ticks`, …) in the most readable unit. */
export function fmtDuration(v: number, unit: string): string {
  if (unit === 's') {
    if (v >= 1) return `${fmt(v)} s`;
    if (v >= 1e-3) return `${fmt(v * 1e3)} ms`;
    return `${fmt(v * 1e6)} µs`;
  }
  if (unit === 'us') {
    if (v >= 1e6) return `${fmt(v / 1e6)} s`;
    if (v >= 1e3) return `${fmt(v / 1e3)} ms`;
    return `${fmt(v)} µs`;
  }
  return `${fmt(v)} ${unit}`;
}
