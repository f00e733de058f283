#!/usr/bin/env node
// The overhead benchmark: callTool round trips, in memory and over stdio,
// per workload (bench/workloads.mjs), for every side (bench/sides.mjs):
// uninstrumented, the SDK floor, OpenLLMetry, ours with spans only and ours
// with all signals, in one run. Interleaved rounds: each round runs every
// side once, in a rotated order, and each side's ratio is paired with the
// uninstrumented side of the same round, so drift on a noisy machine hits
// all sides alike. Figures: median ratio of calls per second with its
// spread, process CPU per call (worker threads included), main-thread CPU
// per call (process.threadCpuUsage), and the targets as verdicts;
// then the server-side rows and the host's stall on one huge response.
// Usage: npm run bench [-- --rounds 9 --calls 1000 --transport stdio --workload dense --inline --peer-content]
//        npm run bench -- --memory   (heap slope over many calls; bytes per open session)
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { context, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { WORKLOADS } from './workloads.mjs';
import { sides, recordedTokens } from './sides.mjs';
import { connect, measure, median } from './measure.mjs';
import { printTable, printVerdicts, printBounds } from './report.mjs';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '9' },
    calls: { type: 'string', default: '1000' },
    transport: { type: 'string' },
    workload: { type: 'string' },
    inline: { type: 'boolean' },
    'peer-content': { type: 'boolean' },
    memory: { type: 'boolean' },
    'memory-calls': { type: 'string', default: '1000000' },
    sessions: { type: 'string', default: '10000' },
  },
});
// What NodeSDK registers: every side runs with them, so an instrumented side
// pays for trace-context injection into params._meta as a real host does.
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));

if (values.memory) {
  const { runMemory } = await import('./memory.mjs');
  await runMemory({ calls: Number(values['memory-calls']), sessions: Number(values.sessions) });
  process.exit(0);
}

const { compareCounters, chosen, reference } = await import('./counters.mjs');
const ROUNDS = Number(values.rounds);
const CALLS = Number(values.calls);
/** A 64 KB result costs about 30 times a 2 KB one: fewer calls keep the run short. */
const callsOf = (w) => (w === 'big' ? Math.max(20, Math.round(CALLS / 8)) : CALLS);
const SIDES = sides({ connect, inline: values.inline, peerContent: values['peer-content'] ?? false });
const TRANSPORTS = ['in-memory', 'stdio'].filter((t) => !values.transport || values.transport === t);
const NAMES = Object.keys(WORKLOADS).filter((w) => !values.workload || values.workload === w);

let seq = 0;
const next = (n) => Array.from({ length: n }, () => seq++);

/** One (transport, workload): every side connected, warmed, then measured in ROUNDS rotated rounds. */
async function group(transport, w) {
  const calls = callsOf(w);
  const clients = [];
  for (const s of SIDES) clients.push(await s.connect(transport));
  // What each counting side was sent: the truth its recorded tokens must equal.
  const sentBy = SIDES.map(() => []);
  const run = async (k, indexes) => {
    if (SIDES[k].tokens) sentBy[k].push(...indexes);
    return measure(clients[k], indexes, w, SIDES[k].flush);
  };
  for (let k = 0; k < SIDES.length; k++) await run(k, next(Math.min(100, calls)));
  const per = SIDES.map(() => ({ ratio: [], wall: [], cpu: [], main: [], server: [], overCpu: [], overMain: [] }));
  for (let r = 0; r < ROUNDS; r++) {
    const m = [];
    for (let j = 0; j < SIDES.length; j++) {
      const k = (j + r) % SIDES.length;
      m[k] = await run(k, next(calls));
    }
    const base = m[0];
    m.forEach((x, k) => {
      const p = per[k];
      p.ratio.push(base.wall / x.wall);
      p.wall.push(x.wall);
      p.cpu.push(x.cpu);
      if (x.main !== undefined) p.main.push(x.main);
      if (x.server !== undefined) p.server.push(x.server);
      p.overCpu.push(x.cpu - base.cpu);
      if (x.main !== undefined) p.overMain.push(x.main - base.main);
    });
  }
  let tokenCheck = '';
  for (let k = 0; k < SIDES.length; k++) {
    if (SIDES[k].flush) await SIDES[k].flush(clients[k].raw ?? clients[k]);
    if (SIDES[k].tokens) {
      const measured = await recordedTokens(clients[k]);
      let truth = 0;
      for (const i of sentBy[k]) for (const text of WORKLOADS[w].texts(i)) truth += reference(text);
      if (measured !== truth) throw new Error(`token count mismatch in ${transport}/${w}: measured ${measured}, true ${truth}`);
      tokenCheck = `${measured} tokens, exact`;
    }
    await clients[k].close();
  }
  // The counters on this group's texts (the last round's calls of one side), same run.
  const texts = [];
  for (let i = seq - calls; i < seq; i++) texts.push(...WORKLOADS[w].texts(i));
  const counters = compareCounters(texts);
  const rows = SIDES.map((s, k) => {
    const p = per[k];
    return {
      key: s.key,
      label: s.label,
      ratio: median(p.ratio),
      min: Math.min(...p.ratio),
      max: Math.max(...p.ratio),
      wall: median(p.wall),
      cpu: median(p.cpu),
      main: p.main.length ? median(p.main) : undefined,
      server: p.server.length ? median(p.server) : undefined,
      overCpu: median(p.overCpu),
      overMain: p.overMain.length ? median(p.overMain) : undefined,
      tokenCheck: s.tokens ? tokenCheck : '',
    };
  });
  return { transport, w, calls, rows, counters };
}

const started = performance.now();
console.log(`mcp-conservation bench: ${ROUNDS} rotated rounds, ${CALLS} calls per side per round (${callsOf('big')} for 64 KB), SDK 1.32.2`);
console.log(`node ${process.version}, ${cpus().length} cores; batch span processor, noop exporters; OpenLLMetry content capture ${values['peer-content'] ? 'on (its default)' : 'off (traceContent: false; ours captures no content)'}`);
// Exactness first, so a mismatch fails before minutes of rounds.
const probe = WORKLOADS.dense.texts(0)[0];
if (chosen(probe) !== reference(probe)) throw new Error('the chosen counter and gpt-tokenizer disagree');
const groups = [];
for (const t of TRANSPORTS)
  for (const w of NAMES) {
    const g = await group(t, w);
    groups.push(g);
    printTable(g, WORKLOADS[w].label);
  }
printVerdicts(groups);
printBounds(groups, cpus().length);
// Server-side rows (bench/server-side.mjs), same run.
await (await import('./server-side.mjs')).runServerSide({ rounds: ROUNDS, calls: CALLS, transports: TRANSPORTS });
// The host's stall on one huge response (bench/stall.mjs), same run; in memory, where the host's own cost shows most.
if (TRANSPORTS.includes('in-memory')) await (await import('./stall.mjs')).runStall({ rounds: Math.min(ROUNDS, 5) });
console.log(`\nbench time ${((performance.now() - started) / 1000).toFixed(0)} s`);
