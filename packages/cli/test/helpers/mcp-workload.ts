/**
 * One scripted MCP session, run by a real SDK client over any transport:
 * results, a tool error, protocol errors, progress, a server-to-client
 * sampling request and roots request answered by the client, and a
 * cancellation. It records every message the client received (tapped at
 * its transport) and what each call returned, so a direct run and a run
 * through the proxy can be compared message for message.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { CreateMessageRequestSchema, ListRootsRequestSchema, LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { until } from './otlp-receiver.ts';

export interface WorkloadRecord {
  /** Every JSON-RPC message the client received, in order. */
  readonly received: unknown[];
  /** What each step returned, or the error it threw (name, code, message). */
  readonly steps: Record<string, unknown>;
  /** Server-to-client requests the client answered. */
  readonly serverRequests: unknown[];
  /** Progress notifications the client's callbacks saw. */
  readonly progress: unknown[];
}

function errorOf(error: unknown): unknown {
  const e = error as { name?: string; code?: unknown; message?: string };
  return { error: e.name, code: e.code, message: e.message };
}

async function step(record: WorkloadRecord, name: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    record.steps[name] = await fn();
  } catch (error) {
    record.steps[name] = errorOf(error);
  }
}

/** Tool-call requests this workload sends, by tool (for telemetry expectations). */
export const EVERYTHING_CALLS = { echo: 2, 'get-sum': 1, 'trigger-long-running-operation': 2, 'trigger-sampling-request': 1 } as const;

/** The workload against @modelcontextprotocol/server-everything. */
export async function everythingWorkload(transport: Transport, onClient?: (client: Client) => void): Promise<WorkloadRecord> {
  const record: WorkloadRecord = { received: [], steps: {}, serverRequests: [], progress: [] };
  // Protocol.connect chains to a handler already on the transport: we see every message first.
  transport.onmessage = (m) => record.received.push(m);
  const client = new Client({ name: 'proxy-test-host', version: '1.0.0' }, { capabilities: { sampling: {}, roots: {} } });
  onClient?.(client);
  const logs: string[] = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    logs.push(String(n.params.data));
  });
  client.setRequestHandler(ListRootsRequestSchema, (req) => {
    record.serverRequests.push(req);
    return { roots: [{ uri: 'file:///tmp/proxy-test', name: 'proxy test root' }] };
  });
  client.setRequestHandler(CreateMessageRequestSchema, (req) => {
    record.serverRequests.push(req);
    return { model: 'test-model', role: 'assistant', content: { type: 'text', text: `sampled ${req.params.messages.length} message(s), max ${req.params.maxTokens} tokens` } };
  });
  await client.connect(transport);
  // The server asks for roots 350 ms after initialization and logs the answer: wait for it, so the order is fixed.
  await until('the roots exchange', () => logs.some((l) => l.startsWith('Roots updated')));
  await step(record, 'listTools', () => client.listTools());
  await step(record, 'echo', () => client.callTool({ name: 'echo', arguments: { message: 'hello through the proxy' } }));
  await step(record, 'sum', () => client.callTool({ name: 'get-sum', arguments: { a: 2, b: 40 } }));
  await step(record, 'echoBadArgs', () => client.callTool({ name: 'echo', arguments: { message: 42 } }));
  await step(record, 'unknownPrompt', () => client.getPrompt({ name: 'no-such-prompt' }));
  await step(record, 'progress', () =>
    client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } }, undefined, { onprogress: (p) => record.progress.push(p) }),
  );
  await step(record, 'sampling', () => client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'say hi', maxTokens: 16 } }));
  // Cancellation: abort at the first progress; the server still sends the rest of its progress, which we wait for.
  const abort = new AbortController();
  const countProgress = () => record.received.filter((m) => (m as { method?: string }).method === 'notifications/progress').length;
  const before = countProgress();
  await step(record, 'cancelled', () =>
    client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 0.6, steps: 3 } }, undefined, {
      signal: abort.signal,
      onprogress: () => abort.abort('the user cancelled'),
    }),
  );
  await until('the cancelled operation to finish its progress', () => countProgress() === before + 3);
  await client.close();
  return record;
}
