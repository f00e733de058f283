/**
 * The workload's MCP servers: the same four tools on the v1 SDK's McpServer
 * (the legacy era) and on the v2 SDK's (the modern era). `search` succeeds,
 * `flaky` fails by the server's fault (`isError`), `slow` answers after a
 * delay unless its caller goes away first, and `export` is registered and
 * listed but never called. `UNKNOWN_TOOL` is a name no server registers:
 * calling it is the caller's mistake.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { McpServer as ModernServer, fromJsonSchema } from '@modelcontextprotocol/server';
import { z } from 'zod';

export const SERVER_NAME = 'catalog';
/** Every tool the servers register, in registration order. */
export const SERVER_TOOLS = ['search', 'flaky', 'slow', 'export'] as const;
/** Registered and listed, never called: the dashboards' never-called tool. */
export const NEVER_CALLED_TOOL = 'export';
/** Called by the workload, registered by no server. */
export const UNKNOWN_TOOL = 'checkout';

type TextResult = { content: Array<{ type: 'text'; text: string }>; isError?: boolean };

const searchResult = (query: string): TextResult => ({
  content: [
    { type: 'text', text: `Found 3 products for ${query}: a reading lamp, a standing desk and an office chair.` },
  ],
});
const flakyResult: TextResult = { content: [{ type: 'text', text: 'backend refused' }], isError: true };
const exportResult: TextResult = { content: [{ type: 'text', text: 'sku,name\n1,reading lamp' }] };

/**
 * The slow tool's work on either server: it waits `ms`, or stops when its
 * caller goes away (the client's `notifications/cancelled` in the legacy
 * era, the closed request stream in the modern one), as a tool honouring its
 * abort signal does. Each call's end is counted, so that the workload can
 * wait for the server to have seen the caller go: the instrumentation
 * decides a call before the SDK aborts its handler.
 */
export class SlowCalls {
  private ended = 0;
  private readonly waiters: Array<{ n: number; resolve: () => void }> = [];

  async run(ms: number, signal: AbortSignal): Promise<TextResult> {
    await new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const timer = setTimeout(resolve, ms);
      signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true }
      );
    });
    this.ended++;
    for (const w of this.waiters.filter((x) => x.n <= this.ended)) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve();
    }
    return { content: [{ type: 'text', text: 'late answer' }] };
  }

  /** Resolves once `n` slow calls in all have ended on the servers. */
  endedAtLeast(n: number): Promise<void> {
    if (this.ended >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }
}

export function createLegacyServer(slow: SlowCalls): McpServer {
  const server = new McpServer({ name: SERVER_NAME, version: '1.0.0' });
  server.registerTool(
    'search',
    { description: 'Search the catalog', inputSchema: { query: z.string() } },
    async ({ query }) => searchResult(query)
  );
  server.registerTool('flaky', { description: 'Fails' }, async () => flakyResult);
  server.registerTool(
    'slow',
    { description: 'Answers after a delay', inputSchema: { ms: z.number() } },
    async ({ ms }, extra) => slow.run(ms, extra.signal)
  );
  server.registerTool(
    'export',
    { description: 'Export the catalog as CSV', inputSchema: { format: z.enum(['csv']) } },
    async () => exportResult
  );
  return server;
}

export function createModernServer(slow: SlowCalls): ModernServer {
  const server = new ModernServer({ name: SERVER_NAME, version: '1.0.0' });
  server.registerTool(
    'search',
    {
      description: 'Search the catalog',
      inputSchema: fromJsonSchema({ type: 'object', properties: { query: { type: 'string' } }, required: ['query'] }),
    },
    async (args) => searchResult((args as { query: string }).query)
  );
  server.registerTool('flaky', { description: 'Fails' }, async () => flakyResult);
  server.registerTool(
    'slow',
    {
      description: 'Answers after a delay',
      inputSchema: fromJsonSchema({ type: 'object', properties: { ms: { type: 'number' } }, required: ['ms'] }),
    },
    async (args, ctx) => slow.run((args as { ms: number }).ms, ctx.mcpReq.signal)
  );
  server.registerTool(
    'export',
    {
      description: 'Export the catalog as CSV',
      inputSchema: fromJsonSchema({
        type: 'object',
        properties: { format: { type: 'string', enum: ['csv'] } },
        required: ['format'],
      }),
    },
    async () => exportResult
  );
  return server;
}
