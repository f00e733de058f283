#!/usr/bin/env node
// Where the host's main thread spends its time: N in-memory token-dense
// calls of one side (bench/sides.mjs), meant to run under `node --cpu-prof`;
// bench/profile-summary.mjs then prints the top functions of the profile.
// Usage: node --cpu-prof --cpu-prof-dir=/tmp/prof bench/profile-main.mjs [--side all|spans|base|peer] [--calls 20000] [--workload dense]
import { parseArgs } from 'node:util';
import { context, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { sides } from './sides.mjs';
import { connect, measure } from './measure.mjs';

const { values } = parseArgs({
  options: {
    side: { type: 'string', default: 'all' },
    calls: { type: 'string', default: '20000' },
    workload: { type: 'string', default: 'dense' },
  },
});
// As bench/run.mjs: what NodeSDK registers.
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));

const side = sides({ connect, inline: false, peerContent: false }).find((s) => s.key === values.side);
if (!side) throw new Error(`no side ${values.side}`);
const client = await side.connect('in-memory');
const calls = Number(values.calls);
let seq = 0;
const next = (n) => Array.from({ length: n }, () => seq++);
await measure(client, next(500), values.workload, side.flush);
const m = await measure(client, next(calls), values.workload, side.flush);
console.log(`${side.label}: ${calls} calls, wall ${m.wall.toFixed(1)} us/call, main-thread CPU ${m.main?.toFixed(1)} us/call, process CPU ${m.cpu.toFixed(1)} us/call`);
await client.close();
process.exit(0);
