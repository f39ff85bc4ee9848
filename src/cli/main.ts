#!/usr/bin/env node
import { statSync, writeSync } from 'node:fs';
import { Command } from 'commander';
import { UserError } from '../util/errors.js';
import { PARALLEL_MIN_BYTES, prestartWorker } from '../util/worker.js';
import type { CommandResult } from './context.js';

const program = new Command();
program
  .name('kscope')
  .description('Decode, index, query and diagnose what kernel runs under QEMU leave behind.')
  .version('0.1.0')
  .option('--debug', 'show stack traces for internal errors')
  .showHelpAfterError('(run kscope --help for usage)')
  // A usage mistake is bad input like any other: exit status 2 (help and --version stay 0).
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes to stdout and waits until it is taken: millions of records into a
 * pipe must not pile up in memory (process.stdout queues a pipe's writes and
 * fails with ENOBUFS past a point). A closed pipe (`| head`) ends quietly.
 */
function writeOut(text: string): void {
  const b = Buffer.from(text, 'utf8');
  for (let off = 0; off < b.length; ) {
    try {
      off += writeSync(1, b, off, b.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') Atomics.wait(pause, 0, 0, 2);
      else if (code === 'EPIPE') process.exit(0);
      else throw e;
    }
  }
}

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
        if (buf.length) writeOut(buf.join('\n') + '\n');
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
      // One line, whatever the message quotes (a JSON parser's error spans two).
      process.stderr.write(`kscope: ${e.message.replace(/\s*\n\s*/g, ' ')}\n`);
      process.exitCode = 2;
      return;
    }
    if (program.opts().debug) throw e;
    process.stderr.write(`kscope: internal error: ${(e as Error).message} (run with --debug for the stack)\n`);
    process.exitCode = 70;
  }
}


function isLargeFile(path: string): boolean {
  try {
    const st = statSync(path);
    return st.isFile() && st.size >= PARALLEL_MIN_BYTES;
  } catch {
    return false;
  }
}

type Register = (program: Command, run: (f: () => CommandResult | Promise<CommandResult>) => void) => void;

/**
 * Every command, by name. Only the command being run is loaded (each pulls in
 * its readers, DuckDB, …), which keeps a query's start-up close to Node's own;
 * `--help` and unknown names load them all.
 */
const COMMANDS: Record<string, () => Promise<{ register: Register }>> = {
  index: () => import('./commands/index-cmd.js'),
  summary: () => import('./commands/summary.js'),
  event: () => import('./commands/event.js'),
  filter: () => import('./commands/filter.js'),
  log: () => import('./commands/log.js'),
  crashes: () => import('./commands/crashes.js'),
  tests: () => import('./commands/tests.js'),
  diagnose: () => import('./commands/diagnose.js'),
  diff: () => import('./commands/diff.js'),
  export: () => import('./commands/export.js'),
  runs: () => import('./commands/runs.js'),
  parity: () => import('./commands/parity.js'),
  compare: () => import('./commands/compare.js'),
  flaky: () => import('./commands/flaky.js'),
  report: () => import('./commands/report.js'),
  failures: () => import('./commands/report.js'),
  generate: () => import('./commands/generate.js'),
};

const args = process.argv.slice(2);
const named = args.find((a) => !a.startsWith('-'));
// Indexing a file large enough for two threads: the second one starts, and loads the console log
// reader (the commonest large input), while the command loads.
if (named === 'index' && args.some((a) => !a.startsWith('-') && a !== named && isLargeFile(a))) prestartWorker(new URL('../formats/console-log/index.js', import.meta.url));
// `--version` needs no command; help and unknown names list them all.
const versionOnly = named === undefined && (args.includes('--version') || args.includes('-V'));
const chosen = named !== undefined && named in COMMANDS ? [named] : versionOnly ? [] : Object.keys(COMMANDS);
// report.js registers `report` and `failures` both: register each module once.
const modules = new Set(await Promise.all(chosen.map((name) => COMMANDS[name]())));
for (const m of modules) m.register(program, run);

// EPIPE when piped into `head`: stop quietly.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

await program.parseAsync();
