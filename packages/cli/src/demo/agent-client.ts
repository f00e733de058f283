/**
 * One demo agent's MCP client, in the era the demo runs: SDK v2 in `auto`
 * mode against the v2 sample server (the 2026-07-28 protocol, the
 * default), or SDK v1 against the v1 server (`--legacy`, the 2025
 * protocol). The scripts see one small interface, so both eras run the
 * same calls and have one true answer.
 */
import { fileURLToPath } from 'node:url';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as StdioV1 } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Client as ClientV2 } from '@modelcontextprotocol/client';
import { StdioClientTransport as StdioV2 } from '@modelcontextprotocol/client/stdio';

export type DemoEra = 'modern' | 'legacy';

/** What an agent script calls. */
export interface DemoClient {
  listTools(): Promise<unknown>;
  readResource(uri: string): Promise<unknown>;
  getPrompt(name: string): Promise<unknown>;
  /** `timeout`: the client gives up after this many ms (the SDK's own request timeout). */
  callTool(name: string, args: Record<string, unknown>, timeout?: number): Promise<unknown>;
}

export interface AgentConnection {
  readonly client: DemoClient;
  /** The SDK client itself, for `observerOf`. */
  readonly sdkClient: object;
  close(): Promise<void>;
}

/** The built sample server of the era (the CLI's dist). */
export function sampleServerPath(era: DemoEra): string {
  return fileURLToPath(new URL(era === 'modern' ? './demo/sample-server-modern.js' : './demo/sample-server.js', import.meta.url));
}

export interface ConnectOptions {
  readonly era: DemoEra;
  readonly name: string;
  /** The command that serves the agent (the sample server, or the proxy in front of it). */
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Record<string, string>;
  /** Wraps the SDK client before it connects (instrumentClient). */
  readonly instrument?: <C extends object>(client: C) => C;
}

export async function connectAgent(o: ConnectOptions): Promise<AgentConnection> {
  const instrument = o.instrument ?? (<C extends object>(c: C) => c);
  const transport = { command: o.command, args: [...o.args], ...(o.env ? { env: o.env } : {}), stderr: 'ignore' as const };
  if (o.era === 'legacy') {
    const c = instrument(new ClientV1({ name: o.name, version: '1.0.0' }));
    await c.connect(new StdioV1(transport));
    return {
      sdkClient: c,
      close: () => c.close(),
      client: {
        listTools: () => c.listTools(),
        readResource: (uri) => c.readResource({ uri }),
        getPrompt: (name) => c.getPrompt({ name }),
        callTool: (name, args, timeout) => c.callTool({ name, arguments: args }, undefined, timeout ? { timeout } : undefined),
      },
    };
  }
  const c = instrument(new ClientV2({ name: o.name, version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } }));
  await c.connect(new StdioV2(transport));
  return {
    sdkClient: c,
    close: () => c.close(),
    client: {
      listTools: () => c.listTools(),
      readResource: (uri) => c.readResource({ uri }),
      getPrompt: (name) => c.getPrompt({ name }),
      callTool: (name, args, timeout) => c.callTool({ name, arguments: args }, timeout ? { timeout } : undefined),
    },
  };
}
