// kscope on real QEMU -d logs, as a user runs it: summary / event / filter / index through the
// built CLI, on gzipped fixtures and on a plain copy without a telling name. Counts are checked
// against an independent line-by-line count of the same files.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { copyFileSync, existsSync, readFileSync, readdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { oracle } from '../src/formats/qemu-d/testing.js';
import { ROOT, cleanup, cliOk, cliOkAsync, json, jsonLines, runCli, tmpdir } from './helpers.js';
import { PARALLEL_MIN_BYTES } from '../src/util/worker.js';

after(cleanup);

const FIX = join(ROOT, 'test', 'fixtures', 'linux');
const have = (f: string) => existsSync(join(FIX, f));
const dir = tmpdir('kscope-qemu-d-cli-');

/** A private copy of a fixture (bundles are written beside the input). */
function copy(f: string): string {
  const p = join(dir, f);
  if (!existsSync(p)) copyFileSync(join(FIX, f), p);
  return p;
}
function plain(f: string): string {
  return gunzipSync(readFileSync(join(FIX, f))).toString('latin1');
}
const ok = cliOk;
/** The per-fixture summaries run side by side (each on its own copy). */
const okAsync = cliOkAsync;

describe('summary counts match what the log holds', { concurrency: true }, () => {
  for (const f of ['x86_64-qemu-int.log.gz', 'arm64-qemu-int.log.gz', 'x86_64-spin-qemu-int.log.gz', 'arm64-spin-qemu-int.log.gz', 'x86_64-qemu-exec.log.gz', 'arm64-qemu-exec.log.gz']) {
    test(f, { skip: !have(f) }, async () => {
      const text = plain(f);
      const want = oracle(text);
      const s = json(await okAsync(['summary', copy(f), '--json']));
      assert.equal(s.format, 'qemu-d');
      assert.deepEqual(s.types, want.types);
      assert.equal(s.events, Object.values(want.types).reduce((a, b) => a + b, 0));
      assert.deepEqual(s.warnings, []);
      if (f.includes('-int')) {
        const vectors = s.vectors as Record<string, number>;
        const levels = s.privilege_levels as Record<string, number>;
        assert.equal(Object.values(vectors).reduce((a, b) => a + b, 0), (want.types.INTERRUPT ?? 0) + (want.types.EXCEPTION ?? 0));
        if (f.startsWith('x86')) {
          // The README's own grep counts: `v=ec` records and records at cpl=3.
          assert.equal(vectors['0xec'], text.split('\n').filter((l) => /^\s*\d+: v=ec /.test(l)).length);
          assert.equal(levels['3'] ?? 0, text.split('\n').filter((l) => /^\s*\d+: v=.* cpl=3 /.test(l)).length);
          assert.equal(s.arch, 'x86');
        } else {
          assert.equal(vectors.IRQ, text.split('\n').filter((l) => l.startsWith('Taking exception 5 [IRQ]')).length);
          assert.equal(s.arch, 'arm');
          const cpus = s.cpus as Record<string, number>;
          assert.ok(Object.keys(cpus).length >= 1);
        }
      }
    });
  }
});

test('the spinning PID 1: the loop pc tops top_pcs', { skip: !have('x86_64-spin-qemu-int.log.gz') || !have('arm64-spin-qemu-int.log.gz') }, () => {
  const x = json(ok(['summary', copy('x86_64-spin-qemu-int.log.gz'), '--json']));
  const a = json(ok(['summary', copy('arm64-spin-qemu-int.log.gz'), '--json']));
  const xTop = (x.top_pcs as { pc: string; count: number }[])[0];
  const aTop = (a.top_pcs as { pc: string; count: number }[])[0];
  assert.equal(xTop.pc, '0x401619');
  assert.equal(xTop.count, plain('x86_64-spin-qemu-int.log.gz').split('\n').filter((l) => l.includes(' pc=0000000000401619 ')).length);
  assert.equal(aTop.pc, '0x4006d4');
  assert.equal(aTop.count, plain('arm64-spin-qemu-int.log.gz').split('\n').filter((l) => l === '...with ELR 0x4006d4').length);
});

test('detected without its name: a plain copy called unknown.dat gives the same summary', { skip: !have('x86_64-qemu-int.log.gz') }, () => {
  const p = join(dir, 'unknown.dat');
  writeFileSync(p, plain('x86_64-qemu-int.log.gz'));
  const a = json(ok(['summary', p, '--json']));
  const b = json(ok(['summary', copy('x86_64-qemu-int.log.gz'), '--json']));
  assert.equal(a.format, 'qemu-d');
  for (const k of ['events', 'types', 'vectors', 'kinds', 'privilege_levels', 'top_pcs', 'record_counter']) assert.deepEqual(a[k], b[k], k);
  // --format forces the reader; the result is the same.
  const forced = json(ok(['summary', p, '--format', 'qemu-d', '--json', '-o', join(dir, 'forced.kscope')]));
  assert.deepEqual(forced.types, a.types);
});

test('event N: the record at its line, with its pc and cpl; --context gives the neighbours', { skip: !have('x86_64-qemu-int.log.gz') }, () => {
  const f = copy('x86_64-qemu-int.log.gz');
  const lines = plain('x86_64-qemu-int.log.gz').split('\n');
  const pf = jsonLines(ok(['filter', f, '--type', 'EXCEPTION', '--limit', '1', '--from', '100', '--json']))[0];
  assert.ok((pf.index as number) >= 100);
  const e = jsonLines(ok(['event', f, String(pf.index), '--json']))[0];
  assert.deepEqual(e, pf);
  const at = (e.line as number) - 1;
  const rec = lines[at].startsWith('check_exception') ? lines[at + 1] : lines[at];
  const m = /v=([0-9a-f]+) .* cpl=(\d) IP=\S+ pc=0*([0-9a-f]+) /.exec(rec) as RegExpExecArray;
  assert.equal(e.vector, `0x${parseInt(m[1], 16).toString(16)}`);
  assert.equal(e.cpl, Number(m[2]));
  assert.equal(e.pc, `0x${m[3]}`);
  assert.equal(e.type, 'EXCEPTION');
  assert.ok(String(e.text).startsWith(`${e.line}: `));
  const ctx = jsonLines(ok(['event', f, String(pf.index), '--context', '2', '--json']));
  assert.deepEqual(
    ctx.map((c) => c.index),
    [-2, -1, 0, 1, 2].map((d) => (pf.index as number) + d),
  );
  assert.deepEqual(ctx[2], e);
});

test('filter --type INTERRUPT: every interrupt in order, each at a line that announces one', { skip: !have('arm64-qemu-int.log.gz') }, () => {
  const f = copy('arm64-qemu-int.log.gz');
  const text = plain('arm64-qemu-int.log.gz');
  const lines = text.split('\n');
  const all = jsonLines(ok(['filter', f, '--type', 'INTERRUPT', '--json']));
  assert.equal(all.length, oracle(text).types.INTERRUPT);
  let prev = -1;
  for (const e of all) {
    assert.equal(e.type, 'INTERRUPT');
    assert.ok((e.index as number) > prev);
    prev = e.index as number;
    assert.match(lines[(e.line as number) - 1], /^Taking exception (?:5|6|14|15) \[/);
    assert.equal(e.cpu, Number(/on CPU (\d+)/.exec(lines[(e.line as number) - 1])?.[1]));
  }
  const window = jsonLines(ok(['filter', f, '--type', 'interrupt', '--from', String(all[10].index), '--limit', '3', '--json']));
  assert.deepEqual(window, all.slice(10, 13));
});

test('index -o DIR, then queries on the bundle; TB blocks of an exec log', { skip: !have('x86_64-qemu-exec.log.gz') }, () => {
  const f = copy('x86_64-qemu-exec.log.gz');
  const out = join(dir, 'exec.kscope');
  ok(['index', f, '-o', out]);
  const tbs = jsonLines(ok(['filter', out, '--type', 'TB', '--limit', '3', '--json']));
  const lines = plain('x86_64-qemu-exec.log.gz').split('\n');
  for (const t of tbs) {
    const first = lines.slice(t.line as number).find((l) => /^0x[0-9a-f]+:/.test(l)) as string;
    assert.equal(t.pc, `0x${/^0x0*([0-9a-f]+):/.exec(first)?.[1]}`);
    assert.ok((t.insns as number) >= 1);
  }
  const human = ok(['summary', out]);
  assert.match(human, /format: qemu-d/);
  assert.match(human, /EXEC/);
});

test('a log cut mid-record: every whole record kept, the cut one too, and a located warning', { skip: !have('arm64-qemu-int.log.gz') }, () => {
  const lines = plain('arm64-qemu-int.log.gz').split('\n');
  const at = lines.findIndex((l, i) => i > 2000 && l.startsWith('Taking exception 5 [IRQ]'));
  const cutText = lines.slice(0, at + 3).join('\n') + '\n';
  const p = join(dir, 'cut.log');
  writeFileSync(p, cutText);
  const s = json(ok(['summary', p, '--json']));
  assert.deepEqual(s.types, oracle(cutText).types);
  const w = s.warnings as { code: string; line: number }[];
  assert.deepEqual(
    w.map((d) => [d.code, d.line]),
    [['TRUNCATED_RECORD', at + 1]],
  );
  const last = jsonLines(ok(['event', p, String((s.events as number) - 1), '--json']))[0];
  assert.equal(last.line, at + 1);
  assert.equal(last.type, 'INTERRUPT');
});

test('serial output in the -d stream: a console line after every announcement and every EFER= changes no count, and stays an event', { skip: !have('x86_64-qemu-int.log.gz') }, () => {
  const src = plain('x86_64-qemu-int.log.gz').split('\n');
  src.pop();
  const out: string[] = [];
  const added: number[] = [];
  let inside = 0;
  for (let i = 0; i < src.length; i++) {
    out.push(src[i]);
    if (!src[i].startsWith('Servicing hardware INT=') && !src[i].startsWith('EFER=')) continue;
    out.push('[    1.234567] console line');
    added.push(out.length);
    // Inside a record when the announced delivery line or more of the dump follows (CPU reset dumps go on after EFER).
    if ((src[i].startsWith('S') ? /^\s*\d+: v=/ : /^FCW=/).test(src[i + 1] ?? '')) inside++;
  }
  const p = join(dir, 'interleaved.log');
  writeFileSync(p, out.join('\n') + '\n');
  const clean = json(ok(['summary', copy('x86_64-qemu-int.log.gz'), '--json']));
  const s = json(ok(['summary', p, '--json']));
  assert.deepEqual(s.types, { LINE: added.length, ...(clean.types as object) });
  for (const k of ['vectors', 'kinds', 'privilege_levels', 'top_pcs', 'record_counter', 'cpus', 'subsystems']) assert.deepEqual(s[k], clean[k], k);
  assert.ok(inside > 2000);
  assert.equal(s.interleaved_lines, inside);
  assert.deepEqual((s.warnings as { code: string }[]).map((w) => w.code), ['INTERLEAVED_LINES']);
  const lines = jsonLines(ok(['filter', p, '--type', 'LINE', '--json']));
  assert.deepEqual(lines.map((e) => [e.line, e.text]), added.map((n) => [n, `${n}: [    1.234567] console line`]));
  // Every interrupt decodes as in the clean log: announcement merged, the whole dump read.
  const strip = (e: Record<string, unknown>) => ({ ...e, index: 0, line: 0, text: String(e.text).replace(/^\d+: /, '') });
  const want = jsonLines(ok(['filter', copy('x86_64-qemu-int.log.gz'), '--type', 'INTERRUPT', '--json'])).map(strip);
  assert.deepEqual(jsonLines(ok(['filter', p, '--type', 'INTERRUPT', '--json'])).map(strip), want);
});

test('console logs of the same runs are not QEMU -d logs', { skip: !have('x86_64-qemu-int-console.log.gz') }, () => {
  for (const f of ['x86_64-qemu-int-console.log.gz', 'arm64-qemu-int-console.log.gz']) {
    if (!have(f)) continue;
    const s = json(ok(['summary', copy(f), '--json']));
    assert.notEqual(s.format, 'qemu-d', f);
  }
});

test('a burst of binary junk near the start does not hide that the log is a QEMU -d log', async () => {
  const text = Buffer.from(plain('x86_64-qemu-int.log.gz'), 'latin1');
  const at = text.indexOf(10, 10000) + 1;
  // 8 KiB of bytes that look random, newlines included, as a serial line's noise does.
  const junk = Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 7919 + (i >> 3)) % 256));
  const path = join(dir, 'junk-q.log');
  writeFileSync(path, Buffer.concat([text.subarray(0, at), junk, Buffer.from('\n'), text.subarray(at)]));
  const s = json(await okAsync(['summary', path, '--json']));
  assert.equal(s.format, 'qemu-d');
  const want = oracle(text.toString('latin1')).types;
  for (const t of ['INTERRUPT', 'EXCEPTION', 'CPU_RESET']) assert.equal((s.types as Record<string, number>)[t], want[t], t);
  assert.ok((s.warnings as { code: string }[]).some((w) => w.code === 'BINARY_JUNK'), 'the junk is reported');
});

describe('xz and zstd inputs (QEMU -d logs are handed over compressed)', () => {
  const COMP = join(ROOT, 'test', 'fixtures', 'compressed');
  const want = oracle(plain('arm64-qemu-int.log.gz'));
  for (const ext of ['xz', 'zst']) {
    const f = `arm64-qemu-int.log.${ext}`;
    test(`${ext}: read as the log itself; cut short, the part that decompressed is kept and the break named`, async () => {
      const whole = join(dir, f);
      copyFileSync(join(COMP, f), whole);
      const s = json(await okAsync(['summary', whole, '--json']));
      assert.equal(s.format, 'qemu-d');
      assert.deepEqual(s.types, want.types);
      const bytes = readFileSync(whole);
      const cut = join(dir, `cut-${f}`);
      writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
      const c = json(await okAsync(['summary', cut, '--json']));
      const events = c.events as number;
      assert.ok(events > 0 && events < (s.events as number), `${events} of ${s.events as number} events kept`);
      const w = (c.warnings as { code: string; message: string }[]).find((x) => x.code === 'DECOMPRESS_TRUNCATED');
      assert.match(w?.message ?? '', /^byte \d+: compressed data is corrupt or cut short .*kept the \d+ bytes/);
    });
  }

  test('archives and other compressors kscope does not read: one line saying what the file is', () => {
    const text = Buffer.from(plain('arm64-qemu-int.log.gz'), 'latin1');
    const cases: [string, Buffer, RegExp][] = [
      ['log.bz2', Buffer.concat([Buffer.from('BZh91AY&SY'), text.subarray(0, 100)]), /bzip2-compressed; decompress it first/],
      ['log.zip', Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), text.subarray(0, 100)]), /a zip archive/],
      ['vmlinux', Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(100)]), /an ELF file .* --elf/],
    ];
    for (const [name, bytes, what] of cases) {
      const p = join(dir, name);
      writeFileSync(p, bytes);
      const r = runCli(['summary', p]);
      assert.equal(r.code, 2, `${name}: ${r.stderr}`);
      assert.match(r.stderr, what);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});

test('a damaged bundle: a cut column file is rebuilt; columns scribbled over at the same size give a one-line error', async () => {
  const path = join(dir, 'damage-q.log');
  writeFileSync(path, plain('x86_64-qemu-int.log.gz'), 'latin1');
  const good = json(await okAsync(['event', path, '2000', '--json']));
  const bundle = `${path}.kscope`;
  const cols = readdirSync(bundle);
  const typeCol = cols.find((f) => /^t0\.type\./.test(f)) as string;
  truncateSync(join(bundle, typeCol), 1000);
  const r = runCli(['event', path, '2000', '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /rebuilding .*bundle is damaged \(column file t0\.type.* is 1000 bytes/);
  assert.deepEqual(json(r.stdout), good);
  // Same size, wrong contents: no build writes these, and no query may read past the input or invent a type.
  const offCol = join(bundle, readdirSync(bundle).find((f) => /^t0\.offset\./.test(f)) as string);
  const saved = readFileSync(offCol);
  writeFileSync(offCol, Buffer.alloc(saved.length, 0xff));
  const bad = runCli(['event', `${path}.kscope`, '2000']);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /bundle is damaged \(event 2000 has offset .* outside the input/);
  writeFileSync(offCol, saved);
  const typeFile = join(bundle, readdirSync(bundle).find((f) => /^t0\.type\./.test(f)) as string);
  writeFileSync(typeFile, Buffer.alloc(statSync(typeFile).size, 0xee));
  const badType = runCli(['event', `${path}.kscope`, '5']);
  assert.equal(badType.code, 2, badType.stderr);
  assert.match(badType.stderr, /bundle is damaged \(event 5 has type id 238/);
  // A manifest cut short: rebuilt, and said so.
  const manifest = join(bundle, 'manifest.json');
  writeFileSync(manifest, readFileSync(manifest).subarray(0, 100));
  const m = runCli(['event', path, '2000', '--json']);
  assert.equal(m.code, 0, m.stderr);
  assert.match(m.stderr, /rebuilding .*manifest\.json cannot be read/);
  assert.deepEqual(json(m.stdout), good);
});

test('index of a -d log over the two-thread threshold: its worker, started ahead with the console log reader loaded, reads it as one pass does', { skip: !have('x86_64-qemu-int.log.gz') }, () => {
  const text = plain('x86_64-qemu-int.log.gz');
  const copies = Math.ceil((PARALLEL_MIN_BYTES * 1.2) / text.length);
  const path = join(dir, 'big-qemu-int.log');
  writeFileSync(path, text.repeat(copies), 'latin1');
  const one = oracle(text).types;
  const s = json(ok(['index', path, '-o', join(dir, 'big-qemu-int.kscope'), '--json']));
  assert.equal(s.format, 'qemu-d');
  assert.equal(s.events, copies * Object.values(one).reduce((a, b) => a + b, 0));
});
