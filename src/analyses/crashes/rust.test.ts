import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractFromText } from './extract.js';
import { panicTitle, parsePanickedAt } from './rust.js';

test('both panic formats parse; the location is kept verbatim', () => {
  assert.deepEqual(parsePanickedAt('panicked at kernel/src/syscall/mod.rs:88:13:'), {
    location: 'kernel/src/syscall/mod.rs:88:13',
    message: '',
    messageFollows: true,
    thread: undefined,
  });
  assert.deepEqual(parsePanickedAt("thread 'main' panicked at 'index out of bounds: the len is 3 but the index is 5', src/main.rs:4:5"), {
    location: 'src/main.rs:4:5',
    message: 'index out of bounds: the len is 3 but the index is 5',
    messageFollows: false,
    thread: 'main',
  });
  assert.equal(parsePanickedAt('nothing here'), null);
  assert.equal(panicTitle('src/main.rs:4:5', 'the len is 3 but the index is 5'), 'panicked at src/main.rs:4:5: the len is N but the index is N');
});

/** A std panic with its backtrace, as a Rust program prints it. */
const PANIC = [
  "thread 'main' panicked at src/main.rs:4:5:",
  'index out of bounds: the len is 3 but the index is 5',
  'stack backtrace:',
  '   0: rust_begin_unwind',
  '             at /rustc/abc/library/std/src/panicking.rs:597:5',
  '   1: demo::main',
  '             at ./src/main.rs:4:5',
  'note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace',
];

test('a stand-alone Rust panic: message on the next line, backtrace frames, numbers masked', () => {
  const text = ['starting', ...PANIC, 'next program output'].join('\n');
  const { crashes } = extractFromText(text);
  assert.equal(crashes.length, 1);
  const c = crashes[0];
  assert.equal(c.kind, 'panic');
  assert.equal(c.family, 'rust');
  assert.equal(c.context, 'user');
  assert.equal(c.title, 'panicked at src/main.rs:4:5: index out of bounds: the len is N but the index is N');
  assert.deepEqual([c.line, c.end_line], [2, 9]);
  assert.deepEqual(
    c.frames.map((f) => [f.function, f.location]),
    [
      ['rust_begin_unwind', '/rustc/abc/library/std/src/panicking.rs:597:5'],
      ['demo::main', './src/main.rs:4:5'],
    ],
  );
});

test('the same panic in two runs has one title even when its numbers differ', () => {
  const a = extractFromText('panicked at kernel/src/task/scheduler.rs:301:9:\nthread 1204 not found on cpu 2\n').crashes[0];
  const b = extractFromText('[  3.1] rust_kernel: panicked at kernel/src/task/scheduler.rs:301:9:\nthread 87 not found on cpu 0\n').crashes[0];
  assert.equal(a.title, 'panicked at kernel/src/task/scheduler.rs:301:9: thread N not found on cpu N');
  assert.equal(b.title, a.title);
});

test('a panic whose message never arrived is truncated', () => {
  const { crashes } = extractFromText('boot\npanicked at src/lib.rs:1:1:');
  assert.equal(crashes.length, 1);
  assert.equal(crashes[0].truncated, true);
  assert.equal(crashes[0].title, 'panicked at src/lib.rs:1:1');
});

test('a line of serial junk inside a panic is neither its message nor the end of its backtrace', () => {
  const clean = extractFromText(`${PANIC.join('\n')}\n`).crashes[0];
  for (const at of [1, 4]) {
    const text = [...PANIC.slice(0, at), '\x00\x01\x02\ufffd\ufffd', ...PANIC.slice(at)];
    const { crashes } = extractFromText(`${text.join('\n')}\n`);
    assert.equal(crashes.length, 1);
    assert.equal(crashes[0].title, clean.title);
    assert.deepEqual(crashes[0].frames, clean.frames);
    assert.deepEqual([crashes[0].end_line, crashes[0].truncated], [clean.end_line + 1, false]);
  }
});

test('a log that stops inside a panic\'s backtrace is truncated and keeps its frames; one that stops after it is not', () => {
  // Cut inside frame 1's line: frame 0 and what arrived of frame 1.
  let [c] = extractFromText([...PANIC.slice(0, 5), '   1: demo::ma'].join('\n')).crashes;
  assert.deepEqual([c.truncated, c.end_line], [true, 6]);
  assert.deepEqual(c.frames.map((f) => f.function), ['rust_begin_unwind', 'demo::ma']);
  // The same line with its newline: the log stopped between lines, and nothing says the report went on.
  [c] = extractFromText(`${[...PANIC.slice(0, 5), '   1: demo::ma'].join('\n')}\n`).crashes;
  assert.equal(c.truncated, false);
  // Cut inside the next program's output: that line is not the panic's.
  [c] = extractFromText([...PANIC, 'next progr'].join('\n')).crashes;
  assert.deepEqual([c.truncated, c.end_line], [false, PANIC.length]);
});
