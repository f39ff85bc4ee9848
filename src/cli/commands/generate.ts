import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { consoleLog, dumpLines, generateTii, metaJson } from '../../gen/tii-generator.js';
import { UserError } from '../../util/errors.js';
import type { CommandResult } from '../context.js';
import { thousands } from '../../util/thousands.js';

export function register(program: Command, run: (f: () => CommandResult | Promise<CommandResult>) => void): void {
  program
    .command('generate')
    .argument('<kind>', 'what to generate: tii')
    .description('write a deterministic synthetic TII stream (ftrace.bin + ftrace.meta, and a console log with the dump) with its ground truth')
    .requiredOption('-o, --out <dir>', 'output directory')
    .option('--words <n>', 'stream length in 16-bit words', '100000')
    .option('--seed <n>', 'random seed', '1')
    .option('--dump-version <v>', 'dump format version in the console log (1, 2 or 3)', '3')
    .option('--no-console', 'skip the console log')
    .option('--json', 'machine-readable output')
    .action((kind: string, opts: { out: string; words: string; seed: string; dumpVersion: string; console: boolean }) =>
      run(async () => {
        if (kind !== 'tii') throw new UserError(`generate: unknown kind "${kind}"; known: tii`);
        const words = Number(opts.words);
        if (!Number.isInteger(words) || words < 0) throw new UserError(`--words must be a non-negative integer, got "${opts.words}"`);
        const version = Number(opts.dumpVersion);
        if (version !== 1 && version !== 2 && version !== 3) throw new UserError(`--dump-version must be 1, 2 or 3, got "${opts.dumpVersion}"`);
        const g = generateTii({ words, seed: Number(opts.seed), unknownMarkers: true });
        mkdirSync(opts.out, { recursive: true });
        const bin = join(opts.out, 'ftrace.bin');
        writeFileSync(bin, g.words);
        writeFileSync(join(opts.out, 'ftrace.meta'), metaJson(g));
        writeFileSync(join(opts.out, 'truth.json'), JSON.stringify({ events: g.truth.events, counts: g.truth.counts }, null, 1));
        let log: string | null = null;
        if (opts.console) {
          log = join(opts.out, 'console.log');
          writeFileSync(log, consoleLog([dumpLines(g.words, g.dictionary, { version })]));
        }
        const value = { bin, meta: join(opts.out, 'ftrace.meta'), console: log, words, events: g.truth.events, counts: g.truth.counts };
        return {
          kind: 'object',
          value,
          text: () => `wrote ${bin} (${thousands(words)} words, ${thousands(g.truth.events)} events), ftrace.meta, truth.json${log ? `, ${log}` : ''}`,
        };
      }),
    );
}
