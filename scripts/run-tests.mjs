// Runs every compiled test (dist/**/*.test.js) with node's test runner.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) find(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const files = find('dist').sort();
const filter = process.argv[2];
const chosen = filter ? files.filter((f) => f.includes(filter)) : files;
// With no file, node --test would find its own (and run helpers under test/ as tests).
if (chosen.length === 0) {
  console.error(`no compiled test file matches ${JSON.stringify(filter)}`);
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...chosen], { stdio: 'inherit' });
process.exit(r.status ?? 1);
