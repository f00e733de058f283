/**
 * The module patches of the server side, for McpInstrumentation: the
 * `Server` class's `connect` (v1 `@modelcontextprotocol/sdk/server/index.js`,
 * v2 `@modelcontextprotocol/server`), which every serving entry reaches
 * (McpServer.connect, createMcpHandler's per-request instances, serveStdio),
 * and McpServer's `connect`, which only tells its Server whose registry of
 * tools bounds the tool names on metrics; and v2's `createMcpHandler`, whose
 * handlers refuse some requests at their entry (see entry-refusals.ts).
 */
import { isWrapped } from '@opentelemetry/instrumentation';
import { attachServerTransport, serverFacts } from './attach.js';
import type { ServerObserver } from './observer.js';
import { watchEntryRefusals } from './entry-refusals.js';

type Connect = (transport: unknown, ...rest: unknown[]) => Promise<void>;
interface Proto {
  connect: Connect;
}
type CreateHandler = (...args: unknown[]) => unknown;
export interface ServerModule {
  Server?: { prototype: Proto };
  McpServer?: { prototype: Proto };
  /** SDK v2: the per-request HTTP handler, whose entry refuses some requests before any server exists. */
  createMcpHandler?: CreateHandler;
  default?: ServerModule;
}
/** The instrumentation's `_wrap` and `_unwrap`, for the members patched here. */
type Wrap = (target: object, name: 'connect' | 'createMcpHandler', wrapper: (original: never) => unknown) => void;
type Unwrap = (target: object, name: 'connect' | 'createMcpHandler') => void;

const OWNER = Symbol.for('@mcp-conservation/mcp-server');
/** Server prototypes whose `connect` was inherited (v1: from Protocol) before we wrapped it. */
const inherited = new WeakSet<object>();

function exportsOf(m: ServerModule): ServerModule {
  return m?.Server || m?.McpServer ? m : (m?.default ?? m);
}

export function patchServerModule(moduleExports: ServerModule, observer: () => ServerObserver, wrap: Wrap): ServerModule {
  const m = exportsOf(moduleExports);
  const server = m?.Server?.prototype;
  if (server && typeof server.connect === 'function' && !isWrapped(server.connect)) {
    if (!Object.prototype.hasOwnProperty.call(server, 'connect')) inherited.add(server);
    wrap(server, 'connect', (original: Connect) =>
      function connect(this: object, transport: unknown, ...rest: unknown[]) {
        try {
          attachServerTransport(observer(), transport as never, serverFacts(this, (this as { [OWNER]?: object })[OWNER]));
        } catch {
          // Never in the way of connecting.
        }
        return original.call(this, transport, ...rest);
      },
    );
  }
  const mcp = m?.McpServer?.prototype;
  if (mcp && typeof mcp.connect === 'function' && !isWrapped(mcp.connect)) {
    wrap(mcp, 'connect', (original: Connect) =>
      function connect(this: { server?: object }, transport: unknown, ...rest: unknown[]) {
        if (this.server && typeof this.server === 'object') Object.defineProperty(this.server, OWNER, { value: this, configurable: true });
        return original.call(this, transport, ...rest);
      },
    );
  }
  const create = m?.createMcpHandler;
  if (typeof create === 'function' && !isWrapped(create)) {
    wrap(m, 'createMcpHandler', (original: CreateHandler) =>
      function createMcpHandler(this: unknown, ...args: unknown[]) {
        return watchEntryRefusals(original.apply(this, args), observer);
      },
    );
  }
  return moduleExports;
}

export function unpatchServerModule(moduleExports: ServerModule, unwrap: Unwrap): void {
  const m = exportsOf(moduleExports);
  for (const proto of [m?.Server?.prototype, m?.McpServer?.prototype]) {
    if (proto && isWrapped(proto.connect)) {
      unwrap(proto, 'connect');
      if (inherited.delete(proto)) delete (proto as Partial<Proto>).connect;
    }
  }
  if (m?.createMcpHandler && isWrapped(m.createMcpHandler)) unwrap(m, 'createMcpHandler');
}
