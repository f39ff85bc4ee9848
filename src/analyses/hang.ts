import { isCrashesOutput } from './crash-findings.js';
import { eventEvidence, lineEvidence, num, plural } from './evidence.js';
import { shapeHash, type LineText } from './text.js';
import type { Analysis, AnalysisInstance, DependencyOutputs, Evidence, FindingDraft, Interest, SourceMeta } from './types.js';

/** Last lines of the log given as evidence. */
export const HANG_LAST_LINES = 5;
/** A crash report ending within this many lines of the end explains why the log stops: no hang is reported. */
export const HANG_CRASH_TAIL_LINES = 50;
/** Last trace events per CPU given as evidence (from a `[TRACE]` ring dump in the log). */
export const HANG_TRACE_PER_CPU = 3;
/** Line shapes remembered to tell new output from repeats (a heartbeat); past this, unseen shapes count as new. */
export const HANG_MAX_SHAPES = 200_000;
/**
 * Symbols of a line its shape is computed from (after folding numbers):
 * enough to tell messages apart (a printk timestamp folds to 3). Lines that
 * differ only later share a shape, which at worst makes a new line look like
 * a repeat.
 */
export const SHAPE_SYMBOLS = 40;

/**
 * The last line whose shape no earlier line had: the last new output. It
 * costs a hash per line, so it runs in a second pass, only when a hang is
 * reported (most logs end with a verdict and never pay for it).
 */
function lastNewOutput(meta: SourceMeta, t: LineText, tTrace: number): { index: number; line: number } {
  const shapes = new Set<number>();
  let index = -1;
  let line = 0;
  meta.rescan((c) => {
    if (c.line <= 0 || c.type === tTrace || !t.seek(c.line, c.offset)) return;
    const h = shapeHash(t.buf, t.start, t.end, SHAPE_SYMBOLS);
    if (shapes.has(h)) return;
    index = c.index;
    line = c.line;
    if (shapes.size < HANG_MAX_SHAPES) shapes.add(h);
  });
  return { index, line };
}

/**
 * Lines after which a log may end: shutdown, and test-run verdicts (Linux
 * reboot/poweroff, Breenix boot-test verdicts and tallies, sel4test, xtask).
 */
export const TERMINAL_MARKERS: readonly string[] = [
  'reboot: Power down',
  'reboot: Restarting system',
  'reboot: System halted',
  'System halted',
  '[BOOT_TESTS:PASS]',
  '[BOOT_TESTS:FAIL',
  '[TESTS_COMPLETE:',
  'All is well in the universe',
  'Test suite passed',
  'Test suite failed',
  ' stages passed',
];

/** Milestones of a boot: the last one seen bounds where a run stopped. */
export const PROGRESS_MARKERS: readonly string[] = [
  'Linux version ',
  'Kernel command line:',
  'Freeing unused kernel',
  ' as init process',
  'Starting init:',
  'systemd[1]: ',
  'Kernel Starting',
  'Boot Complete',
  '[BOOT_TESTS:',
  '[STAGE:',
  '[TEST:',
  '[init]',
  '[spawn]',
  'ELF-loader started',
  'Booting all finished',
  'Starting test ',
];

// A Breenix boot-test marker: START opens a test, any verdict closes it.
const TEST_MARKER = /TEST:([a-z0-9_]+):([a-z0-9_]+):(START|PASS|FAIL|TIMEOUT|PANIC)\b/;

interface Kept {
  line: number;
  index: number;
  text: string;
}

/** The last `size` event indexes seen, in a fixed ring (no allocation per event). */
class Ring {
  private readonly slots: Float64Array;
  private n = 0;
  constructor(size: number) {
    this.slots = new Float64Array(size);
  }
  push(v: number): void {
    this.slots[this.n++ % this.slots.length] = v;
  }
  /** Oldest first. */
  values(): number[] {
    const k = Math.min(this.n, this.slots.length);
    const out: number[] = [];
    for (let i = this.n - k; i < this.n; i++) out.push(this.slots[i % this.slots.length]);
    return out;
  }
}

/**
 * A console log that stops without a shutdown or verdict line: where the run
 * hung. Reports the last new output (repeats such as heartbeats are told
 * apart by their shape), the last boot milestone, a boot test that started
 * and never finished, the last lines, and the last line or trace event per
 * CPU: the evidence of seeds/000's "D D D E N O 1 then hang" hunt. A log that
 * ends in a crash report is left to `crashes`.
 */
export const hang: Analysis = {
  id: 'hang',
  title: 'log stops without a shutdown or verdict',
  needs: ['crashes'],
  create(): AnalysisInstance {
    let meta: SourceMeta;
    let t: LineText;
    let tTrace = -1;
    let lastLine = 0;
    let lastIndex = -1;
    let lines = 0;
    let terminal = -1;
    let progressIndex = -1;
    let progressLine = 0;
    const recent = new Ring(HANG_LAST_LINES);
    const lastPerCpu = new Map<number, number>();
    const tracePerCpu = new Map<number, Ring>();
    const openTests = new Map<string, Kept>();
    let explainedBy: string | null = null;
    let applies = false;
    let wTerminal = 0;
    let wProgress = 0;
    let wTest = 0;

    return {
      begin(m: SourceMeta): Interest {
        meta = m;
        applies = m.text !== null && (m.format === 'console-log' || m.format === 'lines');
        if (!applies) return 'none';
        t = m.text as LineText;
        tTrace = m.typeNames.indexOf('TRACE_EVENT');
        wTerminal = t.watch(TERMINAL_MARKERS);
        wProgress = t.watch(PROGRESS_MARKERS);
        wTest = t.watch(['TEST:']);
        return 'all';
      },
      onEvent(c) {
        if (c.line <= 0) return;
        lines++;
        lastLine = c.line;
        lastIndex = c.index;
        recent.push(c.index);
        if (c.type === tTrace) {
          // A trace ring dump is diagnostic output, not progress: keep its last events per CPU, unread.
          let l = tracePerCpu.get(c.cpu);
          if (!l) tracePerCpu.set(c.cpu, (l = new Ring(HANG_TRACE_PER_CPU)));
          l.push(c.index);
          return;
        }
        if (!t.seek(c.line, c.offset)) return;
        if (c.cpu >= 0) lastPerCpu.set(c.cpu, c.index);
        if (!t.anyHit()) return;
        if (t.firstHit(wTerminal, TERMINAL_MARKERS.length) >= 0) terminal = c.index;
        if (t.firstHit(wProgress, PROGRESS_MARKERS.length) >= 0) {
          progressIndex = c.index;
          progressLine = c.line;
          if (t.hit(wTest)) {
            const text = t.text();
            const m = TEST_MARKER.exec(text);
            if (m) {
              const key = `${m[1]}:${m[2]}`;
              if (m[3] === 'START') openTests.set(key, { line: c.line, index: c.index, text });
              else openTests.delete(key);
            }
          }
        }
      },
      end(deps: DependencyOutputs) {
        if (!applies) return;
        const cr = deps.get('crashes');
        if (isCrashesOutput(cr) && cr.crashes.length) {
          const last = cr.crashes[cr.crashes.length - 1];
          if (last.truncated || last.end_line >= lastLine - HANG_CRASH_TAIL_LINES) explainedBy = `${last.kind} at line ${last.line}`;
        }
      },
      findings(): FindingDraft[] {
        if (!applies || lines === 0 || terminal >= 0 || explainedBy !== null) return [];
        const ev: Evidence[] = [];
        const parts: string[] = [`The log stops at line ${num(lastLine)} with no shutdown or verdict line (such as ${TERMINAL_MARKERS.slice(0, 2).join(', ')} or [BOOT_TESTS:PASS]).`];
        const kept = progressIndex >= 0 ? eventEvidence(meta, progressIndex) : null;
        if (kept) {
          parts.push(`Last boot milestone: line ${num(progressLine)} “${kept.text}”${lastLine > progressLine ? `, ${plural(lastLine - progressLine, 'line')} before the end` : ' (the last line)'}.`);
          ev.push(kept);
        }
        const open = [...openTests.entries()];
        if (open.length) {
          const [key, s] = open[open.length - 1];
          parts.push(`Test ${key} started at line ${num(s.line)} and never reported a verdict${open.length > 1 ? ` (${open.length} tests are open)` : ''}.`);
          if (!ev.some((e) => e.index === s.index)) ev.push(lineEvidence(s.line, s.text, s.index));
        }
        const { index: novelIndex, line: novelLine } = lastNewOutput(meta, t, tTrace);
        if (novelIndex >= 0) {
          const e = eventEvidence(meta, novelIndex);
          if (novelLine < lastLine) parts.push(`Last new output: line ${num(novelLine)} “${e.text}”; after it only repeats of lines seen before (${plural(lastLine - novelLine, 'line')}, e.g. a heartbeat: the system may be alive but nothing progresses).`);
          else parts.push('The last line is new output (not a repeat of an earlier line).');
          if (!ev.some((x) => x.index === novelIndex)) ev.push(e);
        }
        const perCpu = [...tracePerCpu.entries()].map(([cpu, ring]) => [cpu, ring.values()] as const).sort((a, b) => a[0] - b[0]);
        if (perCpu.length) {
          parts.push(`Last trace events per CPU: ${perCpu.map(([cpu, l]) => `CPU ${cpu} (${plural(l.length, 'event')})`).join(', ')} in the evidence.`);
          for (const [, l] of perCpu) for (const i of l) ev.push(eventEvidence(meta, i));
        }
        const cpus = [...lastPerCpu.entries()].sort((a, b) => a[0] - b[0]);
        if (cpus.length > 1) {
          parts.push(`Last line per CPU: ${cpus.map(([cpu, i]) => `CPU ${cpu} event ${num(i)}`).join(', ')}.`);
          for (const [, i] of cpus) if (!ev.some((x) => x.index === i)) ev.push(eventEvidence(meta, i));
        }
        for (const i of recent.values()) if (!ev.some((x) => x.index === i)) ev.push(eventEvidence(meta, i));
        return [
          {
            code: 'HANG_NO_VERDICT',
            severity: 'warning',
            title: 'log stops without a shutdown or verdict (hang?)',
            detail: parts.join(' '),
            evidence: ev,
            hint: 'The run stopped producing output after the last milestone: whatever runs next never reported. Add markers after it to bisect; if the kernel keeps a trace ring (Breenix TRACE_BUFFERS, TII ftrace) dump it after the hang (GDB, panic dump) and diagnose the dump: the last events per CPU show where each CPU stopped (seeds/000).',
            data: {
              last_line: lastLine,
              last_index: lastIndex,
              milestone: kept ? { line: progressLine, text: kept.text } : null,
              last_new_line: novelLine || null,
              open_tests: open.map(([k, v]) => ({ test: k, line: v.line })),
              last_trace_events: Object.fromEntries(perCpu.map(([cpu, l]) => [String(cpu), l])),
              last_line_per_cpu: Object.fromEntries(cpus.map(([cpu, i]) => [String(cpu), i])),
            },
          },
        ];
      },
    };
  },
};
