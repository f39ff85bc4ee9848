import type { Command } from 'commander';
import { extractCrashes, type CrashRecord } from '../../analyses/crashes/index.js';
import { plainInput } from '../../index/plain-input.js';
import { indexContext, type CommandResult } from '../context.js';
import { thousands } from '../../util/thousands.js';

/** Registers worth a glance in the one-screen view; the JSON has them all. */
const KEY_REGISTERS = ['RIP', 'PC', 'ELR', 'LR', 'FAR', 'CR2', 'ESR', 'RSP', 'SP', 'SPSR', 'PSTATE', 'CS'];
const MAX_FRAMES = 8;

/** One block per crash: `line A-B  cpu N  KIND  title`, key registers, then up to 8 frames. */
export function crashText(c: CrashRecord): string {
  const out = [`line ${c.line}-${c.end_line}  cpu ${c.cpu ?? '-'}  ${c.kind.toUpperCase()}  ${c.title}`];
  const regs = KEY_REGISTERS.filter((k) => c.registers[k] !== undefined).map((k) => `${k}=${c.registers[k]}`);
  if (regs.length) out.push(`    ${regs.join(' ')}`);
  for (const f of c.frames.slice(0, MAX_FRAMES)) out.push(`    ${f.text}${f.address && !f.text.includes(f.address) ? `  ${f.address}` : ''}`);
  if (c.frames.length > MAX_FRAMES) out.push(`    … ${c.frames.length - MAX_FRAMES} more frames`);
  if (!c.frames.length && c.dispatch_trace?.length) {
    // Breenix prints no backtrace; its recent context switches on the faulting CPU are the next best thing.
    for (const d of c.dispatch_trace.slice(0, MAX_FRAMES)) {
      out.push(`    dispatch [${d.index}] ${d.mode} ${d.old_tid}->${d.tid} elr=${d.elr} x30=${d.x30} sp=${d.sp}`);
    }
  }
  if (c.truncated) out.push('    (the log ends inside this report)');
  return out.join('\n');
}

/**
 * `kscope crashes <input>`: every panic, oops, BUG, fault, warning and
 * hung-task report of a console log (plain or .gz). Finding none is an
 * answer, so the exit code is 0 either way.
 */
export function register(program: Command, run: (f: () => CommandResult | Promise<CommandResult>) => void): void {
  program
    .command('crashes')
    .argument('<input>', 'console log (plain or .gz)')
    .description('panics, oopses, BUGs, faults and hung tasks with stable titles, lines, registers and frames')
    .option('--json', 'one JSON object per line per crash')
    .action((input: string, opts: { json?: boolean }) =>
      run(async () => {
        const path = await plainInput(input, indexContext().note);
        const { crashes, lines } = extractCrashes(path);
        return {
          kind: 'records',
          each: (emit) => {
            // JSON output for no crashes is no lines at all; people get a sentence.
            if (!crashes.length && !opts.json) emit({}, `no crashes in ${input} (${thousands(lines)} lines)`);
            crashes.forEach((c, i) => emit(c, i > 0 ? `\n${crashText(c)}` : crashText(c)));
          },
        };
      }),
    );
}
