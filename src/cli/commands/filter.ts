import type { Command } from 'commander';
import { openForQuery } from '../../index/bundle-cache.js';
import { eventToJson } from '../../model/event.js';
import { UserError } from '../../util/errors.js';
import { addInputOptions, indexContext, type CommandResult, type InputOptions } from '../context.js';

export function register(program: Command, run: (f: () => CommandResult | Promise<CommandResult>) => void): void {
  addInputOptions(program.command('filter').argument('<input>', 'input file or bundle').description('events of one type, in order'))
    .requiredOption('--type <type>', 'event type (e.g. KERNEL_ENTRY, or its label KENTRY)')
    .option('--limit <n>', 'at most this many events (default: all)')
    .option('--from <n>', 'start at event index N', '0')
    .action((input: string, opts: InputOptions & { type: string; limit?: string; from: string }) =>
      run(async () => {
        const limit = opts.limit === undefined ? -1 : Number(opts.limit);
        const from = Number(opts.from);
        if (!Number.isInteger(limit) || (opts.limit !== undefined && limit < 0)) throw new UserError(`--limit must be a non-negative integer, got "${opts.limit}"`);
        if (!Number.isInteger(from) || from < 0) throw new UserError(`--from must be a non-negative integer, got "${opts.from}"`);
        const o = await openForQuery(input, opts, indexContext());
        return {
          kind: 'records',
          each: (emit) => {
            try {
              o.source.filter(opts.type, from, limit, (e) => emit(eventToJson(e), e.text));
            } finally {
              o.source.close();
            }
          },
        };
      }),
    );
}
