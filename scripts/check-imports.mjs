// Enforces the layering in STYLE.md: each src/ folder may import only the folders listed for it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';

const ALLOWED = {
  util: ['util'],
  model: ['util', 'model'],
  formats: ['util', 'model', 'formats'],
  index: ['util', 'model', 'formats', 'index'],
  analyses: ['util', 'model', 'index', 'analyses'],
  export: ['util', 'model', 'index', 'formats', 'export'],
  registry: ['util', 'model', 'registry'],
  gen: ['util', 'model', 'formats', 'gen'],
  cli: ['util', 'model', 'formats', 'index', 'analyses', 'export', 'registry', 'gen', 'cli'],
  server: ['util', 'model', 'formats', 'index', 'analyses', 'export', 'registry', 'server'],
};

const root = resolve('src');
const bad = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.ts')) check(p);
  }
}
function check(file) {
  const layer = relative(root, file).split('/')[0];
  const allowed = ALLOWED[layer];
  if (!allowed) return;
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/from\s+'(\.[^']+)'/g)) {
    const target = relative(root, resolve(dirname(file), m[1])).split('/')[0];
    if (!allowed.includes(target)) bad.push(`${relative('.', file)}: imports ${m[1]} (${layer}/ may import only ${allowed.join(', ')})`);
  }
  // Formats never import each other: each is one self-contained importer.
  if (layer === 'formats') {
    const fmt = relative(root, file).split('/')[1];
    for (const m of text.matchAll(/from\s+'(\.[^']+)'/g)) {
      const parts = relative(root, resolve(dirname(file), m[1])).split('/');
      if (parts[0] === 'formats' && parts.length > 2 && parts[1] !== fmt && !fmt.endsWith('.ts')) {
        bad.push(`${relative('.', file)}: format ${fmt} imports another format (${m[1]})`);
      }
    }
  }
}
walk(root);
if (bad.length) {
  console.error(bad.join('\n'));
  process.exit(1);
}
console.log('import layering: ok');
