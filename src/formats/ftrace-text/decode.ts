import type { FieldValue } from '../../model/event.js';
import type { RowDecoder } from '../../model/event-table.js';
import { Code, EVENT_BODY, FUNCTION_BODY, GRAPH_SWITCH, LOST_EVENTS, flagFields, keyValues, parseEventLine, parseGraphLine, splitProc, syscallFields } from './parse.js';
import { T } from './types.js';

type Fields = Record<string, FieldValue>;

/** A tracepoint's own text: raw_syscalls' `NR …` forms, else `key=value` pairs; `message` keeps it whole. */
function bodyFields(name: string, rest: string, f: Fields): void {
  f.event = name;
  f.message = rest;
  if (name === 'tracing_mark_write') return;
  if (!syscallFields(rest, f)) keyValues(rest, f);
}

function graphFields(line: string, type: number, sub: string, f: Fields): void {
  if (type === T.CONTEXT_SWITCH) {
    const m = GRAPH_SWITCH.exec(line);
    if (!m) return;
    const prev = splitProc(m[2]);
    const next = splitProc(m[3]);
    if (prev) {
      f.prev_task = prev.task;
      f.prev_pid = prev.pid;
    }
    if (next) {
      f.next_task = next.task;
      f.next_pid = next.pid;
    }
    return;
  }
  if (type === T.GRAPH_IRQ_ENTRY || type === T.GRAPH_IRQ_EXIT) return;
  const g = parseGraphLine(line);
  if (!g) return;
  if (g.proc) {
    const p = splitProc(g.proc);
    if (p) {
      f.task = p.task;
      f.task_pid = p.pid;
    }
  }
  f.depth = g.depth;
  if (g.code === Code.COMMENT) {
    const m = EVENT_BODY.exec(g.name);
    if (m && type !== T.GRAPH_COMMENT) bodyFields(m[1], m[2], f);
    else f.message = g.name;
    return;
  }
  // An exit line names its function only with funcgraph-tail; the indexer resolved it from the open entries.
  f.function = g.code === Code.EXIT ? g.name || sub : g.name;
  if (g.duration === g.duration) f.duration_us = g.duration;
  if (g.overhead) f.overhead = g.overhead;
  if (g.retval) f.retval = g.retval;
}

/**
 * Decodes one stored ftrace event from its line: task, pid, flags and the
 * tracepoint's fields (`key=value` pairs, syscall numbers and arguments),
 * the function and parent of a function-tracer line, the frames of a stack
 * trace, or a function_graph call's name, depth and duration.
 */
export const decoder: RowDecoder = {
  decode(raw, type, row) {
    const all = raw.toString('utf8').split('\n');
    const first = all[0].replace(/\r$/, '');
    const f: Fields = {};
    if (type === T.LINE) {
      f.message = first;
      return { fields: f, text: `${row.line}: ${first}` };
    }
    if (type === T.LOST_EVENTS) {
      const m = LOST_EVENTS.exec(first);
      if (m) f.lost = Number(m[2]);
      return { fields: f, text: `${row.line}: ${first}` };
    }
    const ev = parseEventLine(first);
    if (ev) {
      f.task = ev.task;
      f.task_pid = ev.pid;
      if (ev.tgid !== null) f.tgid = ev.tgid;
      flagFields(ev.flags, f);
      if (type === T.STACK_TRACE) {
        const frames = all
          .slice(1)
          .map((l) => l.replace(/\r$/, ''))
          .filter((l) => l.startsWith(' => '))
          .map((l) => l.slice(4).trim());
        f.event = row.sub;
        f.frames = frames.join(' <- ');
        f.frame_count = frames.length;
      } else if (type === T.FUNCTION) {
        const m = FUNCTION_BODY.exec(ev.body);
        if (m) {
          f.function = m[1];
          f.parent = m[2];
        }
      } else {
        const m = EVENT_BODY.exec(ev.body);
        if (m) bodyFields(m[1], m[2], f);
        else f.message = ev.body;
      }
    } else graphFields(first, type, row.sub, f);
    let extra = type === T.STACK_TRACE ? ` [+${f.frame_count} frames]` : '';
    // Name the call an exit closes, as the funcgraph-tail option would have printed it.
    if (type === T.FUNC_EXIT && f.function && !first.includes('/*')) extra = ` /* ${f.function} */`;
    return { fields: f, text: `${row.line}: ${first.trim()}${extra}` };
  },
};
