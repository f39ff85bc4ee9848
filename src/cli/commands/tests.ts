import type { Command } from 'commander';
import { plainInput } from '../../index/plain-input.js';
import { parseStatuses, readTests, type ReadTestsResult, type TestRecord } from '../../formats/test-results/index.js';
import { TEST_STATUSES, type TestStatus } from '../../model/test-result.js';
import { UserError } from '../../util/errors.js';
import { diagnosticsText, indexContext, type CommandResult } from '../context.js';

interface TestsOptions {
  json?: boolean;
  rules?: string;
  status?: string;
  summary?: boolean;
}

const WIDTH = { suite: 24, name: 48, message: 80 };

function cut(s: string, w: number): string {
  return s.length > w ? `${s.slice(0, w - 1)}…` : s;
}

/** The table of results plus totals and warnings, for people. */
export function testsTable(r: ReadTestsResult, rows: TestRecord[]): string[] {
  const out: string[] = [];
  if (rows.length) {
    const sw = Math.min(WIDTH.suite, Math.max(5, ...rows.map((x) => x.suite.length)));
    const nw = Math.min(WIDTH.name, Math.max(4, ...rows.map((x) => x.name.length)));
    const lw = Math.max(4, ...rows.map((x) => String(x.line).length));
    out.push(`${'STATUS'.padEnd(7)} ${'SUITE'.padEnd(sw)} ${'NAME'.padEnd(nw)} ${'LINE'.padStart(lw)}  MESSAGE`);
    for (const x of rows) {
      const where = x.line > 0 ? String(x.line) : x.offset !== undefined ? `@${x.offset}` : '-';
      out.push(`${x.status.padEnd(7)} ${cut(x.suite, sw).padEnd(sw)} ${cut(x.name, nw).padEnd(nw)} ${where.padStart(lw)}  ${cut(x.message, WIDTH.message)}`);
    }
    out.push('');
  }
  out.push(...summaryText(r));
  return out;
}

function summaryText(r: ReadTestsResult): string[] {
  const s = r.summary;
  const out: string[] = [];
  const list = (c: Record<TestStatus, number>) => TEST_STATUSES.map((k) => `${k} ${c[k]}`).join('  ');
  out.push(`totals: ${list(s.totals)}  (${s.results} named result${s.results === 1 ? '' : 's'})`);
  const unnamed = TEST_STATUSES.filter((k) => s.unnamed[k] > 0);
  if (unnamed.length) {
    out.push(`  of which not named in the artifact (counted from plans and tallies): ${unnamed.map((k) => `${k} ${s.unnamed[k]}`).join('  ')}`);
  }
  for (const [src, v] of Object.entries(s.sources)) {
    const facts = Object.entries(v.info).filter(([, x]) => x !== null && x !== '').map(([k, x]) => `${k.replace(/_/g, ' ')} ${String(x)}`);
    out.push(`  ${src}: ${v.results} results${facts.length ? `; ${facts.join(', ')}` : ''}`);
  }
  const shown = r.diagnostics.filter((d) => d.severity !== 'info');
  if (shown.length) out.push('warnings:', ...diagnosticsText(shown).map((l) => `  ${l}`));
  return out;
}

/**
 * `kscope tests <file>`: test results found in an artifact (KTAP/TAP, JUnit XML, Breenix boot
 * tests, boot stages, suite runners and BTRT tables, seL4test, user rules). Human output is a
 * table plus totals per status; --json prints one result object per line (--summary: one
 * object with counts per status and per source, and the diagnostics).
 */
export function register(program: Command, run: (f: () => CommandResult | Promise<CommandResult>) => void): void {
  program
    .command('tests')
    .argument('<input>', 'artifact: console log, KTAP/TAP, JUnit XML, BTRT table (plain or .gz)')
    .description('test results found in an artifact: name, suite, status, message, line')
    .option('--rules <file>', 'JSON rules (regexes with named groups) for in-house test output')
    .option('--status <list>', `only results with these statuses, comma-separated (${TEST_STATUSES.join(', ')})`)
    .option('--summary', 'counts per status and per source instead of the results')
    .option('--json', 'one JSON object per result line (with --summary: one object)')
    .action((input: string, opts: TestsOptions) =>
      run(async () => {
        let only: TestStatus[] | null = null;
        if (opts.status !== undefined) {
          const parsed = parseStatuses(opts.status);
          if (typeof parsed === 'string') throw new UserError(`--status: unknown status "${parsed}" (known: ${TEST_STATUSES.join(', ')})`);
          only = parsed;
        }
        const note = indexContext().note ?? (() => undefined);
        const path = await plainInput(input, note);
        const r = readTests(path, { rules: opts.rules, name: input });
        const found = r.summary.results > 0 || TEST_STATUSES.some((k) => r.summary.unnamed[k] > 0);
        const exitCode = found ? 0 : 1;
        if (!found) note(`${input}: no test results found`);
        const rows = only ? r.results.filter((x) => (only as TestStatus[]).includes(x.status)) : r.results;
        if (opts.summary) {
          return { kind: 'object', value: { ...r.summary, diagnostics: r.diagnostics }, text: () => summaryText(r).join('\n'), exitCode };
        }
        if (opts.json) {
          // Records stay pure on stdout; problems with the input go to stderr, one line each.
          for (const l of diagnosticsText(r.diagnostics.filter((d) => d.severity !== 'info'))) note(l);
        }
        return {
          kind: 'records',
          exitCode,
          each: (emit) => {
            if (opts.json) {
              for (const x of rows) emit(x, '');
              return;
            }
            for (const l of testsTable(r, rows)) emit(null, l);
          },
        };
      }),
    );
}
