import { parseMarker, type ExpectationSet } from './expect-file.js';

/**
 * A built-in set from marker lines in the expectation-file syntax; its first
 * marker is the anchor. `[marker, prefilter]` pairs give a regex the
 * substring its matches always contain, so it runs only on lines that have it.
 */
function set(name: string, description: string, lines: readonly (string | readonly [string, string])[]): ExpectationSet {
  const markers = lines.map((l, k) => {
    const m = parseMarker(typeof l === 'string' ? l : l[0], `built-in set ${name}, marker ${k + 1}`, 0);
    if (typeof l !== 'string') m.prefilter = Buffer.from(l[1], 'utf8');
    return m;
  });
  return { name, file: null, anchored: true, description, markers };
}

/**
 * Boot sequences kscope knows. Each applies only when its first marker
 * appears, so a Linux set stays silent on a Breenix log. Markers are the
 * kernels' own stable messages (Linux init/main.c, Breenix's boot-test
 * framework, breenix.md §4.1).
 */
export const BUILTIN_EXPECTATIONS: readonly ExpectationSet[] = [
  set('linux-init', 'a Linux kernel booting until it starts init', [
    ['/Linux version \\d/', 'Linux version '],
    'Kernel command line:',
    ['/Freeing unused kernel (?:image|memory)/', 'Freeing unused kernel '],
    ['/Run \\S+ as init process|Starting init: /', 'init'],
  ]),
  set('breenix-boot', 'Breenix from its banner to init', [
    ['/Breenix .*Kernel Starting/', 'Kernel Starting'],
    ['/Breenix .*Boot Complete/', 'Boot Complete'],
    '[init] Breenix init starting',
  ]),
  set('breenix-boot-tests', 'the Breenix boot-test stages and their verdict', [
    '[BOOT_TESTS:START]',
    '[STAGE:serial:COMPLETE:',
    '[STAGE:early:COMPLETE:',
    '[STAGE:sched:COMPLETE:',
    '[TESTS_COMPLETE:',
    ['/\\[BOOT_TESTS:(?:PASS|FAIL)/', '[BOOT_TESTS:'],
    '![BOOT_TESTS:FAIL',
    ['!/\\[TEST:[a-z0-9_]+:[a-z0-9_]+:(?:FAIL|TIMEOUT|PANIC)/', 'TEST:'],
  ]),
];
