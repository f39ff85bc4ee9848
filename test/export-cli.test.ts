// `kscope export` end to end: the built CLI writes Perfetto protobuf and Chrome JSON, and the
// tests decode the Perfetto file with the public field numbers (test/fixtures/perfetto/) and
// check it against an independent reading of the input: the generator's TII words, the text
// of real ftrace, function_graph and QEMU logs, and a Breenix CI capture.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DEFAULT_TII_SPEC } from '../src/formats/tii-ftrace/index.js';
import { generateTii, metaJson, type TiiGenerated } from '../src/gen/tii-generator.js';
import { MAX_DEPTH, type ExportResult } from '../src/export/index.js';
import { cliEntry, decodeChrome, decodePerfetto, sliceKeys, type DecodedTrace } from '../src/export/testing.js';
import { assertNoStack, assertUserError, cleanup, referenceDecode, runCli, ROOT, tmpdir, type CliResult } from './helpers.js';

after(cleanup);

const LINUX = join(ROOT, 'test', 'fixtures', 'linux');
const SAMPLES = join(ROOT, '..', 'shared', 'samples', 'breenix');
const work = tmpdir();
const ENTRY = cliEntry(ROOT, 'export', work, /\bexport\b/.test(runCli(['--help']).stdout));

function kscope(args: string[]): CliResult {
  const r = spawnSync(process.execPath, [ENTRY, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

interface Exported {
  result: ExportResult;
  stderr: string;
  pf: DecodedTrace;
  cj: ReturnType<typeof decodeChrome>;
}

/** Exports `input` to both formats (index under the temp dir) and decodes both files. */
function exportBoth(input: string, name: string, extra: string[] = []): Exported {
  const pfPath = join(work, `${name}.pftrace`);
  const cjPath = join(work, `${name}.json`);
  const r = kscope(['export', input, '--perfetto', pfPath, '--chrome', cjPath, '-o', join(work, `${name}.kscope`), '--json', ...extra]);
  assertNoStack(r, name);
  assert.equal(r.code, 0, r.stderr);
  const pf = decodePerfetto(pfPath);
  const cj = decodeChrome(cjPath);
  assert.deepEqual(pf.problems, [], `${name}: Perfetto file problems`);
  assert.deepEqual(cj.problems, [], `${name}: Chrome JSON problems`);
  // Both writers got the same timeline.
  assert.deepEqual(sliceKeys(cj), sliceKeys(pf), `${name}: the two formats hold different slices`);
  return { result: JSON.parse(r.stdout) as ExportResult, stderr: r.stderr, pf, cj };
}

function trackNamed(t: DecodedTrace, name: string): number[] {
  return [...t.tracks.values()].filter((x) => x.name === name).map((x) => x.uuid);
}

function textOf(path: string): string {
  const raw = readFileSync(path);
  return (path.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
}

// ------------------------------------------------------------------ TII (generator)

/**
 * What the function-call and kernel-entry tracks must hold, read straight from
 * the generated words: event N at N µs, calls matched by function id (an exit
 * below an unclosed entry closes it there), slices open at the end closed at
 * the last event, calls deeper than MAX_DEPTH left to instants (the
 * generator's random walk goes deeper than any viewer nests).
 */
function expectedTii(g: TiiGenerated): { calls: string[]; kernel: string[]; kernelStray: number; vmids: number[]; events: number; tooDeep: number } {
  const d = referenceDecode(g.words, DEFAULT_TII_SPEC);
  const names = (id: number) => {
    const a = g.dictionary.get(id);
    return a === undefined ? `fn#${id}` : `0x${a.toString(16)}`;
  };
  const km = DEFAULT_TII_SPEC.markers.find((m) => m.name === 'KERNEL_ENTRY');
  const pathEnum = km?.fields?.find((f) => f.name === 'path')?.enum ?? {};
  const sysEnum = km?.fields?.find((f) => f.name === 'syscall_no')?.enum ?? {};
  const calls: string[] = [];
  const kernel: string[] = [];
  const stack: { id: number; at: number }[] = [];
  let open: { name: string; at: number } | null = null;
  let kernelStray = 0;
  let overflow = 0;
  let tooDeep = 0;
  const vmids: number[] = [];
  const last = (d.types.length - 1) * 1000;
  const close = (s: { id: number; at: number }, end: number) => calls.push(`${names(s.id)}@${s.at}+${end - s.at}/${stack.length}`);
  d.types.forEach((type, n) => {
    const w = g.words[d.offsets[n]];
    const ts = n * 1000;
    if (type === 'FUNC_ENTER') {
      if (stack.length < MAX_DEPTH) stack.push({ id: w >>> 1, at: ts });
      else {
        overflow++;
        tooDeep++;
      }
    } else if (type === 'FUNC_EXIT') {
      if (overflow > 0) return void overflow--;
      const id = w >>> 1;
      let k = stack.length - 1;
      while (k >= 0 && stack[k].id !== id) k--;
      if (k < 0) return;
      while (stack.length > k) close(stack.pop() as { id: number; at: number }, ts);
    } else if (type === 'KERNEL_ENTRY') {
      const p = g.words[d.offsets[n] + 1];
      open = { name: `${pathEnum[String(p & 7)] ?? ''} ${sysEnum[String((p >>> 3) & 15)] ?? ''}`.trim(), at: ts };
    } else if (type === 'KERNEL_EXIT') {
      if (!open) kernelStray++;
      else kernel.push(`${open.name}@${open.at}+${ts - open.at}/0`);
      open = null;
    } else if (type === 'VMID') vmids.push(w >>> 1);
  });
  while (stack.length) close(stack.pop() as { id: number; at: number }, last);
  if (open) kernel.push(`${(open as { name: string }).name}@${(open as { at: number }).at}+${last - (open as { at: number }).at}/0`);
  return { calls: calls.sort(), kernel: kernel.sort(), kernelStray, vmids, events: d.types.length, tooDeep };
}

function writeTii(dir: string, words: number, seed: number): { bin: string; g: TiiGenerated } {
  const g = generateTii({ words, seed, vmids: 3, unknownMarkers: true });
  const bin = join(dir, 'ftrace.bin');
  writeFileSync(bin, g.words);
  writeFileSync(join(dir, 'ftrace.meta'), metaJson(g));
  return { bin, g };
}

test('TII stream: every function call nested as the words say, kernel entries, VM context, time = event order (said on stderr and in the metadata)', () => {
  const dir = tmpdir();
  const { bin, g } = writeTii(dir, 120_000, 11);
  const want = expectedTii(g);
  assert.ok(want.calls.length > 40_000 && want.kernel.length > 5, `a rich stream (${want.calls.length} calls, ${want.kernel.length} kernel entries)`);
  const e = exportBoth(bin, 'tii');
  assert.equal(e.result.format, 'tii-ftrace');
  assert.equal(e.result.events, want.events);
  assert.equal(e.result.time_axis, 'event-order');
  assert.match(e.stderr, /time is event order \(event N at N µs\): tii-ftrace events carry no timestamps/);
  const calls = (n: string) => n === 'function calls';
  assert.deepEqual(sliceKeys(e.pf, calls), want.calls);
  const callTrack = trackNamed(e.pf, 'function calls')[0];
  assert.ok(Math.max(...e.pf.slices.filter((s) => s.track === callTrack).map((s) => s.depth)) < MAX_DEPTH);
  if (want.tooDeep) assert.ok(e.result.notes.some((n) => n.startsWith(`${want.tooDeep} entries nested deeper than ${MAX_DEPTH}`)));
  assert.deepEqual(sliceKeys(e.pf, (n) => n === 'kernel entries'), want.kernel);
  const kTrack = trackNamed(e.pf, 'kernel entries')[0];
  assert.equal(e.pf.instants.filter((i) => i.track === kTrack && i.name === 'KERNEL_EXIT (no entry)').length, want.kernelStray);
  // The VMID counter follows the VMID events; VM context slices tile the stream after the first switch.
  assert.deepEqual(e.pf.counters.map((c) => c.value), want.vmids);
  assert.equal(e.pf.slices.filter((s) => s.track === trackNamed(e.pf, 'VM context')[0]).length, want.vmids.length);
  // Markers are instants inside the call they happened in, with their decoded fields.
  const marker = e.pf.instants.find((i) => i.name === 'SYSCALL');
  assert.ok(marker && typeof marker.args.number === 'number' && typeof marker.args.index === 'number');
  assert.equal(marker.ts, (marker.args.index as number) * 1000);
  // The group and its tracks; the metadata of both files says how time was made.
  assert.ok(trackNamed(e.pf, 'seL4 kernel').length === 1);
  const notes = e.pf.instants.find((i) => i.name.startsWith('kscope export'));
  assert.equal(notes?.args.time_axis, 'event-order');
  assert.match(String(notes?.args.note_1), /event order/);
  assert.equal((e.cj.metadata.kscope as { time_axis: string }).time_axis, 'event-order');
});

test('TII human output names the files, counts and the time axis', () => {
  const dir = tmpdir();
  const { bin } = writeTii(dir, 20_000, 3);
  const r = kscope(['export', bin, '--perfetto', join(dir, 'o.pftrace')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^wrote .*o\.pftrace \(Perfetto protobuf, [\d,.]+ (bytes|MB)\)$/m);
  assert.match(r.stdout, /events \(tii-ftrace\) → [\d,]+ slices/);
  assert.match(r.stdout, /time: event order/);
  assert.ok(!existsSync(join(dir, 'o.json')));
});

// ------------------------------------------------------------------ real text inputs

test('ftrace (timestamps): each CPU\'s running task from sched_switch starts at the line\'s own time, in ns', () => {
  const input = join(LINUX, 'x86_64-ftrace-trace.txt.gz');
  const e = exportBoth(input, 'ftrace');
  assert.equal(e.result.time_axis, 'timestamps');
  const first = /^\s*\S+-\d+\s+\[(\d+)\].*?\s(\d+)\.(\d+): sched_switch: .*next_comm=(\S+) next_pid=(\d+)/m.exec(textOf(input));
  assert.ok(first);
  const ts = Number(first[2]) * 1e9 + Number(first[3].padEnd(9, '0'));
  const task = e.pf.slices.find((s) => s.name === `${first[4]} ${first[5]}` && s.ts === ts);
  assert.ok(task, `a "${first[4]} ${first[5]}" slice at ${ts}`);
  const track = e.pf.tracks.get(task.track);
  assert.equal(track?.name, 'running task');
  assert.equal(e.pf.tracks.get(track?.parent ?? -1)?.name, `CPU ${Number(first[1])}`);
});

test('function_graph: one slice per call and leaf, nested as the braces say', () => {
  const input = join(LINUX, 'arm64-function-graph.txt.gz');
  const e = exportBoth(input, 'graph');
  const text = textOf(input).split('\n');
  const entries = text.filter((l) => /\) \{$/.test(l)).length;
  const leaves = text.filter((l) => /\(\);$/.test(l)).length;
  assert.equal(sliceKeys(e.pf, (n) => n === 'function calls').length, entries + leaves);
  const root = e.pf.slices.find((s) => s.name === 'ksys_read');
  assert.equal(root?.depth, 0);
  const child = e.pf.slices.find((s) => s.name === '__fdget_pos');
  assert.equal(child?.depth, 1);
  assert.ok(child && root && child.ts >= root.ts && child.ts + child.dur <= root.ts + root.dur);
});

test('QEMU -d int (arm64): exceptions are slices closed by "Exception return", per CPU; PSCI calls are instants', () => {
  const e = exportBoth(join(LINUX, 'arm64-qemu-int.log.gz'), 'qemu');
  assert.equal(e.result.time_axis, 'event-order');
  const irq = e.pf.slices.filter((s) => s.name === 'IRQ');
  assert.ok(irq.length > 100);
  assert.ok(irq.every((s) => e.pf.tracks.get(s.track)?.name === 'exceptions'));
  assert.ok(e.pf.instants.some((i) => i.name === 'Hypervisor Call'));
});

test('a Breenix CI capture: per-CPU tracks, boot tests in lanes, no nesting problem', { skip: existsSync(SAMPLES) ? false : `shared Breenix samples not found at ${SAMPLES}` }, () => {
  const e = exportBoth(join(SAMPLES, '607-576-serials__legK-red-testcommit-c3b0133d-esr8600000d.txt'), 'breenix');
  for (const cpu of [0, 1, 2, 3]) assert.equal(trackNamed(e.pf, `CPU ${cpu}`).length, 1, `CPU ${cpu}`);
  assert.ok(trackNamed(e.pf, 'tests').length === 1);
  assert.ok(e.pf.slices.some((s) => s.name === 'filesystem:vfs_init'));
  assert.ok(e.pf.instants.some((i) => i.name === 'FATAL_CPU_TRACE_MARKER'));
});

// ------------------------------------------------------------------ bad input

test('bad input: no output asked, an unwritable output, a missing input: one line each', () => {
  const dir = tmpdir();
  const { bin } = writeTii(dir, 2_000, 1);
  assertUserError(kscope(['export', bin]), 'export', /--perfetto FILE and\/or --chrome FILE/);
  assertUserError(kscope(['export', bin, '--perfetto', join(dir, 'no', 'such', 'dir', 'x.pftrace')]), 'x.pftrace', /cannot write the export \(ENOENT\)/);
  assertUserError(kscope(['export', join(dir, 'missing.bin'), '--chrome', join(dir, 'x.json')]), 'missing.bin', /no such file/);
});
