/**
 * The era matrix: each cell is a client SDK and negotiation mode against a stdio server of one SDK,
 * observed through each entry point (auto-instrumentation from CommonJS, from ESM with the loader hook,
 * and instrumentClient). One workload everywhere: connect, list the tools, call `echo`, close. Every cell
 * gives exactly the spans, metrics and audit records its era defines, and the three entry points give
 * identical telemetry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

const ENTRIES = {
  'auto (CommonJS)': (cell: string[]) => [fixture('era-cell.cjs'), ...cell, 'auto'],
  'auto (ESM, loader hook)': (cell: string[]) => ['--import', fixture('esm-hook.mjs'), fixture('era-cell.mjs'), ...cell, 'auto'],
  instrumentClient: (cell: string[]) => [fixture('era-cell.cjs'), ...cell, 'explicit'],
} as const;

type Era = 'legacy' | 'modern';

function run(args: string[]): unknown {
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string);
}

/** What the workload must produce in `era` against `server` (the stdio server's name and version). */
function expected(era: Era, server: { name: string; version: string }) {
  const version = era === 'modern' ? '2026-07-28' : '2025-11-25';
  // The handshake exists only in the 2025 protocol; the v2 client's probe in 2026 runs on a sibling process no one observes.
  const methods = era === 'modern' ? ['tools/list', 'tools/call'] : ['initialize', 'tools/list', 'tools/call'];
  const span = (m: string) => [
    m === 'tools/call' ? 'tools/call echo' : m,
    2,
    {
      'mcp.method.name': m,
      'mcp.protocol.version': version,
      'mcp_conservation.protocol.era': era,
      'mcp_conservation.server.name': server.name,
      'mcp_conservation.outcome': 'success',
      'mcp_conservation.leg.reason': 'initial',
    },
  ];
  const who = { 'mcp.protocol.version': version, 'mcp_conservation.client.name': 'matrix-client', 'mcp_conservation.server.version': server.version };
  const op = (m: string) => ({ 'mcp_conservation.audit.kind': 'operation', 'mcp.method.name': m, 'mcp_conservation.outcome': 'success', ...who, 'mcp_conservation.call.legs': 1 });
  const perMethod = (name: string) => methods.map((m) => [name, m, era, 1]);
  const metrics = [
    ...perMethod('mcp_conservation.call.legs'),
    ...perMethod('mcp_conservation.responses.expected'),
    // Two logical calls in the volume (the listing and the tool call): the handshake is outside it.
    ['mcp_conservation.session.requests', '', era, 1],
    ['mcp_conservation.tool.calls', 'success', era, 1],
    ...perMethod('mcp.client.operation.duration'),
  ].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
  return {
    era,
    spans: methods.map(span),
    audit: [...methods.map(op), { 'mcp_conservation.audit.kind': 'session_end', 'mcp_conservation.outcome': 'success', ...who, 'mcp_conservation.audit.session.requests': 2 }],
    metrics,
  };
}

const V1_SERVER = { name: 'stdio-v1', version: '1.0.0' };
const V2_SERVER = { name: 'stdio-v2', version: '2.0.0' };
const CELLS: readonly { name: string; cell: string[]; want: ReturnType<typeof expected> }[] = [
  { name: 'v1 client to v1 server', cell: ['v1', 'v1'], want: expected('legacy', V1_SERVER) },
  { name: 'v2 legacy client to v1 server', cell: ['v2-legacy', 'v1'], want: expected('legacy', V1_SERVER) },
  { name: 'v2 auto client to v2 server (modern)', cell: ['v2-auto', 'v2'], want: expected('modern', V2_SERVER) },
  { name: 'v2 auto client to a 2025-only server (fallback)', cell: ['v2-auto', 'v1'], want: expected('legacy', V1_SERVER) },
];

for (const c of CELLS) {
  for (const [entry, args] of Object.entries(ENTRIES)) {
    test(`era matrix: ${c.name}, ${entry}: the spans, metrics and audit records of its era`, () => {
      // Sorted keys: spans' and records' attribute order is not telemetry.
      const normalise = (v: unknown) => JSON.parse(JSON.stringify(v, (_k, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort()) : x)));
      assert.deepEqual(normalise(run(args(c.cell))), normalise(c.want));
    });
  }
}
