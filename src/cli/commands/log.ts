import type { Command } from 'commander';
import { plainInput } from '../../index/plain-input.js';
import { forEachLine } from '../../util/lines.js';
import { UserError } from '../../util/errors.js';
import { userRegExp } from '../../util/user-regex.js';
import { cleanLine } from '../../formats/console-log/index.js';
import { indexContext, type CommandResult } from '../context.js';

interface LogOptions {
  grep?: string;
  ignoreCase?: boolean;
  context: string;
  from?: string;
  to?: string;
  limit?: string;
  json?: boolean;
}

function int(v: string | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v.trim())) throw new UserError(`${what} must be a non-negative integer, got "${v}"`);
  return Number(v);
}

/**
 * `kscope log`: grep over a (possibly compressed) text log with line numbers
 * and context, in the style of `grep -n -C K`: `12:` marks a match, `11-`
 * context, `--` separates groups. Streams the file; memory is bounded by K.
 */
export function register(program: Command, run: (f: () => CommandResult | Promise<CommandResult>) => void): void {
  program
    .command('log')
    .argument('<input>', 'text log (plain or .gz)')
    .description('search a text log: matching lines with line numbers and context')
    .option('--grep <re>', 'JavaScript regular expression to search for (default: every line)')
    .option('-i, --ignore-case', 'case-insensitive --grep')
    .option('--context <k>', 'lines to show before and after each match', '0')
    .option('--from <line>', 'first line to consider (1-based)')
    .option('--to <line>', 'last line to consider')
    .option('--limit <n>', 'stop after this many matches')
    .option('--json', 'one JSON object per line: {line, text, match}')
    .action((input: string, opts: LogOptions) =>
      run(async () => {
        let re: RegExp | null = null;
        if (opts.grep !== undefined) {
          try {
            re = userRegExp(opts.grep, opts.ignoreCase ? 'i' : '');
          } catch (e) {
            throw new UserError(`--grep: not a valid regular expression: ${(e as Error).message}`);
          }
        }
        const k = int(opts.context, '--context') ?? 0;
        const from = int(opts.from, '--from') ?? 1;
        const to = int(opts.to, '--to') ?? Infinity;
        const limit = int(opts.limit, '--limit') ?? Infinity;
        const path = await plainInput(input, indexContext().note);
        return {
          kind: 'records',
          each: (emit) => {
            const before: { line: number; text: string }[] = [];
            let after = 0;
            let lastShown = 0;
            let matches = 0;
            const show = (line: number, text: string, match: boolean) => {
              if (lastShown && line > lastShown + 1 && k > 0 && !opts.json) emit(null, '--');
              emit({ line, text, match }, `${line}${match ? ':' : '-'}${text}`);
              lastShown = line;
            };
            /** A line seen whole: matched or context, as grep -C does it. */
            const line = (lineNo: number, text: string, matched: boolean) => {
              if (lineNo > to || (matches >= limit && after === 0)) throw STOP;
              if (matched) {
                if (matches >= limit) throw STOP;
                matches++;
                for (const b of before) show(b.line, b.text, false);
                before.length = 0;
                show(lineNo, text, true);
                after = k;
              } else if (after > 0) {
                after--;
                show(lineNo, text, false);
              } else if (k > 0) {
                before.push({ line: lineNo, text });
                if (before.length > k) before.shift();
              }
            };
            // A line over MAX_LINE_BYTES comes in pieces: every piece is searched (with the tail of
            // the one before, for a match across the cut); the first piece is what is shown.
            let long: { lineNo: number; text: string; matched: boolean; bytes: number; tail: string } | null = null;
            const endLong = () => {
              if (!long) return;
              const l = long;
              long = null;
              line(l.lineNo, `${l.text} … [line cut for display: ${l.bytes} bytes in all]`, l.matched);
            };
            try {
              forEachLine(path, (buf, s, e, lineNo, _off, piece) => {
                if (lineNo < from) return;
                const text = cleanLine(buf.toString('utf8', s, e));
                if (piece > 1 && long) {
                  long.bytes += e - s;
                  if (!long.matched && re) long.matched = re.test(long.tail + text);
                  long.tail = text.slice(-LONG_OVERLAP);
                  return;
                }
                endLong();
                if (piece === 1) {
                  long = { lineNo, text, matched: !re || re.test(text), bytes: e - s, tail: text.slice(-LONG_OVERLAP) };
                  return;
                }
                line(lineNo, text, !re || re.test(text));
              });
              endLong();
            } catch (e) {
              if (e !== STOP) throw e;
            }
          },
        };
      }),
    );
}

const STOP = new Error('stop');
/** Characters of a long line's previous piece searched again with the next (a match may straddle the cut). */
const LONG_OVERLAP = 4096;
