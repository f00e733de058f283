// The bench's MCP server: one tool returning call i's result of the named
// workload (bench/workloads.mjs), distinct per call, so that every result is
// tokenized for real (no count-cache hits).
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { WORKLOADS } from './workloads.mjs';

export function createBenchServer() {
  const server = new McpServer({ name: 'bench-server', version: '1' });
  server.registerTool('fetch', { inputSchema: { i: z.number(), w: z.string() } }, async ({ i, w }) => WORKLOADS[w].result(i));
  return server;
}
