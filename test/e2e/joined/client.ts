/**
 * The client process of the joined-traces suite: an instrumented MCP client
 * (`instrumentClient`) that calls the case's tool once, exports its spans
 * and prints `{"era":..., "text":...}` on stdout.
 *
 *   client.ts <stdio|http> <legacy|modern> <tool> <server URL | server script>
 *
 * legacy: the SDK 1.x Client (2025 protocol); modern: the v2 Client with
 * `versionNegotiation: { mode: 'auto' }`, which must negotiate 2026-07-28.
 * Over stdio it starts the server script with this Node, its stderr inherited.
 */
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as StdioClientTransportV1 } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport as StreamableHTTPClientTransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { instrumentClient, observerOf } from '@mcp-conservation/instrumentation';
import { caseArgs, startTelemetry } from './telemetry.ts';

const { transport, era, tool, rest } = caseArgs(process.argv.slice(2));
const target = rest[0];
if (!target) throw new Error('no server URL or script');
const telemetry = startTelemetry('joined-client');
const providers = { tracerProvider: telemetry.tracerProvider };
const info = { name: 'joined-client', version: '1.0.0' };
const stdioServer = { command: process.execPath, args: [target, transport, era, tool], env: process.env as Record<string, string>, stderr: 'inherit' as const };

let text: unknown;
let negotiated: string;
let observed: object;
if (era === 'legacy') {
  const client = instrumentClient(new ClientV1(info), providers);
  observed = client;
  await client.connect(transport === 'stdio' ? new StdioClientTransportV1(stdioServer) : new StreamableHTTPClientTransportV1(new URL(target)));
  const result = await client.callTool({ name: tool, arguments: {} });
  text = (result.content as { text?: unknown }[])[0]?.text;
  negotiated = 'legacy';
  await client.close();
} else {
  const client = instrumentClient(new Client(info, { versionNegotiation: { mode: 'auto', probe: { timeoutMs: 10_000 } } }), providers);
  observed = client;
  await client.connect(transport === 'stdio' ? new StdioClientTransport(stdioServer) : new StreamableHTTPClientTransport(new URL(target)));
  negotiated = client.getProtocolEra() ?? 'none';
  const result = await client.callTool({ name: tool, arguments: {} });
  text = (result.content as { text?: unknown }[])[0]?.text;
  await client.close();
}
await observerOf(observed)?.forceFlush();
await telemetry.shutdown();
console.log(JSON.stringify({ era: negotiated, text }));
