import { createRequire } from 'node:module';
import type { Command } from 'commander';
import type { IndexContext, IndexOptions } from '../index/bundle-cache.js';
import { READER_IDS } from '../formats/registry.js';
import { formatDiagnostic, type Diagnostic } from '../model/diagnostics.js';

/** What a command returns: one object, or a stream of records (one JSON object per line). */
export type CommandResult =
  | { kind: 'object'; value: unknown; text: () => string; exitCode?: number }
  | { kind: 'records'; each: (emit: (json: unknown, text: string) => void) => void; exitCode?: number };

export interface GlobalOptions {
  json?: boolean;
  debug?: boolean;
}

/** Options shared by every command that reads an input or bundle. */
export type InputOptions = IndexOptions & { stream?: string; dump?: string; json?: boolean };

export function addInputOptions(cmd: Command): Command {
  return cmd
    .option('-o, --out <dir>', 'bundle directory (default: <input>.kscope beside the input)')
    .option('--format <id>', `force the input format instead of detecting it (${READER_IDS.join(', ')})`)
    .option('--meta <file>', 'ftrace.meta for a TII ftrace.bin (default: found beside it)')
    .option('--format-spec <file>', 'JSON marker table and word-class rule replacing the default TII interpretation')
    .option('--elf <file>', 'kernel ELF: resolve function ids to symbol names')
    .option('--stream <id>', 'which stream of a multi-stream input: s0, s1, … or a dump number in a console log')
    .option('--json', 'machine-readable output (JSON; one object per line for event lists)');
}

/** Progress bar (cli-progress) on stderr only when it is a terminal; notes always go to stderr. */
export function indexContext(): IndexContext {
  let bar: { start(t: number, v: number): void; update(v: number): void; stop(): void } | undefined;
  return {
    note: (m) => process.stderr.write(`kscope: ${m}\n`),
    progress: process.stderr.isTTY
      ? (done, total) => {
          if (!bar) {
            // Loaded lazily: queries that do not build an index never pay for it.
            const cp = createRequire(import.meta.url)('cli-progress') as typeof import('cli-progress');
            bar = new cp.SingleBar(
              { stream: process.stderr, clearOnComplete: true, format: 'indexing [{bar}] {percentage}% {value}/{total} MB' },
              cp.Presets.shades_classic,
            );
            bar.start(Math.ceil(total / 1e6), 0);
          }
          bar.update(Math.floor(done / 1e6));
          if (done >= total) bar.stop();
        }
      : undefined,
  };
}

export function diagnosticsText(list: Diagnostic[]): string[] {
  return list.map(formatDiagnostic);
}
