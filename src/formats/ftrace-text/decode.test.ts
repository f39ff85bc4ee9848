// The decoder on every event of the real trace files: fields agree with the line they come from.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { readFileSync } from 'node:fs';
import type { FieldValue } from '../../model/event.js';
import { DiagnosticLog } from '../../model/diagnostics.js';
import { buildFtrace } from './build.js';
import { decoder } from './decode.js';
import { fixture, hasFixture, removeScratch, textLines, writeScratch } from './testing.js';
import { TYPE_NAMES } from './types.js';

after(removeScratch);

function decodeAll(path: string): { type: string; f: Record<string, FieldValue>; line: string; n: number; aux: number; sub: string; text: string }[] {
  const bytes = readFileSync(path);
  const lines = bytes.toString('utf8').split('\n');
  const { table: t } = buildFtrace(path, 'trace', new DiagnosticLog());
  const out = [];
  for (let i = 0; i < t.size; i++) {
    const raw = bytes.subarray(t.view().offset[i], t.view().offset[i] + t.view().length[i]);
    const row = { line: t.view().line[i], ts: t.view().ts[i], cpu: t.view().cpu[i], sub: t.subNames[t.view().sub[i]], aux: t.view().aux[i] };
    const d = decoder.decode(raw, t.view().type[i], row);
    out.push({ type: TYPE_NAMES[t.view().type[i]], f: d.fields, line: lines[row.line - 1], n: row.line, aux: row.aux, sub: row.sub, text: d.text });
  }
  return out;
}

test('event lines: task, pid, flags and each tracepoint’s own fields', { skip: !hasFixture('x86_64-ftrace-trace.txt') }, () => {
  const seen = new Set<string>();
  for (const e of decodeAll(fixture('x86_64-ftrace-trace.txt'))) {
    seen.add(e.type);
    const m = /^\s*(.*?)-(\d+)\s+\[\d{3}\] (\S+)\s+[\d.]+: (\w+): (.*)$/.exec(e.line) as RegExpExecArray;
    assert.ok(m, e.line);
    assert.equal(e.f.task, m[1]);
    assert.equal(e.f.task_pid, Number(m[2]));
    assert.equal(e.f.flags, m[3]);
    assert.equal(e.f.irqs_off, m[3][0] === 'd');
    assert.equal(e.f.event, m[4]);
    assert.equal(e.f.event, e.sub);
    assert.equal(e.f.message, m[5]);
    assert.ok(e.text.startsWith(`${e.n}: `));
    if (e.type === 'SCHED_SWITCH') {
      const s = /prev_pid=(\d+) .* ==> next_comm=(.*) next_pid=(\d+)/.exec(m[5]) as RegExpExecArray;
      assert.equal(e.f.prev_pid, Number(s[1]));
      assert.equal(e.f.next_comm, s[2]);
      assert.equal(e.f.next_pid, Number(s[3]));
    } else if (e.type === 'SYS_ENTER') {
      assert.equal(e.f.nr, Number(/^NR (\d+)/.exec(m[5])?.[1]));
      assert.equal(typeof e.f.args, 'string');
    } else if (e.type === 'SYS_EXIT') {
      assert.equal(e.f.ret, Number(/= (-?\d+)$/.exec(m[5])?.[1]));
    } else if (e.type === 'IRQ_HANDLER_ENTRY') {
      assert.equal(e.f.irq, Number(/irq=(\d+)/.exec(m[5])?.[1]));
    } else if (e.type === 'MARKER') {
      assert.match(String(e.f.message), /^kscope: workload (?:begin|end)$/);
    }
  }
  for (const t of ['SCHED_SWITCH', 'SYS_ENTER', 'SYS_EXIT', 'MARKER', 'IRQ_HANDLER_ENTRY']) assert.ok(seen.has(t), t);
});

test('function_graph: function, depth and duration from the line; exits named', { skip: !hasFixture('arm64-function-graph.txt') }, () => {
  for (const e of decodeAll(fixture('arm64-function-graph.txt'))) {
    if (!e.type.startsWith('FUNC_')) continue;
    const m = /\|  ( *)(\S.*)$/.exec(e.line) as RegExpExecArray;
    assert.equal(e.f.depth, m[1].length / 2, e.line);
    if (e.type === 'FUNC_EXIT') assert.equal(e.f.function, e.sub);
    else assert.equal(`${e.f.function}${e.type === 'FUNC_ENTRY' ? '() {' : '();'}`, m[2]);
    if (e.type !== 'FUNC_ENTRY') assert.equal(e.f.duration_us, e.aux);
    else assert.equal(e.f.duration_us, undefined);
  }
});

test('stack trace: frames of the ` => ` lines, innermost first', { skip: !hasFixture('x86_64-ftrace-trace.txt') }, () => {
  const lines = textLines(fixture('x86_64-ftrace-trace.txt'));
  const first = lines.findIndex((l) => !l.startsWith('#'));
  const at = lines[first].indexOf(': ', lines[first].indexOf(']'));
  const made = [...lines.slice(0, first + 1), `${lines[first].slice(0, at)}: <stack trace>`, ' => __schedule', ' => schedule', ' => do_nanosleep', ...lines.slice(first + 1)];
  const all = decodeAll(writeScratch('stack.txt', made.join('\n') + '\n'));
  const st = all.find((e) => e.type === 'STACK_TRACE');
  assert.ok(st);
  assert.equal(st.f.frames, '__schedule <- schedule <- do_nanosleep');
  assert.equal(st.f.frame_count, 3);
  assert.equal(st.f.event, 'kernel_stack');
});
