#!/usr/bin/env node
// Summarises a .cpuprofile (from `node --cpu-prof`): the top functions by
// self time and by total time (a function's own samples plus its callees',
// each sample counted once per function even under recursion), as µs per
// call when --calls is given.
// Usage: node bench/profile-summary.mjs FILE.cpuprofile [--calls 20000] [--top 40] [--filter instrumentation]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { calls: { type: 'string' }, top: { type: 'string', default: '40' }, filter: { type: 'string' }, own: { type: 'string' }, host: { type: 'string' }, expand: { type: 'string' } } });
const profile = JSON.parse(readFileSync(positionals[0], 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Sample durations: timeDeltas[i] is the time before sample i.
const selfUs = new Map();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0)));

const keyOf = (n) => {
  const f = n.callFrame;
  const file = f.url.replace(/^.*\/(node_modules\/)?/, (m) => (m.includes('node_modules') ? 'nm:' : ''));
  return `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
};
const self = new Map();
const total = new Map();
let all = 0;
for (const [id, us] of selfUs) {
  all += us;
  const k0 = keyOf(byId.get(id));
  self.set(k0, (self.get(k0) ?? 0) + us);
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const k = keyOf(byId.get(cur));
    if (seen.has(k)) continue;
    seen.add(k);
    total.set(k, (total.get(k) ?? 0) + us);
  }
}
const calls = values.calls ? Number(values.calls) : undefined;
const fmt = (us) => (calls ? `${(us / calls).toFixed(2).padStart(8)} us/call` : `${(us / 1000).toFixed(1).padStart(9)} ms`);
const top = Number(values.top);
const show = (title, m) => {
  console.log(`\n${title}`);
  [...m]
    .filter(([k]) => !values.filter || k.includes(values.filter))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .forEach(([k, us]) => console.log(`${fmt(us)} ${((100 * us) / all).toFixed(1).padStart(5)}%  ${k}`));
};
// --own PATTERN: each sample charged to its nearest frame whose file matches
// PATTERN (our code), with the leaf it was in: what our functions cost,
// through the library calls they make.
const own = new Map();
// --expand KEY: for the samples charged to a frame whose key includes KEY, the time by the frame it called.
const expanded = new Map();
if (values.own)
  for (const [id, us] of selfUs) {
    let cur = id;
    // --host PATTERN: a sample reached from our frame through a host frame (the SDK, the server) is the host's work, not ours.
    while (cur !== undefined && !byId.get(cur).callFrame.url.includes(values.own)) {
      if (values.host && new RegExp(values.host).test(byId.get(cur).callFrame.url)) break;
      cur = parent.get(cur);
    }
    if (cur === undefined || !byId.get(cur).callFrame.url.includes(values.own)) continue;
    const k = keyOf(byId.get(cur));
    own.set(k, (own.get(k) ?? 0) + us);
    if (values.expand && k.includes(values.expand)) {
      let child = id;
      while (child !== undefined && parent.get(child) !== cur) child = parent.get(child);
      const c = id === cur || child === undefined ? '(self)' : keyOf(byId.get(child));
      expanded.set(c, (expanded.get(c) ?? 0) + us);
    }
  }
console.log(`profile: ${fmt(all)} sampled in all`);
show('self time', self);
show('total time', total);
if (values.own) show(`charged to the nearest frame in ${values.own}`, own);
if (values.expand) show(`what ${values.expand} calls`, expanded);
