/**
 * Title masking: the same bug must give the same title in every run, so
 * everything that varies between runs (addresses, pids, tids, timestamps,
 * counters, CPU numbers, durations) is replaced by a placeholder, the way
 * syzbot dedupes reports. Source positions (`file:line`) are kept: they are
 * properties of the code, not of the run.
 */

/** `func+0x1c/0x30` (optionally `[mod]`) → `func`: offsets move with every build. */
const SYM_OFFSET = /([A-Za-z_.$][\w.$]*)\+0x[0-9a-fA-F]+(?:\/0x[0-9a-fA-F]+)?(?: \[[\w-]+\])?/g;
const HEX_PREFIXED = /\b0x[0-9a-fA-F]+\b/g;
/** Bare hex of 8+ digits (printk prints addresses without 0x); needs a digit so words survive. */
const HEX_BARE = /\b(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{8,}\b/g;
const DURATION = /(?<![\w.])\d+(?:\.\d+)?(ms|us|ns|s)\b/g;
/** A decimal number not glued to a word on its left (keeps `ext4`, `x86_64`, `kmalloc`). */
const DECIMAL = /(?<![A-Za-z_\d.])\d+(?:\.\d+)?(?![A-Za-z_\d])/g;

/** Masks run-specific values in free text (panic messages, BUG lines). */
export function maskMessage(s: string): string {
  return s
    .replace(SYM_OFFSET, '$1')
    .replace(HEX_PREFIXED, '0x...')
    .replace(HEX_BARE, '...')
    .replace(DURATION, 'N$1')
    .replace(DECIMAL, 'N')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * A function name as it should appear in a title: compiler-generated clone
 * suffixes (`.cold`, `.isra.0`, `.constprop.0`, `.part.1`) differ between
 * builds of the same code, so they are dropped.
 */
export function titleFunction(fn: string): string {
  return fn.replace(/(?:\.(?:cold|isra|constprop|part|lto_priv|llvm|localalias)(?:\.\d+)*)+$/, '');
}

/** Hex for titles and registers: lower case, `0x` prefix, no leading zeros. */
export function normHex(v: string): string {
  const h = v.replace(/^0x/i, '').toLowerCase().replace(/^0+(?=[0-9a-f])/, '');
  return `0x${h === '' ? '0' : h}`;
}
