import { setFlagsFromString } from 'node:v8';

let guarded = false;

/**
 * A regular expression a user wrote (`--grep`, rules, expectation files).
 * Such a pattern may backtrack catastrophically (`(a+)+$`): past a backtrack
 * budget V8 then reruns the match on its linear-time engine instead of
 * hanging. The flag is set only when one is made: a V8 flag changed at run
 * time makes every worker thread started after it boot without Node's code
 * cache (~25 ms more each, on the core an index needs).
 */
export function userRegExp(source: string, flags?: string): RegExp {
  if (!guarded) {
    setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
    guarded = true;
  }
  return new RegExp(source, flags);
}
