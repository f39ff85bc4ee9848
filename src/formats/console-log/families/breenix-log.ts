import type { FieldValue } from '../../../model/event.js';
import type { LineFamily } from '../family.js';

// Breenix x86_64 kernel log: `[ INFO] kernel::memory: msg` (level right-aligned in 5).
const KLOG = /^\[\s*(ERROR|WARN|INFO|DEBUG)\]\s+(?:([\w:]+):\s)?(.*)$/;
const LEVEL: Record<string, number> = { ERROR: 3, WARN: 4, INFO: 6, DEBUG: 7, TRACE: 7 };
// Boot-test markers: `[TEST:sub:name:PASS]`, `[TEST:sub:name:FAIL:msg]`, … (issue 4 reads verdicts from these).
const TEST = /^\[TEST:([^:\]]+):([^:\]]+):([A-Z_]+)(?::([^\]]*))?\]/;
// Indexing sees only a line's head, so the verdict is enough: a long FAIL message may be cut.
// Names have no spaces, which rejects the garbage two CPUs make of a marker.
const TEST_HEAD = /^\[TEST:([^:\]\s]+):[^:\]\s]+:[A-Z_]+[:\]]/;
// aarch64 subsystem prefixes: `[boot] msg`, `[gic] msg`, `[ OK ] msg`; and `NET: msg`, `EL0_SYSCALL: msg`.
const TAGGED = /^\[\s*([A-Za-z][\w.-]{0,31}|OK)\s*\]\s?(.*)$/;
const CAPS = /^([A-Z][A-Z0-9_]{1,31}):\s(.*)$/;
// Indexing variants without the message capture (no substring per line).
const KLOG_HEAD = /^\[\s*(ERROR|WARN|INFO|DEBUG)\]\s+(?:([\w:]+):\s)?/;
const TAGGED_HEAD = /^\[\s*([A-Za-z][\w.-]{0,31}|OK)\s*\]/;
const CAPS_HEAD = /^([A-Z][A-Z0-9_]{1,31}):\s/;

export const breenixLog: LineFamily = {
  id: 'breenix-log',
  types: ['KLOG', 'TEST_MARKER', 'TAGGED'],
  create: () => (line, row) => {
    const c = line.charCodeAt(0);
    if (c === 91 /* [ */) {
      const c1 = line.charCodeAt(1);
      if (c1 === 84 /* T */ && line.startsWith('[TEST:')) {
        const t = TEST_HEAD.exec(line);
        if (t) {
          row.sub = t[1];
          return 1;
        }
      }
      // Levels are right-aligned in 5 characters, so `]` sits at index 6.
      if (line.charCodeAt(6) === 93) {
        const k = KLOG_HEAD.exec(line);
        if (k) {
          row.aux = LEVEL[k[1]];
          row.sub = k[2] ?? '';
          return 0;
        }
      }
      const g = TAGGED_HEAD.exec(line);
      if (g) {
        row.sub = g[1];
        return 2;
      }
      return -1;
    }
    if (c >= 65 && c <= 90) {
      const m = CAPS_HEAD.exec(line);
      if (m) {
        row.sub = m[1];
        return 2;
      }
    }
    return -1;
  },
  fields(line, type): Record<string, FieldValue> {
    if (type === 1) {
      const t = TEST.exec(line);
      return t ? { suite: t[1], test: t[2], verdict: t[3], detail: t[4] ?? null } : { message: line };
    }
    if (type === 0) {
      const k = KLOG.exec(line);
      return k ? { level: k[1], target: k[2] ?? null, message: k[3] } : { message: line };
    }
    const g = TAGGED.exec(line) ?? CAPS.exec(line);
    return g ? { tag: g[1], message: g[2] } : { message: line };
  },
};
