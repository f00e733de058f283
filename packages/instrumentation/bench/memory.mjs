// `npm run bench -- --memory`: the memory targets of issue 15, in memory
// transport, all signals on, token-dense results.
// - Heap after GC over many calls in one session: sampled ten times, with
//   the least-squares slope in bytes per 1,000 calls (flat means no growth).
// - Bytes per open session: the heap after GC with N open sessions
//   instrumented, less the same N uninstrumented, divided by N.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { instrumentClient, observerOf } from '@mcp-conservation/instrumentation';
import { sides, oursOptions } from './sides.mjs';
import { connect } from './measure.mjs';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');

async function heapAfterGc() {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().heapUsed;
}

const slope = (xs, ys) => {
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return num / den;
};

async function heapOverCalls(calls) {
  const all = sides({ connect }).find((s) => s.key === 'all');
  const client = await all.connect('in-memory');
  const step = Math.max(1, Math.floor(calls / 10));
  const xs = [];
  const ys = [];
  const t0 = performance.now();
  // Warm up first: caches (counts, attributes, pieces) fill to their bounds.
  for (let i = 0; i < Math.min(step, 20_000); i++) await client.callTool({ name: 'fetch', arguments: { i, w: 'dense' } });
  for (let done = 0; done < calls; ) {
    for (let k = 0; k < step; k++, done++) await client.callTool({ name: 'fetch', arguments: { i: 1e7 + done, w: 'dense' } });
    await observerOf(client).forceFlush();
    xs.push(done);
    ys.push(await heapAfterGc());
  }
  await client.close();
  const perK = slope(xs, ys) * 1000;
  console.log(`heap after GC over ${calls} calls in one session (all signals, in memory, ${((performance.now() - t0) / 1000).toFixed(0)} s):`);
  console.log(`  ${ys.map((y) => (y / 1048576).toFixed(1)).join(' ')} MB`);
  console.log(`  slope ${perK.toFixed(1)} bytes per 1,000 calls (${((perK * calls) / 1000 / 1048576).toFixed(2)} MB over the run)`);
}

async function bytesPerSession(n) {
  // One options object: every client shares one measuring core and one set of providers, as in a host.
  const { options } = oursOptions(true);
  const open = async (make) => {
    const before = await heapAfterGc();
    const clients = [];
    for (let i = 0; i < n; i++) {
      const c = await make();
      await c.callTool({ name: 'fetch', arguments: { i, w: 'dense' } });
      clients.push(c);
    }
    if (clients[0] && observerOf(clients[0])) await Promise.all(clients.map((c) => observerOf(c).forceFlush()));
    // The batch span processor holds ended spans until its next export: they are the exporter's, not a session's.
    if (clients[0] && observerOf(clients[0])) await options.tracerProvider.forceFlush();
    const bytes = (await heapAfterGc()) - before;
    for (const c of clients) await c.close();
    return bytes / n;
  };
  const instrumented = () => {
    const client = new Client({ name: 'bench', version: '1' });
    instrumentClient(client, options);
    return connect('in-memory', client);
  };
  const base = await open(() => connect('in-memory', new Client({ name: 'bench', version: '1' })));
  // Once first, discarded: what is built once per process (the tokenizer's ranks when the main thread counts, the shared attribute sets) is no session's.
  await open(instrumented);
  const ours = await open(instrumented);
  console.log(`open sessions (${n}, in memory, one call each): uninstrumented ${(base / 1024).toFixed(1)} KB, ours all signals ${(ours / 1024).toFixed(1)} KB per session: ${((ours - base) / 1024).toFixed(2)} KB ours (target <= 4 KB)`);
}

export async function runMemory({ calls, sessions }) {
  console.log(`mcp-conservation bench --memory: node ${process.version}`);
  await bytesPerSession(sessions);
  await heapOverCalls(calls);
}
