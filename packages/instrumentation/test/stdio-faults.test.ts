/**
 * Loss causes and outcomes against a raw JSON-RPC server over a real stdio
 * child process that misbehaves on purpose. Every figure is exact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { instrumentClient, observerOf, type InstrumentClientOptions } from '@mcp-conservation/instrumentation';
import { AUDIT_FIELDS as F, verifyChain, type AuditRecord } from '@mcp-conservation/semconv/audit';
import { createTelemetry, sumOf, auditRecords, spanNamed, until, type Telemetry } from './helpers.ts';

const RAW_SERVER = fileURLToPath(new URL('./fixtures/raw-server.mjs', import.meta.url));
const DUP_TEXT = 'duplicate content block';
const LATE_TEXT = 'this answer comes too late';
const LOST = 'mcp_conservation.responses.lost';
const LOST_TOKENS = 'mcp_conservation.context.lost_tokens';
const CAUSE = 'mcp_conservation.loss.cause';
const OUTCOME = 'mcp_conservation.outcome';

async function connect(tel: Telemetry, options: InstrumentClientOptions = {}) {
  const client = instrumentClient(new Client({ name: 'c', version: '1' }), {
    tracerProvider: tel.tracerProvider,
    meterProvider: tel.meterProvider,
    loggerProvider: tel.loggerProvider,
    ...options,
  });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [RAW_SERVER], stderr: 'ignore' }));
  await client.listTools();
  return client;
}

async function metric(tel: Telemetry, name: string, filter: Record<string, string> = {}) {
  return sumOf(await tel.collect(), name, filter);
}

test('stdio: duplicates, invalid results, late answers, garbage, cancellation and a closed transport', async () => {
  const tel = createTelemetry();
  const client = await connect(tel);

  // Two identical blocks: the second is redundant.
  await client.callTool({ name: 'dup', arguments: {} });

  // Output schema violated: the SDK rejects it above the transport; the core learns it through the hook.
  await assert.rejects(client.callTool({ name: 'invalid', arguments: {} }), /output schema/);

  // Times out at 100 ms, answers at 400 ms: a late answer is the loss.
  await assert.rejects(client.callTool({ name: 'late', arguments: { ms: 400 } }, undefined, { timeout: 100 }), /timed out/);
  await until(async () => (await metric(tel, LOST, { [CAUSE]: 'late' })) === 1, 'late answer counted');

  // A line that is not JSON while one request is pending: that request's response is lost as unparseable.
  await assert.rejects(client.callTool({ name: 'garbage', arguments: {} }, undefined, { timeout: 300 }), /timed out/);

  // Cancelled by the caller: its own outcome, out of the denominators; its late answer costs tokens, not a loss.
  const abort = new AbortController();
  const cancelled = client.callTool({ name: 'late', arguments: { ms: 200 } }, undefined, { signal: abort.signal });
  abort.abort('user changed their mind');
  await assert.rejects(cancelled);
  await until(async () => (await metric(tel, LOST_TOKENS, { [CAUSE]: 'late' })) === 2 * countTokens(LATE_TEXT), 'late answer after cancel counted in tokens');

  // Closed with a request pending.
  const pending = client.callTool({ name: 'late', arguments: { ms: 60_000 } }, undefined, { timeout: 120_000 });
  await client.close();
  await assert.rejects(pending, /Connection closed/);
  await observerOf(client)!.forceFlush();

  const rm = await tel.collect();
  const dup = countTokens(DUP_TEXT);
  assert.equal(sumOf(rm, 'mcp_conservation.context.tokens', { 'mcp.method.name': 'tools/call', 'mcp_conservation.token.disposition': 'meaningful' }), dup);
  assert.equal(sumOf(rm, 'mcp_conservation.context.tokens', { 'mcp.method.name': 'tools/call', 'mcp_conservation.token.disposition': 'redundant' }), dup);
  const invalidJson = '{"count":"many"}';
  assert.equal(sumOf(rm, LOST_TOKENS, { [CAUSE]: 'invalid' }), 2 * countTokens(invalidJson));
  assert.deepEqual(
    Object.fromEntries(['timeout', 'late', 'invalid', 'unparseable', 'transport_closed', 'truncated'].map((c) => [c, sumOf(rm, LOST, { [CAUSE]: c })])),
    { timeout: 0, late: 1, invalid: 1, unparseable: 1, transport_closed: 1, truncated: 0 },
  );
  const calls = 'mcp_conservation.tool.calls';
  assert.deepEqual(
    Object.fromEntries(['success', 'invalid_result', 'timeout', 'protocol_error', 'cancelled', 'transport_error'].map((o) => [o, sumOf(rm, calls, { [OUTCOME]: o })])),
    { success: 1, invalid_result: 1, timeout: 1, protocol_error: 1, cancelled: 1, transport_error: 1 },
  );
  assert.equal(sumOf(rm, 'mcp_conservation.responses.cancelled'), 1);
  // initialize, tools/list and six calls
  assert.equal(sumOf(rm, 'mcp_conservation.responses.expected'), 8);

  const span = spanNamed(tel.spans.getFinishedSpans(), 'tools/call dup');
  assert.equal(span.attributes['network.transport'], 'pipe');
  assert.equal(span.attributes['mcp_conservation.server.name'], 'raw-server');

  const records = auditRecords(tel.logs).map((r) => r.attributes as AuditRecord);
  assert.deepEqual(verifyChain(records).problems, []);
  const byTool = (tool: string) => records.filter((r) => r[F.tool] === tool);
  assert.deepEqual(byTool('invalid').map((r) => [r[F.outcome], r[F.cause], r[F.contextValid]]), [['invalid_result', 'invalid', false]]);
  assert.deepEqual(byTool('garbage').map((r) => [r[F.outcome], r[F.cause]]), [['protocol_error', 'unparseable']]);
  assert.deepEqual(
    byTool('late').map((r) => [r[F.outcome], r[F.cause] ?? null, r[F.tokensLost]]),
    [
      ['timeout', 'timeout', 0],
      ['timeout', 'late', countTokens(LATE_TEXT)],
      ['cancelled', null, 0],
      ['cancelled', 'late', countTokens(LATE_TEXT)],
      ['transport_error', 'transport_closed', 0],
    ],
  );
  await tel.shutdown();
});

test('stdio: a timed-out request never answered is lost as timeout once the late window ends', async () => {
  const tel = createTelemetry();
  const client = await connect(tel, { lateWindowMs: 150 });
  await assert.rejects(client.callTool({ name: 'late', arguments: { ms: 30_000 } }, undefined, { timeout: 50 }), /timed out/);
  assert.equal(await metric(tel, LOST), 0, 'not decided while a late answer may still come');
  await until(async () => (await metric(tel, LOST, { [CAUSE]: 'timeout' })) === 1, 'timeout decided at the end of the late window');
  await client.close();
  await observerOf(client)!.forceFlush();
  assert.equal(await metric(tel, LOST), 1);
  await tel.shutdown();
});

test('stdio: a stray non-JSON line before a good answer loses nothing; a garbage answer is lost as unparseable at the timeout', async () => {
  const tel = createTelemetry();
  const client = await connect(tel);
  const result = await client.callTool({ name: 'noisy', arguments: {} });
  assert.deepEqual(result.content, [{ type: 'text', text: 'the answer after a stray line' }]);
  await assert.rejects(client.callTool({ name: 'garbage', arguments: {} }, undefined, { timeout: 200 }), /timed out/);
  await client.close();
  await observerOf(client)!.forceFlush();
  const rm = await tel.collect();
  assert.equal(sumOf(rm, 'mcp_conservation.tool.calls', { 'gen_ai.tool.name': 'noisy', [OUTCOME]: 'success' }), 1);
  assert.equal(sumOf(rm, 'mcp_conservation.tool.calls', { 'gen_ai.tool.name': 'garbage', [OUTCOME]: 'protocol_error' }), 1);
  assert.equal(sumOf(rm, LOST), 1);
  assert.equal(sumOf(rm, LOST, { [CAUSE]: 'unparseable', 'gen_ai.tool.name': 'garbage' }), 1);
  assert.equal(sumOf(rm, LOST_TOKENS), 0);
  assert.equal(sumOf(rm, 'mcp_conservation.context.tokens', { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'noisy', 'mcp_conservation.token.disposition': 'meaningful' }), countTokens('the answer after a stray line'));
  const records = auditRecords(tel.logs).map((r) => r.attributes as AuditRecord);
  const noisy = records.filter((r) => r[F.tool] === 'noisy');
  assert.deepEqual(
    noisy.map((r) => [r[F.outcome], r[F.cause], r[F.contextValid]]),
    [['success', undefined, true]],
  );
  const garbage = records.filter((r) => r[F.tool] === 'garbage');
  assert.deepEqual(
    garbage.map((r) => [r[F.outcome], r[F.cause], r[F.contextValid]]),
    [['protocol_error', 'unparseable', false]],
  );
  await tel.shutdown();
});

test('stdio: results the SDK client rejects with its own result schema are invalid: lost, not successes', async () => {
  const tel = createTelemetry();
  const client = await connect(tel);
  await assert.rejects(client.callTool({ name: 'widget', arguments: {} }), (e: Error) => /ZodError/.test(e.name));
  await assert.rejects(client.listResources(), (e: Error) => /ZodError/.test(e.name));
  await client.close();
  await observerOf(client)!.forceFlush();
  const rm = await tel.collect();
  assert.equal(sumOf(rm, 'mcp_conservation.tool.calls', { 'gen_ai.tool.name': 'widget', [OUTCOME]: 'invalid_result' }), 1);
  assert.equal(sumOf(rm, 'mcp_conservation.tool.calls', { [OUTCOME]: 'success' }), 0);
  assert.equal(sumOf(rm, LOST, { [CAUSE]: 'invalid', 'mcp.method.name': 'tools/call' }), 1);
  assert.equal(sumOf(rm, LOST, { [CAUSE]: 'invalid', 'mcp.method.name': 'resources/list' }), 1);
  assert.equal(sumOf(rm, LOST), 2);
  // The readable block was seen and not delivered: its tokens are lost, none meaningful.
  assert.equal(sumOf(rm, LOST_TOKENS, { [CAUSE]: 'invalid', 'mcp.method.name': 'tools/call' }), countTokens('a readable block beside an unknown one'));
  assert.equal(sumOf(rm, 'mcp_conservation.context.tokens', { 'mcp.method.name': 'tools/call' }), 0);
  const records = auditRecords(tel.logs).map((r) => r.attributes as AuditRecord);
  assert.deepEqual(
    records.filter((r) => r[F.method] === 'tools/call' || r[F.method] === 'resources/list').map((r) => [r[F.method], r[F.outcome], r[F.cause], r[F.contextValid]]),
    [
      ['tools/call', 'invalid_result', 'invalid', false],
      ['resources/list', 'invalid_result', 'invalid', false],
    ],
  );
  await tel.shutdown();
});

test('a host limit inside a block keeps the tokens up to the limit: only the part past it is lost', async () => {
  const tel = createTelemetry();
  const n = countTokens(DUP_TEXT);
  // Two identical blocks of n tokens. Limit 2: 2 tokens of the first are kept (new content), the rest is lost.
  const cutFirst = await connect(tel, { maxResultTokens: 2 });
  await cutFirst.callTool({ name: 'dup', arguments: {} });
  await cutFirst.close();
  await observerOf(cutFirst)!.forceFlush();
  let rm = await tel.collect();
  const tokens = (d: string) => sumOf(rm, 'mcp_conservation.context.tokens', { 'mcp.method.name': 'tools/call', 'mcp_conservation.token.disposition': d });
  assert.equal(tokens('meaningful'), 2);
  assert.equal(tokens('redundant'), 0);
  assert.equal(sumOf(rm, LOST_TOKENS, { [CAUSE]: 'truncated' }), 2 * n - 2);
  // Limit n + 2: the first block whole, then 2 tokens of its repeat, which are redundant.
  const cutSecond = await connect(tel, { maxResultTokens: n + 2 });
  await cutSecond.callTool({ name: 'dup', arguments: {} });
  await cutSecond.close();
  await observerOf(cutSecond)!.forceFlush();
  rm = await tel.collect();
  assert.equal(tokens('meaningful'), 2 + n);
  assert.equal(tokens('redundant'), 2);
  assert.equal(sumOf(rm, LOST_TOKENS, { [CAUSE]: 'truncated' }), 2 * n - 2 + (n - 2));
  assert.equal(sumOf(rm, LOST, { [CAUSE]: 'truncated' }), 2);
  await tel.shutdown();
});

test('a host limit on result tokens truncates: tokens past the limit are lost', async () => {
  const tel = createTelemetry();
  const client = await connect(tel, { maxResultTokens: countTokens(DUP_TEXT) });
  await client.callTool({ name: 'dup', arguments: {} });
  await client.close();
  await observerOf(client)!.forceFlush();
  const rm = await tel.collect();
  assert.equal(sumOf(rm, LOST, { [CAUSE]: 'truncated' }), 1);
  assert.equal(sumOf(rm, LOST_TOKENS, { [CAUSE]: 'truncated' }), countTokens(DUP_TEXT));
  assert.equal(sumOf(rm, 'mcp_conservation.context.tokens', { 'mcp.method.name': 'tools/call', 'mcp_conservation.token.disposition': 'meaningful' }), countTokens(DUP_TEXT));
  const rec = auditRecords(tel.logs).map((r) => r.attributes as AuditRecord).find((r) => r[F.tool] === 'dup')!;
  assert.equal(rec[F.contextValid], false);
  assert.equal(rec[F.cause], 'truncated');
  await tel.shutdown();
});
