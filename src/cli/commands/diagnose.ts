import type { Command } from 'commander';
import { diagnoseInput, loadExpectations, selectAnalyses, analysisIds, SEVERITIES, type DiagnoseResult, type Evidence, type Finding } from '../../analyses/index.js';
import { UserError } from '../../util/errors.js';
import { addInputOptions, indexContext, type CommandResult, type InputOptions } from '../context.js';
import { thousands } from '../../util/thousands.js';

type DiagnoseCliOptions = InputOptions & { expect?: string[]; only?: string[]; builtinExpect?: boolean };

/** Evidence shown per finding in the human view; `--json` has all of it. */
const MAX_EVIDENCE_SHOWN = 12;

function where(e: Evidence): string {
  const parts: string[] = [];
  if (e.line !== undefined) parts.push(`line ${thousands(e.line)}`);
  if (e.index !== undefined) parts.push(`event ${thousands(e.index)}`);
  if (e.offset !== undefined) parts.push(`offset ${thousands(e.offset)}`);
  return parts.join(', ');
}

/** One finding for people: title line, detail, evidence lines, hint. */
export function findingText(f: Finding, showSource: boolean): string {
  const out = [`  [${f.id}] ${f.title}${showSource ? `  (${f.source})` : ''}`, `    ${f.code}: ${f.detail}`];
  if (f.evidence.length) {
    out.push('    evidence:');
    for (const e of f.evidence.slice(0, MAX_EVIDENCE_SHOWN)) out.push(`      ${where(e)}: ${e.text}`);
    if (f.evidence.length > MAX_EVIDENCE_SHOWN) out.push(`      … ${f.evidence.length - MAX_EVIDENCE_SHOWN} more (--json shows all)`);
  }
  if (f.hint) out.push(`    hint: ${f.hint}`);
  return out.join('\n');
}

/** The whole report: one line per input, then findings grouped by severity, most urgent first. */
export function reportLines(results: DiagnoseResult[]): string[] {
  const out: string[] = [];
  const all = results.flatMap((r) => r.findings);
  const many = results.length > 1 || results.some((r) => r.views.length > 1);
  for (const r of results) {
    const views = r.views.map((v) => `${v.source === r.input ? '' : `${v.source}: `}${v.format}, ${thousands(v.events)} events`).join('; ');
    const n = r.findings.length;
    out.push(`${r.input}: ${views} — ${n === 0 ? 'no findings' : `${n} finding${n === 1 ? '' : 's'}`}`);
  }
  for (const sev of SEVERITIES) {
    const list = all.filter((f) => f.severity === sev);
    if (!list.length) continue;
    out.push('', `${sev.toUpperCase()} (${list.length})`);
    for (const f of list) out.push(findingText(f, many));
  }
  return out;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * `kscope diagnose <inputs…> [--expect FILE] [--only ID…] [--json]`: every
 * analysis over every input, findings with evidence and a hint. Findings are
 * answers, so the exit code is 0 whenever the analysis ran.
 */
export function register(program: Command, run: (f: () => CommandResult | Promise<CommandResult>) => void): void {
  addInputOptions(
    program
      .command('diagnose')
      .argument('<inputs...>', 'console logs, traces, QEMU -d logs, ftrace files or bundles')
      .description('findings with evidence: crashes, hangs, no progress, missing markers, pairing/latency, locks, interrupt timing'),
  )
    .option('--expect <file>', 'ordered expected markers, one per line (text, "quoted", /regex/, !forbidden, within N lines: …); repeatable', collect)
    .option('--only <ids...>', `run only these analyses (${analysisIds().join(', ')}); comma-separated or repeated`)
    .option('--no-builtin-expect', 'do not check the built-in boot sequences (Linux reaching init, Breenix stages and verdicts)')
    .action((inputs: string[], opts: DiagnoseCliOptions) =>
      run(async () => {
        if (opts.out && inputs.length > 1) throw new UserError('-o/--out names one bundle directory; give one input with it');
        const selected = selectAnalyses(opts.only);
        // Expectation files are checked before any input is read: a broken regex is one line naming file:line.
        const expect = (opts.expect ?? []).map(loadExpectations);
        const config = { expect, noBuiltinExpectations: opts.builtinExpect === false };
        const results: DiagnoseResult[] = [];
        for (const input of inputs) results.push(await diagnoseInput(input, opts, config, selected, indexContext()));
        return {
          kind: 'records',
          each: (emit) => {
            if (opts.json) {
              for (const r of results) for (const f of r.findings) emit(f, '');
              return;
            }
            emit(null, reportLines(results).join('\n'));
          },
        };
      }),
    );
}
