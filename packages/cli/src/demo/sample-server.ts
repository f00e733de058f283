/**
 * The demo's sample MCP server, run as a subprocess over stdio. It looks
 * like a team's internal tool server: a handful of useful tools, many that
 * an agent never calls (their definitions still fill the context), one
 * that fails now and then, and one that is sometimes too slow. This one is
 * on SDK v1 and speaks the 2025 protocol (`demo --legacy`);
 * sample-server-modern.ts serves the same catalogue on SDK v2.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';
import * as catalog from './sample-catalog.js';

export { SAMPLE_SERVER_NAME } from './sample-catalog.js';

const server = new McpServer({ name: catalog.SAMPLE_SERVER_NAME, version: catalog.SAMPLE_SERVER_VERSION });
const D = catalog.DESCRIPTIONS;

server.registerTool('search_docs', { description: D.search_docs, inputSchema: { topic: z.string().describe('Topic to look up') } }, async ({ topic }) => catalog.searchDocs(topic));
server.registerTool('get_weather', { description: D.get_weather, inputSchema: { office: z.string() } }, async ({ office }) => catalog.getWeather(office));
server.registerTool('lookup_customer', { description: D.lookup_customer, inputSchema: { id: z.number().int() } }, async ({ id }) => catalog.lookupCustomer(id));
server.registerTool('generate_report', { description: D.generate_report, inputSchema: { delayMs: z.number().int() } }, async ({ delayMs }) => catalog.generateReport(delayMs));
for (const [name, description] of catalog.UNUSED_TOOLS) {
  server.registerTool(name, { description, inputSchema: { target: z.string(), options: z.record(z.string(), z.string()).optional() } }, async () => catalog.disabled(name));
}

const { HANDBOOK, TRIAGE } = catalog;
server.registerResource(HANDBOOK.name, HANDBOOK.uri, { description: HANDBOOK.description, mimeType: HANDBOOK.mimeType }, async (uri) => ({ contents: [{ uri: uri.href, text: HANDBOOK.text() }] }));
server.registerPrompt(TRIAGE.name, { description: TRIAGE.description }, async () => ({ messages: [{ role: 'user', content: { type: 'text', text: TRIAGE.text } }] }));

await server.connect(new StdioServerTransport());

// Ctrl-C in the demo's terminal reaches its whole process group, this server included: the live demo
// finishes the session in progress on it, then closes it (stdin closed, then SIGTERM), so SIGINT is not for us.
process.on('SIGINT', () => undefined);
