#!/usr/bin/env node
import { Command } from 'commander';
import { UserError } from '../util/errors.js';
import type { CommandResult } from './context.js';
import { register as registerIndex } from './commands/index-cmd.js';
import { register as registerSummary } from './commands/summary.js';
import { register as registerEvent } from './commands/event.js';
import { register as registerFilter } from './commands/filter.js';
import { register as registerGenerate } from './commands/generate.js';
import { register as registerLog } from './commands/log.js';
import { register as registerCrashes } from './commands/crashes.js';
import { register as registerTests } from './commands/tests.js';

const program = new Command();
program
  .name('kscope')
  .description('Decode, index, query and diagnose what kernel runs under QEMU leave behind.')
  .version('0.1.0')
  .option('--debug', 'show stack traces for internal errors')
  .showHelpAfterError('(run kscope --help for usage)');

function wantsJson(): boolean {
  return process.argv.includes('--json');
}

/** Runs a command, renders its result, and turns user errors into one line and a non-zero exit. */
async function run(f: () => CommandResult | Promise<CommandResult>): Promise<void> {
  try {
    const r = await f();
    const json = wantsJson();
    if (r.kind === 'object') {
      process.stdout.write(json ? `${JSON.stringify(r.value)}\n` : `${r.text()}\n`);
    } else {
      // Records stream out in batches so a long filter neither buffers everything nor makes one write per line.
      let buf: string[] = [];
      const flush = () => {
        if (buf.length) process.stdout.write(buf.join('\n') + '\n');
        buf = [];
      };
      r.each((value, text) => {
        if (json && value === null) return;
        buf.push(json ? JSON.stringify(value) : text);
        if (buf.length >= 4096) flush();
      });
      flush();
    }
    process.exitCode = r.exitCode ?? 0;
  } catch (e) {
    if (e instanceof UserError) {
      process.stderr.write(`kscope: ${e.message}\n`);
      process.exitCode = 2;
      return;
    }
    if (program.opts().debug) throw e;
    process.stderr.write(`kscope: internal error: ${(e as Error).message} (run with --debug for the stack)\n`);
    process.exitCode = 70;
  }
}

registerIndex(program, run);
registerSummary(program, run);
registerEvent(program, run);
registerFilter(program, run);
registerLog(program, run);
registerCrashes(program, run);
registerTests(program, run);
registerGenerate(program, run);

// EPIPE when piped into `head`: stop quietly.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

await program.parseAsync();
