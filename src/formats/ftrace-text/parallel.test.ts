// Reading a trace in two parts (a worker for the second) gives what one pass gives, event for
// event, whether the worker's part is kept or read again from the first part's state. Files are
// real fixture lines repeated past a lowered threshold; the cases put the middle where each
// path is taken.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { assertTwoPartsAsOne } from '../../model/testing.js';
import { buildFtrace } from './build.js';
import { scanFtraceFile } from './parallel.js';
import { fixture, hasFixture, removeScratch, scratchDir, textLines, writeScratch } from './testing.js';

after(removeScratch);

const SIZE = 6 << 20;
const EVENTS = ['x86_64-irq-storm-ftrace-trace.txt', 'x86_64-ftrace-trace.txt'];
const GRAPHS = ['x86_64-function-graph.txt', 'arm64-function-graph.txt'];
const body = (files: string[]) => files.map((f) => textLines(fixture(f)).join('\n') + '\n').join('');
/** `head` once, then `fill` repeated to about SIZE bytes (and `tail`). */
const file = (name: string, head: string, fill: string, tail = '') => writeScratch(name, head + fill.repeat(Math.ceil((SIZE - head.length) / fill.length)) + tail);

const cases: { what: string; expect: 'kept' | 'redone' | 'whole'; make: () => string }[] = [
  { what: 'events only: the second part starts in the state the head shows and is kept', expect: 'kept', make: () => file('events.txt', '', body(EVENTS)) },
  { what: 'function_graph: the second part starts at a call at depth 0, where none is open', expect: 'kept', make: () => file('graph.txt', '', body(GRAPHS)) },
  {
    what: 'one call around everything: no depth-0 line after the middle, read again from the open calls',
    expect: 'redone',
    make: () => file('nested.txt', ' 0)               |  outer() {\n', body(GRAPHS).replace(/^(?!#)(.*?\|  )/gm, '$1  '), ' 0) # 9999.000 us |  }\n'),
  },
  {
    // A graph comment holding an event line reads as the one or the other depending on which parser goes first.
    what: 'graph lines first after the head: the head guessed wrong, read again',
    expect: 'redone',
    make: () => {
      const event = textLines(fixture(EVENTS[1])).find((l) => / sched_switch: /.test(l)) ?? '';
      const head = body(EVENTS);
      assert.ok(head.length < SIZE / 3, 'the events end before the middle');
      return file('late-graph.txt', head, `${body(GRAPHS)} 0)               |  /* ${event.trim()} */\n`);
    },
  },
  {
    // Graph lines do not end a `<stack trace>`: the frames after one still extend it, so when the second part
    // starts at a graph line (at depth 0) inside the stack trace, only one pass over the file can read it. Made from
    // real event and graph lines, with generated frames.
    what: 'a stack trace open across the line the second part starts at: the whole file in one pass',
    expect: 'whole',
    make: () => {
      const event = textLines(fixture(EVENTS[1])).find((l) => / sched_switch: /.test(l)) ?? '';
      const leaf = (textLines(fixture(GRAPHS[0])).find((l) => /\|\s+\S+\(\);$/.test(l)) ?? '').replace(/\|\s+/, '|  ');
      assert.ok(leaf, 'a leaf call, now at depth 0');
      const frames = Array.from({ length: 40 }, (_, k) => ` => frame_${k}+0x1c/0x40\n`).join('');
      return file('stack.txt', `${event.replace(/ sched_switch: .*$/, ' <stack trace>')}\n`, `${frames}${leaf}\n`);
    },
  },
];

describe('two parts read as one pass', () => {
  for (const c of cases) {
    test(c.what, { skip: ![...EVENTS, ...GRAPHS].every(hasFixture) }, () => {
      const path = c.make();
      const dir = join(scratchDir(), `${c.what.slice(0, 12).replace(/\W/g, '_')}.parts`);
      assertTwoPartsAsOne(dir, c.expect, (ctx) => scanFtraceFile(path, ctx, SIZE >> 1), (diags) => buildFtrace(path, 'input', diags));
    });
  }
});
