/**
 * Architecture names, normalised: CI scripts, QEMU binaries, Debian and Rust
 * each spell them differently (amd64, x86-64, x86_64; arm64, aarch64), and a
 * parity matrix with two columns for one architecture is useless.
 */
import { UserError } from '../util/errors.js';

/** Canonical name → accepted spellings (lower-case; the canonical one first). */
export const ARCHES: Readonly<Record<string, readonly string[]>> = {
  x86_64: ['x86_64', 'amd64', 'x86-64', 'x64', 'x86_64-unknown-none', 'qemu-system-x86_64'],
  aarch64: ['aarch64', 'arm64', 'armv8', 'aarch64-unknown-none', 'qemu-system-aarch64'],
  i386: ['i386', 'i686', 'x86', 'ia32'],
  arm: ['arm', 'armv7', 'armhf', 'armel', 'arm32'],
  riscv64: ['riscv64', 'riscv', 'rv64'],
  ppc64le: ['ppc64le', 'ppc64el', 'powerpc64le'],
  s390x: ['s390x'],
  loongarch64: ['loongarch64', 'loong64'],
  mips64: ['mips64', 'mips64el'],
};

const LOOKUP = new Map<string, string>();
for (const [canon, names] of Object.entries(ARCHES)) for (const n of names) LOOKUP.set(n, canon);

/** The canonical name of a spelling, or undefined when kscope does not know it. */
export function canonicalArch(name: string): string | undefined {
  return LOOKUP.get(name.trim().toLowerCase());
}

/**
 * `amd64` → `x86_64`. An unknown name is refused with the known ones listed,
 * because a typo (`aarch46`) would silently start a new column; `any` keeps
 * it as given (lower-cased) for architectures this table does not list.
 */
export function normaliseArch(name: string, options: { any?: boolean } = {}): string {
  const canon = canonicalArch(name);
  if (canon) return canon;
  const given = name.trim().toLowerCase();
  if (options.any && /^[a-z0-9][a-z0-9_.-]*$/.test(given)) return given;
  const known = Object.entries(ARCHES)
    .map(([c, names]) => (names.length > 1 ? `${c} (${names.slice(1, 3).join(', ')})` : c))
    .join(', ');
  throw new UserError(`unknown architecture "${name}"; known: ${known}; pass --arch-any to record it as given`);
}
