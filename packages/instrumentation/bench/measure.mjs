// How the bench connects and times a side: wall time, process CPU (worker
// threads included), main-thread CPU, and the stdio server's CPU.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { createBenchServer } from './server.mjs';

/** The stdio server process of a client, whose CPU time the bench reads. */
const serverPid = new WeakMap();

/** Connects a client (already instrumented or not) over a transport: 'in-memory' or 'stdio'. */
export async function connect(transport, client) {
  if (transport === 'in-memory') {
    const [a, b] = InMemoryTransport.createLinkedPair();
    await createBenchServer().connect(b);
    await client.connect(a);
    return client;
  }
  const t = new StdioClientTransport({ command: process.execPath, args: [fileURLToPath(new URL('./stdio-server.mjs', import.meta.url))], stderr: 'ignore' });
  await client.connect(t);
  if (t.pid) serverPid.set(client, t.pid);
  return client;
}

/** CPU time of every thread of a process, in µs (Linux schedstat, ns precision); undefined elsewhere. */
function processCpuUs(pid) {
  try {
    let ns = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    return ns / 1000;
  } catch {
    return undefined;
  }
}

/** This thread's CPU time in µs (Node >= 23.9), or undefined. */
const threadCpu = () => {
  const t = process.threadCpuUsage?.();
  return t && t.user + t.system;
};

/**
 * Runs the calls `indexes` of workload w in sequence; returns µs per call of
 * wall time, process CPU, main-thread CPU and stdio-server CPU. A side's
 * deferred work (`flush`) is inside the measured time: work put off until
 * after the loop is still the host's.
 */
export async function measure(client, indexes, w, flush) {
  // A wrapper (the SDK floor) names the SDK client it wraps as `raw`.
  const rawClient = client.raw ?? client;
  const pid = serverPid.get(rawClient);
  const server0 = pid && processCpuUs(pid);
  const cpu0 = process.cpuUsage();
  const main0 = threadCpu();
  const t0 = performance.now();
  for (const i of indexes) await client.callTool({ name: 'fetch', arguments: { i, w } });
  if (flush) await flush(rawClient);
  const n = indexes.length;
  const wall = ((performance.now() - t0) * 1000) / n;
  const cpu = process.cpuUsage(cpu0);
  const main1 = threadCpu();
  const server1 = pid && processCpuUs(pid);
  return { wall, cpu: (cpu.user + cpu.system) / n, main: main0 !== undefined ? (main1 - main0) / n : undefined, server: server0 && server1 ? (server1 - server0) / n : undefined };
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
