import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DiagnosticLog, type Diagnostic } from '../../model/diagnostics.js';
import { FileSource } from '../../util/file-source.js';
import { blocksToColumn, decodeBase64Loose, DumpWords, END_MARK, scanConsoleDumps, START_MARK, type DumpInfo } from './dump.js';
import { lz4EncodeBlock } from './lz4.js';

const dir = mkdtempSync(join(tmpdir(), 'kscope-dump-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Words that compress somewhat, like a real trace: repeats with a few random words. */
function words(n: number, seed: number): Uint16Array {
  const out = new Uint16Array(n);
  let a = seed;
  for (let i = 0; i < n; i++) {
    a = (Math.imul(a, 1103515245) + 12345) >>> 0;
    out[i] = a % 5 === 0 ? a >>> 16 : 0x0601 + ((i % 37) << 1);
  }
  return out;
}

const b64lines = (b: Buffer) => (b.toString('base64').match(/.{1,76}/g) ?? []);

/** A dump written from the envelope of tii-ftrace.md, independently of the generator. */
function dump(w: Uint16Array, version: 1 | 2 | 3, opts: { blockWords?: number; tail?: number; type?: string } = {}): string[] {
  const bytes = Buffer.from(w.buffer, w.byteOffset, w.byteLength);
  const head = [`VERSION: ${version}`, `TYPE: ${opts.type ?? 'FTRACE_STREAM'}`, `ENTRIES: ${w.length}`, `RAW_SIZE: ${bytes.length}`];
  const data: string[] = [];
  if (version === 1) data.push(...b64lines(bytes));
  if (version === 2) {
    const c = lz4EncodeBlock(bytes);
    head.push(`COMPRESSED_SIZE: ${c.length}`);
    data.push(...b64lines(c));
  }
  if (version === 3) {
    const bw = opts.blockWords ?? 1000;
    const body = w.length - (opts.tail ?? 0);
    for (let s = 0, seq = 0; s < body; s += bw, seq++) {
      const chunk = bytes.subarray(s * 2, Math.min(body, s + bw) * 2);
      const c = lz4EncodeBlock(chunk);
      data.push(`BLOCK:${seq}:${c.length}:${chunk.length}`, ...b64lines(c));
    }
    if (opts.tail) data.push(`TAIL_RAW_ENTRIES:${opts.tail}`, ...b64lines(bytes.subarray(body * 2)));
  }
  return [START_MARK, ...head, '===', '0:ffffff8040000000', '1:ffffff8040000040', '===', ...data, '===', 'CHECKSUM: 0', END_MARK];
}

interface Scan {
  dumps: DumpInfo[];
  words: Map<number, number[]>;
  diags: Diagnostic[];
  lines: number;
}

function scan(text: string, name = 'log.txt'): Scan & { path: string } {
  const path = join(dir, name);
  writeFileSync(path, text);
  const diags = new DiagnosticLog();
  const got = new Map<number, number[]>();
  const r = scanConsoleDumps(path, name, diags, (d, w) => {
    const list = got.get(d.number) ?? [];
    for (const x of w) list.push(x);
    got.set(d.number, list);
  });
  return { path, dumps: r.dumps, words: got, diags: diags.list(), lines: r.lines };
}

describe('tii console dumps', () => {
  const a = words(2500, 1);
  const b = words(1800, 2);
  const c = words(5321, 3);

  test('versions 1, 2 and 3 (with TAIL_RAW_ENTRIES) in one log decode to their words', () => {
    const lines = ['boot', ...dump(a, 1), 'between', ...dump(b, 2), ...dump(c, 3, { blockWords: 1000, tail: 321 }), 'done'];
    const r = scan(lines.join('\n') + '\n');
    assert.deepEqual(r.dumps.map((d) => [d.number, d.version, d.complete, d.words]), [[1, 1, true, a.length], [2, 2, true, b.length], [3, 3, true, c.length]]);
    assert.deepEqual(r.words.get(1), [...a]);
    assert.deepEqual(r.words.get(2), [...b]);
    assert.deepEqual(r.words.get(3), [...c]);
    assert.equal(r.dumps[2].blocks.length, 6, '5 LZ4 blocks + the raw tail');
    assert.equal(r.dumps[0].startLine, 2);
    assert.equal(r.dumps[0].endLine, lines.indexOf(END_MARK) + 1);
    assert.equal(r.dumps[0].meta.dictionary.get(1), 0xffffff8040000040n);
    assert.deepEqual(r.diags.filter((d) => d.severity !== 'info'), []);
  });

  test('CRLF, leading/trailing whitespace, stray "=" and a noise line inside the base64', () => {
    const lines = dump(c, 3, { blockWords: 700, tail: 50 });
    const firstData = lines.findIndex((l) => l.startsWith('BLOCK:')) + 1;
    let noiseLine = 0;
    const out: string[] = [];
    lines.forEach((l, k) => {
      let x = l;
      if (k % 3 === 0) x = `  \t${x}  `;
      if (k > firstData && /^[A-Za-z0-9+/]{40,}$/.test(l) && k % 4 === 0) x = `${x.slice(0, 9)}=${x.slice(9, 30)}==${x.slice(30)}`;
      out.push(x);
      if (k === firstData + 2) {
        out.push('[   12.345678] random: crng init done');
        noiseLine = out.length;
      }
    });
    const r = scan(out.join('\r\n') + '\r\n', 'quirks.log');
    assert.deepEqual(r.words.get(1), [...c]);
    assert.equal(r.dumps[0].complete, true);
    const noise = r.diags.filter((d) => d.code === 'DUMP_NOISE');
    assert.deepEqual(noise.map((d) => d.line), [noiseLine]);
    assert.equal(noise[0].file, 'quirks.log');
  });

  test('a dump cut in the middle of a block keeps its complete blocks and names the line', () => {
    const lines = ['boot', ...dump(c, 3, { blockWords: 1000 })];
    const blockLines = lines.flatMap((l, k) => (l.startsWith('BLOCK:') ? [k + 1] : []));
    // Cut halfway through block 3's base64 (0-based), mid-line.
    const cutLine = blockLines[3] + 3;
    const text = lines.slice(0, cutLine - 1).join('\n') + '\n' + lines[cutLine - 1].slice(0, 30);
    const r = scan(text, 'cut.log');
    assert.equal(r.dumps[0].complete, false);
    assert.deepEqual(r.words.get(1), [...c.subarray(0, 3000)]);
    const broken = r.diags.find((d) => d.code === 'DUMP_BLOCK_BROKEN');
    assert.ok(broken, JSON.stringify(r.diags));
    assert.equal(broken.line, blockLines[3]);
    assert.match(broken.message, /dropped it: 1000 words lost \(stream words 3000-3999\); the log ends there/);
    const trunc = r.diags.find((d) => d.code === 'DUMP_TRUNCATED');
    assert.ok(trunc);
    assert.match(trunc.message, /kept 3 complete block\(s\), 3000 words/);
    assert.equal(trunc.line, cutLine);
    assert.equal(trunc.file, 'cut.log');
  });

  test('a bad base64 character loses only its block: the later blocks decode at their own word positions', () => {
    const lines = ['boot', ...dump(c, 3, { blockWords: 1000, tail: 321 })];
    const block2 = lines.findIndex((l) => l.startsWith('BLOCK:2:')) + 1;
    const block3 = lines.findIndex((l) => l.startsWith('BLOCK:3:')) + 1;
    const bad = block2 + 3; // 1-based: the third base64 line of block 2
    lines[bad - 1] = `${lines[bad - 1].slice(0, 10)}!${lines[bad - 1].slice(11)}`;
    const path = join(dir, 'badchar.log');
    writeFileSync(path, lines.join('\n') + '\n');
    const diags = new DiagnosticLog();
    const fed: [number, number][] = [];
    const got: number[] = [];
    const r = scanConsoleDumps(path, 'badchar.log', diags, (_d, w, at) => {
      fed.push([at, w.length]);
      for (const x of w) got.push(x);
    });
    assert.deepEqual(fed, [[0, 1000], [1000, 1000], [3000, 1000], [4000, 1000], [5000, 321]]);
    assert.deepEqual(got, [...c.subarray(0, 2000), ...c.subarray(3000)]);
    const d = r.dumps[0];
    assert.deepEqual([d.complete, d.words, d.blocks.length], [true, c.length, 5]);
    assert.deepEqual(d.lost, [{ seq: 2, line: block2, wordStart: 2000, words: 1000 }]);
    const list = diags.list();
    assert.equal(list.find((x) => x.code === 'DUMP_NOISE')?.line, bad);
    const broken = list.filter((x) => x.code === 'DUMP_BLOCK_BROKEN');
    assert.equal(broken.length, 1);
    assert.equal(broken[0].line, block2);
    assert.match(broken[0].message, new RegExp(`block 2 is incomplete or corrupt \\(.*; line ${bad} in it is not base64 \\("!" at column 11\\)\\); dropped it: 1000 words lost \\(stream words 2000-2999\\); decoding resumes at block 3 \\(line ${block3}\\)`));
    // Queries read words by position: the lost ones read as 0, the rest as they were.
    const src = new FileSource(path);
    try {
      const dw = new DumpWords(src, blocksToColumn(d.blocks), d.words);
      assert.deepEqual([...dw.read(1990, 20)], [...c.subarray(1990, 2000), ...new Array<number>(10).fill(0)]);
      assert.deepEqual([...dw.read(2990, 20)], [...new Array<number>(10).fill(0), ...c.subarray(3000, 3010)]);
      assert.deepEqual([...dw.read(3000, c.length)], [...c.subarray(3000)]);
    } finally {
      src.close();
    }
  });

  test('a dump without END followed by another: the first is reported at the new START line, both decode', () => {
    const first = dump(a, 3, { blockWords: 600 });
    const lines = [...first.slice(0, first.length - 3), ...dump(b, 2)];
    const r = scan(lines.join('\n'), 'twice.log');
    assert.deepEqual(r.words.get(1), [...a]);
    assert.deepEqual(r.words.get(2), [...b]);
    const trunc = r.diags.find((d) => d.code === 'DUMP_TRUNCATED');
    assert.ok(trunc);
    assert.equal(trunc.line, first.length - 3 + 1);
    assert.deepEqual(r.dumps.map((d) => d.complete), [false, true]);
  });

  test('VIO_TRACE_STREAM and unknown versions are recognised and skipped, not mis-decoded', () => {
    const lines = ['x', ...dump(a, 3, { type: 'VIO_TRACE_STREAM' }), ...dump(b, 1), ...dump(b, 3).map((l) => (l === 'VERSION: 3' ? 'VERSION: 7' : l))];
    const r = scan(lines.join('\n'), 'vio.log');
    assert.deepEqual(r.dumps.map((d) => [d.type, d.supported]), [['VIO_TRACE_STREAM', false], ['FTRACE_STREAM', true], ['FTRACE_STREAM', false]]);
    assert.equal(r.words.has(1), false);
    assert.deepEqual(r.words.get(2), [...b]);
    assert.equal(r.words.has(3), false);
    const un = r.diags.filter((d) => d.code === 'DUMP_UNSUPPORTED');
    assert.deepEqual(un.map((d) => d.line), [2, r.dumps[2].startLine]);
    assert.match(un[0].message, /VIO_TRACE_STREAM is not supported/);
  });

  test('DumpWords reads any range back from the log, across block seams', () => {
    const lines = ['boot', ...dump(c, 3, { blockWords: 777, tail: 100 }).map((l) => `  ${l}\r`)];
    const r = scan(lines.join('\n'), 'read.log');
    const src = new FileSource(r.path);
    try {
      const dw = new DumpWords(src, blocksToColumn(r.dumps[0].blocks), r.dumps[0].words);
      for (const [start, count] of [[0, 10], [770, 20], [777, 1], [5200, 200], [5320, 5], [1500, 3000], [0, c.length]]) {
        const want = c.subarray(start, Math.min(c.length, start + count));
        assert.deepEqual([...dw.read(start, count)], [...want], `read(${start}, ${count})`);
      }
    } finally {
      src.close();
    }
  });

  test('base64 with stray "=" anywhere decodes as if they were not there', () => {
    const bytes = Buffer.from(words(301, 9).buffer);
    const b = bytes.toString('base64').replace(/=/g, '');
    for (const stray of [`=${b}`, `${b.slice(0, 5)}=${b.slice(5)}`, `${b}===`, b.split('').join('=')]) {
      assert.deepEqual(decodeBase64Loose(stray), bytes);
    }
  });
});
