// Test support for this folder's unit tests: the real gzipped fixtures as plain files, and an
// independent line-by-line oracle that counts what a QEMU -d log holds with simple regexes.

export { ROOT, LINUX_FIXTURES, scratchDir, removeScratch, hasFixture, fixture, writeScratch } from '../fixture-files.js';

/** What the log holds, counted line by line without the reader's code. */
export interface Oracle {
  /** Per type name, the events the reader must produce. */
  types: Record<string, number>;
  /** 1-based line of each INTERRUPT/EXCEPTION event, with the pc it interrupted ('' when none). */
  deliveries: { line: number; pc: string; level: number; vector: string }[];
  records: number;
}

const X86_REC = /^\s*\d+: v=([0-9a-f]+) e=[0-9a-f]+ i=(\d) cpl=(\d) IP=[0-9a-f]+:[0-9a-f]+ pc=([0-9a-f]+)/;

/**
 * x86: each `N: v=` record is one delivery; a `Servicing hardware INT` or
 * `check_exception` line right before it belongs to it; alone, Servicing is a
 * real-mode interrupt and check_exception a CHECK_EXCEPTION. Arm: each
 * `Taking exception` is one delivery (IRQ/FIQ/VIRQ/VFIQ are interrupts),
 * its pc the `...with ELR` that follows.
 */
export function oracle(text: string): Oracle {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const t: Record<string, number> = {};
  const inc = (k: string) => (t[k] = (t[k] ?? 0) + 1);
  const deliveries: Oracle['deliveries'] = [];
  let records = 0;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    const next = lines[i + 1] ?? '';
    const prev = lines[i - 1] ?? '';
    const m = X86_REC.exec(l);
    if (m) {
      records++;
      const announced = /^(?:Servicing hardware INT|check_exception)/.test(prev);
      const v = parseInt(m[1], 16);
      const hw = prev.startsWith('Servicing') || (!announced && m[2] === '0' && (v === 2 || v >= 32));
      inc(hw ? 'INTERRUPT' : 'EXCEPTION');
      deliveries.push({ line: announced ? i : i + 1, pc: m[4].replace(/^0+(?=.)/, ''), level: Number(m[3]), vector: `0x${v.toString(16)}` });
    } else if (l.startsWith('Servicing hardware INT=') && !X86_REC.test(next)) {
      inc('INTERRUPT');
      deliveries.push({ line: i + 1, pc: '', level: -1, vector: `0x${parseInt(l.slice(25), 16).toString(16)}` });
    } else if (l.startsWith('check_exception old:') && !X86_REC.test(next)) inc('CHECK_EXCEPTION');
    else if (l.startsWith('CPU Reset (CPU ')) inc('CPU_RESET');
    else if (l === 'SMM: enter') inc('SMM_ENTER');
    else if (l === 'SMM: after RSM') inc('SMM_EXIT');
    else if (l.startsWith('Taking exception ')) {
      const a = /^Taking exception (\d+) \[([^\]]+)\]/.exec(l) as RegExpExecArray;
      inc([5, 6, 14, 15].includes(Number(a[1])) ? 'INTERRUPT' : 'EXCEPTION');
      let pc = '';
      let level = -1;
      for (let j = i + 1; j < lines.length && lines[j].startsWith('...'); j++) {
        const e = /^\.\.\.with ELR 0x([0-9a-f]+)/.exec(lines[j]);
        if (e) pc = e[1];
        const f = /^\.\.\.from EL(\d)/.exec(lines[j]);
        if (f) level = Number(f[1]);
      }
      deliveries.push({ line: i + 1, pc, level, vector: a[2] });
    } else if (l.startsWith('Exception return from ')) inc('EXCEPTION_RETURN');
    else if (l.startsWith('IN:')) inc('TB');
    else if (/^Trace \d+: /.test(l)) inc('EXEC');
    else if (l.startsWith('Stopped execution of TB chain')) inc('EXEC_STOP');
  }
  return { types: t, deliveries, records };
}

/** Counts of a list of keys, as an object. */
export function countBy<T>(list: readonly T[], key: (x: T) => string | null): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of list) {
    const k = key(x);
    if (k !== null) out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}
