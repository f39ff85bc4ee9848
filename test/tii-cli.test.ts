// End-to-end tests of the TII ftrace engine through the CLI, as a user runs it: a spawned
// `kscope` process on real files in a temp dir, every answer checked against the
// generator's ground truth (or, for a non-default format spec, a reference decoder).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { after, describe, test } from 'node:test';
import { consoleLog, dumpLines, generateTii, metaJson, type TiiGenerated } from '../src/gen/tii-generator.js';
import { DEFAULT_TII_SPEC } from '../src/formats/tii-ftrace/index.js';
import type { TiiSpecInput } from '../src/formats/tii-ftrace/spec.js';
import {
  assertNoStack, assertUserError, cleanup, core, ROOT, eventsWithin, json, jsonLines, referenceDecode, runCliAsync,
  tmpdir, truthCounts, truthEvent, truthOfType, writeStream, type CliResult,
} from './helpers.js';

after(cleanup);
const root = tmpdir('kscope-cli-');
let dirs = 0;
/** A fresh folder per scenario: bundles sit beside their inputs. */
function folder(name: string): string {
  const d = join(root, `${++dirs}-${name}`);
  mkdirSync(d);
  return d;
}

/** The first seed whose stream has what a test needs (deterministic, nothing hand-picked). */
function generate(words: number, want: (g: TiiGenerated) => boolean = () => true, vmids = 3): TiiGenerated {
  for (let seed = 1; seed < 500; seed++) {
    const g = generateTii({ words, seed, vmids, truth: true });
    if (want(g)) return g;
  }
  throw new Error('no seed gives the wanted stream');
}

const ok = (r: CliResult, what: string): CliResult => {
  assertNoStack(r, what);
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}${r.stdout.slice(0, 2000)}`);
  return r;
};

/** Every event of a stream through `event N --context K --json`, a few calls in all. */
async function allEventsViaCli(input: string[], count: number, k = 2500): Promise<Map<number, Record<string, unknown>>> {
  const seen = new Map<number, Record<string, unknown>>();
  const centres: number[] = [];
  for (let n = k; n - k < count; n += 2 * k + 1) centres.push(Math.min(n, count - 1));
  const runs = await Promise.all(centres.map((n) => runCliAsync(['event', ...input, String(n), '--context', String(k), '--json'])));
  for (const r of runs) for (const e of jsonLines(ok(r, 'event --context').stdout)) seen.set(e.index as number, e);
  assert.equal(seen.size, count, 'event --context covered every event');
  return seen;
}

/** Every event equals the truth; with `dict`, function events carry their exact dictionary address (64-bit). */
async function checkAllEvents(input: string[], g: TiiGenerated, count = g.truth.events, dict = true): Promise<void> {
  const seen = await allEventsViaCli(input, count);
  for (let n = 0; n < count; n++) {
    const e = seen.get(n) ?? {};
    assert.deepEqual(core(e), truthEvent(g, n), `event ${n}`);
    if (dict && typeof e.function_id === 'number') {
      const a = g.dictionary.get(e.function_id);
      assert.equal(e.address, a === undefined ? undefined : `0x${a.toString(16)}`, `event ${n} address`);
    }
  }
}

async function filterViaCli(input: string[], type: string, extra: string[] = []): Promise<Record<string, unknown>[]> {
  return jsonLines(ok(await runCliAsync(['filter', ...input, '--type', type, '--json', ...extra]), `filter ${type}`).stdout);
}

async function checkFilter(input: string[], g: TiiGenerated, type: string, from = 0, limit = -1, events = g.truth.events): Promise<void> {
  const extra = [...(from ? ['--from', String(from)] : []), ...(limit >= 0 ? ['--limit', String(limit)] : [])];
  const got = await filterViaCli(input, type, extra);
  const want = truthOfType(g, type, from, limit, events);
  assert.deepEqual(got.map((e) => e.index), want, `filter ${type} ${extra.join(' ')}`);
  for (const e of got) assert.deepEqual(core(e), truthEvent(g, e.index as number));
}

type SummaryJson = Record<string, unknown> & { types: Record<string, number> };
async function summaryJson(input: string[]): Promise<SummaryJson> {
  return json(ok(await runCliAsync(['summary', ...input, '--json']), 'summary').stdout) as SummaryJson;
}

/** Enum names from the default spec, to rebuild a KENTRY line from the raw words. */
function enumOf(marker: string, field: string): Record<string, string> {
  const f = DEFAULT_TII_SPEC.markers.find((m) => m.name === marker)?.fields?.find((x) => x.name === field);
  return f?.enum ?? {};
}

describe('tii CLI: generator → index → queries equal ground truth', () => {
  test('0 words: an empty file is a one-line error; forced, it has no events', async () => {
    const d = folder('empty');
    const bin = writeStream(d, new Uint16Array(0));
    assertUserError(await runCliAsync(['index', bin]), bin, /empty/);
    const r = await runCliAsync(['index', bin, '--format', 'tii-ftrace']);
    assertNoStack(r);
    assert.equal(r.code, 1, 'nothing usable → non-zero');
    assert.match(r.stdout, /no complete event found/);
    const s = await runCliAsync(['summary', bin, '--format', 'tii-ftrace', '--json']);
    assertNoStack(s);
    assert.equal(s.code, 1, 'no events → non-zero');
    assert.equal(json(s.stdout).events, 0);
    assertUserError(await runCliAsync(['event', bin, '0', '--format', 'tii-ftrace']), bin, /out of range/);
  });

  for (const words of [1, 5, 60]) {
    test(`${words} word(s): every event, every type with events, summary`, async () => {
      const g = generate(words);
      const d = folder(`w${words}`);
      // A handful of bytes can look like text, so tiny streams name their format.
      const input = [writeStream(d, g.words, metaJson(g)), '--format', 'tii-ftrace'];
      const idx = json(ok(await runCliAsync(['index', ...input, '--json']), 'index').stdout);
      assert.equal(idx.events, g.truth.events);
      assert.deepEqual((await summaryJson(input)).types, truthCounts(g));
      await checkAllEvents(input, g);
      await Promise.all(Object.entries(g.truth.counts).flatMap(([type, n]) => (n > 0 ? [checkFilter(input, g, type)] : [])));
    });
  }

  test('10k words: every event, every type (sparse and dense, --from/--limit), summary, the user\'s line style', async () => {
    const g = generate(10_000, (x) => x.truth.counts.VMID >= 2 && x.truth.counts.KERNEL_ENTRY >= 8 && x.truth.counts.KERNEL_EXIT > x.truth.counts.KERNEL_ENTRY);
    const d = folder('w10k');
    const bin = writeStream(d, g.words, metaJson(g));
    const idx = json(ok(await runCliAsync(['index', bin, '--json']), 'index').stdout);
    assert.deepEqual([idx.built, idx.events, idx.format], [true, g.truth.events, 'tii-ftrace']);
    const s = await summaryJson([bin]);
    assert.equal(s.events, g.truth.events);
    assert.deepEqual(s.types, truthCounts(g));
    const kernel = s.kernel as { entries: number; exits: number; difference: number };
    assert.deepEqual(kernel, { entries: g.truth.counts.KERNEL_ENTRY, exits: g.truth.counts.KERNEL_EXIT, difference: g.truth.counts.KERNEL_EXIT - g.truth.counts.KERNEL_ENTRY });
    // The human summary says what the user's notes need: exits vs entries, zero durations, no interrupts.
    const text = ok(await runCliAsync(['summary', bin]), 'summary').stdout;
    assert.match(text, new RegExp(`${g.truth.counts.KERNEL_EXIT} KERNEL_EXIT vs ${g.truth.counts.KERNEL_ENTRY} KERNEL_ENTRY`));
    assert.match(text, /timing is not configured/);
    if (g.truth.counts.INTERRUPT === 0) assert.match(text, /interrupt path is not hooked/);

    await checkAllEvents([bin], g);
    // A few events one by one, at checkpoint seams and at the ends.
    await Promise.all([0, 256, 4097, g.truth.events - 1].map(async (n) => {
      assert.deepEqual(core(json(ok(await runCliAsync(['event', bin, String(n), '--json']), `event ${n}`).stdout)), truthEvent(g, n));
    }));
    // Every type, whole.
    const mid = Math.floor(g.truth.events / 2);
    const [kentry, kernelEntry] = await Promise.all([
      filterViaCli([bin], 'kentry'),
      filterViaCli([bin], 'KERNEL_ENTRY'),
      ...g.spec.typeNames.map((type) => checkFilter([bin], g, type)),
      // Windows: a sparse type (postings) and a dense one (scanned from checkpoints).
      checkFilter([bin], g, 'KERNEL_ENTRY', mid, 3),
      checkFilter([bin], g, 'FUNC_ENTER', mid + 1, 300),
      checkFilter([bin], g, 'FUNC_EXIT', 0, 1),
      checkFilter([bin], g, 'VMID', truthOfType(g, 'VMID')[1], -1),
    ]);
    // The label works as the type name.
    assert.deepEqual(kentry, kernelEntry);

    // KENTRY lines in the user's style, rebuilt from the raw words and the doc's bit layout.
    const paths = enumOf('KERNEL_ENTRY', 'path');
    const calls = enumOf('KERNEL_ENTRY', 'syscall_no');
    const lines = ok(await runCliAsync(['filter', bin, '--type', 'KERNEL_ENTRY']), 'filter text').stdout.trimEnd().split('\n');
    const ke = truthOfType(g, 'KERNEL_ENTRY');
    assert.equal(lines.length, ke.length);
    ke.forEach((n, j) => {
      const t = truthEvent(g, n);
      const [w0, w1, w2] = g.words.subarray(t.offset + 1, t.offset + 4);
      const sys = (w0 >> 3) & 15;
      const want = `${t.vmid ?? '?'}:[${n}] KENTRY ${paths[w0 & 7]} ${calls[sys] ?? sys} cap=${(w0 >> 7) & 31} tag=${w1 + (w2 & 7) * 65536}`;
      assert.equal(lines[j], want);
    });
    const kx = truthOfType(g, 'KERNEL_EXIT')[0];
    assert.equal(ok(await runCliAsync(['event', bin, String(kx)]), 'event').stdout.trim(), `${truthEvent(g, kx).vmid ?? '?'}:[${kx}] KEXIT duration=0`);
    // --context marks the asked-for event.
    const ctx = ok(await runCliAsync(['event', bin, '300', '--context', '2']), 'context').stdout.trimEnd().split('\n');
    assert.equal(ctx.length, 5);
    assert.ok(ctx[2].includes('[300]') && ctx[2].endsWith('<=='), ctx.join('\n'));
  });

  test('a marker cut off at the end warns with its word offset; an odd byte is reported; every earlier event kept', async () => {
    const g = generate(8_000, (x) => x.truth.counts.KERNEL_ENTRY > 2);
    const off = g.truth.offset as Uint32Array;
    let k = g.truth.events - 1;
    while (g.spec.lenOf[g.words[off[k]]] < 3) k--;
    const cut = off[k] + 2;
    const d = folder('cut');
    const bytes = Buffer.concat([Buffer.from(g.words.buffer, 0, cut * 2), Buffer.from([0x5a])]);
    const bin = join(d, 'ftrace.bin');
    writeFileSync(bin, bytes);
    const r = ok(await runCliAsync(['index', bin]), 'index');
    const out = r.stdout + r.stderr;
    assert.ok(out.includes(`${bin}: word ${off[k]}: end of file: ${truthEvent(g, k).type} marker`), out);
    assert.ok(out.includes(`${bin}: byte ${bytes.length - 1}: file has an odd length`), out);
    assert.equal(eventsWithin(g, cut), k);
    assert.deepEqual((await summaryJson([bin])).types, truthCounts(g, k));
    await checkAllEvents([bin], g, k, false);
  });
});

/** A console log with several dumps, mangled the way serial captures are. */
describe('tii CLI: console logs decode to the same events as the raw stream', () => {
  const A = generate(3_000, (x) => x.truth.counts.KERNEL_ENTRY > 0);
  const B = generate(4_000, (x) => x.truth.counts.KERNEL_ENTRY > 0 && x.truth.counts.VMID > 0);
  const C = generate(12_000, (x) => x.truth.counts.KERNEL_ENTRY > 3 && x.truth.counts.VMID > 0);
  const d = folder('console');
  const vio = dumpLines(A.words, A.dictionary, { version: 3 }).map((l) => (l === 'TYPE: FTRACE_STREAM' ? 'TYPE: VIO_TRACE_STREAM' : l));
  const dumpC = dumpLines(C.words, C.dictionary, { version: 3, blockWords: 1500, tailWords: 77 });
  // Dumps: 1 = A (v1), 2 = VIO (unsupported), 3 = B (v2), 4 = C (v3, 8 blocks + raw tail).
  const clean = consoleLog([dumpLines(A.words, A.dictionary, { version: 1 }), vio, dumpLines(B.words, B.dictionary, { version: 2 }), dumpC]).split('\n');
  const startOf = (k: number) => clean.flatMap((l, i) => (l === '=== BINARY TRANSFER START ===' ? [i] : []))[k];
  // A kernel message printed in the middle of dump 4's third block.
  const noiseAfter = clean.findIndex((l, i) => i > startOf(3) && l.startsWith('BLOCK:2:')) + 5;
  let noiseLine = 0;
  const mangled: string[] = [];
  const isB64 = (l: string) => /^[A-Za-z0-9+/]{60,}$/.test(l);
  clean.forEach((l, i) => {
    let x = l;
    if (i % 5 === 0) x = `   ${x}\t`; // leading/trailing whitespace
    if (isB64(l) && i % 3 === 0) x = x.replace(/^(\s*.{10})/, '$1=').replace(/(.{30})$/, '==$1'); // stray '='
    mangled.push(x);
    if (i === noiseAfter) {
      assert.ok(isB64(l), 'the noise line lands inside dump 4\'s base64');
      mangled.push('[  101.250113] virtio_net virtio0 eth0: link up');
      noiseLine = mangled.length;
    }
  });
  const log = join(d, 'serial.log');
  writeFileSync(log, mangled.join('\r\n'));
  const rawC = writeStream(d, C.words, metaJson(C), 'c.bin');

  test('index finds every dump, skips VIO_TRACE_STREAM with its line, reports the noise line', async () => {
    const r = ok(await runCliAsync(['index', log]), 'index');
    const out = r.stdout + r.stderr;
    assert.match(out, /s0: dump 1 .*\n\s+s1: dump 3 .*\n\s+s2: dump 4 /);
    assert.ok(out.includes(`${log}:${startOf(1) + 1}: dump 2: stream type VIO_TRACE_STREAM is not supported yet`), out);
    assert.ok(out.includes(`${log}:${noiseLine}: dump 4: expected base64 data`), out);
    const j = json(ok(await runCliAsync(['index', log, '--json']), 'index --json').stdout);
    assert.deepEqual((j.streams as { events: number }[]).map((s) => s.events), [A.truth.events, B.truth.events, C.truth.events]);
  });

  test('a dump far past the detection head of a long boot log (mark behind junk or a printk time) is found while indexing', async () => {
    const boot = gunzipSync(readFileSync(join(ROOT, 'test', 'fixtures', 'linux', 'x86_64-boot.log.gz'))).toString('latin1').split('\n');
    const filler = Array.from({ length: 4 }, () => boot).flat();
    for (const prefix of ['T2', '[   42.123456] ']) {
      const dump = dumpLines(B.words, B.dictionary, { version: 2 }).map((l) => (l.includes('BINARY TRANSFER START') ? `${prefix}${l}` : l));
      const deep = join(d, `deep-${prefix.length}.log`);
      writeFileSync(deep, [...filler, ...dump, ...boot.slice(0, 20)].join('\n'));
      assert.ok(readFileSync(deep).indexOf('BINARY TRANSFER START') > 64 << 10, 'the dump starts past the 64 KiB detection head');
      const j = json(ok(await runCliAsync(['index', deep, '--json']), `index deep (${prefix})`).stdout);
      assert.equal(j.format, 'tii-console', prefix);
      assert.deepEqual((j.streams as { events: number }[]).map((x) => x.events), [B.truth.events], prefix);
    }
    // The same for a capture another text reader claims by its head: an ftrace trace file.
    const ftrace = gunzipSync(readFileSync(join(ROOT, 'test', 'fixtures', 'linux', 'x86_64-ftrace-trace.txt.gz'))).toString('latin1').split('\n');
    const inFtrace = join(d, 'ftrace-with-dump.txt');
    writeFileSync(inFtrace, [...ftrace, ...dumpLines(B.words, B.dictionary, { version: 2 })].join('\n'));
    assert.equal(json(ok(await runCliAsync(['index', inFtrace, '--json']), 'index ftrace+dump').stdout).format, 'tii-console');
    // The same lines without the dump stay a console log.
    const plain = join(d, 'plain.log');
    writeFileSync(plain, [...boot, ...boot].join('\n'));
    assert.equal(json(ok(await runCliAsync(['index', plain, '--json']), 'index plain').stdout).format, 'console-log');
  });

  for (const [n, g, v] of [[1, A, 1], [3, B, 2], [4, C, 3]] as const) {
    test(`dump ${n} (version ${v}): summary, every event, KERNEL_ENTRY and FUNC_ENTER filters equal the truth`, async () => {
      const input = [log, '--stream', String(n)];
      const [s] = await Promise.all([
        summaryJson(input),
        checkAllEvents(input, g),
        checkFilter(input, g, 'KERNEL_ENTRY'),
        checkFilter(input, g, 'VMID'),
        checkFilter(input, g, 'FUNC_ENTER', Math.floor(g.truth.events / 3), 200),
      ]);
      assert.deepEqual(s.types, truthCounts(g));
    });
  }

  test('dump 4 and the raw ftrace.bin give identical records, fields and text included', async () => {
    ok(await runCliAsync(['index', rawC]), 'index');
    const [fromLog, fromBin, exitsLog, exitsBin] = await Promise.all([
      allEventsViaCli([log, '--stream', '4'], C.truth.events),
      allEventsViaCli([rawC], C.truth.events),
      filterViaCli([log, '--stream', '4'], 'KERNEL_EXIT'),
      filterViaCli([rawC], 'KERNEL_EXIT'),
    ]);
    for (let n = 0; n < C.truth.events; n++) assert.deepEqual(fromLog.get(n), fromBin.get(n), `event ${n}`);
    assert.deepEqual(exitsLog, exitsBin);
  });

  test('an unsupported or unknown stream is a one-line error naming the file', async () => {
    assertUserError(await runCliAsync(['summary', log, '--stream', '2']), 'serial.log', /no stream "2"/);
    assertUserError(await runCliAsync(['event', log, '0', '--stream', '9']), 'serial.log', /no stream "9"/);
  });

  test('a log cut in the middle of a block keeps the complete blocks and names the line', async () => {
    const lines = consoleLog([dumpLines(C.words, C.dictionary, { version: 3, blockWords: 1500 })]).split('\n');
    const blocks = lines.flatMap((l, i) => (l.startsWith('BLOCK:') ? [i + 1] : []));
    const cutLine = blocks[3] + 4; // inside block 3 (0-based)
    const cut = join(d, 'cut.log');
    writeFileSync(cut, lines.slice(0, cutLine - 1).join('\n') + '\n' + lines[cutLine - 1].slice(0, 33));
    const r = ok(await runCliAsync(['index', cut]), 'index of a cut log (events were kept)');
    const out = r.stdout + r.stderr;
    assert.ok(out.includes(`${cut}:${blocks[3]}: dump 1: block 3 is incomplete`), out);
    assert.match(out, /kept 3 complete block\(s\), 4500 words/);
    assert.ok(out.includes(`${cut}:${cutLine}: dump 1 (from line ${lines.indexOf('=== BINARY TRANSFER START ===') + 1}) is cut off`), out);
    const kept = eventsWithin(C, 3 * 1500);
    assert.deepEqual((await summaryJson([cut])).types, truthCounts(C, kept));
    await checkAllEvents([cut], C, kept);
  });

  test('a gzipped console log reads the same', async () => {
    const gz = join(d, 'serial.log.gz');
    writeFileSync(gz, gzipSync(readFileSync(log)));
    assert.deepEqual((await summaryJson([gz, '--stream', '3'])).types, truthCounts(B));
    await checkFilter([gz, '--stream', '4'], C, 'KERNEL_ENTRY');
  });
});

describe('tii CLI: bundles are reused, and rebuilt when stale, foreign or built another way', () => {
  const g = generate(6_000, (x) => x.truth.counts.KERNEL_ENTRY > 2);

  test('a second run reuses the bundle', async () => {
    const d = folder('reuse');
    const bin = writeStream(d, g.words, metaJson(g));
    const first = json(ok(await runCliAsync(['index', bin, '--json']), 'index').stdout);
    const manifest = readFileSync(join(`${bin}.kscope`, 'manifest.json'), 'utf8');
    const second = ok(await runCliAsync(['index', bin]), 'index again');
    assert.match(second.stdout, /^up to date: /);
    assert.equal(json(ok(await runCliAsync(['index', bin, '--json']), 'index --json').stdout).built, false);
    assert.equal(first.built, true);
    ok(await runCliAsync(['summary', bin]), 'summary');
    assert.equal(readFileSync(join(`${bin}.kscope`, 'manifest.json'), 'utf8'), manifest, 'queries did not rewrite the bundle');
  });

  test('a modified input is noticed: the bundle is rebuilt with a note on stderr', async () => {
    const d = folder('stale');
    const bin = writeStream(d, g.words, metaJson(g));
    ok(await runCliAsync(['index', bin]), 'index');
    // Turn one function event into an unknown marker (same length): counts move by one.
    const n = truthOfType(g, 'FUNC_ENTER', 1000, 1)[0];
    const w = g.words.slice();
    w[truthEvent(g, n).offset] = 0xff10;
    writeFileSync(bin, w);
    const r = ok(await runCliAsync(['summary', bin, '--json']), 'summary');
    assert.match(r.stderr, /rebuilding .*changed since it was indexed/);
    const want = truthCounts(g);
    want.FUNC_ENTER--;
    want.UNKNOWN_MARKER++;
    assert.deepEqual(json(r.stdout).types, want);
    assert.equal(json(ok(await runCliAsync(['event', bin, String(n), '--json']), 'event').stdout).type, 'UNKNOWN_MARKER');
  });

  test('an edit between the sampled spots of a large file is caught by mtime + crc; a bare touch is not a change', async () => {
    const big = generate(200_000, () => true);
    const d = folder('edit');
    const bin = writeStream(d, big.words, metaJson(big));
    ok(await runCliAsync(['index', bin]), 'index');
    // The fingerprint samples 64 KiB at each end and 4 KiB at size*i/15: edit between spots 1 and 2.
    const size = big.words.length * 2;
    const at = Math.floor((Math.floor(size / 15) + 16384) / 2);
    const n = truthOfType(big, 'FUNC_EXIT', 0, -1).find((k) => truthEvent(big, k).offset >= at) as number;
    const w = big.words.slice();
    w[truthEvent(big, n).offset] = 0xff20;
    writeFileSync(bin, w);
    const r = ok(await runCliAsync(['event', bin, String(n), '--json']), 'event');
    assert.match(r.stderr, /rebuilding .*changed since it was indexed/);
    assert.equal(json(r.stdout).type, 'UNKNOWN_MARKER');
    // Only the mtime changes: the crc still matches, so the bundle is kept.
    const t = new Date(Date.now() + 60_000);
    utimesSync(bin, t, t);
    const again = ok(await runCliAsync(['index', bin, '--json']), 'index after touch');
    assert.equal(json(again.stdout).built, false, again.stderr);
    // The new mtime is remembered: later queries trust the bundle without hashing the file again.
    const manifest = JSON.parse(readFileSync(join(`${bin}.kscope`, 'manifest.json'), 'utf8')) as { input: { fingerprint: { mtimeMs: number } } };
    assert.equal(manifest.input.fingerprint.mtimeMs, statSync(bin).mtimeMs);
  });

  test('a console log edited between the sampled spots is rebuilt too', async () => {
    const big = generate(150_000, () => true);
    const d = folder('edit-log');
    const lines = consoleLog([dumpLines(big.words, big.dictionary, { version: 1 })]).split('\n');
    const log = join(d, 'serial.log');
    writeFileSync(log, lines.join('\n'));
    ok(await runCliAsync(['index', log]), 'index');
    // Change one base64 character of a data line between sampled spots 1 and 2 (v1 data is raw, so any char decodes).
    // The first gap between spots that falls in the data (the dictionary comes first).
    const size = statSync(log).size;
    let k = 0;
    for (let spot = 1; spot < 14; spot++) {
      let pos = 0;
      for (k = 0; pos + lines[k].length < Math.floor((size * spot) / 15) + 12288; k++) pos += lines[k].length + 1;
      if (/^[A-Za-z0-9+/]{76}$/.test(lines[k])) break;
    }
    assert.match(lines[k], /^[A-Za-z0-9+/]{76}$/);
    lines[k] = (lines[k][0] === 'A' ? 'B' : 'A') + lines[k].slice(1);
    writeFileSync(log, lines.join('\n'));
    const r = ok(await runCliAsync(['summary', log, '--json']), 'summary');
    assert.match(r.stderr, /rebuilding .*changed/);
    const start = lines.indexOf('===', lines.indexOf('===', lines.indexOf('=== BINARY TRANSFER START ===')) + 1) + 1;
    const end = lines.indexOf('===', start);
    const bytes = Buffer.from(lines.slice(start, end).join(''), 'base64');
    const words = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length >> 1);
    assert.deepEqual(json(r.stdout).types, referenceDecode(words, DEFAULT_TII_SPEC).counts);
  });

  test('a foreign bundle (built for another file, given with -o) is rebuilt, never trusted', async () => {
    const other = generate(5_000, (x) => x.truth.counts.KERNEL_ENTRY > 0);
    const d = folder('foreign');
    const a = writeStream(d, g.words, metaJson(g), 'a.bin');
    const b = writeStream(d, other.words, metaJson(other), 'b.bin');
    const out = join(d, 'shared.kscope');
    ok(await runCliAsync(['index', a, '-o', out]), 'index a');
    const r = ok(await runCliAsync(['summary', b, '-o', out, '--json']), 'summary b');
    assert.match(r.stderr, /rebuilding .*another file/);
    assert.deepEqual(json(r.stdout).types, truthCounts(other));
    await checkFilter([b, '-o', out], other, 'KERNEL_ENTRY');
    const back = ok(await runCliAsync(['summary', a, '-o', out, '--json']), 'summary a');
    assert.match(back.stderr, /rebuilding/);
    assert.deepEqual(json(back.stdout).types, truthCounts(g));
  });

  test('a bundle directory works as the input, from any cwd, without a rebuild', async () => {
    const d = folder('bundle-dir');
    const bin = writeStream(d, g.words, metaJson(g));
    ok(await runCliAsync(['index', bin]), 'index');
    const bundle = `${bin}.kscope`;
    for (const [args, cwd] of [[[bundle], undefined], [['ftrace.bin.kscope'], d], [['ftrace.bin'], d]] as const) {
      const n = truthOfType(g, 'KERNEL_EXIT')[1];
      const r = ok(await runCliAsync(['event', ...args, String(n), '--json'], { cwd }), `event via ${args[0]}`);
      assert.equal(r.stderr, '', `no rebuild: ${r.stderr}`);
      assert.deepEqual(core(json(r.stdout)), truthEvent(g, n));
      const s = ok(await runCliAsync(['summary', ...args, '--json'], { cwd }), 'summary');
      assert.equal(s.stderr, '');
      assert.equal(json(s.stdout).events, g.truth.events);
    }
    // The bundle's input gone: one line saying so.
    renameSync(bin, `${bin}.moved`);
    assertUserError(await runCliAsync(['summary', bundle]), bundle, /input .* is gone/);
    // A plain directory is not a bundle.
    assertUserError(await runCliAsync(['summary', d]), d, /is a directory/);
  });

  test('--format-spec renaming a marker changes the decoding and triggers a rebuild', async () => {
    const d = folder('spec-rename');
    const bin = writeStream(d, g.words, metaJson(g));
    ok(await runCliAsync(['index', bin]), 'index');
    const spec: TiiSpecInput = structuredClone(DEFAULT_TII_SPEC);
    const ke = spec.markers.find((m) => m.name === 'KERNEL_ENTRY') as TiiSpecInput['markers'][number];
    ke.name = 'SLOW_ENTRY';
    ke.label = 'SENTRY';
    ke.text = undefined;
    const file = join(d, 'rename.json');
    writeFileSync(file, JSON.stringify(spec, null, 1));
    const r = ok(await runCliAsync(['summary', bin, '--format-spec', file, '--json']), 'summary');
    assert.match(r.stderr, /rebuilding .*options changed/);
    const want = truthCounts(g);
    want.SLOW_ENTRY = want.KERNEL_ENTRY;
    delete want.KERNEL_ENTRY;
    assert.deepEqual(json(r.stdout).types, want);
    const got = await filterViaCli([bin], 'SLOW_ENTRY');
    assert.deepEqual(got.map((e) => e.index), truthOfType(g, 'KERNEL_ENTRY'));
    assert.ok((got[0].text as string).includes(' SENTRY '), got[0].text as string);
  });

  test('--format-spec changing a marker length re-synchronises the whole stream (checked by a reference decoder)', async () => {
    const d = folder('spec-length');
    const bin = writeStream(d, g.words, metaJson(g));
    const spec: TiiSpecInput = structuredClone(DEFAULT_TII_SPEC);
    const kx = spec.markers.find((m) => m.name === 'KERNEL_EXIT') as TiiSpecInput['markers'][number];
    kx.words = 5;
    kx.fields = [{ name: 'duration', words: [0, 1] }, { name: 'cpu', words: [3] }];
    kx.text = undefined;
    const file = join(d, 'len.json');
    writeFileSync(file, JSON.stringify(spec));
    const ref = referenceDecode(g.words, spec);
    assert.notDeepEqual(ref.counts, truthCounts(g), 'the change matters');
    assert.deepEqual((await summaryJson([bin, '--format-spec', file])).types, ref.counts);
    for (const type of ['KERNEL_EXIT', 'KERNEL_ENTRY', 'VMID']) {
      const got = await filterViaCli([bin, '--format-spec', file], type);
      assert.deepEqual(got.map((e) => [e.index, e.offset, e.vmid]), ref.types.flatMap((t, n) => (t === type ? [[n, ref.offsets[n], ref.vmids[n]]] : [])));
    }
    const n = ref.types.indexOf('FUNC_EXIT', Math.floor(ref.types.length / 2));
    const e = json(ok(await runCliAsync(['event', bin, String(n), '--json']), 'event').stdout);
    assert.deepEqual([e.type, e.offset], ['FUNC_EXIT', ref.offsets[n]]);
  });

  test('a bad --format-spec is one line naming the file and the JSON path', async () => {
    const d = folder('spec-bad');
    const bin = writeStream(d, g.words, metaJson(g));
    const syntax = join(d, 'syntax.json');
    writeFileSync(syntax, '{"classes": {"marker": ');
    assertUserError(await runCliAsync(['index', bin, '--format-spec', syntax]), syntax, /not valid JSON/);
    const spec = structuredClone(DEFAULT_TII_SPEC) as unknown as { markers: { words: unknown }[] };
    spec.markers[7].words = 'eight';
    const wrong = join(d, 'wrong.json');
    writeFileSync(wrong, JSON.stringify(spec));
    assertUserError(await runCliAsync(['summary', bin, '--format-spec', wrong]), wrong, /markers\[7\]\.words: expected a length 1\.\.255/);
    assertUserError(await runCliAsync(['summary', bin, '--format-spec', join(d, 'nope.json')]), 'nope.json', /cannot read/);
  });

  test('a gzipped ftrace.bin finds ftrace.meta beside it', async () => {
    const d = folder('gz');
    writeFileSync(join(d, 'ftrace.meta'), metaJson(g));
    const gz = join(d, 'ftrace.bin.gz');
    writeFileSync(gz, gzipSync(Buffer.from(g.words.buffer)));
    const s = await summaryJson([gz]);
    assert.deepEqual(s.types, truthCounts(g));
    assert.equal((s.dictionary as { size: number }).size, g.dictionary.size);
    const n = truthOfType(g, 'FUNC_ENTER')[5];
    const e = json(ok(await runCliAsync(['event', gz, String(n), '--json']), 'event').stdout);
    const id = g.words[truthEvent(g, n).offset] >> 1;
    assert.equal(e.address, `0x${(g.dictionary.get(id) as bigint).toString(16)}`);
  });
});

describe('tii CLI: --elf resolves function ids to symbol names', () => {
  test('dictionary addresses from a real ELF (gcc + nm) show as symbols', async (t) => {
    const probe = spawnSync('gcc', ['--version']);
    const nm = spawnSync('nm', ['--version']);
    if (probe.error || probe.status !== 0 || nm.error || nm.status !== 0) {
      t.skip('gcc or nm not found: cannot build an ELF to resolve symbols from');
      return;
    }
    const d = folder('elf');
    const names = ['handleSyscall', 'schedule', 'decodeInvocation', 'vcpu_fault'];
    const src = join(d, 'kernel.c');
    writeFileSync(src, names.map((n, i) => `int ${n}(int x) { int y = x * ${i + 3}; for (int k = 0; k < x; k++) y ^= k << ${i}; return y; }`).join('\n') + `\nint main(void) { return ${names.map((n) => `${n}(1)`).join(' + ')}; }\n`);
    const elf = join(d, 'kernel.elf');
    const cc = spawnSync('gcc', ['-O0', '-o', elf, src], { encoding: 'utf8' });
    assert.equal(cc.status, 0, cc.stderr);
    const syms = new Map<string, { addr: bigint; size: bigint }>();
    for (const l of spawnSync('nm', ['-S', elf], { encoding: 'utf8' }).stdout.split('\n')) {
      const m = /^([0-9a-f]+) ([0-9a-f]+) [Tt] (\w+)$/.exec(l);
      if (m) syms.set(m[3], { addr: BigInt(`0x${m[1]}`), size: BigInt(`0x${m[2]}`) });
    }
    const g = generate(3_000, (x) => x.truth.counts.FUNC_ENTER > 100, 2);
    // Map the stream's function ids onto the ELF: the first three exactly, the fourth 4 bytes into its symbol.
    const ids = [...new Set(truthOfType(g, 'FUNC_ENTER').map((n) => g.words[truthEvent(g, n).offset] >> 1))].slice(0, 4);
    const expect = new Map<number, string>();
    const dict: string[] = [];
    ids.forEach((id, i) => {
      const s = syms.get(names[i]);
      assert.ok(s && s.size > 4n, `${names[i]} in nm output`);
      const inside = i === 3 ? 4n : 0n;
      dict.push(`"${id}": ${s.addr + inside}`);
      expect.set(id, inside ? `${names[i]}+0x4` : names[i]);
    });
    writeFileSync(join(d, 'ftrace.meta'), `{"dictionary": {${dict.join(', ')}}, "entry_count": ${g.words.length}}`);
    const bin = writeStream(d, g.words);
    const s = await summaryJson([bin, '--elf', elf]);
    assert.equal((s.dictionary as { symbols: number }).symbols, 4);
    const got = await filterViaCli([bin, '--elf', elf], 'FUNC_ENTER');
    assert.deepEqual(got.map((e) => e.index), truthOfType(g, 'FUNC_ENTER'));
    let named = 0;
    for (const e of got) {
      const want = expect.get(e.function_id as number);
      assert.equal(e.symbol, want);
      if (want) {
        named++;
        assert.ok((e.text as string).endsWith(`ENTER ${want} (id=${e.function_id})`), e.text as string);
      }
    }
    assert.ok(named > 0);
    const n = got.find((e) => e.symbol === names[0])?.index as number;
    assert.match(ok(await runCliAsync(['event', bin, String(n), '--elf', elf]), 'event --elf').stdout, new RegExp(`ENTER ${names[0]} \\(id=${ids[0]}\\)`));
    // Not an ELF: one line naming it.
    assertUserError(await runCliAsync(['summary', bin, '--elf', src]), 'kernel.c', /not an ELF file/);
  });
});

describe('tii CLI: bad input gets one located line, never a stack trace', () => {
  const g = generate(6_000, (x) => x.truth.counts.KERNEL_ENTRY > 2);

  test('empty file, directory, missing file', async () => {
    const d = folder('bad');
    const empty = join(d, 'empty.bin');
    writeFileSync(empty, '');
    for (const cmd of [['index'], ['summary'], ['event', '_', '0'], ['filter', '_', '--type', 'VMID']]) {
      const args = (p: string) => (cmd.length > 1 ? cmd.map((x) => (x === '_' ? p : x)) : [...cmd, p]);
      assertUserError(await runCliAsync(args(empty)), empty, /empty/);
      assertUserError(await runCliAsync(args(d)), d, /is a directory/);
      assertUserError(await runCliAsync(args(join(d, 'nope.bin'))), 'nope.bin', /no such file/);
    }
  });

  test('a text log without a dump', async () => {
    const d = folder('nodump');
    const log = join(d, 'boot.log');
    writeFileSync(log, consoleLog([]));
    const r = await runCliAsync(['index', log, '--format', 'tii-console']);
    assertNoStack(r);
    assert.equal(r.code, 1, 'nothing usable → non-zero');
    assert.ok((r.stdout + r.stderr).includes(`${log}:1: no "=== BINARY TRANSFER START ===" dump found`), r.stdout + r.stderr);
    // Auto-detected (maybe as another text format): never a crash, whatever reads it.
    assertNoStack(await runCliAsync(['summary', log]));
    const tiny = join(d, 'tiny.log');
    writeFileSync(tiny, 'hello\nworld\n');
    assertNoStack(await runCliAsync(['summary', tiny]), 'a text file shorter than the dump marker');
  });

  test('a meta file that disagrees with the data is a warning naming it; events are kept', async () => {
    const d = folder('meta');
    const bin = writeStream(d, g.words);
    const meta = join(d, 'ftrace.meta');
    writeFileSync(meta, metaJson(g).replace(`"entry_count": ${g.words.length}`, `"entry_count": ${g.words.length + 1000}`));
    const r = ok(await runCliAsync(['index', bin]), 'index');
    assert.ok((r.stdout + r.stderr).includes(`warning: ${meta}: says the stream holds ${g.words.length + 1000} words`), r.stdout);
    const s = await summaryJson([bin]);
    assert.equal(s.events, g.truth.events);
    assert.deepEqual(s.meta && (s.meta as { agrees: boolean; words_found: number }).agrees, false);
    assert.match(ok(await runCliAsync(['summary', bin]), 'summary').stdout, new RegExp(`says ${g.words.length + 1000} words .* holds ${g.words.length}`));
    // A meta file that is not JSON: one line naming it.
    writeFileSync(meta, '{"header": ');
    assertUserError(await runCliAsync(['index', bin]), meta, /not valid JSON/);
  });

  test('dictionary gaps: ids missing from ftrace.meta are listed with their first word offset', async () => {
    const d = folder('gaps');
    const bin = writeStream(d, g.words);
    // Drop every 7th id of those the stream uses.
    const used = [...new Set(truthOfType(g, 'FUNC_ENTER').map((n) => g.words[truthEvent(g, n).offset] >> 1))].sort((x, y) => x - y);
    const dropped = new Set(used.filter((_, i) => i % 7 === 3));
    const dict = [...g.dictionary].filter(([id]) => !dropped.has(id));
    writeFileSync(join(d, 'ftrace.meta'), `{"dictionary": {${dict.map(([id, a]) => `"${id}": ${a}`).join(', ')}}, "entry_count": ${g.words.length}}`);
    // Truth: first offset and count of every function id not in the dictionary.
    const missing = new Map<number, { id: number; first_offset: number; count: number }>();
    const kept = new Set(dict.map(([id]) => id));
    for (let n = 0; n < g.truth.events; n++) {
      const t = truthEvent(g, n);
      if (t.type !== 'FUNC_ENTER' && t.type !== 'FUNC_EXIT') continue;
      const id = g.words[t.offset] >> 1;
      if (kept.has(id)) continue;
      const m = missing.get(id) ?? { id, first_offset: t.offset, count: 0 };
      m.count++;
      missing.set(id, m);
    }
    const want = [...missing.values()].sort((x, y) => x.first_offset - y.first_offset);
    const s = await summaryJson([bin]);
    const fns = s.functions as { missing_from_dictionary: unknown[]; missing_count: number };
    assert.equal(fns.missing_count, want.length);
    assert.deepEqual(fns.missing_from_dictionary, want.slice(0, 50));
    assert.match(ok(await runCliAsync(['summary', bin]), 'summary').stdout, new RegExp(`${want.length} function id\\(s\\) are not in the dictionary, first id ${want[0].id} at word ${want[0].first_offset}`));
    // A function event with no address shows its id.
    const n = (g.truth.offset as Uint32Array).indexOf(want[0].first_offset);
    const e = json(ok(await runCliAsync(['event', bin, String(n), '--json']), 'event').stdout);
    assert.equal(e.function_id, want[0].id);
    assert.equal(e.address, undefined);
    assert.match(e.text as string, new RegExp(`fn#${want[0].id}$`));
  });

  test('unknown markers: counted, first offsets in the summary, every event kept', async () => {
    const d = folder('unknown');
    const w = g.words.slice();
    const fn = truthOfType(g, 'FUNC_EXIT');
    const hits = [fn[100], fn[900], fn[1500], fn[2000]];
    const kinds = [0xff10, 0xff20, 0xff10, 0xff02];
    hits.forEach((n, i) => (w[truthEvent(g, n).offset] = kinds[i]));
    const bin = writeStream(d, w, metaJson(g));
    const s = await summaryJson([bin]);
    assert.equal(s.events, g.truth.events);
    assert.equal(s.types.UNKNOWN_MARKER, hits.length);
    const off = (i: number) => truthEvent(g, hits[i]).offset;
    assert.deepEqual(s.unknown_markers, [
      { word: '0xff10', count: 2, first_offset: off(0) },
      { word: '0xff20', count: 1, first_offset: off(1) },
      { word: '0xff02', count: 1, first_offset: off(3) },
    ]);
    assert.match(ok(await runCliAsync(['summary', bin]), 'summary').stdout, new RegExp(`4 unknown marker word\\(s\\) of 3 kind\\(s\\), first 0xff10 at word ${off(0)}`));
    assert.deepEqual((await filterViaCli([bin], 'UNKNOWN_MARKER')).map((e) => [e.index, e.offset, e.word]), hits.map((n, i) => [n, off(i), `0x${kinds[i].toString(16)}`]));
  });

  test('event N out of range, unknown --type, bad numbers', async () => {
    const d = folder('range');
    const bin = writeStream(d, g.words, metaJson(g));
    assertUserError(await runCliAsync(['event', bin, String(g.truth.events)]), bin, new RegExp(`event ${g.truth.events} is out of range: .* has ${g.truth.events} events`));
    assertUserError(await runCliAsync(['event', bin, '99999999999']), bin, /out of range/);
    assertUserError(await runCliAsync(['filter', bin, '--type', 'KERNEL_PANIC']), bin, /unknown event type KERNEL_PANIC; this stream has: .*KERNEL_ENTRY/);
    const neg = await runCliAsync(['filter', bin, '--type', 'VMID', '--limit', '-5']);
    assertNoStack(neg);
    assert.notEqual(neg.code, 0);
    assert.match(neg.stderr, /--limit/);
    const abc = await runCliAsync(['event', bin, 'abc']);
    assertNoStack(abc);
    assert.notEqual(abc.code, 0);
    assert.match(abc.stderr, /N must be an integer/);
    // A limit past the end, a from past the end: just fewer results.
    assert.deepEqual((await filterViaCli([bin], 'KERNEL_ENTRY', ['--limit', '100000'])).map((e) => e.index), truthOfType(g, 'KERNEL_ENTRY'));
    assert.deepEqual(await filterViaCli([bin], 'FUNC_ENTER', ['--from', String(g.truth.events + 5)]), []);
    assert.ok(existsSync(`${bin}.kscope`));
    rmSync(`${bin}.kscope`, { recursive: true });
  });

  test('binary that nothing vouches for as a TII stream (no meta, no telling name) is read with a warning saying so', async () => {
    const d = folder('by-elimination');
    const words = g.words.subarray(0, 4096);
    const plain = join(d, 'capture.dat');
    writeFileSync(plain, words);
    const named = join(d, 'run.bin');
    writeFileSync(named, words);
    const warned = (s: Record<string, unknown>) => (s.warnings as { code: string }[]).some((w) => w.code === 'NOT_KNOWN_TII');
    assert.ok(warned(json(ok(await runCliAsync(['summary', plain, '--json']), 'summary capture.dat').stdout)));
    assert.ok(!warned(json(ok(await runCliAsync(['summary', named, '--json']), 'summary run.bin').stdout)));
  });
});
