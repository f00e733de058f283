/**
 * Whether a request a watched `createMcpHandler` handler serves reached an
 * observed server: the observer marks it, the handler's watch reads it
 * (see entry-refusals.ts).
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** Set while a watched handler serves one request. */
export const entryScope = new AsyncLocalStorage<{ reached: boolean }>();

/** Called by the observer for every request a server's transport delivers. */
export function markReached(): void {
  const store = entryScope.getStore();
  if (store) store.reached = true;
}
