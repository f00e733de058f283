/**
 * A Client closed and connected again on the same stdio transport (the SDK
 * spawns the server anew) is a second session, observed like the first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { observerOf } from '@mcp-conservation/instrumentation';
import { AUDIT_FIELDS as F, verifyChain, type AuditRecord } from '@mcp-conservation/semconv/audit';
import { auditRecords, createTelemetry, histogramOf, sumOf, instrumented } from './helpers.ts';

const RAW_SERVER = fileURLToPath(new URL('./fixtures/raw-server.mjs', import.meta.url));

test('stdio: close, then connect again on the same transport: a second session with its spans, metrics and audit trail', async () => {
  const tel = createTelemetry();
  const client = instrumented(tel);
  const transport = new StdioClientTransport({ command: process.execPath, args: [RAW_SERVER], stderr: 'ignore' });
  await client.connect(transport);
  await client.callTool({ name: 'dup', arguments: {} });
  await client.close();
  await client.connect(transport);
  await client.callTool({ name: 'dup', arguments: {} });
  await client.callTool({ name: 'dup', arguments: {} });
  await client.close();
  await observerOf(client)!.forceFlush();

  const spans = tel.spans.getFinishedSpans().filter((s) => s.name === 'tools/call dup');
  assert.equal(spans.length, 3);
  const rm = await tel.collect();
  assert.equal(sumOf(rm, 'mcp_conservation.tool.calls', { 'mcp_conservation.outcome': 'success' }), 3);
  const perSession = histogramOf(rm, 'mcp_conservation.session.requests');
  assert.deepEqual(
    perSession.map((h) => [h.count, h.sum]),
    [[2, 3]],
    'two sessions: 1 and 2 requests',
  );
  const records = auditRecords(tel.logs).map((r) => r.attributes as AuditRecord);
  const ends = records.filter((r) => r[F.kind] === 'session_end');
  assert.deepEqual(
    ends.map((r) => r[F.sessionRequests]).sort(),
    [1, 2],
  );
  assert.notEqual(ends[0]![F.session], ends[1]![F.session]);
  const verified = verifyChain(records);
  assert.equal(verified.ok, true, JSON.stringify(verified.problems));
  assert.equal(verified.sessions.length, 2);
  await tel.shutdown();
});
