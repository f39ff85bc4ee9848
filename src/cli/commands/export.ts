import type { Command } from 'commander';
import { bundleOutFor } from '../../analyses/diff/index.js';
import { exportInput, type ExportResult } from '../../export/index.js';
import { addInputOptions, indexContext, type CommandResult, type InputOptions } from '../context.js';
import { thousands } from '../../util/thousands.js';

const n = thousands;

function mb(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${n(bytes)} bytes`;
}

/** Human rendering: what was written, how big, the time axis and every repair the export made. */
export function exportText(r: ExportResult): string {
  const out = r.outputs.map((o) => `wrote ${o.path} (${o.kind === 'perfetto' ? 'Perfetto protobuf' : 'Chrome JSON'}, ${mb(o.bytes)})`);
  out.push(`  ${n(r.events)} events (${r.format}) → ${n(r.slices)} slices, ${n(r.instants)} instants, ${n(r.counters)} counter values on ${n(r.tracks)} tracks in ${r.seconds.toFixed(2)} s`);
  out.push(`  time: ${r.time_axis === 'timestamps' ? "the input's timestamps" : 'event order (event N at N µs)'}`);
  for (const note of r.notes) out.push(`  note: ${note}`);
  return out.join('\n');
}

type ExportOpts = InputOptions & { perfetto?: string; chrome?: string };

/**
 * `kscope export <input> --perfetto FILE | --chrome FILE`: hand a trace to
 * Perfetto's UI, chrome://tracing or speedscope. Both outputs may be written
 * in the same pass. Notes (time axis, repairs) also go to stderr as they are decided.
 */
export function register(program: Command, run: (f: () => CommandResult | Promise<CommandResult>) => void): void {
  addInputOptions(
    program
      .command('export')
      .argument('<input>', 'input file or bundle')
      .description('write a Perfetto protobuf trace and/or a Chrome JSON trace: tracks per CPU, thread or VM, nested slices, instants, counters')
      .option('--perfetto <file>', 'Perfetto trace (protobuf TracePacket stream; open in ui.perfetto.dev)')
      .option('--chrome <file>', 'Chrome JSON trace events ({"traceEvents":[…]}; chrome://tracing, Perfetto, speedscope)'),
  ).action((input: string, opts: ExportOpts) =>
    run(async () => {
      // Read-only inputs (CI artifacts) get their index in the temp dir instead of failing.
      const { out, format, meta, formatSpec, elf, stream, perfetto, chrome } = opts;
      const r = await exportInput(input, { out: out ?? bundleOutFor(input), format, meta, formatSpec, elf, stream, perfetto, chrome }, indexContext());
      return { kind: 'object', value: r, text: () => exportText(r) };
    }),
  );
}
