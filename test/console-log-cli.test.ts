// Console logs end to end: the real Linux fixtures (Debian kernels under QEMU), the shared
// Breenix captures, and mutations of them for the bad cases, through the spawned CLI.
import { test, after } from 'node:test';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { CLI, ROOT, runCli, tmpdir, cleanup, json, jsonLines, assertNoStack } from './helpers.js';
import { PARALLEL_MIN_BYTES } from '../src/util/worker.js';
import { plainCopyPath } from '../src/index/plain-input.js';

after(cleanup);

const LINUX = join(ROOT, 'test', 'fixtures', 'linux');
const BREENIX = join(ROOT, '..', 'shared', 'samples', 'breenix');
const noBreenix = existsSync(BREENIX) ? false : `shared Breenix samples not found at ${BREENIX}`;

/** Independent reading of a log: its lines as the file holds them (LF split, CR dropped). */
function linesOf(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((l) => l.replace(/\r$/, ''));
}
// ECMA-48: CSI sequences, charset designations, two-byte escapes (ESC c resets), then lone control bytes.
 
const strip = (l: string) => l.replace(/\x1b\[[0-?]*[ -/]*[@-~]|\x1b[()*+][ -~]|\x1b[ -Z\\-~]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, '');

const consoleFixtures = readdirSync(LINUX).filter((f) => f.endsWith('.log.gz') && !f.includes('qemu-int.log') && !f.includes('qemu-exec') && !f.includes('spin-qemu'));

test('Linux fixtures: one event per non-blank line, PRINTK lines with their timestamps', () => {
  assert.ok(consoleFixtures.length >= 20, 'the Linux console fixtures are present');
  for (const f of consoleFixtures) {
    const path = join(LINUX, f);
    const lines = linesOf(gunzipSync(readFileSync(path)).toString('latin1'));
    const nonBlank = lines.filter((l) => l.length > 0).length;
    const printk = lines.filter((l) => /^\[\s*\d+\.\d+\]/.test(strip(l))).length;
    const r = runCli(['summary', path, '--format', 'console-log', '--json', '-o', join(tmpdir(), 'b')]);
    assertNoStack(r, f);
    assert.equal(r.code, 0, `${f}: ${r.stderr}`);
    const s = json(r.stdout);
    assert.equal(s.events, nonBlank, `${f}: events = non-blank lines`);
    assert.equal((s.types as Record<string, number>).PRINTK, printk, `${f}: PRINTK lines`);
    assert.equal(s.lines, lines.length, `${f}: line count`);
  }
});

test('event N returns the Nth non-blank line with its line number, timestamp and subsystem', () => {
  const path = join(LINUX, 'x86_64-oops-panic.log.gz');
  const lines = linesOf(gunzipSync(readFileSync(path)).toString('utf8'));
  const numbered = lines.map((text, i) => ({ text, line: i + 1 })).filter((l) => l.text.length > 0);
  const out = tmpdir();
  for (const n of [0, 7, Math.floor(numbered.length / 2), numbered.length - 1]) {
    const r = runCli(['event', path, String(n), '--json', '-o', join(out, 'b')]);
    assert.equal(r.code, 0, r.stderr);
    const e = jsonLines(r.stdout)[0];
    assert.equal(e.index, n);
    assert.equal(e.line, numbered[n].line);
    assert.equal(e.text, `${numbered[n].line}: ${strip(numbered[n].text)}`);
    const ts = /^\[\s*(\d+\.\d+)\]/.exec(strip(numbered[n].text));
    if (ts) assert.equal(e.ts, Number(ts[1]));
  }
  // The panic line is a PRINTK event whose message is the panic text.
  const panicLine = numbered.findIndex((l) => l.text.includes('Kernel panic - not syncing'));
  const r = runCli(['filter', path, '--type', 'PRINTK', '--from', String(panicLine), '--limit', '1', '--json', '-o', join(out, 'b')]);
  const e = jsonLines(r.stdout)[0];
  assert.equal(e.index, panicLine);
  assert.match(String(e.message), /^Kernel panic - not syncing/);
});

test('Breenix captures: TEST_MARKER events match the [TEST:…] lines, junk prefixes included', { skip: noBreenix }, () => {
  const out = tmpdir();
  for (const f of readdirSync(BREENIX).filter((x) => x.endsWith('.txt'))) {
    const path = join(BREENIX, f);
    const lines = linesOf(readFileSync(path, 'latin1')).map(strip);
    const expected = lines.filter((l) => {
      const k = l.indexOf('[TEST:');
      // A marker behind pure junk (`T2T3`) counts; one inside another bracketed record does not.
      return k >= 0 && k <= 16 && !l.slice(0, k).includes('[') && /^\[TEST:[^:\]\s]+:[^:\]\s]+:[A-Z_]+(?::[^\]]*)?\]/.test(l.slice(k));
    }).length;
    const r = runCli(['summary', path, '--json', '-o', join(out, f)]);
    assert.equal(r.code, 0, `${f}: ${r.stderr}`);
    const types = json(r.stdout).types as Record<string, number>;
    assert.equal(types.TEST_MARKER ?? 0, expected, `${f}: TEST_MARKER count`);
  }
});

test('a log over the two-thread threshold gives the same events as the lines say', () => {
  const dir = tmpdir();
  const src = linesOf(gunzipSync(readFileSync(join(LINUX, 'arm64-bug.log.gz'))).toString('latin1'));
  const body = src.join('\n') + '\n';
  const copies = Math.ceil((PARALLEL_MIN_BYTES * 1.3) / body.length);
  const path = join(dir, 'big.log');
  writeFileSync(path, body.repeat(copies));
  const all = linesOf(body.repeat(copies));
  const nonBlank = all.map((text, i) => ({ text, line: i + 1 })).filter((l) => l.text.length > 0);
  const r = runCli(['summary', path, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(json(r.stdout).events, nonBlank.length);
  // Events around the middle (where the second thread starts) and at the end.
  const mid = Math.floor(nonBlank.length / 2);
  const q = runCli(['event', path, String(mid), '--context', '3', '--json']);
  const got = jsonLines(q.stdout);
  assert.deepEqual(got.map((e) => e.line), nonBlank.slice(mid - 3, mid + 4).map((l) => l.line));
  const last = runCli(['event', path, String(nonBlank.length - 1), '--json']);
  assert.equal(jsonLines(last.stdout)[0].line, nonBlank.at(-1)!.line);
  // `index` of a file this large starts its second thread while the command loads (a spare worker): the same events.
  const ix = runCli(['index', path, '-o', join(dir, 'big.kscope-spare'), '--json']);
  assert.equal(ix.code, 0, ix.stderr);
  assert.equal(json(ix.stdout).events, nonBlank.length);
});

test('garbled input: escapes, NULs, binary junk, a 2 MiB line and a cut-off last line are all kept', () => {
  const dir = tmpdir();
  const real = linesOf(gunzipSync(readFileSync(join(LINUX, 'x86_64-boot.log.gz'))).toString('latin1')).filter((l) => l);
  const junk = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 37) % 256).filter((b) => b !== 10)).toString('latin1');
  const lines = [real[10], `\x1b[1;31m${real[11]}\x1b[0m`, `${real[12]}\0\0`, junk, 'x'.repeat(2 << 20), real[13], real[14].slice(0, 20)];
  const path = join(dir, 'garbled.log');
  writeFileSync(path, Buffer.from(lines.join('\r\n'), 'latin1'));
  const r = runCli(['summary', path, '--json']);
  assertNoStack(r, 'garbled');
  assert.equal(r.code, 0);
  const s = json(r.stdout);
  assert.equal(s.events, lines.length);
  assert.equal(s.binary_lines, 1);
  assert.equal(s.long_lines, 1);
  const warnings = s.warnings as { code: string; line: number }[];
  assert.ok(warnings.some((w) => w.code === 'BINARY_JUNK' && w.line === 4));
  assert.ok(warnings.some((w) => w.code === 'LONG_LINE' && w.line === 5));
  const e1 = jsonLines(runCli(['event', path, '1', '--json']).stdout)[0];
  assert.equal(e1.text, `2: ${real[11]}`, 'escape sequences are removed');
  assert.equal(e1.type, 'PRINTK');
  const last = jsonLines(runCli(['event', path, String(lines.length - 1), '--json']).stdout)[0];
  assert.equal(last.line, lines.length);
});

test('a TII dump mark with control bytes inside is counted as the cleaned line reads, and the log stays a console log', () => {
  const path = join(tmpdir(), 'broken-mark.log');
  const marks = ['=== BINARY \0TRANSFER START ===', '=== BINARY \x1b[0mTRANSFER START ===', '=== BINARY TRANSFER STOP ==='];
  writeFileSync(path, Buffer.from(['[    0.000000] Linux version 6.1', ...marks, '[    0.100000] done', ''].join('\n'), 'latin1'));
  const s = json(runCli(['summary', path, '--json']).stdout);
  assert.equal(s.format, 'console-log');
  assert.equal(s.tii_dumps, 2);
});

test('gzip input is read transparently; a truncated gzip keeps what decompressed and says where it broke', () => {
  const dir = tmpdir();
  const plain = gunzipSync(readFileSync(join(LINUX, 'arm64-panic.log.gz')));
  const whole = join(dir, 'whole.log.gz');
  writeFileSync(whole, gzipSync(plain));
  const cut = join(dir, 'cut.log.gz');
  const gz = gzipSync(plain);
  writeFileSync(cut, gz.subarray(0, Math.floor(gz.length / 2)));
  const a = json(runCli(['summary', whole, '--json']).stdout);
  assert.equal(a.events, linesOf(plain.toString('latin1')).filter((l) => l).length);
  const r = runCli(['summary', cut, '--json']);
  assertNoStack(r, 'truncated gzip');
  const b = json(r.stdout);
  assert.ok((b.events as number) > 0 && (b.events as number) < (a.events as number));
  const w = (b.warnings as { code: string; message: string }[]).find((x) => x.code === 'DECOMPRESS_TRUNCATED');
  assert.ok(w, 'truncation is reported');
  assert.match(w.message, /byte \d+/);
  // A decompressed copy cut short in the cache (a temp cleaner, a full disk) is made again, not trusted.
  const copy = plainCopyPath(whole);
  assert.equal(statSync(copy).size, plain.length, 'the decompressed copy is cached');
  truncateSync(copy, 100);
  assert.equal(json(runCli(['summary', whole, '--json', '-o', join(dir, 'again')]).stdout).events, a.events);
  // Bytes that are not gzip after the stream (a capture tool's trailer): everything before them kept, their offset named.
  const tailed = join(dir, 'tailed.log.gz');
  writeFileSync(tailed, Buffer.concat([gz, Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 131 + 7) % 256))]));
  const t = json(runCli(['summary', tailed, '--json']).stdout);
  assert.equal(t.events, a.events);
  const tw = (t.warnings as { code: string; message: string }[]).find((x) => x.code === 'DECOMPRESS_TRUNCATED');
  assert.match(tw?.message ?? '', new RegExp(`^byte ${gz.length}: 1000 bytes after the end of the compressed data are not gzip; ignored them, kept all ${plain.length} bytes`));
  // Commands that read the decompressed copy without a bundle say so on every run, not only the first.
  for (const run of [1, 2]) assert.match(runCli(['log', cut, '--grep', 'no such text']).stderr, /cut\.log\.gz: byte \d+: compressed data ends early/, `log run ${run}`);
});

test('a capture that starts with 20 KB of NULs (the serial port before the guest wrote) is a console log with every line', () => {
  const text = gunzipSync(readFileSync(join(LINUX, 'x86_64-boot.log.gz')));
  const path = join(tmpdir(), 'nul-start.log');
  writeFileSync(path, Buffer.concat([Buffer.alloc(20000), text]));
  const s = json(runCli(['summary', path, '--json']).stdout);
  assert.equal(s.format, 'console-log');
  assert.equal(s.events, linesOf(text.toString('latin1')).filter((l) => l).length);
});

test('usage mistakes exit 2; a forced format that does not fit and a cut-off last line are warned about', () => {
  const dir = tmpdir();
  const text = gunzipSync(readFileSync(join(LINUX, 'arm64-panic.log.gz')));
  const log = join(dir, 'cut.log');
  // Cut inside the last line, as a capture that stopped mid-write.
  writeFileSync(log, text.subarray(0, text.length - 5));
  const lines = linesOf(text.subarray(0, text.length - 5).toString('latin1')).length;
  const s = json(runCli(['summary', log, '--json']).stdout);
  assert.ok((s.warnings as { code: string; line: number }[]).some((w) => w.code === 'TRUNCATED_LINE' && w.line === lines), JSON.stringify(s.warnings));
  const cr = join(dir, 'cr.log');
  writeFileSync(cr, text.toString('latin1').replace(/\r?\n/g, '\r'), 'latin1');
  const c = json(runCli(['summary', cr, '--json']).stdout);
  assert.ok((c.warnings as { code: string }[]).some((w) => w.code === 'CR_LINE_ENDS'), JSON.stringify(c.warnings));
  const forced = json(runCli(['summary', log, '--json', '--format', 'qemu-d', '-o', join(dir, 'q')]).stdout);
  assert.ok((forced.warnings as { code: string }[]).some((w) => w.code === 'FORMAT_FORCED'));
  for (const args of [['filter', log, '--type', 'LINE', '--limit', '-1'], ['summary', '--no-such-option', log]]) {
    const r = runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assertNoStack(r, args.join(' '));
  }
  if (existsSync('/proc/self')) {
    const r = runCli(['index', log, '-o', '/proc/kscope-test-bundle']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /cannot write the bundle/);
  }
});

test('kscope log --grep searches all of a line longer than it shows, and says the line was cut', () => {
  const path = join(tmpdir(), 'long.log');
  const long = 'a'.repeat(9 << 20) + ' Kernel panic - not syncing: XYZZY';
  writeFileSync(path, `[    0.1] before\n${long}\n[    0.2] after XYZZY\n`);
  const got = jsonLines(runCli(['log', path, '--grep', 'XYZZY', '--json']).stdout) as { line: number; text: string; match: boolean }[];
  assert.deepEqual(got.map((g) => [g.line, g.match]), [[2, true], [3, true]]);
  assert.match(got[0].text, /^a+ … \[line cut for display: \d+ bytes in all\]$/);
  assert.equal(Number(/(\d+) bytes in all/.exec(got[0].text)?.[1]), long.length);
  // Context around a long line works as around any other.
  const ctx = jsonLines(runCli(['log', path, '--grep', 'after', '--context', '1', '--json']).stdout) as { line: number }[];
  assert.deepEqual(ctx.map((g) => g.line), [2, 3]);
});

test('a --grep regex that backtracks catastrophically answers instead of hanging', () => {
  const path = join(tmpdir(), 'redos.log');
  writeFileSync(path, `${'a'.repeat(48)}b\nxaaa\n`);
  // Without the linear-time fallback this match takes longer than the universe has.
  const r = spawnSync(process.execPath, [CLI, 'log', path, '--grep', '(a+)+$', '--json'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual((jsonLines(r.stdout) as { line: number }[]).map((x) => x.line), [2]);
});

test('-o never replaces a file that is not a bundle: not the input, not any other file', () => {
  const dir = tmpdir();
  const text = gunzipSync(readFileSync(join(LINUX, 'arm64-panic.log.gz')));
  const log = join(dir, 'serial.log');
  writeFileSync(log, text);
  const notes = join(dir, 'notes.txt');
  writeFileSync(notes, 'my notes\n');
  for (const [out, what] of [[log, /is the input itself/], [notes, /exists and is not a kscope bundle \(a file\)/]] as const) {
    const r = runCli(['index', log, '-o', out]);
    assertNoStack(r, String(out));
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, what);
  }
  assert.deepEqual(readFileSync(log), text);
  assert.equal(readFileSync(notes, 'utf8'), 'my notes\n');
  // A stray file where the default bundle goes is kept too.
  writeFileSync(`${log}.kscope`, 'not a bundle');
  assert.equal(runCli(['summary', log]).code, 2);
  assert.equal(readFileSync(`${log}.kscope`, 'utf8'), 'not a bundle');
});

test('kscope log --grep --context prints grep -n -C style groups', () => {
  const path = join(LINUX, 'arm64-bug.log.gz');
  const lines = linesOf(gunzipSync(readFileSync(path)).toString('utf8')).map(strip);
  const re = /Call trace:|Internal error/;
  const k = 2;
  // Expected, computed independently: every line within k of a match.
  const keep = new Map<number, boolean>();
  lines.forEach((l, i) => {
    if (!re.test(l)) return;
    for (let j = Math.max(0, i - k); j <= Math.min(lines.length - 1, i + k); j++) if (!keep.has(j) || j === i) keep.set(j, j === i || keep.get(j) === true);
  });
  const expected = [...keep.keys()].sort((a, b) => a - b).map((i) => ({ line: i + 1, text: lines[i], match: re.test(lines[i]) }));
  const r = runCli(['log', path, '--grep', 'Call trace:|Internal error', '--context', String(k), '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(jsonLines(r.stdout), expected);
  const human = runCli(['log', path, '--grep', 'Internal error', '--context', '1']).stdout.split('\n');
  const at = lines.findIndex((l) => /Internal error/.test(l)) + 1;
  assert.ok(human.includes(`${at}:${lines[at - 1]}`));
  assert.ok(human.includes(`${at - 1}-${lines[at - 2]}`));
  const bad = runCli(['log', path, '--grep', '(']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--grep: not a valid regular expression/);
});

test('bad input: missing file, directory, empty file — one line, no stack', () => {
  const dir = tmpdir();
  const empty = join(dir, 'empty.log');
  writeFileSync(empty, '');
  for (const [args, re] of [
    [['summary', join(dir, 'nope.log')], /no such file/],
    [['summary', dir], /is a directory/],
    [['summary', empty], /empty/],
    [['log', join(dir, 'nope.log')], /no such file/],
  ] as [string[], RegExp][]) {
    const r = runCli(args);
    assertNoStack(r, args.join(' '));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
});

test('a long listing into a pipe waits for its reader (memory stays flat), and a reader that stops early ends it quietly', async (t) => {
  if (!existsSync('/proc/self/status')) return t.skip('needs /proc to watch the writer\'s memory');
  const dir = tmpdir();
  const body = gunzipSync(readFileSync(join(LINUX, 'x86_64-boot.log.gz'))).toString('latin1');
  const path = join(dir, 'long.log');
  writeFileSync(path, body.repeat(1200));
  assert.equal(runCli(['index', path]).code, 0);
  const printk = (json(runCli(['summary', path, '--json']).stdout).types as Record<string, number>).PRINTK;
  const { spawn } = await import('node:child_process');
  const listing = (pauseMs: number, stopEarly: boolean) =>
    new Promise<{ code: number | null; stderr: string; lines: number; bytes: number; peakKb: number }>((resolve) => {
      const child = spawn(process.execPath, [CLI, 'filter', path, '--type', 'PRINTK', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      let lines = 0;
      let bytes = 0;
      let peakKb = 0;
      child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
      // The reader does not read at first: a writer that does not wait would queue the whole listing in memory.
      child.stdout!.pause();
      const poll = setInterval(() => {
        try {
          const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          if (m) peakKb = Math.max(peakKb, Number(m[1]));
        } catch {
          // gone already
        }
      }, 20);
      setTimeout(() => {
        clearInterval(poll);
        if (stopEarly) child.stdout!.destroy();
        else {
          child.stdout!.on('data', (b: Buffer) => {
            bytes += b.length;
            for (const c of b) if (c === 10) lines++;
          });
          child.stdout!.resume();
        }
      }, pauseMs);
      child.on('close', (code) => resolve({ code, stderr, lines, bytes, peakKb }));
    });
  const r = await listing(2500, false);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.lines, printk);
  assert.ok(r.bytes > 80 << 20, `a listing of ${r.bytes} bytes`);
  // Queued, ~100 MB of JSON costs the writer several times that; waiting, it keeps its working set.
  assert.ok(r.peakKb * 1024 < 2.5 * r.bytes, `peak RSS ${r.peakKb} KiB while the reader waited, for ${r.bytes} bytes of output`);
  // `| head -1`: the reader goes away; no error, no stack.
  const head = await listing(300, true);
  assert.equal(head.stderr, '');
  assert.equal(head.code, 0);
});
