/**
 * The stdio proxy between a real SDK client and the real
 * @modelcontextprotocol/server-everything (from the npm registry), against
 * a direct run of the same scripted session: each side receives the same
 * messages, and the proxy's telemetry (OTLP/JSON to a receiver in this test)
 * equals what the in-process instrumentation emits for the same session.
 * The server's input is recorded with `tee`, so the server side is compared
 * byte for byte.
 */
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_JSONRPC_REQUEST_ID,
  ATTR_MCP_METHOD_NAME,
  ATTR_NETWORK_TRANSPORT,
  ATTR_OBSERVER,
  ATTR_OUTCOME,
  ATTR_SERVER_NAME,
  AUDIT_FIELDS as F,
  EVENT_AUDIT_OPERATION,
  EVENT_AUDIT_SESSION_END,
  INSTRUMENTATION_SCOPE_NAME,
  METRIC_AUDIT_DROPPED,
  METRIC_RESPONSES_CANCELLED,
  METRIC_RESPONSES_EXPECTED,
  METRIC_RESPONSES_LOST,
  METRIC_SESSION_REQUESTS,
  METRIC_TOOL_CALLS,
} from '@mcp-conservation/semconv';
import { BIN, runCli } from './helpers/cli.ts';
import { normAudit, normSpans, series } from './helpers/compare.ts';
import { everythingWorkload, type WorkloadRecord } from './helpers/mcp-workload.ts';
import { OtlpReceiver, until } from './helpers/otlp-receiver.ts';
import { sdkObserver, type SdkObserved } from './helpers/sdk-observer.ts';

const require = createRequire(import.meta.url);
const EVERYTHING = require.resolve('@modelcontextprotocol/server-everything/dist/index.js');
const dir = mkdtempSync(join(tmpdir(), 'proxy-stdio-'));

/** server-everything over stdio, its input recorded to `file` by tee (the pipeline's exit code is the server's). */
function teeServer(file: string): string[] {
  return ['/bin/sh', '-c', 'tee "$1" | "$0" "$2" stdio', process.execPath, file, EVERYTHING];
}

function env(extra: NodeJS.ProcessEnv = {}): Record<string, string> {
  return Object.fromEntries(Object.entries({ ...process.env, ...extra }).filter(([, v]) => v !== undefined)) as Record<string, string>;
}

let direct: WorkloadRecord;
let proxied: WorkloadRecord;
let sdk: SdkObserved;
let rx: OtlpReceiver;
const directIn = join(dir, 'direct-server-input.jsonl');
const proxiedIn = join(dir, 'proxied-server-input.jsonl');

before(async () => {
  rx = new OtlpReceiver();
  const endpoint = await rx.start();
  const [sh, ...shArgs] = teeServer(directIn) as [string, ...string[]];
  direct = await everythingWorkload(new StdioClientTransport({ command: sh, args: shArgs, stderr: 'ignore' }));
  proxied = await everythingWorkload(
    new StdioClientTransport({ command: process.execPath, args: [BIN, 'proxy', '--quiet', '--', ...teeServer(proxiedIn)], env: env(rx.env(endpoint)), stderr: 'ignore' }),
  );
  // The proxy exports everything when it exits, after the client closed it.
  await until('the proxy to export its telemetry', () => rx.logs.some((l) => l.eventName === EVENT_AUDIT_SESSION_END) && rx.points.some((p) => p.metric === METRIC_SESSION_REQUESTS.name) && rx.spans.length >= 9);
  const observer = sdkObserver();
  await everythingWorkload(new StdioClientTransport({ command: process.execPath, args: [EVERYTHING, 'stdio'], stderr: 'ignore' }), (client) => observer.instrument(client));
  sdk = await observer.collect();
});

after(async () => {
  await rx?.stop();
});

test('stdio: the host receives through the proxy exactly what it receives directly (results, errors, progress, cancellation)', () => {
  assert.deepEqual(proxied.received, direct.received);
  assert.deepEqual(proxied.steps, direct.steps);
  // The workload really covers what it claims. (Progress is counted at the transport: the SDK client may
  // drop a last progress notification that races its response, with or without the proxy.)
  const progress = (r: WorkloadRecord) => r.received.filter((m) => (m as { method?: string }).method === 'notifications/progress').length;
  assert.equal(progress(direct), 6);
  assert.ok(proxied.progress.length >= 1);
  assert.deepEqual(direct.steps.unknownPrompt, { error: 'McpError', code: -32602, message: 'MCP error -32602: MCP error -32602: Prompt no-such-prompt not found' });
  assert.equal((direct.steps.echoBadArgs as { isError?: boolean }).isError, true);
  assert.equal((direct.steps.cancelled as { code?: number }).code, -32001);
  assert.match(JSON.stringify(direct.steps.sampling), /sampled 1 message\(s\), max 16 tokens/);
});

test('stdio: server-to-client requests (roots, sampling) reach the host unchanged and its answers reach the server', () => {
  assert.deepEqual(proxied.serverRequests, direct.serverRequests);
  assert.deepEqual(
    direct.serverRequests.map((r) => (r as { method: string }).method),
    ['roots/list', 'sampling/createMessage'],
  );
});

test('stdio: the server receives the same bytes, requests only gaining traceparent in params._meta', () => {
  const d = readFileSync(directIn, 'utf8').split('\n');
  const p = readFileSync(proxiedIn, 'utf8').split('\n');
  assert.equal(p.length, d.length);
  let requests = 0;
  let other = 0;
  for (let i = 0; i < d.length; i++) {
    const dl = d[i] as string;
    const pl = p[i] as string;
    const dm = dl ? (JSON.parse(dl) as { method?: string; id?: unknown; params?: { _meta?: Record<string, unknown> } }) : undefined;
    if (dm?.method !== undefined && dm.id !== undefined) {
      requests++;
      const pm = JSON.parse(pl) as { params: { _meta: Record<string, unknown> } };
      assert.match(String(pm.params._meta.traceparent), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      delete pm.params._meta.traceparent;
      if (Object.keys(pm.params._meta).length === 0 && !dm.params?._meta) delete (pm.params as { _meta?: unknown })._meta;
      if (Object.keys(pm.params).length === 0 && !dm.params) delete (pm as { params?: unknown }).params;
      assert.deepEqual(pm, dm, `line ${i + 1}`);
    } else {
      other++;
      assert.equal(pl, dl, `line ${i + 1} (not a request) changed`);
    }
  }
  // 9 requests; notifications (initialized, cancelled) and the host's 2 answers to server requests pass byte for byte.
  assert.equal(requests, 9);
  assert.equal(other, 5);
});

test("stdio: the proxy's spans are the SDK instrumentation's spans, with observer proxy, and carry the trace the server receives", () => {
  assert.equal(rx.spans.length, 9);
  assert.deepEqual(normSpans(rx.spans), normSpans(sdk.spans));
  for (const s of rx.spans) {
    assert.equal(s.attributes[ATTR_OBSERVER], 'proxy');
    assert.equal(s.attributes[ATTR_NETWORK_TRANSPORT], 'pipe');
    assert.equal(s.scope, INSTRUMENTATION_SCOPE_NAME);
    assert.equal(s.kind, 3); // CLIENT
    assert.equal(s.resource['service.name'], 'proxy-under-test');
  }
  assert.deepEqual(
    rx.spans.map((s) => `${s.name} ${s.attributes[ATTR_OUTCOME]}`).sort(),
    [
      'initialize success',
      'prompts/get no-such-prompt protocol_error',
      'tools/call echo success',
      'tools/call echo tool_error',
      'tools/call get-sum success',
      'tools/call trigger-long-running-operation cancelled',
      'tools/call trigger-long-running-operation success',
      'tools/call trigger-sampling-request success',
      'tools/list success',
    ],
  );
  // The traceparent each request carried to the server names the proxy's span for it.
  for (const line of readFileSync(proxiedIn, 'utf8').split('\n').filter(Boolean)) {
    const m = JSON.parse(line) as { id?: unknown; method?: string; params?: { _meta?: { traceparent?: string } } };
    if (m.method === undefined || m.id === undefined) continue;
    const span = rx.spans.find((s) => s.attributes[ATTR_JSONRPC_REQUEST_ID] === String(m.id));
    assert.ok(span, `span of request ${String(m.id)}`);
    assert.equal(m.params?._meta?.traceparent, `00-${span.traceId}-${span.spanId}-01`);
  }
});

test("stdio: the proxy's metrics equal the SDK instrumentation's, series by series, and the known counts", () => {
  assert.deepEqual(series(rx.points), series(sdk.points));
  // Every series of the core says who observed; the log pipeline's dropped counter is per process, not per observer.
  for (const p of rx.points.filter((x) => x.metric !== METRIC_AUDIT_DROPPED.name)) assert.equal(p.attributes[ATTR_OBSERVER], 'proxy', p.metric);
  const server = { [ATTR_SERVER_NAME]: 'mcp-servers/everything' };
  const calls = (tool: string, outcome: string) => rx.total(METRIC_TOOL_CALLS.name, { ...server, [ATTR_GEN_AI_TOOL_NAME]: tool, [ATTR_OUTCOME]: outcome });
  assert.equal(calls('echo', 'success'), 1);
  assert.equal(calls('echo', 'tool_error'), 1);
  assert.equal(calls('get-sum', 'success'), 1);
  assert.equal(calls('trigger-long-running-operation', 'success'), 1);
  assert.equal(calls('trigger-long-running-operation', 'cancelled'), 1);
  assert.equal(calls('trigger-sampling-request', 'success'), 1);
  assert.equal(rx.total(METRIC_TOOL_CALLS.name), 6);
  assert.equal(rx.total(METRIC_RESPONSES_EXPECTED.name), 9);
  assert.equal(rx.total(METRIC_RESPONSES_EXPECTED.name, { [ATTR_MCP_METHOD_NAME]: 'tools/call' }), 6);
  assert.equal(rx.total(METRIC_RESPONSES_CANCELLED.name), 1);
  assert.equal(rx.total(METRIC_RESPONSES_LOST.name), 0);
  const perSession = [...rx.latest(METRIC_SESSION_REQUESTS.name).values()];
  assert.equal(perSession.length, 1);
  assert.equal(perSession[0]?.count, 1);
  assert.equal(perSession[0]?.value, 8); // initialize is not counted
});

test("stdio: the proxy's audit records equal the SDK instrumentation's, observer proxy, and the chain verifies", async () => {
  assert.equal(rx.logs.length, 10);
  assert.deepEqual(normAudit(rx.logs), normAudit(sdk.logs));
  assert.deepEqual(
    rx.logs.map((l) => l.eventName),
    [...Array(9).fill(EVENT_AUDIT_OPERATION), EVENT_AUDIT_SESSION_END],
  );
  for (const l of rx.logs) assert.equal(l.attributes[F.observer], 'proxy');
  const file = join(dir, 'audit.jsonl');
  writeFileSync(file, rx.rawLogs.map((b) => `${b}\n`).join(''));
  const r = await runCli(['audit', 'verify', file]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /10 record\(s\) in 1 session\(s\)/);
});
