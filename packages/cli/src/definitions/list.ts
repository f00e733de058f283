/**
 * Connects to a server with the SDK v2 client in either protocol era (the
 * client probes with `server/discover` and falls back to `initialize` on a
 * legacy server) and lists every definition, one page at a time, as a host
 * that lists them receives them.
 */
import type { Client } from '@modelcontextprotocol/client';
import { CliError } from '../command-line/errors.js';
import { EXIT } from '../command-line/exit-codes.js';
import { KINDS, type DefinitionKind } from './kinds.js';
import { loadClient } from './sdk.js';

export type ServerTarget =
  | { readonly stdio: { readonly command: string; readonly args: readonly string[]; readonly quiet: boolean } }
  | { readonly http: { readonly url: URL; readonly headers: Readonly<Record<string, string>> } };

export interface KindListing {
  /** The definitions as the client returned them, in the server's order. */
  readonly items: readonly Record<string, unknown>[];
  readonly pages: number;
}

export interface ServerListing {
  readonly server: { readonly name?: string; readonly version?: string };
  readonly era: string;
  readonly protocolVersion?: string;
  /** Kinds the server does not announce (capability absent) are missing. */
  readonly kinds: Partial<Record<DefinitionKind, KindListing>>;
}

/**
 * A server whose cursors never end would keep the command listing forever;
 * past this many pages of one kind it is reported as broken.
 */
export const MAX_PAGES = 1000;

function transportOf(sdk: Awaited<ReturnType<typeof loadClient>>, target: ServerTarget) {
  if ('http' in target) return new sdk.StreamableHTTPClientTransport(target.http.url, { requestInit: { headers: { ...target.http.headers } } });
  const env: Record<string, string> = {};
  // The SDK passes only a few safe variables by default; a server run from this command expects the user's environment (its API keys, its PATH).
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  const { command, args, quiet } = target.stdio;
  return new sdk.StdioClientTransport({ command, args: [...args], env, stderr: quiet ? 'ignore' : 'inherit' });
}

function describe(target: ServerTarget): string {
  return 'http' in target ? target.http.url.href : [target.stdio.command, ...target.stdio.args].join(' ');
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Every page of one listing, following `nextCursor` until the server gives none. */
async function listAll(client: Client, method: string, field: string, timeoutMs: number): Promise<KindListing> {
  const items: Record<string, unknown>[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  let pages = 0;
  do {
    if (pages >= MAX_PAGES) throw new CliError(EXIT.unreachable, `definitions: ${method} gave more than ${MAX_PAGES} pages; the server's pagination does not end`);
    // One page per request, as the cursor says: the client's own aggregation would cache, cap and filter.
    const page = (await client.request({ method: method as 'tools/list', ...(cursor !== undefined ? { params: { cursor } } : {}) }, { timeout: timeoutMs })) as unknown as Record<string, unknown>;
    pages++;
    const list = page[field];
    if (Array.isArray(list)) for (const item of list) if (item && typeof item === 'object') items.push(item as Record<string, unknown>);
    const next = page.nextCursor;
    cursor = typeof next === 'string' ? next : undefined;
    if (cursor !== undefined) {
      if (seen.has(cursor)) throw new CliError(EXIT.unreachable, `definitions: ${method} returned cursor '${cursor}' twice; the server's pagination does not end`);
      seen.add(cursor);
    }
  } while (cursor !== undefined);
  return { items, pages };
}

const FIELDS: Record<DefinitionKind, string> = { tools: 'tools', prompts: 'prompts', resources: 'resources', resourceTemplates: 'resourceTemplates' };

export async function listDefinitions(target: ServerTarget, clientVersion: string, timeoutMs: number): Promise<ServerListing> {
  const sdk = await loadClient();
  const client = new sdk.Client(
    { name: 'mcp-conservation-definitions', version: clientVersion },
    // 'auto': one command for both eras. A legacy server answers the probe with an error (or, on stdio, not at all) and gets `initialize`.
    { versionNegotiation: { mode: 'auto', probe: { timeoutMs } } },
  );
  try {
    await client.connect(transportOf(sdk, target), { timeout: timeoutMs });
  } catch (error) {
    await client.close().catch(() => {});
    throw new CliError(EXIT.unreachable, `definitions: cannot connect to ${describe(target)}: ${reason(error)}`);
  }
  try {
    const capabilities = (client.getServerCapabilities() ?? {}) as Record<string, unknown>;
    const kinds: Partial<Record<DefinitionKind, KindListing>> = {};
    for (const k of KINDS) {
      // Asking for a listing the server does not announce is an error on most servers; it has none of those definitions.
      if (!capabilities[k.capability]) continue;
      try {
        kinds[k.kind] = await listAll(client, k.method, FIELDS[k.kind], timeoutMs);
      } catch (error) {
        if (error instanceof CliError) throw error;
        // resources/templates/list is optional beside resources/list: a server without templates may not know the method.
        if (k.kind === 'resourceTemplates' && (error as { code?: unknown }).code === -32601) continue;
        throw new CliError(EXIT.unreachable, `definitions: ${k.method} failed on ${describe(target)}: ${reason(error)}`);
      }
    }
    const info = client.getServerVersion();
    const protocolVersion = client.getNegotiatedProtocolVersion();
    return {
      server: { ...(info?.name !== undefined ? { name: info.name } : {}), ...(info?.version !== undefined ? { version: info.version } : {}) },
      era: client.getProtocolEra() ?? 'legacy',
      ...(protocolVersion !== undefined ? { protocolVersion } : {}),
      kinds,
    };
  } finally {
    await client.close().catch(() => {});
  }
}
