/**
 * audit verify on records from a real run: a real MCP SDK client and
 * server (in-memory transport), instrumented with
 * @mcp-conservation/instrumentation, its audit records exported through the
 * real Logs SDK as OTLP/JSON lines (see helpers/otlp-writer.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { z } from 'zod';
import { instrumentClient, observerOf } from '@mcp-conservation/instrumentation';
import { AUDIT_FIELDS } from '@mcp-conservation/semconv';
import { runCli } from './helpers/cli.ts';
import { JsonLinesExporter } from './helpers/otlp-writer.ts';

const KEY = 'real-run-audit-key';

function server(): McpServer {
  const s = new McpServer({ name: 'notes-server', version: '1.0.0' });
  s.registerTool('search', { description: 'Search notes', inputSchema: { query: z.string() } }, async ({ query }) => ({ content: [{ type: 'text', text: `3 notes match ${query}` }] }));
  s.registerTool('fail', { description: 'Always fails' }, async () => ({ content: [{ type: 'text', text: 'backend down' }], isError: true }));
  return s;
}

async function run(exporter: JsonLinesExporter, calls: number): Promise<void> {
  const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
  const meterProvider = new MeterProvider();
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server().connect(serverSide);
  const client = instrumentClient(new Client({ name: 'cli-test', version: '1' }), { loggerProvider, meterProvider, auditKey: KEY, useWorker: false });
  await client.connect(clientSide);
  await client.listTools();
  for (let i = 0; i < calls; i++) await client.callTool({ name: i % 3 === 2 ? 'fail' : 'search', arguments: { query: `q${i}` } });
  await client.close();
  await observerOf(client)!.forceFlush();
  await loggerProvider.forceFlush();
  await loggerProvider.shutdown();
  await meterProvider.shutdown();
}

test('records of a real instrumented run verify clean; with one removed and one altered, both are found', async () => {
  const exporter = new JsonLinesExporter();
  await run(exporter, 6);
  await run(exporter, 4);
  const dir = mkdtempSync(join(tmpdir(), 'mcpc-real-'));
  const file = join(dir, 'audit.json');
  writeFileSync(file, exporter.messages.map((m) => `${m}\n`).join(''));
  const clean = await runCli(['audit', 'verify', '--key', KEY, '--json', file]);
  assert.equal(clean.code, 0, clean.stdout + clean.stderr);
  const result = JSON.parse(clean.stdout);
  assert.equal(result.sessions.length, 2);
  // Per session: initialize, tools/list, the calls, and the session_end record.
  assert.deepEqual(result.sessions.map((s: { records: number; ended: boolean }) => [s.records, s.ended]).sort(), [[7, true], [9, true]]);

  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  const seqOf = (line: string) => JSON.parse(line).resourceLogs[0].scopeLogs[0].logRecords[0].attributes.find((a: { key: string }) => a.key === AUDIT_FIELDS.seq).value.intValue;
  const sessionOf = (line: string) => JSON.parse(line).resourceLogs[0].scopeLogs[0].logRecords[0].attributes.find((a: { key: string }) => a.key === AUDIT_FIELDS.session).value.stringValue;
  // Remove the 3rd record of the first session; turn a failed call of the second session into a success.
  const removed = lines.findIndex((l) => seqOf(l) === 3);
  const alteredIndex = lines.findIndex((l, i) => i > 8 && l.includes('"tool_error"'));
  assert.ok(removed >= 0 && alteredIndex >= 0);
  const tampered = lines.map((l, i) => (i === alteredIndex ? l.replace('"tool_error"', '"success"') : l)).filter((_, i) => i !== removed);
  writeFileSync(file, `${tampered.join('\n')}\n`);
  const r = await runCli(['audit', 'verify', '--key', KEY, '--json', file]);
  assert.equal(r.code, 1);
  const problems = JSON.parse(r.stdout).problems.map((p: { kind: string; session: string; seq: number }) => [p.kind, p.session, p.seq]);
  assert.deepEqual(problems, [
    ['gap', sessionOf(lines[removed]!), 3],
    ['altered', sessionOf(lines[alteredIndex]!), seqOf(lines[alteredIndex]!)],
  ]);
});
