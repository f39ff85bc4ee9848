import type { FieldValue } from '../../../model/event.js';
import type { LineFamily } from '../family.js';

// seL4 / sel4test console output (ELF loader, kernel boot, test driver).
const PATTERNS: [RegExp, string][] = [
  [/^ELF-loader started/, 'elfloader'],
  [/^(?:Bootstrapping kernel|Booting all finished|Jumping to kernel-image entry point|Enabling MMU and paging)/, 'kernel'],
  [/^(?:Starting test \d+: |Test \S+ (?:passed|failed)|Test suite (?:passed|failed)|All is well in the universe|\d+\/\d+ tests passed)/, 'sel4test'],
  [/^seL4 (?:failed assertion|called fail)/, 'kernel'],
];

export const sel4: LineFamily = {
  id: 'sel4',
  types: ['SEL4'],
  create: () => (line, row) => {
    const c = line.at(0);
    if (c !== 69 /* E */ && c !== 66 /* B */ && c !== 74 /* J */ && c !== 83 /* S */ && c !== 84 /* T */ && c !== 65 /* A */ && c !== 115 /* s */ && !(c >= 48 && c <= 57)) return -1;
    const text = line.text();
    for (const [re, sub] of PATTERNS) {
      if (re.test(text)) {
        row.sub = sub;
        return 0;
      }
    }
    return -1;
  },
  fields(line): Record<string, FieldValue> {
    const t = /^Starting test (\d+): (\S+)/.exec(line);
    return t ? { test_number: Number(t[1]), test: t[2], message: line } : { message: line };
  },
};
