// The indexer on the real trace files (test/fixtures/linux) against an independent count, then
// the variants the kernel prints with other options, re-rendered from those real lines by code.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { DiagnosticLog } from '../../model/diagnostics.js';
import { buildFtrace, type FtraceBuild } from './build.js';
import { Code, parseEventLine, parseGraphLine } from './parse.js';
import { absTime, fixture, graphOracle, graphProc, hasFixture, removeScratch, taskColumn, textLines, traceOracle, writeScratch } from './testing.js';
import { TYPE_NAMES } from './types.js';

after(removeScratch);

function build(path: string, chunk?: number): FtraceBuild & { diags: DiagnosticLog } {
  const diags = new DiagnosticLog();
  return { ...buildFtrace(path, 'trace', diags, undefined, chunk), diags };
}
const typesOf = (r: FtraceBuild) => r.table.summary().types;
const typeName = (r: FtraceBuild, i: number) => TYPE_NAMES[r.table.view().type[i]];
const fromLines = (name: string, lines: string[]) => writeScratch(name, lines.join('\n') + '\n');

const TRACES = ['x86_64-ftrace-trace.txt', 'arm64-ftrace-trace.txt'];
const GRAPHS = ['x86_64-function-graph.txt', 'arm64-function-graph.txt'];

describe('event traces match an independent count', () => {
  for (const name of TRACES) {
    test(name, { skip: !hasFixture(name) }, () => {
      const lines = textLines(fixture(name));
      const want = traceOracle(lines);
      const r = build(fixture(name));
      assert.deepEqual(typesOf(r), want.types);
      assert.deepEqual(r.extra.event_names, Object.fromEntries(Object.entries(want.names).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))));
      assert.deepEqual(r.table.summary().cpus, want.cpus);
      assert.deepEqual(r.table.summary().time, { first: want.first, last: want.last });
      assert.deepEqual([...r.table.view().line], want.lines);
      assert.equal(r.extra.tracer, 'nop');
      // The header's own count of entries is the number of trace lines read.
      assert.equal(r.extra.header?.entries_in_buffer, want.lines.length);
      assert.equal(r.extra.ts_unit, 's');
      // aux holds each line's pid.
      const aux = r.table.view().aux;
      want.lines.forEach((ln, i) => assert.equal(aux[i], parseEventLine(lines[ln - 1])?.pid));
      assert.deepEqual(r.diags.list(), []);
    });
  }
});

describe('function_graph traces match an independent count', () => {
  for (const name of GRAPHS) {
    test(name, { skip: !hasFixture(name) }, () => {
      const lines = textLines(fixture(name));
      const want = graphOracle(lines);
      const r = build(fixture(name));
      assert.deepEqual(typesOf(r), want.types);
      assert.equal(r.extra.tracer, 'function_graph');
      assert.equal(r.extra.graph?.max_depth, want.maxDepth);
      assert.equal(r.extra.graph?.unmatched_exits, 0);
      assert.equal(r.extra.graph?.unclosed_entries, 0);
      // Every exit and leaf carries the duration printed on its line; every exit is named.
      for (let i = 0; i < r.table.size; i++) {
        const t = typeName(r, i);
        if (t !== 'FUNC_EXIT' && t !== 'FUNC_LEAF') continue;
        assert.equal(r.table.view().aux[i], want.durations.get(r.table.view().line[i]), `line ${r.table.view().line[i]}`);
        assert.notEqual(r.table.subNames[r.table.view().sub[i]], '', `line ${r.table.view().line[i]}: exit not named`);
      }
      // The last line closes the first call: the traced ksys_read.
      const last = r.table.size - 1;
      assert.equal(typeName(r, last), 'FUNC_EXIT');
      assert.equal(r.table.subNames[r.table.view().sub[last]], 'ksys_read');
      assert.equal(r.extra.graph?.longest[0].function, 'ksys_read');
      assert.equal(r.extra.graph?.longest[0].line, r.table.view().line[last]);
    });
  }
});

describe('variants of the same real lines, as other tracefs options print them', () => {
  const name = 'x86_64-ftrace-trace.txt';
  const ev = (l: string) => parseEventLine(l);

  test('record-tgid: a `(tgid)` column (and `(-------)` when unknown)', { skip: !hasFixture(name) }, () => {
    const lines = textLines(fixture(name));
    const out = lines.map((l) => {
      const e = l.startsWith('#') ? null : ev(l);
      if (!e) return l;
      const tgid = e.pid === 0 ? '(-------)' : `(${String(e.pid).padStart(7)})`;
      return `${taskColumn(e.task, e.pid)}${tgid} [${String(e.cpu).padStart(3, '0')}] ${e.flags} ${e.tsText.padStart(12)}: ${e.body}`;
    });
    const r = build(fromLines('tgid.txt', out));
    const ref = build(fixture(name));
    assert.deepEqual(typesOf(r), typesOf(ref));
    assert.deepEqual(r.table.view().aux, ref.table.view().aux);
    assert.deepEqual(r.table.view().ts, ref.table.view().ts);
  });

  test('irq-info off: no flags column', { skip: !hasFixture(name) }, () => {
    const lines = textLines(fixture(name)).map((l) => l.replace(/^(.*?-\d+ +\[\d{3}\]) \S{4,6} /, '$1 '));
    const r = build(fromLines('noirqinfo.txt', lines));
    const ref = build(fixture(name));
    assert.deepEqual(typesOf(r), typesOf(ref));
    assert.deepEqual(r.table.view().cpu, ref.table.view().cpu);
    assert.deepEqual(r.table.view().ts, ref.table.view().ts);
  });

  test('function tracer lines made from a real call graph: `func <-parent`', { skip: !hasFixture('x86_64-function-graph.txt') }, () => {
    const graph = textLines(fixture('x86_64-function-graph.txt'));
    const stack: string[] = ['do_syscall_64'];
    const out = ['# tracer: function', '#'];
    let ts = 100;
    for (const l of graph) {
      const g = l.startsWith('#') ? null : parseGraphLine(l);
      if (!g) continue;
      if (g.code === Code.ENTRY || g.code === Code.LEAF) {
        out.push(`${taskColumn('cat', 102)}[001] ..... ${(ts += 0.000001).toFixed(6).padStart(12)}: ${g.name} <-${stack[g.depth] ?? '?'}`);
        if (g.code === Code.ENTRY) stack[g.depth + 1] = g.name;
      }
    }
    const r = build(fromLines('function.txt', out));
    const calls = out.length - 2;
    assert.deepEqual(typesOf(r), { FUNCTION: calls });
    assert.equal(r.extra.tracer, 'function');
    assert.equal(r.table.subNames[r.table.view().sub[0]], 'ksys_read');
  });

  test('stack traces: `<stack trace>` plus ` => frame` lines are one event', { skip: !hasFixture(name) }, () => {
    const out: string[] = [];
    let n = 0;
    for (const l of textLines(fixture(name))) {
      out.push(l);
      const e = ev(l);
      if (e && e.body.startsWith('sched_switch:')) {
        out.push(`${taskColumn(e.task, e.pid)}[${String(e.cpu).padStart(3, '0')}] ${e.flags} ${e.tsText.padStart(12)}: <stack trace>`);
        for (const f of ['__schedule', 'schedule', 'do_nanosleep']) out.push(` => ${f}`);
        n++;
      }
    }
    const r = build(fromLines('stack.txt', out));
    assert.equal(typesOf(r).STACK_TRACE, n);
    assert.equal(r.extra.event_names.kernel_stack, n);
    const k = [...r.table.view().type].findIndex((_, i) => typeName(r, i) === 'STACK_TRACE');
    const next = r.table.view().offset[k + 1];
    assert.equal(r.table.view().offset[k] + r.table.view().length[k] + 1, next, 'the frames belong to the stack trace event');
  });

  test('function_graph with funcgraph-abstime and funcgraph-proc columns', { skip: !hasFixture('x86_64-function-graph.txt') }, () => {
    let ts = 5;
    const out = textLines(fixture('x86_64-function-graph.txt')).map((l) =>
      l.startsWith('#') ? l : l.replace(/^( *\d+\) )/, (cpu) => `${absTime((ts += 0.000013))}${cpu}${graphProc('cat', 102)} | `),
    );
    const r = build(fromLines('abstime.txt', out));
    const ref = build(fixture('x86_64-function-graph.txt'));
    assert.deepEqual(typesOf(r), typesOf(ref));
    assert.deepEqual(r.table.view().aux, ref.table.view().aux);
    assert.deepEqual(r.table.view().sub, ref.table.view().sub);
    assert.equal(r.extra.ts_unit, 's');
    assert.ok(r.table.view().ts[0] > 5);
  });

  test('context switches and lost events inside a graph', { skip: !hasFixture('x86_64-function-graph.txt') }, () => {
    const g = textLines(fixture('x86_64-function-graph.txt'));
    const sep = ' ------------------------------------------';
    const out = [...g.slice(0, 20), sep, ` 0) ${graphProc('<idle>', 0)} => ${graphProc('cat', 102)}`, sep, '', 'CPU:0 [LOST 12 EVENTS]', ...g.slice(20)];
    const r = build(fromLines('switch.txt', out));
    const ref = build(fixture('x86_64-function-graph.txt'));
    assert.deepEqual(typesOf(r), { ...typesOf(ref), CONTEXT_SWITCH: 1, LOST_EVENTS: 1 });
    assert.equal(r.extra.lost_events, 12);
  });
});

describe('robustness', () => {
  test('the same trace cut out of the serial console (CRLF line ends) indexes like the raw file', { skip: !hasFixture('x86_64-ftrace-events.log') }, () => {
    const console = textLines(fixture('x86_64-ftrace-events.log'));
    const from = console.findIndex((l) => l.startsWith('KSCOPE: BEGIN ftrace events trace'));
    const to = console.findIndex((l) => l.startsWith('KSCOPE: END ftrace events trace'));
    assert.ok(from >= 0 && to > from);
    const r = build(writeScratch('from-console.txt', console.slice(from + 1, to).join('\n') + '\n'));
    const raw = build(fixture('x86_64-ftrace-trace.txt'));
    assert.ok(console[from + 1].endsWith('\r'), 'the console copy has CRLF line ends');
    assert.deepEqual(typesOf(r), typesOf(raw));
    assert.deepEqual(r.table.view().ts, raw.table.view().ts);
    assert.deepEqual(r.extra.event_names, raw.extra.event_names);
  });

  test('chunk sizes 7 and 4096 give the same table as 4 MiB reads', { skip: !hasFixture('arm64-ftrace-trace.txt') }, () => {
    for (const name of ['arm64-ftrace-trace.txt', 'arm64-function-graph.txt']) {
      const ref = build(fixture(name));
      for (const chunk of [7, 4096]) {
        const r = build(fixture(name), chunk);
        for (const col of ['line', 'offset', 'length', 'type', 'cpu', 'ts', 'aux', 'sub'] as const) {
          assert.deepEqual(r.table.view()[col], ref.table.view()[col], `${name} chunk ${chunk}: ${col}`);
        }
        assert.deepEqual(r.extra, ref.extra);
      }
    }
  });

  test('a > 4 MiB trace built from repeated real lines', { skip: !hasFixture('x86_64-ftrace-trace.txt') }, () => {
    const lines = textLines(fixture('x86_64-ftrace-trace.txt'));
    const body = lines.filter((l) => !l.startsWith('#'));
    const copies = Math.ceil((5 << 20) / Buffer.byteLength(body.join('\n')));
    const all = [...lines.filter((l) => l.startsWith('#')), ...Array.from({ length: copies }, () => body).flat()];
    const r = build(fromLines('big.txt', all));
    const one = traceOracle(lines);
    assert.equal(r.table.size, body.length * copies);
    for (const [k, v] of Object.entries(one.types)) assert.equal(typesOf(r)[k], v * copies, k);
    assert.deepEqual([...r.table.view().line], traceOracle(all).lines);
  });

  test('a trace cut mid-line: good lines kept, the header count says entries are missing', { skip: !hasFixture('x86_64-ftrace-trace.txt') }, () => {
    const text = textLines(fixture('x86_64-ftrace-trace.txt')).join('\n');
    const cut = text.slice(0, Math.floor(text.length * 0.6));
    const r = build(writeScratch('cut.txt', cut));
    const lines = cut.split('\n');
    const want = traceOracle(lines);
    assert.equal(r.table.view().line[r.table.size - 1], lines.length, 'the cut line is the last event');
    assert.ok(r.table.size === want.lines.length || r.table.size === want.lines.length + 1);
    assert.deepEqual(
      r.diags.list().map((d) => d.code),
      r.table.size === want.lines.length ? ['ENTRIES_MISSING'] : ['UNPARSED_LINE', 'ENTRIES_MISSING'],
    );
  });

  test('garbage and an empty file', () => {
    const r = build(writeScratch('junk.txt', 'hello\nworld\n\x00\x01\x02\n'));
    assert.deepEqual(typesOf(r), { LINE: 3 });
    assert.equal(r.diags.list()[0].code, 'UNPARSED_LINE');
    const e = build(writeScratch('empty.txt', ''));
    assert.equal(e.table.size, 0);
    assert.deepEqual(
      e.diags.list().map((d) => d.code),
      ['NO_EVENTS'],
    );
  });
});
