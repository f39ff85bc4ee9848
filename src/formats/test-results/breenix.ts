// Breenix test output in a serial log or a harness's stdout (breenix.md §4.1, §4.2):
//   - in-kernel boot tests: [TEST:<sub>:<name>:START|PASS|FAIL:<msg>|TIMEOUT|PANIC] plus plan/tally markers;
//   - xtask boot stages: [i/N] <name>... PASS (1.23s) / FAIL (timeout), Result: k/N stages passed;
//   - the aarch64 userspace suite runners: "Running: <name>" … "RESULT: PASS (exit 0)".
import type { DiagnosticLog } from '../../model/diagnostics.js';
import type { TestStatus } from '../../model/test-result.js';
import {
  clip, countOf, emptyCounts, lastCrSegment, MAX_OUTPUT_LINES, RecentLines, stripAnsi,
  type LineReader, type ReaderOutput, type StatusCounts, type TestRecord,
} from './types.js';

// ---------------------------------------------------------------------------------------------
// In-kernel boot tests
// ---------------------------------------------------------------------------------------------

/**
 * A per-test marker anywhere in a line. Test and subsystem names are Rust
 * snake_case identifiers; requiring that keeps most markers that another CPU's
 * output garbled (`frame_custT0ody`) from becoming tests with invented names.
 * The opening bracket is optional because interleaved output sometimes eats it
 * (`…ts=22178437 TEST:memory:heap_alloc_basic:PASS]`), but `TEST:` must not
 * continue an identifier (`CLONEVM_EXEC_TEST: PASS` is userspace chatter).
 */
const TEST_MARKER = /(?<![A-Za-z0-9_])TEST:([a-z0-9_]+):([a-z0-9_]+):(START|PASS|FAIL|TIMEOUT|PANIC)(?::([^\]]*))?\]/g;
const BOOT_START = '[BOOT_TESTS:START]';
const TOTAL = /\[BOOT_TESTS:TOTAL:(\d+)\]/;
const TESTS_COMPLETE = /\[TESTS_COMPLETE:(\d+)\/(\d+)(?::FAILED:(\d+))?\]/g;
const BOOT_VERDICT = /\[BOOT_TESTS:(PASS|FAIL(?::(\d+))?)\]/;
const STAGE_COMPLETE = /\[STAGE:([a-z]+):COMPLETE:(\d+)\/(\d+)\]/;
const SUBSYSTEM_COMPLETE = /\[SUBSYSTEM:([a-z0-9_]+):([a-z]+):COMPLETE:(\d+)\/(\d+)\]/g;
const SUBSYSTEM_ANY = /\[SUBSYSTEM:([a-z0-9_]+):[a-z]+:(?:START|COMPLETE)/g;

/** Insertions another CPU's output may leave inside a name and still be recognisably the same test. */
const MAX_GARBLE = 8;

const HUNG = 'hung (no result before the log ended)';

interface BootEntry {
  sub: string;
  name: string;
  start?: number;
  verdictLine?: number;
  status?: TestStatus;
  message: string;
  output?: string[];
  inferred?: boolean;
}

interface Tally {
  done: number;
  total: number;
  failed: number;
  line: number;
}

const BAD: ReadonlySet<TestStatus> = new Set<TestStatus>(['fail', 'timeout', 'error']);

/** True when `short` can be obtained from `long` by deleting characters (interleaving only inserts). */
function isSubsequence(short: string, long: string): boolean {
  let i = 0;
  for (let j = 0; j < long.length && i < short.length; j++) if (long[j] === short[i]) i++;
  return i === short.length;
}

class BootTestReader implements LineReader {
  readonly source = 'breenix-boot-test';
  private entries = new Map<string, BootEntry>();
  private total: number | null = null;
  private tally: Tally | null = null;
  private stageDone = 0;
  private bootVerdict: string | null = null;
  private lastGlobalDone = 0;
  private readonly lastSubMarker = new Map<string, number>();
  private subsystemCompletes: { sub: string; line: number; passed: number; run: number }[] = [];
  /** Subsystems named by intact [SUBSYSTEM:…] markers: a test marker naming another one is garbled. */
  private knownSubs = new Set<string>();
  private readonly recent = new RecentLines(64);
  private readonly results: TestRecord[] = [];
  private readonly unnamed: StatusCounts = emptyCounts();
  private sessions = 0;
  private duplicates = 0;
  private planned = 0;
  private completed = 0;
  private kernelFailed = 0;
  private seenAny = false;

  constructor(
    private readonly file: string,
    private readonly log: DiagnosticLog,
  ) {}

  line(text: string, lineNo: number): void {
    this.recent.push(text, lineNo);
    // Cheap gate: every marker this reader knows contains one of these.
    if (!text.includes('TEST') && !text.includes('STAGE:') && !text.includes('SUBSYSTEM:')) return;
    if (text.includes(BOOT_START)) {
      // A second boot in the same capture starts a fresh run.
      if (this.entries.size > 0 || this.tally) this.finishSession(lineNo - 1);
      this.sessions++;
      this.seenAny = true;
    }
    if (text.includes('TEST:')) {
      for (const m of text.matchAll(TEST_MARKER)) this.onTest(m[1], m[2], m[3], m[4], lineNo);
    }
    if (text.includes('BOOT_TESTS:')) {
      const t = TOTAL.exec(text);
      if (t) {
        this.total = Number(t[1]);
        this.seenAny = true;
      }
      const v = BOOT_VERDICT.exec(text);
      if (v) {
        this.bootVerdict = v[1];
        this.lastGlobalDone = lineNo;
      }
    }
    if (text.includes('TESTS_COMPLETE:')) {
      for (const m of text.matchAll(TESTS_COMPLETE)) {
        const tally = { done: Number(m[1]), total: Number(m[2]), failed: Number(m[3] ?? 0), line: lineNo };
        // The marker-only path can print [TESTS_COMPLETE:0/0]; a real tally wins over it (breenix.md §4.1).
        if (tally.total > 0 || !this.tally) this.tally = tally;
        this.lastGlobalDone = lineNo;
        this.seenAny = true;
      }
    }
    if (text.includes('STAGE:')) {
      const s = STAGE_COMPLETE.exec(text);
      if (s) {
        this.stageDone = Math.max(this.stageDone, Number(s[2]));
        this.lastGlobalDone = lineNo;
      }
    }
    if (text.includes('SUBSYSTEM:')) {
      for (const m of text.matchAll(SUBSYSTEM_ANY)) this.knownSubs.add(m[1]);
      for (const m of text.matchAll(SUBSYSTEM_COMPLETE)) {
        this.subsystemCompletes.push({ sub: m[1], line: lineNo, passed: Number(m[3]), run: Number(m[4]) });
        this.lastSubMarker.set(m[1], lineNo);
      }
    }
  }

  private onTest(sub: string, name: string, kind: string, msg: string | undefined, lineNo: number): void {
    this.seenAny = true;
    const key = `${sub}:${name}`;
    let e = this.entries.get(key);
    if (!e) {
      e = { sub, name, message: '' };
      this.entries.set(key, e);
    }
    this.lastSubMarker.set(sub, lineNo);
    if (kind === 'START') {
      if (e.start === undefined) e.start = lineNo;
      return;
    }
    const status: TestStatus = kind === 'PASS' ? 'pass' : kind === 'FAIL' ? 'fail' : kind === 'TIMEOUT' ? 'timeout' : 'error';
    const message = kind === 'FAIL' ? clip(msg ?? '') : kind === 'PANIC' ? 'panic' : kind === 'TIMEOUT' ? 'timed out (kernel test timeout)' : '';
    if (e.status !== undefined) {
      // Oracle verdicts are printed twice; only a disagreement is news.
      if (e.status === status) {
        this.duplicates++;
        return;
      }
      this.log.add({
        code: 'BREENIX_CONFLICTING_VERDICT', severity: 'warning', file: this.file, line: lineNo,
        message: `test ${key} reported ${e.status} at line ${e.verdictLine} and ${status} here; keeping the failing one`,
      });
      if (!BAD.has(status)) return;
    }
    e.status = status;
    e.message = message;
    e.verdictLine = lineNo;
    if (status !== 'pass') {
      const from = e.start ?? lineNo;
      e.output = this.recent.between(from, lineNo).slice(-MAX_OUTPUT_LINES);
    }
  }

  /** Restores a subsystem name that interleaved output lengthened (`nprocess` → `process`). */
  private repairSubsystems(): void {
    if (this.knownSubs.size === 0) return;
    for (const [key, e] of [...this.entries]) {
      if (this.knownSubs.has(e.sub)) continue;
      // The longest known name hidden in it (`fi0lesystem` holds both filesystem and system).
      const fix = [...this.knownSubs]
        .filter((k) => k.length < e.sub.length && e.sub.length - k.length <= MAX_GARBLE && isSubsequence(k, e.sub))
        .sort((a, b) => b.length - a.length)[0];
      if (!fix) continue;
      this.entries.delete(key);
      const k2 = `${fix}:${e.name}`;
      const other = this.entries.get(k2);
      this.log.add({
        code: 'BREENIX_GARBLED_NAME', severity: 'info', file: this.file, line: e.start ?? e.verdictLine,
        message: `marker subsystem ${e.sub} is ${fix} with interleaved output; repaired`,
      });
      if (other) {
        other.start ??= e.start;
        if (other.status === undefined && e.status !== undefined) Object.assign(other, { status: e.status, message: e.message, verdictLine: e.verdictLine, output: e.output });
      } else this.entries.set(k2, { ...e, sub: fix });
    }
  }

  /** Pairs a START and a verdict whose names differ only by characters interleaved from other output. */
  private mergeGarbled(): void {
    const startsOnly = [...this.entries.entries()].filter(([, e]) => e.status === undefined && e.start !== undefined);
    const verdictsOnly = [...this.entries.entries()].filter(([, e]) => e.status !== undefined && e.start === undefined);
    for (const [sk, s] of startsOnly) {
      let best: [string, BootEntry] | null = null;
      for (const [vk, v] of verdictsOnly) {
        if (!this.entries.has(vk) || Math.abs(vk.length - sk.length) > MAX_GARBLE) continue;
        const [short, long] = vk.length <= sk.length ? [vk, sk] : [sk, vk];
        if (short !== long && isSubsequence(short, long) && (!best || Math.abs(best[0].length - sk.length) > Math.abs(vk.length - sk.length))) best = [vk, v];
      }
      if (!best) continue;
      const [vk, v] = best;
      // Keep the shorter spelling: interleaving only ever adds characters.
      const keepStartName = sk.length <= vk.length;
      const merged: BootEntry = { ...v, start: s.start, sub: keepStartName ? s.sub : v.sub, name: keepStartName ? s.name : v.name };
      this.entries.delete(sk);
      this.entries.delete(vk);
      this.entries.set(`${merged.sub}:${merged.name}`, merged);
      this.log.add({
        code: 'BREENIX_GARBLED_NAME', severity: 'info', file: this.file, line: keepStartName ? v.verdictLine : s.start,
        message: `marker name ${keepStartName ? vk : sk} is ${merged.sub}:${merged.name} with interleaved output; merged`,
      });
    }
  }

  private finishSession(lastLine: number): void {
    // Pair START/verdict spellings first: a garbled subsystem may be a known one's superstring twice over.
    this.mergeGarbled();
    this.repairSubsystems();
    this.mergeGarbled();
    const tally = this.tally;
    const rows = [...this.entries.values()];
    const seenFailures = rows.filter((e) => e.status !== undefined && BAD.has(e.status)).length;
    let hung = 0;
    for (const e of rows) {
      if (e.status !== undefined || e.start === undefined) continue;
      const laterSub = this.lastSubMarker.get(e.sub) ?? 0;
      const finished = laterSub > e.start || this.lastGlobalDone > e.start;
      if (!finished) {
        e.status = 'timeout';
        e.message = HUNG;
        hung++;
        e.output = this.recent.between(e.start, lastLine).slice(-MAX_OUTPUT_LINES);
        continue;
      }
      // Later markers prove the test ended, but its verdict marker did not survive intact.
      e.inferred = true;
      const sc = this.subsystemCompletes.find((c) => c.sub === e.sub && c.line > (e.start ?? 0));
      if (sc && sc.passed === sc.run) {
        e.status = 'pass';
        e.message = `verdict marker garbled; [SUBSYSTEM:${e.sub}:…:COMPLETE:${sc.passed}/${sc.run}] shows all passed`;
      } else if (tally && tally.failed <= seenFailures) {
        e.status = 'pass';
        e.message = `verdict marker garbled; [TESTS_COMPLETE:${tally.done}/${tally.total}${tally.failed ? `:FAILED:${tally.failed}` : ''}] leaves no other failure`;
      } else {
        e.status = 'error';
        e.message = 'verdict marker garbled and the run\'s tally cannot tell pass from fail';
      }
      this.log.add({
        code: 'BREENIX_LOST_VERDICT', severity: 'info', file: this.file, line: e.start,
        message: `test ${e.sub}:${e.name} started here and finished (later markers), but no intact verdict marker: ${e.status} inferred`,
      });
    }
    const before = this.results.length;
    for (const e of rows) {
      if (e.status === undefined) continue;
      const r: TestRecord = {
        name: e.name, suite: e.sub, status: e.status, message: e.message,
        line: e.verdictLine ?? e.start ?? 0, source: this.source,
      };
      if (e.start !== undefined) r.start_line = e.start;
      if (e.verdictLine !== undefined) r.end_line = e.verdictLine;
      if (e.output && e.output.length) r.output = e.output;
      if (e.inferred) r.inferred = true;
      this.results.push(r);
    }
    const mine = this.results.slice(before);
    const c = countOf(mine);
    const named = mine.length;
    const planned = tally ? tally.total : this.total;
    // The kernel's own cumulative count of finished tests, when it printed one.
    const completed = tally ? tally.done : this.stageDone > 0 ? this.stageDone : null;
    if (completed !== null) {
      const namedDone = named - hung;
      const failedNamed = c.fail + c.error + c.timeout - hung;
      const unnamedDone = Math.max(0, completed - namedDone);
      // Without the final tally, the per-subsystem COMPLETE:<passed>/<run> markers still count failures.
      const failedKnown = tally ? tally.failed : this.subsystemCompletes.reduce((a, x) => a + x.run - x.passed, 0);
      const unnamedFail = Math.min(unnamedDone, Math.max(0, failedKnown - failedNamed));
      this.unnamed.fail += unnamedFail;
      this.unnamed.pass += unnamedDone - unnamedFail;
      if (namedDone > completed) {
        this.log.add({
          code: 'BREENIX_COUNT_MISMATCH', severity: 'warning', file: this.file, line: tally?.line,
          message: `${namedDone} finished tests named in the log but the kernel counted ${completed} (garbled names?)`,
        });
      }
      if (planned !== null) this.unnamed.notrun += Math.max(0, planned - completed - hung);
    } else if (planned !== null) {
      this.unnamed.notrun += Math.max(0, planned - named);
    }
    const failedInLog = c.fail + c.error + c.timeout - hung;
    if (tally && failedInLog > tally.failed) {
      this.log.add({
        code: 'BREENIX_TALLY_MISMATCH', severity: 'warning', file: this.file, line: tally.line,
        message: `the kernel counted ${tally.failed} failures but the log shows ${failedInLog}`,
      });
    }
    if (planned !== null) this.planned += planned;
    if (completed !== null) this.completed += completed;
    if (tally) this.kernelFailed += tally.failed;
    this.entries = new Map();
    this.total = null;
    this.tally = null;
    this.stageDone = 0;
    this.lastGlobalDone = 0;
    this.lastSubMarker.clear();
    this.subsystemCompletes = [];
    this.knownSubs = new Set();
  }

  end(lastLine: number): ReaderOutput {
    if (this.seenAny) this.finishSession(lastLine);
    return {
      results: this.results,
      unnamed: this.unnamed,
      info: this.seenAny
        ? {
            planned: this.planned || null, completed: this.completed || null, kernel_failed: this.kernelFailed,
            boot_verdict: this.bootVerdict, sessions: Math.max(1, this.sessions), duplicate_verdicts: this.duplicates,
          }
        : {},
    };
  }
}

// ---------------------------------------------------------------------------------------------
// xtask boot stages
// ---------------------------------------------------------------------------------------------

/** `[i/N] name... PASS (1.23s)`, `… PASS (12ms, found after buffer flush)`, `… FAIL (timeout)`, or a bare `[i/N] name...` while waiting. */
const STAGE_LINE = /^\s*\[(\d+)\/(\d+)\] (.+?)\.\.\.(?:\s+(PASS|FAIL)(?:\s+\(([^)]*)\))?)?\s*$/;
const STAGE_RESULT = /^Result: (ALL )?(\d+)\/(\d+) stages passed/;
const FIRST_FAILED = /^First failed stage: \[(\d+)(?:\/(\d+))?\] (.+?)\s*$/;
const STAGE_TIMED_OUT = /^Stage (\d+) timed out after/;
const MEANING = /^\s+Meaning:\s*(.*)$/;

function parseDuration(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s)\b/.exec(s.trim());
  if (!m) return undefined;
  return m[2] === 's' ? Math.round(Number(m[1]) * 1000 * 1000) / 1000 : Number(m[1]);
}

class BootStageReader implements LineReader {
  readonly source = 'breenix-boot-stage';
  private readonly stages = new Map<number, TestRecord>();
  private total: number | null = null;
  private resultPassed: number | null = null;
  private timedOutPath = false;
  private waiting: { i: number; name: string; line: number } | null = null;
  private lastFailed: TestRecord | null = null;
  private seen = false;

  constructor(
    private readonly file: string,
    private readonly log: DiagnosticLog,
  ) {}

  line(raw: string, lineNo: number): void {
    if (this.lastFailed) {
      // xtask prints "  Meaning: …" right after a failed stage: the best message there is.
      const m = MEANING.exec(raw);
      if (m) {
        const r = this.lastFailed;
        r.message = clip(r.message ? `${r.message}: ${m[1]}` : m[1]);
        this.lastFailed = null;
        return;
      }
      if (raw.trim() !== '') this.lastFailed = null;
    }
    // Every form this reader knows has "..." or starts with Result:/First failed/Stage.
    if (!raw.includes('...') && !raw.startsWith('Result:') && !raw.startsWith('First failed') && !raw.startsWith('Stage ')) return;
    // Progress lines are redrawn with CR; each segment is what the terminal showed at some moment.
    const segments = raw.includes('\r') ? raw.split('\r') : [raw];
    for (const seg of segments) this.segment(seg, lineNo);
  }

  private segment(text: string, lineNo: number): void {
    const m = STAGE_LINE.exec(text);
    if (m) {
      const i = Number(m[1]);
      const n = Number(m[2]);
      this.seen = true;
      if (this.total !== null && this.total !== n) {
        this.log.add({ code: 'BOOT_STAGE_TOTAL_CHANGED', severity: 'warning', file: this.file, line: lineNo, message: `stage count changed from ${this.total} to ${n}` });
      }
      this.total = n;
      const name = m[3].trim();
      if (!m[4]) {
        this.waiting = { i, name, line: lineNo };
        return;
      }
      if (this.waiting?.i === i) this.waiting = null;
      const pass = m[4] === 'PASS';
      const note = m[5] ?? '';
      const status: TestStatus = pass ? 'pass' : /timeout/i.test(note) ? 'timeout' : 'fail';
      const r: TestRecord = {
        name, suite: 'boot-stages', status, message: pass ? '' : note || 'FAIL', line: lineNo, source: this.source, number: i,
      };
      const d = parseDuration(note);
      if (d !== undefined) r.duration_ms = d;
      const prev = this.stages.get(i);
      if (prev && prev.status === r.status) return;
      this.stages.set(i, r);
      if (!pass) this.lastFailed = r;
      return;
    }
    const res = STAGE_RESULT.exec(text);
    if (res) {
      this.seen = true;
      this.resultPassed = Number(res[2]);
      this.total = Number(res[3]);
      this.waiting = null;
      return;
    }
    const ff = FIRST_FAILED.exec(text);
    if (ff) {
      const i = Number(ff[1]);
      if (ff[2]) this.total = Number(ff[2]);
      if (!this.stages.has(i)) {
        const r: TestRecord = { name: ff[3], suite: 'boot-stages', status: 'fail', message: 'marker not found', line: lineNo, source: this.source, number: i };
        this.stages.set(i, r);
        this.lastFailed = r;
      }
      return;
    }
    if (STAGE_TIMED_OUT.test(text)) this.timedOutPath = true;
  }

  end(): ReaderOutput {
    const unnamed = emptyCounts();
    if (!this.seen) return { results: [], unnamed, info: {} };
    if (this.waiting && !this.stages.has(this.waiting.i)) {
      this.stages.set(this.waiting.i, {
        name: this.waiting.name, suite: 'boot-stages', status: 'timeout', message: HUNG, line: this.waiting.line, source: this.source, number: this.waiting.i,
      });
    }
    const results = [...this.stages.values()].sort((a, b) => (a.number ?? 0) - (b.number ?? 0));
    if (this.total !== null) {
      const rest = Math.max(0, this.total - results.length);
      // After a stage timeout xtask stops looking; after a final scan every stage was checked and missing ones failed.
      if (this.resultPassed !== null && !this.timedOutPath) unnamed.fail += rest;
      else unnamed.notrun += rest;
    }
    const passed = results.filter((r) => r.status === 'pass').length;
    if (this.resultPassed !== null && this.resultPassed !== passed) {
      this.log.add({
        code: 'BOOT_STAGE_COUNT_MISMATCH', severity: 'warning', file: this.file,
        message: `xtask reported ${this.resultPassed} stages passed but ${passed} PASS lines were found`,
      });
    }
    return { results, unnamed, info: { stages: this.total, stages_passed: this.resultPassed } };
  }
}

// ---------------------------------------------------------------------------------------------
// aarch64 userspace suite runners (run-aarch64-test-suite.sh, run-aarch64-test-runner.py)
// ---------------------------------------------------------------------------------------------

const RUNNING = /^Running: (\S+)\s*$/;
const RESULT = /^RESULT: (PASS|FAIL|SKIP|UNKNOWN|BUILD_FAILED)\b\s*(?:\((.*)\))?/;
const BUILD_FAILED = /^BUILD FAILED for (\S+)/;
const SUMMARY_COUNT = /^(Passed|Failed|Unknown|Total):\s+(\d+)\s*$/;
const LAST_LINES = /^--- (Last \d+ lines|Output \(last \d+ lines\)) ---$/;
const OUTPUT_END = /^--- End Output ---$/;
const RULE = /^={10,}$/;

class SuiteRunnerReader implements LineReader {
  readonly source = 'breenix-suite';
  private readonly results: TestRecord[] = [];
  private pending: { name: string; line: number; output: string[]; inOutput: boolean } | null = null;
  /** A failed result whose "--- Last 10 lines ---" block (printed after RESULT) is still being collected. */
  private collecting: TestRecord | null = null;
  private collectLeft = 0;
  private readonly summary: Record<string, number> = {};

  constructor(
    private readonly file: string,
    private readonly log: DiagnosticLog,
  ) {}

  line(text: string, lineNo: number): void {
    if (this.collecting) {
      const m = LAST_LINES.exec(text);
      if (m) {
        this.collectLeft = Number(/\d+/.exec(m[1])?.[0] ?? MAX_OUTPUT_LINES);
        return;
      }
      if (this.collectLeft > 0 && !RUNNING.test(text) && !RULE.test(text)) {
        this.collectLeft--;
        (this.collecting.output ??= []).push(text.slice(0, 500));
        return;
      }
      trimBlankTail(this.collecting);
      this.collecting = null;
    }
    const run = RUNNING.exec(text);
    if (run) {
      this.closePending('no RESULT line before the next test started', 'error');
      this.pending = { name: run[1], line: lineNo, output: [], inOutput: false };
      return;
    }
    const p = this.pending;
    if (p) {
      // The python runner prints the guest's last lines between these markers, before RESULT.
      if (LAST_LINES.test(text)) {
        p.inOutput = true;
        return;
      }
      if (OUTPUT_END.test(text)) {
        p.inOutput = false;
        return;
      }
      if (p.inOutput) {
        if (p.output.length < 200) p.output.push(text.slice(0, 500));
        return;
      }
    }
    if (BUILD_FAILED.test(text) && p) {
      this.emit('error', 'build failed', lineNo);
      return;
    }
    const r = RESULT.exec(text);
    if (r) {
      // A RESULT line with no "Running:" before it belongs to another tool (parse-btrt's verdict).
      if (!p) return;
      const detail = r[2] ?? '';
      switch (r[1]) {
        case 'PASS': this.emit('pass', detail, lineNo); break;
        case 'FAIL': this.emit('fail', detail || 'FAIL', lineNo); break;
        case 'SKIP': this.emit('skip', detail || 'skipped', lineNo); break;
        case 'BUILD_FAILED': this.emit('error', 'build failed', lineNo); break;
        default:
          // The runner gave up waiting: no exit code, no failure text, no "not found".
          this.emit('timeout', 'RESULT: UNKNOWN (no exit code or verdict before the runner gave up)', lineNo);
      }
      return;
    }
    const s = SUMMARY_COUNT.exec(text);
    if (s && this.results.length > 0) this.summary[s[1].toLowerCase()] = Number(s[2]);
  }

  private emit(status: TestStatus, message: string, lineNo: number): void {
    const p = this.pending;
    if (!p) return;
    const r: TestRecord = {
      name: p.name, suite: 'userspace', status, message: clip(message), line: lineNo, start_line: p.line, end_line: lineNo, source: this.source,
    };
    if (status !== 'pass' && status !== 'skip') {
      if (p.output.length) {
        r.output = p.output.slice(-MAX_OUTPUT_LINES);
        trimBlankTail(r);
      }
      // The shell runner prints the guest's last lines after RESULT.
      this.collecting = r;
      this.collectLeft = 0;
    }
    this.results.push(r);
    this.pending = null;
  }

  private closePending(why: string, status: TestStatus): void {
    if (!this.pending) return;
    const p = this.pending;
    this.results.push({ name: p.name, suite: 'userspace', status, message: why, line: p.line, start_line: p.line, source: this.source });
    this.log.add({ code: 'SUITE_NO_RESULT', severity: 'warning', file: this.file, line: p.line, message: `test ${p.name}: ${why}` });
    this.pending = null;
  }

  end(lastLine: number): ReaderOutput {
    if (this.collecting) trimBlankTail(this.collecting);
    if (this.pending) {
      const p = this.pending;
      this.results.push({ name: p.name, suite: 'userspace', status: 'timeout', message: HUNG, line: p.line, start_line: p.line, end_line: lastLine, source: this.source });
      this.pending = null;
    }
    const c = countOf(this.results);
    const checks: [string, number][] = [['passed', c.pass], ['failed', c.fail + c.error], ['unknown', c.timeout + c.skip], ['total', this.results.length]];
    for (const [k, v] of checks) {
      if (this.summary[k] !== undefined && this.summary[k] !== v) {
        this.log.add({ code: 'SUITE_SUMMARY_MISMATCH', severity: 'warning', file: this.file, message: `the runner's summary says ${k} ${this.summary[k]}, the RESULT lines give ${v}` });
      }
    }
    return { results: this.results, unnamed: {}, info: this.results.length ? { ...this.summary } : {} };
  }
}

function trimBlankTail(r: TestRecord): void {
  const o = r.output;
  if (!o) return;
  while (o.length && o[o.length - 1].trim() === '') o.pop();
  if (!o.length) delete r.output;
}

/** Strips what a terminal capture adds around Breenix output before the readers look. */
function wrap(r: LineReader, clean: (s: string) => string): LineReader {
  return { source: r.source, line: (t, n) => r.line(clean(t), n), end: (n) => r.end(n) };
}

export function createBootTestReader(file: string, log: DiagnosticLog): LineReader {
  return wrap(new BootTestReader(file, log), stripAnsi);
}

export function createBootStageReader(file: string, log: DiagnosticLog): LineReader {
  return wrap(new BootStageReader(file, log), stripAnsi);
}

export function createSuiteRunnerReader(file: string, log: DiagnosticLog): LineReader {
  const r = new SuiteRunnerReader(file, log);
  let active = false;
  return {
    source: r.source,
    line: (t, n) => {
      // Nothing is owed to this reader before the first "Running:" line; skip the cleaning until then.
      if (!active) {
        if (!t.includes('Running: ')) return;
        active = true;
      }
      r.line(lastCrSegment(stripAnsi(t)), n);
    },
    end: (n) => r.end(n),
  };
}
