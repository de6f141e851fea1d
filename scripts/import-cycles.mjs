#!/usr/bin/env node
// Folder-level import cycles in each workspace's src/. A "room" is the first path segment
// under src/ (src/alarms/service.ts → alarms; src/main.ts → main.ts). Every relative
// import counts, type-only imports included, and so does `export … from`. Test files and
// test support (*.test.ts, test-support.ts, testing/) are left out: they may reach across
// rooms. Prints each cycle with one import line per edge and exits 1 when any exists.
// Usage: node scripts/import-cycles.mjs [workspace…]
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WORKSPACES = ['common', 'ingest', 'geodata', 'backend', 'frontend'];
const IMPORT_RE = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;

function isTestFile(path) {
  return /\.test\.tsx?$/.test(path) || /(^|[/\\])test-support\.tsx?$/.test(path) || path.split(sep).includes('testing');
}

function sourceFiles(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sourceFiles(p, out);
    else if (/\.(m?ts|tsx)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function resolveImport(from, spec) {
  const base = resolve(dirname(from), spec);
  const candidates = [base, base.replace(/\.js$/, '.ts'), `${base}.ts`, `${base}.tsx`, join(base, 'index.ts'), join(base, 'index.tsx')];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile()) ?? null;
}

function roomOf(srcDir, file) {
  return relative(srcDir, file).split(sep)[0];
}

/** Tarjan's strongly connected components; returns the components with more than one room. */
function cycles(graph) {
  let index = 0;
  const stack = [];
  const info = new Map();
  const out = [];
  const visit = (v) => {
    info.set(v, { index, low: index, onStack: true });
    index++;
    stack.push(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!info.has(w)) {
        visit(w);
        info.get(v).low = Math.min(info.get(v).low, info.get(w).low);
      } else if (info.get(w).onStack) {
        info.get(v).low = Math.min(info.get(v).low, info.get(w).index);
      }
    }
    if (info.get(v).low === info.get(v).index) {
      const comp = [];
      let w;
      do {
        w = stack.pop();
        info.get(w).onStack = false;
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of graph.keys()) if (!info.has(v)) visit(v);
  return out;
}

export function checkWorkspace(ws) {
  const srcDir = join(ROOT, ws, 'src');
  if (!existsSync(srcDir)) return [];
  /** room → room → first "file → import" seen, for the report */
  const graph = new Map();
  for (const file of sourceFiles(srcDir)) {
    if (isTestFile(relative(srcDir, file))) continue;
    const from = roomOf(srcDir, file);
    if (!graph.has(from)) graph.set(from, new Map());
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT_RE)) {
      const spec = m[1] ?? m[2];
      if (!spec.startsWith('.')) continue;
      const target = resolveImport(file, spec);
      if (!target || !target.startsWith(srcDir + sep)) continue;
      const to = roomOf(srcDir, target);
      if (to === from) continue;
      if (!graph.get(from).has(to)) graph.get(from).set(to, `${relative(ROOT, file)} imports ${spec}`);
    }
  }
  return cycles(graph).map((rooms) => ({
    workspace: ws,
    rooms,
    edges: rooms.flatMap((a) => rooms.filter((b) => graph.get(a)?.has(b)).map((b) => `${a} → ${b}: ${graph.get(a).get(b)}`)),
  }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const wanted = process.argv.slice(2);
  const found = (wanted.length ? wanted : WORKSPACES).flatMap(checkWorkspace);
  for (const c of found) {
    console.error(`import cycle in ${c.workspace}/src between ${c.rooms.join(', ')}:`);
    for (const e of c.edges) console.error(`  ${e}`);
  }
  if (found.length) {
    console.error(`${found.length} folder-level import cycle(s): move the shared contract into the room that both depend on, or invert the dependency (pass a function in).`);
    process.exit(1);
  }
  console.error('no folder-level import cycles');
}
