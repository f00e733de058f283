/**
 * The demo's sample MCP server on SDK v2 (`@modelcontextprotocol/server`),
 * served over stdio in both eras: the demo's v2 clients reach it in the
 * 2026-07-28 protocol. The catalogue, texts and failures are the v1
 * server's (sample-catalog.ts), so both eras have the same true answer.
 */
import { McpServer, fromJsonSchema } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import * as catalog from './sample-catalog.js';

const D = catalog.DESCRIPTIONS;
type JsonSchema = Parameters<typeof fromJsonSchema>[0];
const object = (properties: Record<string, unknown>, required: string[]) => fromJsonSchema({ type: 'object', properties, required } as JsonSchema);
/** The SDK validated the arguments against the schema before the handler runs. */
const args = <T>(a: unknown) => a as T;
const string = (description?: string) => ({ type: 'string', ...(description ? { description } : {}) });
const integer = { type: 'integer' };

function sampleServer(): McpServer {
  const server = new McpServer({ name: catalog.SAMPLE_SERVER_NAME, version: catalog.SAMPLE_SERVER_VERSION });
  server.registerTool('search_docs', { description: D.search_docs, inputSchema: object({ topic: string('Topic to look up') }, ['topic']) }, async (a) => catalog.searchDocs(args<{ topic: string }>(a).topic));
  server.registerTool('get_weather', { description: D.get_weather, inputSchema: object({ office: string() }, ['office']) }, async (a) => catalog.getWeather(args<{ office: string }>(a).office));
  server.registerTool('lookup_customer', { description: D.lookup_customer, inputSchema: object({ id: integer }, ['id']) }, async (a) => catalog.lookupCustomer(args<{ id: number }>(a).id));
  server.registerTool('generate_report', { description: D.generate_report, inputSchema: object({ delayMs: integer }, ['delayMs']) }, async (a) => catalog.generateReport(args<{ delayMs: number }>(a).delayMs));
  for (const [name, description] of catalog.UNUSED_TOOLS) {
    const inputSchema = object({ target: string(), options: { type: 'object', additionalProperties: { type: 'string' } } }, ['target']);
    server.registerTool(name, { description, inputSchema }, async () => catalog.disabled(name));
  }
  const { HANDBOOK, TRIAGE } = catalog;
  server.registerResource(HANDBOOK.name, HANDBOOK.uri, { description: HANDBOOK.description, mimeType: HANDBOOK.mimeType }, async (uri: URL) => ({ contents: [{ uri: uri.href, text: HANDBOOK.text() }] }));
  server.registerPrompt(TRIAGE.name, { description: TRIAGE.description }, async () => ({ messages: [{ role: 'user', content: { type: 'text', text: TRIAGE.text } }] }));
  return server;
}

serveStdio(sampleServer);

// Ctrl-C reaches the demo's whole process group: the demo closes this server itself (see sample-server.ts).
process.on('SIGINT', () => undefined);
