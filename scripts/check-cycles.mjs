#!/usr/bin/env node
// Finds import cycles among our TypeScript sources, type imports included:
// a cycle of `import type` costs nothing at run time, but it still ties two
// files into one unit that cannot be read, tested or moved alone, and the
// nothing else in our build reports it.
//
// Usage: node scripts/check-cycles.mjs [--self-test] [dir...]
//   dir          folders to scan (default: every packages/*/src)
//   --self-test  first checks that the fixture's known cycles are found,
//                then scans the packages; for scripts/test-all.mjs
// Exits 1 when a cycle is found (or the self-test fails). With
// MCPC_TEST_RESULTS set, --self-test also writes cycles.json there in the
// format of count-reporter.mjs, so the check counts as tests.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
// The compiler's own import scanner (no new dependency: typescript is the
// root's): it skips comments and strings, and sees `import type`,
// `export ... from`, `import('...')` and `import x = require('...')`.
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE = /\.(ts|tsx|mts|cts)$/;

function sourceFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (SOURCE.test(entry.name)) out.push(path);
  }
  return out;
}

function isFile(path) {
  return existsSync(path) && statSync(path).isFile();
}

/** The source file a relative specifier names, as TypeScript's NodeNext resolution maps it; undefined if none. */
function resolveSpecifier(from, specifier) {
  const target = resolve(dirname(from), specifier);
  const candidates = [];
  const js = target.match(/^(.*)\.(js|jsx|mjs|cjs)$/);
  if (js) {
    const base = js[1];
    const ext = js[2];
    candidates.push(...{ js: [`${base}.ts`, `${base}.tsx`], jsx: [`${base}.tsx`], mjs: [`${base}.mts`], cjs: [`${base}.cts`] }[ext]);
  }
  candidates.push(target, `${target}.ts`, `${target}.tsx`, join(target, 'index.ts'), join(target, 'index.tsx'));
  return candidates.find((c) => SOURCE.test(c) && isFile(c));
}

/** Files and their relative imports that are our sources; unresolved code imports are returned for a warning. */
function importGraph(dirs) {
  const files = dirs.flatMap(sourceFiles).sort();
  const known = new Set(files);
  const edges = new Map();
  const unresolved = [];
  for (const file of files) {
    const targets = new Set();
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const target = resolveSpecifier(file, fileName);
      // JSON, CSS and other assets are not part of the graph.
      if (target === undefined) {
        if (/\.(js|jsx|mjs|cjs|ts|tsx|mts|cts)$|\/[^.]*$|^\.\.?$/.test(fileName)) unresolved.push(`${file}: ${fileName}`);
      } else if (known.has(target)) targets.add(target);
    }
    edges.set(file, [...targets].sort());
  }
  return { files, edges, unresolved };
}

/** Strongly connected components (Tarjan): every cycle lies inside one. */
function components(files, edges) {
  let next = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const out = [];
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v)) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) === index.get(v)) {
      const scc = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      out.push(scc);
    }
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return out;
}

/** The shortest cycle from `start` back to itself inside `members` (breadth first). */
function shortestCycle(start, members, edges) {
  const parent = new Map();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift();
    for (const w of edges.get(v)) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(parent.get(path[0]));
        return path;
      }
      if (!parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return undefined;
}

/**
 * Import cycles, each as its files in import order (the last imports the
 * first). Listing every elementary cycle can explode, so each tangled group
 * (strongly connected component) gives, for each of its files, the shortest
 * cycle through it, without repeats: every file in a cycle is shown in one.
 */
function findCycles(dirs) {
  const { files, edges, unresolved } = importGraph(dirs);
  const cycles = [];
  for (const scc of components(files, edges)) {
    const members = new Set(scc);
    if (scc.length === 1 && !edges.get(scc[0]).includes(scc[0])) continue;
    const seen = new Set();
    for (const start of [...scc].sort()) {
      const cycle = shortestCycle(start, members, edges);
      // The same cycle found from another of its files is a rotation of it.
      const smallest = cycle.indexOf([...cycle].sort()[0]);
      const key = [...cycle.slice(smallest), ...cycle.slice(0, smallest)].join('\n');
      if (seen.has(key)) continue;
      seen.add(key);
      cycles.push(cycle);
    }
  }
  return { files: files.length, cycles, unresolved };
}

function packageSources() {
  const packages = join(root, 'packages');
  return readdirSync(packages)
    .map((p) => join(packages, p, 'src'))
    .filter((d) => existsSync(d));
}

function show(cycle) {
  return [...cycle, cycle[0]].map((f) => relative(root, f)).join('\n    -> ');
}

/** Scans `dirs`, prints what it found; true when there is no cycle. */
function check(dirs, label) {
  const { files, cycles, unresolved } = findCycles(dirs);
  for (const u of unresolved) console.warn(`warning: unresolved relative import ${relative(root, u)}`);
  if (cycles.length === 0) {
    console.log(`no import cycle in ${files} files (${label})`);
    return true;
  }
  console.log(`${cycles.length} import cycle(s) in ${files} files (${label}):`);
  for (const c of cycles) console.log(`  ${show(c)}`);
  return false;
}

/**
 * Runs this script on the fixture, which holds two cycles (one of
 * `import type` both ways, one through `export ... from` a folder's index.ts
 * and a dynamic import) and a file that imports into a cycle without being
 * in one: it must exit 1 and report exactly those two cycles.
 */
function selfTest() {
  const fixture = join(root, 'scripts', 'test-fixtures', 'cycle');
  const f = (name) => join(fixture, name);
  const expected = [
    [f('a.ts'), f('b.ts')],
    [f('c.ts'), f('d/index.ts')],
  ];
  const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), fixture], { encoding: 'utf8' });
  const problems = [];
  if (run.status !== 1) problems.push(`exit ${run.status ?? run.signal}, expected 1`);
  if (!run.stdout.includes(`${expected.length} import cycle(s) in 5 files`)) problems.push(`expected ${expected.length} cycles in 5 files`);
  for (const c of expected) if (!run.stdout.includes(show(c))) problems.push(`cycle not reported: ${show(c)}`);
  if (problems.length === 0) {
    console.log(`self-test: exit 1 and the fixture's ${expected.length} cycles reported (${relative(root, fixture)})`);
    return true;
  }
  console.log(`self-test failed: ${problems.join('; ')}\n${run.stdout}${run.stderr}`);
  return false;
}

const args = process.argv.slice(2);
const withSelfTest = args.includes('--self-test');
const dirs = args.filter((a) => a !== '--self-test').map((d) => resolve(d));
const tests = [];
if (withSelfTest) tests.push(['finds the import cycles of scripts/test-fixtures/cycle', selfTest()]);
const label = dirs.length ? dirs.map((d) => relative(root, d)).join(', ') : 'packages/*/src';
tests.push([`no import cycle in ${label}`, check(dirs.length ? dirs : packageSources(), label)]);

if (withSelfTest && process.env.MCPC_TEST_RESULTS) {
  const results = resolve(process.env.MCPC_TEST_RESULTS);
  mkdirSync(results, { recursive: true });
  const failures = tests.filter(([, ok]) => !ok).map(([name]) => name);
  writeFileSync(join(results, 'cycles.json'), JSON.stringify({ passed: tests.length - failures.length, failed: failures.length, skipped: 0, failures }));
}
process.exit(tests.every(([, ok]) => ok) ? 0 : 1);
