/**
 * The server process of the joined-traces suite: an instrumented MCP server
 * (`instrumentServer`) with one tool, named by the case, whose work is an
 * outgoing `fetch` to the downstream service (JOINED_DOWNSTREAM_URL), traced
 * by the real undici instrumentation under the tool call's SERVER span.
 *
 *   server.ts <stdio|http> <legacy|modern> <tool>
 *
 * legacy: SDK 1.x McpServer (StdioServerTransport, or a stateless
 * StreamableHTTPServerTransport per request); modern: the v2 McpServer from a
 * factory (`serveStdio`, or `createMcpHandler` + `toNodeHandler`), which serves
 * both eras. Over HTTP it listens on a free loopback port and prints
 * `{"port":N}` on stdout. It exports every span before it exits: at the end
 * of stdin (stdio) or on SIGTERM.
 */
import http from 'node:http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { McpServer as McpServerV1 } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport as StdioServerTransportV1 } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport as StreamableHTTPServerTransportV1 } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { McpServer, createMcpHandler } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { instrumentServer, type InstrumentServerOptions } from '@mcp-conservation/instrumentation';
import { caseArgs, startTelemetry } from './telemetry.ts';

const { transport, era, tool } = caseArgs(process.argv.slice(2));
const downstream = process.env.JOINED_DOWNSTREAM_URL;
if (!downstream) throw new Error('JOINED_DOWNSTREAM_URL is not set');
const telemetry = startTelemetry('joined-server');
const undici = new UndiciInstrumentation();
undici.setTracerProvider(telemetry.tracerProvider);
// One options object: one observer for every server instance of this process.
const options: InstrumentServerOptions = { tracerProvider: telemetry.tracerProvider };

/** The tool's own work: one HTTP call downstream, answered with its body. */
async function work(): Promise<{ content: { type: 'text'; text: string }[] }> {
  const res = await fetch(`${downstream}/${tool}`);
  return { content: [{ type: 'text', text: await res.text() }] };
}

function legacyServer(): McpServerV1 {
  const server = new McpServerV1({ name: 'joined-legacy', version: '1.0.0' });
  server.registerTool(tool, { description: 'Looks the stock up downstream' }, work);
  return instrumentServer(server, options);
}

function modernServer(): McpServer {
  const server = new McpServer({ name: 'joined-modern', version: '2.0.0' });
  server.registerTool(tool, { description: 'Looks the stock up downstream' }, work);
  return instrumentServer(server, options);
}

let httpServer: http.Server | undefined;
let exiting = false;
async function exit(): Promise<void> {
  if (exiting) return;
  exiting = true;
  if (httpServer) {
    httpServer.closeAllConnections();
    await new Promise<void>((r) => httpServer!.close(() => r()));
  }
  await telemetry.shutdown();
  process.exit(0);
}
process.on('SIGTERM', () => void exit());

if (transport === 'stdio') {
  process.stdin.on('end', () => void exit());
  if (era === 'legacy') await legacyServer().connect(new StdioServerTransportV1());
  else serveStdio(modernServer);
} else {
  let handler: http.RequestListener;
  if (era === 'modern') handler = toNodeHandler(createMcpHandler(modernServer));
  else {
    // Stateless 2025 Streamable HTTP: one server and transport per request.
    handler = (req, res) => {
      if (req.method !== 'POST') {
        res.writeHead(405).end();
        return;
      }
      const server = legacyServer();
      const t = new StreamableHTTPServerTransportV1({ sessionIdGenerator: undefined });
      res.on('close', () => {
        void t.close();
        void server.close();
      });
      server
        .connect(t)
        .then(() => t.handleRequest(req, res))
        .catch((error: unknown) => {
          console.error('joined-server: request failed', error);
          if (!res.headersSent) res.writeHead(500).end();
        });
    };
  }
  const server = http.createServer(handler);
  httpServer = server;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  console.log(JSON.stringify({ port: (server.address() as { port: number }).port }));
}
