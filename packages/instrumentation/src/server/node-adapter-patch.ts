/**
 * The patch of `@modelcontextprotocol/node`, for McpInstrumentation: every
 * Node handler `toNodeHandler` makes is wrapped by `carryClientAddress`, so
 * that a v2 server behind the node adapter knows its caller's socket peer
 * (the adapter hands the server a web `Request`, which has no socket).
 */
import { isWrapped } from '@opentelemetry/instrumentation';
import { carryClientAddress } from './request-headers.js';

type ToNodeHandler = (...args: unknown[]) => unknown;
export interface NodeAdapterModule {
  toNodeHandler?: ToNodeHandler;
  default?: NodeAdapterModule;
}
type Patchable = { toNodeHandler: ToNodeHandler };
type Wrap = (target: Patchable, name: 'toNodeHandler', wrapper: (original: ToNodeHandler) => ToNodeHandler) => void;
type Unwrap = (target: Patchable, name: 'toNodeHandler') => void;

function exportsOf(m: NodeAdapterModule): NodeAdapterModule {
  return typeof m?.toNodeHandler === 'function' ? m : (m?.default ?? m);
}

export function patchNodeAdapter(moduleExports: NodeAdapterModule, wrap: Wrap): NodeAdapterModule {
  const m = exportsOf(moduleExports);
  if (typeof m?.toNodeHandler !== 'function' || isWrapped(m.toNodeHandler)) return moduleExports;
  wrap(m as Patchable, 'toNodeHandler', (original) =>
    function toNodeHandler(this: unknown, ...args: unknown[]) {
      const handler = original.apply(this, args);
      return typeof handler === 'function' ? carryClientAddress(handler as (req: never) => unknown) : handler;
    },
  );
  return moduleExports;
}

export function unpatchNodeAdapter(moduleExports: NodeAdapterModule, unwrap: Unwrap): void {
  const m = exportsOf(moduleExports);
  if (m?.toNodeHandler && isWrapped(m.toNodeHandler)) unwrap(m as Patchable, 'toNodeHandler');
}
