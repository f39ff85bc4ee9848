import type { FieldValue } from '../../model/event.js';
import { EventTableBuilder, TableSource, newScratch, tableSummary, type RowDecoder, type RowScratch, type TableInfo } from '../../model/event-table.js';
import type { FormatReader } from '../../model/format.js';
import { forEachLine } from '../../util/lines.js';
import type { LineFamily } from './family.js';
import { breenixLog } from './families/breenix-log.js';
import { printk } from './families/printk.js';
import { sel4 } from './families/sel4.js';

/** Families in the order they are tried; the first match wins, LINE is the fallback. */
export const FAMILIES: readonly LineFamily[] = [printk, breenixLog, sel4];

/** Global type table: LINE, then every family's types. */
const TYPE_NAMES: string[] = ['LINE'];
const FAMILY_BASE: number[] = [];
for (const f of FAMILIES) {
  FAMILY_BASE.push(TYPE_NAMES.length);
  TYPE_NAMES.push(...f.types);
}

/** A marker may sit behind junk another CPU wrote into the same line (`T2T3[TEST:…]`). */
const JUNK_PREFIX_MAX = 16;
// eslint-disable-next-line no-control-regex
const CONTROL = /\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;

/** Removes terminal escape sequences and control bytes a serial capture picks up. */
export function cleanLine(line: string): string {
  return line.replace(CONTROL, '');
}

function hasControl(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c < 32 ? c !== 9 : c === 127) return true;
  }
  return false;
}

/** A classifier over all families: the global type of a cleaned line, 0 (LINE) when none matches. */
function classifier(): (line: string, row: RowScratch) => number {
  const matchers = FAMILIES.map((f) => f.create());
  return (line, row) => {
    for (let f = 0; f < matchers.length; f++) {
      const t = matchers[f](line, row);
      if (t >= 0) return FAMILY_BASE[f] + t;
    }
    return 0;
  };
}

function familyOf(type: number): [LineFamily, number] | null {
  for (let f = FAMILIES.length - 1; f >= 0; f--) if (type >= FAMILY_BASE[f]) return [FAMILIES[f], type - FAMILY_BASE[f]];
  return null;
}

function isBinaryJunk(line: string): boolean {
  let bad = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if ((c < 32 && c !== 9) || c === 127 || c === 0xfffd) bad++;
  }
  return bad > 4 && bad * 4 > line.length;
}

const decoder: RowDecoder = {
  decode(raw, type, row) {
    const line = cleanLine(raw.toString('utf8').replace(/\r?\n/g, ' '));
    let fields: Record<string, FieldValue> = { message: line };
    const fam = familyOf(type);
    if (fam) {
      // Re-find the marker behind a junk prefix, as indexing did.
      let at = 0;
      if (fam[0].create()(line, newScratch()) < 0) {
        const k = line.indexOf('[', 1);
        if (k > 0 && k <= JUNK_PREFIX_MAX) at = k;
      }
      fields = fam[0].fields(line.slice(at), fam[1]);
      if (at > 0) fields.junk_prefix = line.slice(0, at);
    }
    return { fields, text: `${row.line}: ${line}` };
  },
};

/**
 * Serial console logs: a line index in one streaming pass, every non-blank
 * line an event classified by family (Linux printk, Breenix, seL4, generic),
 * with timestamp, CPU, level (aux) and subsystem when the line has them.
 */
export const consoleLog: FormatReader = {
  id: 'console-log',
  title: 'serial console log (Linux printk, Breenix, seL4, generic)',
  kind: 'text',
  detect(head) {
    if (head.length === 0) return 0;
    let bad = 0;
    for (const b of head) if (b === 0 || (b < 32 && b !== 9 && b !== 10 && b !== 13 && b !== 27)) bad++;
    return bad / head.length < 0.05 ? 0.3 : 0;
  },
  optionsKey() {
    return {};
  },
  build(path, _options, ctx) {
    const b = new EventTableBuilder(TYPE_NAMES);
    const row = newScratch();
    const classify = classifier();
    let blank = 0;
    let junk = 0;
    let binary = 0;
    let dumps = 0;
    let lastLine = 0;
    const diags = ctx.diagnostics;
    const { lines, longLines, bytes } = forEachLine(path, (buf, s, e, lineNo, off, piece) => {
      if (s === e) {
        blank++;
        return;
      }
      if (piece > 1) {
        b.extendLast(off + (e - s));
        return;
      }
      if (piece === 1) diags.add({ code: 'LONG_LINE', severity: 'warning', file: ctx.name, line: lineNo, message: `line is longer than 1 MiB; indexed as one event, classified by its first MiB` });
      let line = buf.toString('latin1', s, e);
      if (hasControl(line)) {
        if (isBinaryJunk(line)) {
          binary++;
          diags.add({ code: 'BINARY_JUNK', severity: 'warning', file: ctx.name, line: lineNo, message: 'binary data in a text log; kept as a LINE event' });
        }
        line = cleanLine(line);
      }
      row.ts = NaN;
      row.cpu = -1;
      row.sub = '';
      row.aux = NaN;
      let t = classify(line, row);
      if (t === 0) {
        const k = line.indexOf('[', 1);
        if (k > 0 && k <= JUNK_PREFIX_MAX) {
          t = classify(line.slice(k), row);
          if (t !== 0) junk++;
        }
        if (line.startsWith('=== BINARY TRANSFER START')) dumps++;
      }
      row.type = t;
      b.add(lineNo, off, e - s, row);
      lastLine = lineNo;
      ctx.progress?.(off, bytes);
    });
    if (b.size === 0) {
      diags.add({ code: 'NO_EVENTS', severity: 'error', file: ctx.name, line: 1, message: lines === 0 ? 'file is empty' : 'no non-blank line in this log' });
    }
    const warnings = diags.list();
    const info: TableInfo = {
      id: 't0',
      label: ctx.name,
      events: b.size,
      typeNames: TYPE_NAMES,
      subNames: b.subNames,
      tsUnit: 's',
      summary: tableSummary(b, 'console-log', ctx.name, warnings, {
        lines,
        blank_lines: blank,
        junk_prefixed_lines: junk,
        binary_lines: binary,
        long_lines: longLines,
        last_event_line: lastLine,
        tii_dumps: dumps,
      }),
    };
    return { data: { tables: [info] }, columns: b.columns('t0.') };
  },
  streams(bundle) {
    return (bundle.manifest.data as { tables: TableInfo[] }).tables.map((t) => ({ id: t.id, label: t.label, events: t.events }));
  },
  open(bundle, path) {
    const info = (bundle.manifest.data as { tables: TableInfo[] }).tables[0];
    return new TableSource(bundle, info, path, decoder);
  },
};
