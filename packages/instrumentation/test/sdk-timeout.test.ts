/**
 * A timeout the SDK client decides without telling the server: with
 * `resetTimeoutOnProgress` and `maxTotalTimeout`, it rejects the caller
 * (-32001) and sends no `notifications/cancelled`. The outcome is still
 * `timeout`, and the answer that comes afterwards is the `late` loss.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { observerOf } from '@mcp-conservation/instrumentation';
import { AUDIT_FIELDS as F, type AuditRecord } from '@mcp-conservation/semconv/audit';
import { auditRecords, createTelemetry, sumOf, until, instrumented } from './helpers.ts';

const ANSWER = 'the slow answer, delivered to nobody';

/** A promise with its resolve function: the test opens each gate when it chooses. */
function gate(): { open: () => void; opened: Promise<void> } {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

test('maxTotalTimeout: a timeout without a cancellation is a timeout, and the answer after it is late', async () => {
  const tel = createTelemetry();
  const progress = gate();
  const answer = gate();
  const server = new McpServer({ name: 'slow', version: '1' });
  // A tool without an input schema gets the request's extra as its only argument.
  server.registerTool('slow', { description: 'slow' }, async (extra) => {
    await progress.opened;
    await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: extra._meta!.progressToken!, progress: 1 } });
    await answer.opened;
    return { content: [{ type: 'text', text: ANSWER }] };
  });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const cancellations: unknown[] = [];
  const send = clientSide.send.bind(clientSide);
  clientSide.send = (m, o) => {
    if ((m as { method?: string }).method === 'notifications/cancelled') cancellations.push(m);
    return send(m, o);
  };
  const client = instrumented(tel);
  await client.connect(clientSide);

  const started = Date.now();
  const call = client.callTool({ name: 'slow', arguments: {} }, undefined, { onprogress: () => undefined, resetTimeoutOnProgress: true, timeout: 60_000, maxTotalTimeout: 20 });
  // The SDK checks the total only when progress comes: let the total pass first.
  await until(() => Date.now() - started > 25, 'the total timeout to pass');
  progress.open();
  await assert.rejects(call, /Maximum total timeout exceeded/);
  assert.deepEqual(cancellations, [], 'the SDK told the server nothing');
  answer.open();
  await until(async () => sumOf(await tel.collect(), 'mcp_conservation.responses.lost', { 'mcp_conservation.loss.cause': 'late' }) === 1, 'the late answer counted');
  await client.close();
  await observerOf(client)!.forceFlush();

  const rm = await tel.collect();
  assert.equal(sumOf(rm, 'mcp_conservation.tool.calls', { 'mcp_conservation.outcome': 'timeout' }), 1);
  assert.equal(sumOf(rm, 'mcp_conservation.tool.calls', { 'mcp_conservation.outcome': 'success' }), 0);
  assert.equal(sumOf(rm, 'mcp_conservation.responses.lost'), 1);
  assert.equal(sumOf(rm, 'mcp_conservation.context.lost_tokens', { 'mcp_conservation.loss.cause': 'late' }), countTokens(ANSWER));
  assert.equal(sumOf(rm, 'mcp_conservation.context.tokens', { 'mcp.method.name': 'tools/call' }), 0);
  const records = auditRecords(tel.logs)
    .map((r) => r.attributes as AuditRecord)
    .filter((r) => r[F.tool] === 'slow');
  assert.deepEqual(
    records.map((r) => [r[F.outcome], r[F.cause], r[F.contextValid]]),
    [
      ['timeout', 'timeout', false],
      ['timeout', 'late', false],
    ],
  );
  await tel.shutdown();
});
