import { UserError } from '../util/errors.js';
import { crashes } from './crash-findings.js';
import { expectations } from './expectations.js';
import { hang } from './hang.js';
import { interruptTiming } from './interrupt-timing.js';
import { locks } from './locks.js';
import { noProgress } from './no-progress.js';
import { pairingLatency } from './pairing.js';
import type { Analysis } from './types.js';

/**
 * Every analysis `diagnose` runs, listed once. Adding one is a file
 * exporting an Analysis, its tests, and one line here.
 */
export const ANALYSES: readonly Analysis[] = [crashes, pairingLatency, noProgress, hang, expectations, locks, interruptTiming];

export function analysisIds(): string[] {
  return ANALYSES.map((a) => a.id);
}

/**
 * The analyses named by `--only` (repeated or comma-separated), or null for
 * all; an unknown id is a one-line UserError listing the known ones.
 */
export function selectAnalyses(only: readonly string[] | undefined): Set<string> | null {
  if (!only || only.length === 0) return null;
  const ids = only.flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '');
  const known = new Set(analysisIds());
  for (const id of ids) {
    if (!known.has(id)) throw new UserError(`--only: unknown analysis "${id}"; known: ${analysisIds().join(', ')} (put inputs before --only, or end its list with --)`);
  }
  return new Set(ids);
}
