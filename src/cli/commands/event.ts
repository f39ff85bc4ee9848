import type { Command } from 'commander';
import { openForQuery } from '../../index/bundle-cache.js';
import { eventToJson } from '../../model/event.js';
import { UserError } from '../../util/errors.js';
import { addInputOptions, indexContext, type CommandResult, type InputOptions } from '../context.js';

function int(v: string, what: string, min = 0): number {
  if (!/^\d+$/.test(v.trim()) || Number(v) < min) throw new UserError(`${what} must be an integer >= ${min}, got "${v}"`);
  return Number(v);
}

export function register(program: Command, run: (f: () => CommandResult | Promise<CommandResult>) => void): void {
  addInputOptions(
    program
      .command('event')
      .argument('<input>', 'input file or bundle')
      .argument('<n>', 'event index (0-based)')
      .description('show event N, and K events either side with --context K'),
  )
    .option('--context <k>', 'events to show either side', '0')
    .action((input: string, nArg: string, opts: InputOptions & { context: string }) =>
      run(async () => {
        const n = int(nArg, 'N');
        const k = int(opts.context, '--context');
        const o = await openForQuery(input, opts, indexContext());
        const src = o.source;
        if (n >= src.count) {
          src.close();
          throw new UserError(`event ${n} is out of range: ${input} has ${src.count} events (0..${src.count - 1})`);
        }
        const list = k > 0 ? src.events(n - k, 2 * k + 1) : [src.event(n)];
        src.close();
        return {
          kind: 'records',
          each: (emit) => {
            for (const e of list) emit(eventToJson(e), k > 0 && e.index === n ? `${e.text}   <==` : e.text);
          },
        };
      }),
    );
}
