import type { Command } from 'commander';
import { indexInput } from '../../index/bundle-cache.js';
import { readerById } from '../../formats/registry.js';
import { Bundle } from '../../model/bundle.js';
import { addInputOptions, diagnosticsText, indexContext, type CommandResult, type InputOptions } from '../context.js';
import { thousands } from '../../util/thousands.js';

export function register(program: Command, run: (f: () => CommandResult | Promise<CommandResult>) => void): void {
  addInputOptions(program.command('index').argument('<input>', 'trace, dump or log to index').description('decode the input and build its on-disk index (a bundle)'))
    .option('--force', 'rebuild even if a valid bundle exists')
    .action((input: string, opts: InputOptions & { force?: boolean }) =>
      run(async () => {
        const t0 = performance.now();
        const r = await indexInput(input, opts, indexContext(), opts.force === true);
        const ms = performance.now() - t0;
        const reader = await readerById(r.manifest.format);
        const bundle = new Bundle(r.dir, r.manifest);
        const streams = reader.streams(bundle);
        bundle.close();
        const events = streams.reduce((a, s) => a + s.events, 0);
        const value = {
          input,
          bundle: r.dir,
          format: r.manifest.format,
          built: r.built,
          reason: r.reason,
          seconds: Number((ms / 1000).toFixed(3)),
          streams,
          events,
          warnings: r.manifest.diagnostics,
        };
        return {
          kind: 'object',
          value,
          exitCode: events === 0 ? 1 : 0,
          text: () =>
            [
              `${r.built ? 'indexed' : 'up to date'}: ${input} → ${r.dir} (${reader.title}, ${(ms / 1000).toFixed(2)} s)`,
              ...streams.map((s) => `  ${s.id}: ${s.label}: ${thousands(s.events)} events`),
              ...diagnosticsText(r.manifest.diagnostics),
            ].join('\n'),
        };
      }),
    );
}
