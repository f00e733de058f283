// The bench's MCP server: one tool returning a distinct ~2 KB text per call,
// so that every result is tokenized for real (no count-cache hits).
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

const WORDS = 'context window token efficiency audit trail session server tool resource prompt latency payload envelope schema'.split(' ');
const BODY = Array.from({ length: 300 }, (_, i) => WORDS[(i * 7) % WORDS.length]).join(' ');

/** The result text of call i: about 2 KB of prose-like words, unique per i. */
export function resultText(i) {
  return `Result ${i}: ${BODY}`.slice(0, 2048);
}

export function createBenchServer() {
  const server = new McpServer({ name: 'bench-server', version: '1' });
  server.registerTool('fetch', { inputSchema: { i: z.number() } }, async ({ i }) => ({ content: [{ type: 'text', text: resultText(i) }] }));
  return server;
}
