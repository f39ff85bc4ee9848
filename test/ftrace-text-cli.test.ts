// kscope on real tracefs `trace` files, as a user runs it: summary / event / filter through the
// built CLI, on gzipped fixtures and on a plain copy without a telling name. Counts are checked
// against an independent line-by-line count of the same files.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { graphOracle, traceOracle } from '../src/formats/ftrace-text/testing.js';
import { ROOT, cleanup, cliOk, cliOkAsync, json, jsonLines, tmpdir } from './helpers.js';

after(cleanup);

const FIX = join(ROOT, 'test', 'fixtures', 'linux');
const have = (f: string) => existsSync(join(FIX, f));
const dir = tmpdir('kscope-ftrace-cli-');

function copy(f: string): string {
  const p = join(dir, f);
  if (!existsSync(p)) copyFileSync(join(FIX, f), p);
  return p;
}
function plainLines(f: string): string[] {
  const l = gunzipSync(readFileSync(join(FIX, f))).toString('utf8').split('\n');
  if (l[l.length - 1] === '') l.pop();
  return l;
}
const ok = cliOk;
/** The per-fixture summaries run side by side (each on its own copy). */
const okAsync = cliOkAsync;

describe('summary counts match what the trace holds', { concurrency: true }, () => {
  for (const f of ['x86_64-ftrace-trace.txt.gz', 'arm64-ftrace-trace.txt.gz']) {
    test(f, { skip: !have(f) }, async () => {
      const lines = plainLines(f);
      const want = traceOracle(lines);
      const s = json(await okAsync(['summary', copy(f), '--json']));
      assert.equal(s.format, 'ftrace-text');
      assert.deepEqual(s.types, want.types);
      assert.equal(s.events, want.lines.length);
      assert.deepEqual(s.cpus, want.cpus);
      assert.deepEqual(s.time, { first: want.first, last: want.last });
      assert.equal(s.tracer, 'nop');
      assert.equal(s.ts_unit, 's');
      // The header's `entries-in-buffer` and the README's per-event grep counts.
      const header = /entries-in-buffer\/entries-written: (\d+)\//.exec(lines.join('\n'))?.[1];
      assert.equal((s.header as { entries_in_buffer: number }).entries_in_buffer, Number(header));
      const names = s.event_names as Record<string, number>;
      for (const ev of ['sched_switch', 'sched_wakeup', 'irq_handler_entry', 'sys_enter', 'sys_exit', 'tracing_mark_write']) {
        assert.equal(names[ev] ?? 0, lines.filter((l) => l.includes(`: ${ev}: `)).length, ev);
      }
      assert.deepEqual(s.warnings, []);
    });
  }
  for (const f of ['x86_64-function-graph.txt.gz', 'arm64-function-graph.txt.gz']) {
    test(f, { skip: !have(f) }, async () => {
      const want = graphOracle(plainLines(f));
      const s = json(await okAsync(['summary', copy(f), '--json']));
      assert.equal(s.format, 'ftrace-text');
      assert.equal(s.tracer, 'function_graph');
      assert.deepEqual(s.types, want.types);
      const g = s.graph as { max_depth: number; unmatched_exits: number; longest: { function: string; duration_us: number }[] };
      assert.equal(g.max_depth, want.maxDepth);
      assert.equal(g.unmatched_exits, 0);
      assert.equal(g.longest[0].function, 'ksys_read');
      assert.equal(g.longest[0].duration_us, Math.max(...want.durations.values()));
    });
  }
});

test('detected without its name: a plain copy called unknown.dat gives the same summary', { skip: !have('arm64-ftrace-trace.txt.gz') }, () => {
  const p = join(dir, 'unknown.dat');
  writeFileSync(p, plainLines('arm64-ftrace-trace.txt.gz').join('\n') + '\n');
  const a = json(ok(['summary', p, '--json']));
  const b = json(ok(['summary', copy('arm64-ftrace-trace.txt.gz'), '--json']));
  assert.equal(a.format, 'ftrace-text');
  for (const k of ['events', 'types', 'cpus', 'time', 'event_names', 'tasks', 'header']) assert.deepEqual(a[k], b[k], k);
  const forced = json(ok(['summary', p, '--format', 'ftrace-text', '--json', '-o', join(dir, 'forced.kscope')]));
  assert.deepEqual(forced.types, a.types);
});

test('filter --type SCHED_SWITCH and event N: fields of the line, in order', { skip: !have('x86_64-ftrace-trace.txt.gz') }, () => {
  const f = copy('x86_64-ftrace-trace.txt.gz');
  const lines = plainLines('x86_64-ftrace-trace.txt.gz');
  const sw = jsonLines(ok(['filter', f, '--type', 'SCHED_SWITCH', '--json']));
  assert.equal(sw.length, lines.filter((l) => l.includes(': sched_switch: ')).length);
  let prev = -1;
  for (const e of sw) {
    const l = lines[(e.line as number) - 1];
    assert.ok((e.index as number) > prev);
    prev = e.index as number;
    assert.match(l, /: sched_switch: /);
    assert.equal(e.cpu, Number(/\[(\d{3})\]/.exec(l)?.[1]));
    assert.equal(e.ts, Number(/(\d+\.\d+): sched_switch/.exec(l)?.[1]));
    assert.equal(e.next_pid, Number(/next_pid=(\d+)/.exec(l)?.[1]));
    assert.equal(e.subsystem, 'sched_switch');
  }
  const one = jsonLines(ok(['event', f, String(sw[3].index), '--json']))[0];
  assert.deepEqual(one, sw[3]);
  const marker = jsonLines(ok(['filter', f, '--type', 'MARKER', '--json']));
  assert.deepEqual(
    marker.map((m) => m.message),
    ['kscope: workload begin', 'kscope: workload end'],
  );
});

test('function_graph through the CLI: exits carry duration and the name of their entry', { skip: !have('x86_64-function-graph.txt.gz') }, () => {
  const f = copy('x86_64-function-graph.txt.gz');
  const lines = plainLines('x86_64-function-graph.txt.gz');
  const exits = jsonLines(ok(['filter', f, '--type', 'FUNC_EXIT', '--json']));
  assert.ok(exits.length > 0);
  for (const e of exits) {
    const l = lines[(e.line as number) - 1];
    assert.equal(e.duration_us, Number(/([\d.]+) us/.exec(l)?.[1]));
    assert.ok(typeof e.function === 'string' && e.function !== '', l);
  }
  assert.equal(exits[exits.length - 1].function, 'ksys_read');
  const human = ok(['summary', f]);
  assert.match(human, /format: ftrace-text/);
  assert.match(human, /FUNC_LEAF/);
});

test('a trace cut short: good lines kept, a warning says entries are missing', { skip: !have('arm64-ftrace-trace.txt.gz') }, () => {
  const lines = plainLines('arm64-ftrace-trace.txt.gz');
  const keep = Math.floor(lines.length / 2);
  const p = join(dir, 'cut.txt');
  writeFileSync(p, lines.slice(0, keep).join('\n') + '\n');
  const s = json(ok(['summary', p, '--json']));
  assert.equal(s.events, traceOracle(lines.slice(0, keep)).lines.length);
  assert.deepEqual(
    (s.warnings as { code: string }[]).map((w) => w.code),
    ['ENTRIES_MISSING'],
  );
});

test('a console log with the same trace dumped inside stays a console log', { skip: !have('x86_64-ftrace-events.log.gz') }, () => {
  const s = json(ok(['summary', copy('x86_64-ftrace-events.log.gz'), '--json']));
  assert.notEqual(s.format, 'ftrace-text');
});
