/**
 * The 2026-07-28 era on SDK v2 (client and server 2.4 over Streamable HTTP, createMcpHandler):
 * one multi-round-trip tool call is one call of three legs; listings the client's cache serves
 * are calls of no leg whose definitions are delivered, redundant; the era, the version and the
 * server's self-reported name come from the wire. Both entry points give the same telemetry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { renderResult } from '@mcp-conservation/instrumentation/core';
import { AUDIT_FIELDS as F, verifyChain, type AuditRecord } from '@mcp-conservation/semconv/audit';
import { SERVER_METRICS } from '@mcp-conservation/semconv';
import { SpanKind } from '@opentelemetry/api';

interface Run {
  era: string;
  version: string;
  listed: string[][];
  result: unknown;
  interimBytes: number;
  spans: { name: string; kind: number; attributes: Record<string, unknown>; parent: string | null; spanId: string; traceId: string; links: { spanId: string; attributes: Record<string, unknown> }[] }[];
  audit: { event: string; attributes: Record<string, unknown> }[];
  points: { name: string; attributes: Record<string, unknown>; value: number | { count: number; sum: number } }[];
}

function run(entry: 'auto' | 'explicit'): Run {
  const r = spawnSync(process.execPath, [fileURLToPath(new URL('./fixtures/modern-session.cjs', import.meta.url)), entry], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as Run;
}

const SERVER_METRIC_NAMES = new Set(SERVER_METRICS.map((m) => m.name));
const isServerRecord = (a: Run['audit'][number]) => a.attributes[F.direction] === 'server';

/** The client side of a run: McpInstrumentation also observes the in-process server (SERVER spans, server records, server metrics). */
function clientSide(r: Run): Run {
  return {
    ...r,
    spans: r.spans.filter((s) => s.kind !== SpanKind.SERVER),
    audit: r.audit.filter((a) => !isServerRecord(a)),
    // Audit records emitted are counted by both sides on one counter: checked on the whole run below.
    points: r.points.filter((p) => !SERVER_METRIC_NAMES.has(p.name) && p.name !== AUDIT_RECORDS),
  };
}
const AUDIT_RECORDS = 'mcp_conservation.audit.records';

const raw = { auto: run('auto'), explicit: run('explicit') };
const runs = { auto: clientSide(raw.auto), explicit: clientSide(raw.explicit) };

/** The deploy tool's definition as the default rendering gives it to the model. */
const definitionTokens = countTokens(
  renderResult('tools/list', { tools: [{ name: 'deploy', description: 'Deploys after two confirmations', inputSchema: { type: 'object', properties: { env: { type: 'string' } } } }] }).blocks[0]!.text,
);
const resultTokens = countTokens('deployed prod');

const sum = (r: Run, name: string, filter: Record<string, unknown> = {}) =>
  r.points
    .filter((p) => p.name === name && Object.entries(filter).every(([k, v]) => p.attributes[k] === v))
    .reduce((n, p) => n + (typeof p.value === 'number' ? p.value : p.value.count), 0);

for (const [entry, r] of Object.entries(runs)) {
  test(`modern era (${entry}): spans per wire leg, era and version from the wire, a cached listing as a span of no leg`, () => {
    assert.equal(r.era, 'modern');
    assert.equal(r.version, '2026-07-28');
    assert.deepEqual(r.listed, [['deploy'], ['deploy'], ['deploy']]);
    assert.deepEqual(
      r.spans.map((s) => [s.name, s.kind, s.attributes['mcp_conservation.call.legs'] ?? null, s.attributes['mcp_conservation.result.type'] ?? null, s.attributes['mcp_conservation.outcome'] ?? null]),
      [
        ['server/discover', 2, null, 'complete', 'success'],
        ['tools/list', 2, null, 'complete', 'success'],
        // Served by the client's cache: INTERNAL, no request id, marked as a cache delivery.
        ['tools/list', 0, null, null, 'success'],
        ['tools/list', 0, null, null, 'success'],
        ['tools/call deploy', 2, null, 'input_required', null],
        ['tools/call deploy', 2, null, 'input_required', null],
        ['tools/call deploy', 2, 3, 'complete', 'success'],
      ],
    );
    for (const s of r.spans) {
      assert.equal(s.attributes['mcp_conservation.protocol.era'], 'modern');
      assert.equal(s.attributes['mcp.protocol.version'], '2026-07-28');
      assert.equal(s.attributes['mcp_conservation.server.name'], 'modern-server');
      assert.equal(s.attributes['mcp.session.id'], undefined, 'the modern protocol has no session id');
    }
    const cached = r.spans.filter((s) => s.kind === 0);
    assert.deepEqual(cached.map((s) => [s.attributes['mcp_conservation.context.delivery'], s.attributes['jsonrpc.request.id'] ?? null]), [['cache', null], ['cache', null]]);
    const legs = r.spans.filter((s) => s.name === 'tools/call deploy');
    assert.equal(new Set(legs.map((s) => s.attributes['mcp_conservation.call.id'])).size, 1, 'the three legs are one call');
    assert.deepEqual(legs.map((s) => s.attributes['mcp_conservation.leg.index']), [1, 2, 3]);
    assert.deepEqual(legs.map((s) => s.attributes['mcp_conservation.leg.reason']), ['initial', 'input_round', 'input_round']);
    assert.deepEqual(cached.map((s) => s.attributes['mcp_conservation.leg.reason'] ?? null), [null, null], 'a cache delivery sends no leg');
    assert.equal(new Set(legs.map((s) => s.attributes['jsonrpc.request.id'])).size, 3, 'each leg is its own wire request');
    // Later legs link to the first; the first links to nothing.
    const callId = legs[0]!.attributes['mcp_conservation.call.id'];
    assert.deepEqual(legs.map((s) => s.links), [[], [{ spanId: legs[0]!.spanId, attributes: { 'mcp_conservation.call.id': callId } }], [{ spanId: legs[0]!.spanId, attributes: { 'mcp_conservation.call.id': callId } }]]);
  });

  test(`modern era (${entry}): one audit record per logical call, the MRTR call with 3 legs, the cached listings with none`, () => {
    const records = r.audit.map((a) => a.attributes as AuditRecord);
    assert.equal(verifyChain(records).ok, true);
    assert.deepEqual(
      records.map((a) => [a[F.method] ?? a[F.kind], a[F.legs] ?? null, a[F.outcome], a[F.tokensMeaningful], a[F.tokensRedundant], a[F.protocolVersion], a[F.version]]),
      [
        ['server/discover', 1, 'success', 0, 0, '2026-07-28', 2],
        ['tools/list', 1, 'success', 0, 0, '2026-07-28', 2],
        ['tools/list', 0, 'success', 0, definitionTokens, '2026-07-28', 2],
        ['tools/list', 0, 'success', 0, definitionTokens, '2026-07-28', 2],
        ['tools/call', 3, 'success', resultTokens, 0, '2026-07-28', 2],
        ['session_end', null, 'success', definitionTokens + resultTokens, 2 * definitionTokens, '2026-07-28', 2],
      ],
    );
    // API call volume: three listings (the host asked three times) and one tool call; not the probe, not the rounds.
    assert.equal(records.at(-1)![F.sessionRequests], 4);
  });

  test(`modern era (${entry}): every record names the client from the request _meta and the server from the result _meta, as self-reported`, () => {
    const records = r.audit.map((a) => a.attributes as AuditRecord);
    for (const a of records) {
      assert.deepEqual([a[F.clientName], a[F.clientVersion], a[F.server], a[F.serverVersion]], ['modern-client', '0.1', 'modern-server', '2.0.0'], String(a[F.method] ?? a[F.kind]));
    }
    // The tool was listed before the call: its definition was delivered in the session.
    assert.deepEqual(records.filter((a) => a[F.method] === 'tools/call').map((a) => a[F.toolListed]), [true]);
    assert.equal(records.filter((a) => a[F.method] !== 'tools/call' && a[F.toolListed] !== undefined).length, 0);
  });

  test(`modern era (${entry}): metrics count logical calls; interim answers are wire overhead with their own source`, () => {
    assert.equal(sum(r, 'mcp_conservation.tool.calls', { 'mcp_conservation.outcome': 'success' }), 1);
    assert.equal(sum(r, 'mcp_conservation.tool.calls'), 1);
    // Expected responses: the probe, the wire listing and the call; not the cached listings.
    assert.equal(sum(r, 'mcp_conservation.responses.expected'), 3);
    assert.equal(sum(r, 'mcp_conservation.responses.lost'), 0);
    assert.equal(sum(r, 'mcp_conservation.wire.overhead', { 'mcp_conservation.context.source': 'input_required' }), r.interimBytes);
    assert.ok(r.interimBytes > 0);
    assert.equal(sum(r, 'mcp_conservation.context.tokens', { 'mcp_conservation.context.delivery': 'cache', 'mcp_conservation.token.disposition': 'redundant' }), 2 * definitionTokens);
    assert.equal(sum(r, 'mcp_conservation.context.tokens', { 'mcp_conservation.token.disposition': 'meaningful' }), definitionTokens + resultTokens);
    const legs = r.points.filter((p) => p.name === 'mcp_conservation.call.legs' && p.attributes['mcp.method.name'] === 'tools/call');
    assert.deepEqual(legs.map((p) => p.value), [{ count: 1, sum: 3 }]);
    // Every leg is a wire request: three duration points for the call.
    assert.equal(sum(r, 'mcp.client.operation.duration', { 'mcp.method.name': 'tools/call' }), 3);
    for (const p of r.points.filter((x) => x.name.startsWith('mcp_conservation.') && x.name !== 'mcp_conservation.audit.dropped')) {
      assert.equal(p.attributes['mcp_conservation.call.id'], undefined, 'call ids are never metric attributes');
    }
  });
}

test('modern era: McpInstrumentation and instrumentClient give the same telemetry for the same session', () => {
  const norm = (r: Run) => ({
    spans: r.spans.map((s) => ({ name: s.name, kind: s.kind, parent: s.parent, links: s.links.length, attributes: { ...s.attributes, 'server.port': 0, 'mcp_conservation.call.id': typeof s.attributes['mcp_conservation.call.id'] } })),
    audit: r.audit.map((a) => {
      const { [F.session]: _s, [F.time]: _t, [F.durationUs]: _d, [F.prev]: _p, [F.link]: _l, [F.callId]: callId, ...rest } = a.attributes;
      return { event: a.event, ...rest, callId: typeof callId };
    }),
    points: r.points
      .map((p) => ({ name: p.name, attributes: { ...p.attributes, 'server.port': p.attributes['server.port'] === undefined ? undefined : 0 }, value: typeof p.value === 'number' ? p.value : p.value.count }))
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
  });
  assert.deepEqual(norm(runs.auto), norm(runs.explicit));
});

test('modern era: every audit record written, the client\'s and (auto) the server\'s, is counted as emitted', () => {
  assert.equal(raw.explicit.audit.filter(isServerRecord).length, 0);
  assert.ok(raw.auto.audit.filter(isServerRecord).length > 0);
  for (const r of [raw.auto, raw.explicit]) assert.equal(sum(r, AUDIT_RECORDS), r.audit.length);
});

test('modern era: McpInstrumentation instruments the in-process server too, one SERVER span per wire leg, each the child of its client span', () => {
  const client = raw.auto.spans.filter((s) => s.kind === SpanKind.CLIENT);
  const server = raw.auto.spans.filter((s) => s.kind === SpanKind.SERVER);
  // The probe, the wire listing and the three legs of the call reach the server; the two cached listings do not.
  assert.deepEqual(server.map((s) => s.name).sort(), ['server/discover', 'tools/call deploy', 'tools/call deploy', 'tools/call deploy', 'tools/list']);
  for (const s of server) {
    const parent = client.find((c) => c.spanId === s.parent);
    assert.ok(parent, `${s.name}: its parent is a client span`);
    assert.equal(parent.name, s.name);
    assert.equal(parent.traceId, s.traceId);
  }
  assert.equal(new Set(server.map((s) => s.parent)).size, server.length, 'one server span per client leg');
  // The server's view of the multi-round-trip call: three legs of one logical call, decided on the last.
  const deployLegs = server.filter((s) => s.name === 'tools/call deploy').sort((a, b) => Number(a.attributes['mcp_conservation.leg.index']) - Number(b.attributes['mcp_conservation.leg.index']));
  assert.deepEqual(
    deployLegs.map((s) => [s.attributes['mcp_conservation.leg.index'], s.attributes['mcp_conservation.result.type'], s.attributes['mcp_conservation.outcome']]),
    [
      [1, 'input_required', undefined],
      [2, 'input_required', undefined],
      [3, 'complete', 'success'],
    ],
  );
  assert.equal(new Set(deployLegs.map((s) => s.attributes['mcp_conservation.call.id'])).size, 1, 'one call id on every leg');
  const serverSum = (name: string, filter: Record<string, unknown> = {}) => sum({ ...raw.auto, points: raw.auto.points.filter((p) => SERVER_METRIC_NAMES.has(p.name)) }, name, filter);
  assert.equal(serverSum('mcp_conservation.server.tool.calls', { 'gen_ai.tool.name': 'deploy' }), 1);
  assert.equal(serverSum('mcp_conservation.server.tool.calls', { 'gen_ai.tool.name': 'deploy', 'mcp_conservation.outcome': 'success' }), 1);
  const legs = raw.auto.points.filter((p) => p.name === 'mcp_conservation.server.call.legs' && p.attributes['mcp.method.name'] === 'tools/call');
  assert.deepEqual(legs.map((p) => p.value), [{ count: 1, sum: 3 }]);
  // Every leg is a request the server answered: three duration points.
  assert.equal(serverSum('mcp.server.operation.duration', { 'mcp.method.name': 'tools/call' }), 3);
  // The final result's rendered tokens; the interim answers render nothing.
  assert.equal(serverSum('mcp_conservation.server.result.tokens', { 'gen_ai.tool.name': 'deploy', 'mcp_conservation.context.source': 'tool_result' }), resultTokens);
  assert.equal(serverSum('mcp_conservation.server.result.tokens'), resultTokens);
  // One server record per logical call: the probe, the listing and the deploy call (its legs on it).
  const serverRecords = raw.auto.audit.filter(isServerRecord).map((a) => a.attributes);
  assert.deepEqual(serverRecords.map((a) => [a[F.method], a[F.legs] ?? null, a[F.outcome]]).sort(), [
    ['server/discover', null, 'success'],
    ['tools/call', 3, 'success'],
    ['tools/list', null, 'success'],
  ]);
  // instrumentClient leaves the server alone.
  assert.equal(raw.explicit.spans.filter((s) => s.kind === SpanKind.SERVER).length, 0);
  assert.equal(raw.explicit.audit.filter(isServerRecord).length, 0);
  assert.equal(raw.explicit.points.filter((p) => SERVER_METRIC_NAMES.has(p.name)).length, 0);
});
