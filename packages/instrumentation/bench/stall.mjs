// The host's stall on one huge response: a tool result of a million small
// text blocks, in memory, uninstrumented against ours with all signals, in
// the same run. The stall is the wall time until callTool resolves (what the
// host waits); the accounting after it (ours: forceFlush) is reported apart,
// since it runs off the host's path. Past MAX_EXACT_BLOCKS a result is
// estimated from its bytes instead of sent block by block to the worker.
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { instrumentClient, observerOf } from '@mcp-conservation/instrumentation';
import { oursOptions } from './sides.mjs';
import { median } from './measure.mjs';

const threadCpu = () => {
  const t = process.threadCpuUsage?.();
  return t && t.user + t.system;
};

async function connectHuge(client, content) {
  const server = new McpServer({ name: 'bench-huge', version: '1' });
  // The same blocks every call: the server's own building is not what is measured.
  server.registerTool('huge', {}, async () => ({ content }));
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(b);
  await client.connect(a);
  return client;
}

/** Runs `rounds` rotated pairs of one huge call each; prints the stall figures. */
export async function runStall({ rounds, blocks = 1_000_000 }) {
  const content = Array.from({ length: blocks }, (_, i) => ({ type: 'text', text: `block ${i}` }));
  const base = await connectHuge(new Client({ name: 'bench', version: '1' }), content);
  // The default accounting budget, as in production: a huge result is estimated, not sent block by block to the worker.
  const { accountingBudgetBytes: _exact, ...options } = oursOptions(true, false).options;
  const ours = await connectHuge(instrumentClient(new Client({ name: 'bench', version: '1' }), options), content);
  const time = async (client, flush) => {
    const main0 = threadCpu();
    const t0 = performance.now();
    await client.callTool({ name: 'huge', arguments: {} });
    const stall = performance.now() - t0;
    const main = threadCpu() - main0;
    const f0 = performance.now();
    if (flush) await observerOf(client).forceFlush();
    return { stall, main, after: performance.now() - f0 };
  };
  // One warm-up call each (JIT, the first analysis).
  await time(base, false);
  await time(ours, true);
  const b = [];
  const o = [];
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      b.push(await time(base, false));
      o.push(await time(ours, true));
    } else {
      o.push(await time(ours, true));
      b.push(await time(base, false));
    }
  }
  await base.close();
  await ours.close();
  const ms = (x) => `${x.toFixed(0)} ms`;
  const stallB = median(b.map((x) => x.stall));
  const stallO = median(o.map((x) => x.stall));
  console.log(`\nThe host's stall on one huge response (${blocks.toLocaleString('en')} text blocks, in memory, median of ${rounds} paired calls):`);
  console.log(`| side | host waits (callTool) | main-thread CPU | accounting after (forceFlush) |`);
  console.log(`| --- | --- | --- | --- |`);
  console.log(`| uninstrumented | ${ms(stallB)} | ${ms(median(b.map((x) => x.main)) / 1000)} | - |`);
  console.log(`| ours, all signals | ${ms(stallO)} (${(stallO / stallB).toFixed(2)}x) | ${ms(median(o.map((x) => x.main)) / 1000)} | ${ms(median(o.map((x) => x.after)))} |`);
}
