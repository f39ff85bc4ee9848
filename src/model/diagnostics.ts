export type Severity = 'error' | 'warning' | 'info';

/**
 * A problem found in an input. Readers record these and keep going; nothing
 * is printed from the decoder. `code` is UPPER_SNAKE and stable for scripts.
 */
export interface Diagnostic {
  code: string;
  severity: Severity;
  file: string;
  line?: number;
  offset?: number;
  /** Unit of `offset` (words for word streams, bytes otherwise). */
  unit?: 'word' | 'byte';
  message: string;
  /** How many times this code occurred when repeats were folded. */
  count?: number;
}

/** Keeps the first few diagnostics per code and counts the rest, so a garbled file cannot flood memory. */
export class DiagnosticLog {
  private readonly kept: Diagnostic[] = [];
  private readonly perCode = new Map<string, number>();

  constructor(private readonly keepPerCode = 20) {}

  add(d: Diagnostic): void {
    const n = (this.perCode.get(d.code) ?? 0) + 1;
    this.perCode.set(d.code, n);
    if (n <= this.keepPerCode) this.kept.push(d);
  }

  /**
   * Adds what another log kept (a worker's part of the input, in order), with
   * the repeats it only counted: its folded codes carry their totals in `count`.
   */
  absorb(list: readonly Diagnostic[]): void {
    for (const d of list) {
      const { count, ...one } = d;
      this.add(one);
      // The folded code's last kept entry: its total also counts the kept ones, each added above.
      if (count !== undefined) this.perCode.set(d.code, (this.perCode.get(d.code) ?? 0) + count - list.filter((x) => x.code === d.code).length);
    }
  }

  /** All kept diagnostics; the last kept one of a folded code carries the total in `count`. */
  list(): Diagnostic[] {
    const out = this.kept.map((d) => ({ ...d }));
    for (const [code, n] of this.perCode) {
      if (n > this.keepPerCode) {
        const last = [...out].reverse().find((d) => d.code === code);
        if (last) last.count = n;
      }
    }
    return out;
  }

  get size(): number {
    let n = 0;
    for (const v of this.perCode.values()) n += v;
    return n;
  }
}

export function formatDiagnostic(d: Diagnostic): string {
  let where = d.file;
  if (d.line !== undefined) where += `:${d.line}`;
  else if (d.offset !== undefined) where += `: ${d.unit ?? 'byte'} ${d.offset}`;
  const more = d.count && d.count > 1 ? ` (${d.count} times in all)` : '';
  return `${d.severity}: ${where}: ${d.message}${more}`;
}
