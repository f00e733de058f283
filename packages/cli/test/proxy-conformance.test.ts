/**
 * The official conformance suite (`@modelcontextprotocol/conformance`
 * 0.1.16, the 2025 protocol) in server mode, all 32 of its server scenarios
 * (`--suite all`: the 30 active ones and the 2 pending), run against
 * `@modelcontextprotocol/server-everything` 2026.8.31 (SDK v1, Streamable
 * HTTP) directly, then through `mcp-conservation proxy --http`: every
 * scenario ends the same way, check for check, with what each check saw
 * (results, errors, status codes, SSE events, response headers), and the
 * proxy's telemetry counts every request the scenarios make.
 *
 * Only HTTP: the suite's server mode takes a URL and nothing else, so the
 * stdio proxy has no conformance run of its own.
 *
 * Most scenarios fail directly, and must fail the same way through the
 * proxy. They are written against the suite's own reference server, which
 * registers fixtures by name (tools `test_simple_text`, `test_image_content`,
 * ..., prompts `test_simple_prompt`, ..., resources `test://static-text`,
 * ...); server-everything has other names (`echo`, `get-tiny-image`, ...):
 * - tools-call-image, -audio, -embedded-resource, -mixed-content,
 *   -with-logging, -with-progress, -sampling, -elicitation,
 *   elicitation-sep1034-defaults, elicitation-sep1330-enums,
 *   server-sse-polling: the tool is unknown, the answer is an `isError`
 *   result ("Tool ... not found"), so the content, notifications or server
 *   requests looked for never come;
 * - json-schema-2020-12: `json_schema_2020_12_tool` is not listed;
 * - completion-complete, prompts-get-*, resources-read-*,
 *   resources-templates-read: the prompt or resource is unknown, -32602;
 * - dns-rebinding-protection (its rejection check): server-everything does
 *   not validate Host or Origin, and answers the evil host 200.
 * tools-call-simple-text and tools-call-error pass for the same reason:
 * the not-found answer is a text content item with `isError: true`, which
 * is all those two checks ask.
 *
 * dns-rebinding-protection runs once more against an SDK v1 server that
 * checks Host (`createMcpExpressApp()`), where it passes directly: it
 * passes through the proxy too, which sends a Host naming another host on
 * as it came (it used to name the upstream in every request, and so let
 * the evil host through).
 */
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_MCP_METHOD_NAME,
  ATTR_OUTCOME,
  AUDIT_FIELDS as F,
  EVENT_AUDIT_OPERATION,
  EVENT_AUDIT_SESSION_END,
  METRIC_RESPONSES_EXPECTED,
  METRIC_RESPONSES_LOST,
  METRIC_TOOL_CALLS,
} from '@mcp-conservation/semconv';
import { runConformanceServer, type Check, type ConformanceRun } from './helpers/conformance.ts';
import { startEverythingHttp, type RunningEverything } from './helpers/everything-http.ts';
import { OtlpReceiver, until } from './helpers/otlp-receiver.ts';
import { startHttpProxy } from './helpers/proxy-process.ts';
import { startHostCheckingServer } from './fixtures/host-checking-server.ts';

/** What 0.1.16 finds in server-everything 2026.8.31: scenario -> its checks' ids and statuses, in the suite's order. */
const EXPECTED_CHECKS: Record<string, string[]> = {
  'server-initialize': ['server-initialize SUCCESS'],
  'logging-set-level': ['logging-set-level SUCCESS'],
  ping: ['ping SUCCESS'],
  'completion-complete': ['completion-complete FAILURE'],
  'tools-list': ['tools-list SUCCESS'],
  'tools-call-simple-text': ['tools-call-simple-text SUCCESS'],
  'tools-call-image': ['tools-call-image FAILURE'],
  'tools-call-audio': ['tools-call-audio FAILURE'],
  'tools-call-embedded-resource': ['tools-call-embedded-resource FAILURE'],
  'tools-call-mixed-content': ['tools-call-mixed-content FAILURE'],
  'tools-call-with-logging': ['tools-call-with-logging FAILURE'],
  'tools-call-error': ['tools-call-error SUCCESS'],
  'tools-call-with-progress': ['tools-call-with-progress FAILURE'],
  'tools-call-sampling': ['tools-call-sampling FAILURE'],
  'tools-call-elicitation': ['tools-call-elicitation FAILURE'],
  'json-schema-2020-12': ['json-schema-2020-12-tool-found FAILURE'],
  'elicitation-sep1034-defaults': ['elicitation-sep1034-general FAILURE'],
  'server-sse-polling': [
    'outgoing-request INFO',
    'incoming-response INFO',
    'incoming-sse-event INFO',
    'incoming-sse-event FAILURE',
    'stream-closed INFO',
    'server-sse-priming-event WARNING',
    'server-sse-retry-field WARNING',
    'server-sse-disconnect-resume INFO',
  ],
  'server-sse-multiple-streams': ['server-accepts-multiple-post-streams SUCCESS', 'server-sse-streams-functional SUCCESS'],
  'elicitation-sep1330-enums': ['elicitation-sep1330-general FAILURE'],
  'resources-list': ['resources-list SUCCESS'],
  'resources-read-text': ['resources-read-text FAILURE'],
  'resources-read-binary': ['resources-read-binary FAILURE'],
  'resources-templates-read': ['resources-templates-read FAILURE'],
  'resources-subscribe': ['resources-subscribe SUCCESS'],
  'resources-unsubscribe': ['resources-unsubscribe SUCCESS'],
  'prompts-list': ['prompts-list SUCCESS'],
  'prompts-get-simple': ['prompts-get-simple FAILURE'],
  'prompts-get-with-args': ['prompts-get-with-args FAILURE'],
  'prompts-get-embedded-resource': ['prompts-get-embedded-resource FAILURE'],
  'prompts-get-with-image': ['prompts-get-with-image FAILURE'],
  'dns-rebinding-protection': ['localhost-host-rebinding-rejected FAILURE', 'localhost-host-valid-accepted SUCCESS'],
};

/**
 * The requests the 32 scenarios make, by method: every scenario but
 * dns-rebinding-protection connects an SDK client (31 initialize), which
 * sends its own raw initialize twice (evil and valid host); then one
 * request per scenario, but logging/setLevel before the logging tool call,
 * subscribe before unsubscribe, and three tools/list on three concurrent
 * streams (server-sse-multiple-streams).
 */
const EXPECTED_REQUESTS: Record<string, number> = {
  'completion/complete': 1,
  initialize: 33,
  'logging/setLevel': 2,
  ping: 1,
  'prompts/get': 4,
  'prompts/list': 1,
  'resources/list': 1,
  'resources/read': 3,
  'resources/subscribe': 2,
  'resources/unsubscribe': 1,
  'tools/call': 13,
  'tools/list': 5,
};
const REQUESTS = Object.values(EXPECTED_REQUESTS).reduce((a, b) => a + b);
/** One MCP session per initialize, each ended (its GET stream gone, or the proxy stopping). */
const SESSIONS = 33;

/** Scenario -> `<check id> <status>`, as EXPECTED_CHECKS spells it. */
const verdicts = (run: ConformanceRun) => Object.fromEntries([...run.scenarios].map(([s, checks]) => [s, checks.map((c) => `${c.id} ${c.status}`)]));

/** RFC 9110 §7.6.1: each hop writes its own (the proxy's Node server adds `Keep-Alive: timeout=5`), and Date is the time of the answer. */
const PER_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'date']);
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/**
 * A run's checks with what differs between any two runs taken out: the
 * time of each check, the session ids and SSE event ids the server mints
 * (random UUIDs), the address the suite was pointed at (the server's or
 * the proxy's), and the per-hop response headers. Everything else stays,
 * every result, error message, status code and SSE payload.
 */
function comparable(run: ConformanceRun, origin: string): Record<string, unknown> {
  const strip = (v: unknown, key?: string): unknown => {
    if (Array.isArray(v)) return v.map((x) => strip(x));
    if (v === null || typeof v !== 'object') return v;
    return Object.fromEntries(
      Object.entries(v)
        .filter(([k]) => k !== 'timestamp' && !(key === 'headers' && PER_HOP.has(k.toLowerCase())))
        .map(([k, x]) => [k, strip(x, k)]),
    );
  };
  const text = JSON.stringify(Object.fromEntries(run.scenarios)).replaceAll(origin, '<server>').replaceAll(UUID, '<uuid>');
  return strip(JSON.parse(text) as Record<string, Check[]>) as Record<string, unknown>;
}

let everything: RunningEverything;
let rx: OtlpReceiver;
let direct: ConformanceRun;
let proxied: ConformanceRun;
let proxyOrigin = '';
let proxyExit: number | null;
let proxyStderr = '';

before(async () => {
  everything = await startEverythingHttp();
  rx = new OtlpReceiver();
  const endpoint = await rx.start();
  direct = await runConformanceServer(everything.url);
  const proxy = await startHttpProxy(everything.url, { env: rx.env(endpoint) });
  proxyOrigin = new URL(proxy.url).host;
  proxied = await runConformanceServer(proxy.url);
  proxyExit = await proxy.stop();
  proxyStderr = proxy.stderr();
  await until('the proxy to export every session end', () => rx.logs.filter((l) => l.eventName === EVENT_AUDIT_SESSION_END).length >= SESSIONS);
});

after(async () => {
  await everything?.stop();
  await rx?.stop();
});

test('directly, the suite runs its 32 server scenarios against server-everything: 11 pass, 21 fail, check by check as known', () => {
  assert.deepEqual(verdicts(direct), EXPECTED_CHECKS, direct.stdout);
  assert.equal(direct.scenarios.size, 32);
  const failing = [...direct.scenarios.values()].filter((checks) => checks.some((c) => c.status === 'FAILURE'));
  assert.equal(failing.length, 21);
  assert.equal(direct.code, 1, 'the suite exits 1 when a scenario fails');
});

test('through the proxy, every scenario passes or fails as it does directly, with the same checks seeing the same things', () => {
  assert.deepEqual(verdicts(proxied), verdicts(direct));
  assert.deepEqual(proxied.summary, direct.summary);
  assert.equal(proxied.summary.length, 32);
  assert.deepEqual(comparable(proxied, proxyOrigin), comparable(direct, new URL(everything.url).host));
  assert.equal(proxied.code, direct.code);
  assert.equal(proxyExit, 0, proxyStderr);
});

test("the proxy's telemetry counts every request the scenarios make, each answered, in 33 sessions", () => {
  const byMethod = (methods: unknown[]) => {
    const out: Record<string, number> = {};
    for (const m of methods) out[String(m)] = (out[String(m)] ?? 0) + 1;
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
  };
  const operations = rx.logs.filter((l) => l.eventName === EVENT_AUDIT_OPERATION);
  assert.equal(REQUESTS, 67);
  assert.deepEqual(byMethod(rx.spans.map((s) => s.attributes[ATTR_MCP_METHOD_NAME])), EXPECTED_REQUESTS);
  assert.deepEqual(byMethod(operations.map((l) => l.attributes[F.method])), EXPECTED_REQUESTS);
  assert.equal(rx.logs.filter((l) => l.eventName === EVENT_AUDIT_SESSION_END).length, SESSIONS);
  // Every tool is unknown to server-everything (an isError result); the prompts, resources and the completion's prompt too (-32602).
  assert.deepEqual(byMethod(operations.map((l) => l.attributes[F.outcome])), { protocol_error: 8, success: 46, tool_error: 13 });
  assert.equal(rx.total(METRIC_TOOL_CALLS.name), 13);
  assert.equal(rx.total(METRIC_TOOL_CALLS.name, { [ATTR_OUTCOME]: 'tool_error' }), 13);
  assert.equal(new Set(operations.filter((l) => l.attributes[F.method] === 'tools/call').map((l) => l.attributes[ATTR_GEN_AI_TOOL_NAME])).size, 13);
  assert.equal(rx.total(METRIC_RESPONSES_EXPECTED.name), REQUESTS);
  assert.equal(rx.total(METRIC_RESPONSES_LOST.name), 0);
});

test('dns-rebinding-protection against a server that checks Host passes directly and through the proxy: the evil host still refused (403), the proxy\'s own name accepted', async () => {
  const guarded = await startHostCheckingServer();
  const proxy = await startHttpProxy(guarded.url);
  try {
    const alone = await runConformanceServer(guarded.url, 'dns-rebinding-protection');
    const through = await runConformanceServer(proxy.url, 'dns-rebinding-protection');
    const want = { 'dns-rebinding-protection': ['localhost-host-rebinding-rejected SUCCESS', 'localhost-host-valid-accepted SUCCESS'] };
    assert.deepEqual(verdicts(alone), want, alone.stdout);
    assert.deepEqual(verdicts(through), want, through.stdout);
    const refused = (run: ConformanceRun) => (run.scenarios.get('dns-rebinding-protection')![0]!.details as { statusCode: number }).statusCode;
    assert.equal(refused(alone), 403);
    assert.deepEqual(comparable(through, new URL(proxy.url).host), comparable(alone, new URL(guarded.url).host));
    assert.equal(through.code, 0);
  } finally {
    await proxy.stop();
    await guarded.stop();
  }
});
