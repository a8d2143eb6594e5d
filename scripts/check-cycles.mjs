// Fail on any import cycle among the project's TypeScript modules (relative imports and @sunsu/* packages).
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const roots = ['packages', 'services', 'operator', 'bench', 'scripts'].map((d) => join(root, d)).filter(existsSync);
const files = [];
const walk = (d) => {
  for (const e of readdirSync(d)) {
    if (e === 'node_modules' || e.startsWith('.')) continue;
    const p = join(d, e);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) files.push(p);
  }
};
roots.forEach(walk);

const importRe = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const graph = new Map();
for (const f of files) {
  const deps = [];
  for (const m of readFileSync(f, 'utf8').matchAll(importRe)) {
    const spec = m[1] ?? m[2];
    if (/^import\s+type\b|^export\s+type\b/.test(m[0])) continue; // type-only imports vanish at runtime
    if (spec.startsWith('.')) deps.push(resolve(dirname(f), spec));
    else if (spec.startsWith('@sunsu/')) deps.push(join(root, 'packages', spec.slice(7), 'src/index.ts'));
  }
  graph.set(f, deps.filter((d) => files.includes(d)));
}

const state = new Map(); // 1 = visiting, 2 = done
const stack = [];
const cycles = [];
const visit = (n) => {
  state.set(n, 1); stack.push(n);
  for (const d of graph.get(n) ?? []) {
    if (state.get(d) === 1) cycles.push([...stack.slice(stack.indexOf(d)), d].map((p) => relative(root, p)).join(' -> '));
    else if (!state.has(d)) visit(d);
  }
  stack.pop(); state.set(n, 2);
};
for (const f of files) if (!state.has(f)) visit(f);
if (cycles.length) {
  console.error(`import cycles found:\n  ${cycles.join('\n  ')}`);
  process.exit(1);
}
console.log(`no import cycles (${files.length} modules)`);
