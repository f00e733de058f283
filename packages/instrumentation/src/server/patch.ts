/**
 * The module patches of the server side, for McpInstrumentation: the
 * `Server` class's `connect` (v1 `@modelcontextprotocol/sdk/server/index.js`,
 * v2 `@modelcontextprotocol/server`), which every serving entry reaches
 * (McpServer.connect, createMcpHandler's per-request instances, serveStdio),
 * and McpServer's `connect`, which only tells its Server whose registry of
 * tools bounds the tool names on metrics.
 */
import { isWrapped } from '@opentelemetry/instrumentation';
import { attachServerTransport, serverFacts } from './attach.js';
import type { ServerObserver } from './observer.js';

type Connect = (transport: unknown, ...rest: unknown[]) => Promise<void>;
interface Proto {
  connect: Connect;
}
export interface ServerModule {
  Server?: { prototype: Proto };
  McpServer?: { prototype: Proto };
  default?: ServerModule;
}
type Wrap = (target: Proto, name: 'connect', wrapper: (original: Connect) => Connect) => void;
type Unwrap = (target: Proto, name: 'connect') => void;

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
    wrap(server, 'connect', (original) =>
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
    wrap(mcp, 'connect', (original) =>
      function connect(this: { server?: object }, transport: unknown, ...rest: unknown[]) {
        if (this.server && typeof this.server === 'object') Object.defineProperty(this.server, OWNER, { value: this, configurable: true });
        return original.call(this, transport, ...rest);
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
}
