/**
 * What an McpServer decided about a tools/call before its tool ran.
 *
 * McpServer answers some calls it refuses with an `isError` result rather
 * than the JSON-RPC error a caller's mistake is: SDK 1.x every refusal
 * (unknown tool, disabled tool, arguments its input schema rejects, a tool
 * that requires task augmentation called without it), SDK 2.x the rejected
 * arguments. The wire then shows a tool error the server did not make. The
 * rule here reads no message text: a refusal is an `isError` answer to a call
 * whose tool's handler never began, or whose tool was not registered and
 * enabled when the call arrived. It takes the code the SDK would have sent
 * (-32602, or -32601 for the missing task augmentation). An `isError` after
 * the handler began (its own error, a throw the SDK wrapped, the SDK's
 * output-schema check) stays the server's.
 *
 * The handler (v1 `handler`, v2 `executor`) is wrapped, lazily, when a call
 * of its tool arrives; the wrapper only notes the request id the SDK passes
 * it (v1 `extra.requestId`, v2 `ctx.mcpReq.id`) and calls through. Of a
 * task handler (v1 `registerToolTask`: an object with `createTask`) it is
 * `createTask` that is wrapped, the one part the SDK runs once the call's
 * arguments passed; a server without a task store fails such a call before
 * that, its own mistake, so there the call is not watched.
 */
import { diag } from '@opentelemetry/api';
import { isObject } from '../core/json.js';

/** JSON-RPC codes the SDK refuses a tools/call with. */
const INVALID_PARAMS = -32602;
const METHOD_NOT_FOUND = -32601;

/** A tools/call under watch, from its arrival until its answer (or the end of its request). */
export interface ToolCallWatch {
  /** The code the SDK would have refused the call with, if it refused it before its tool ran; else undefined. */
  refusal(): number | undefined;
  /** The request ended: stop watching. */
  end(): void;
}

interface Calls {
  /** Request ids of calls under watch, and whether their tool's handler began. */
  readonly began: Map<string, boolean>;
}

const WRAPPED = Symbol.for('@mcp-conservation/tool-handler');
const callsOf = new WeakMap<object, Calls>();

const refused = (code: number): ToolCallWatch => ({ refusal: () => code, end: () => {} });

/**
 * Watches a tools/call that arrives at `owner` (an McpServer; anything without
 * a registry of tools gets no watch). Never throws.
 */
export function watchToolCall(owner: object | undefined, name: string, params: Record<string, unknown> | undefined, requestId: string): ToolCallWatch | undefined {
  try {
    const tools = (owner as { _registeredTools?: unknown } | undefined)?._registeredTools;
    if (!owner || !isObject(tools)) return undefined;
    const tool = Object.prototype.hasOwnProperty.call(tools, name) ? tools[name] : undefined;
    if (!isObject(tool) || !tool.enabled) return refused(INVALID_PARAMS);
    // v2 runs `executor` (made from the handler at registration); v1 runs `handler`.
    const key = typeof tool.executor === 'function' ? 'executor' : 'handler';
    const run = tool[key];
    const taskHandler = (typeof run === 'function' || isObject(run)) && 'createTask' in run;
    if (key === 'handler') {
      const taskSupport = isObject(tool.execution) ? tool.execution.taskSupport : undefined;
      // v1 refuses a task-capable tool registered without a task handler with -32603: the server's own mistake.
      if ((taskSupport === 'required' || taskSupport === 'optional') && !taskHandler) return undefined;
      if (taskSupport === 'required' && !params?.task) return refused(METHOD_NOT_FOUND);
    }
    const calls = callsFor(owner);
    if (taskHandler) {
      const task = run as { createTask?: unknown; [WRAPPED]?: true };
      if (!hasTaskStore(owner) || typeof task.createTask !== 'function') return undefined;
      if (!task[WRAPPED]) tool[key] = wrapTaskHandler(task, task.createTask as (...args: unknown[]) => unknown, calls);
    } else if (typeof run === 'function') {
      if (!(run as { [WRAPPED]?: true })[WRAPPED]) tool[key] = wrapHandler(run as (...args: unknown[]) => unknown, calls);
    } else return undefined;
    calls.began.set(requestId, false);
    return {
      refusal: () => (calls.began.get(requestId) === false ? INVALID_PARAMS : undefined),
      end: () => void calls.began.delete(requestId),
    };
  } catch (error) {
    diag.warn(`mcp-conservation: a tools/call could not be watched: ${String(error)}`);
    return undefined;
  }
}

/** v1: the task store the Protocol hands a task handler (`extra.taskStore`) comes from its options. */
function hasTaskStore(owner: object): boolean {
  const server = (owner as { server?: { _taskStore?: unknown } }).server;
  return isObject(server) && server._taskStore !== undefined && server._taskStore !== null;
}

function callsFor(owner: object): Calls {
  let calls = callsOf.get(owner);
  if (!calls) callsOf.set(owner, (calls = { began: new Map() }));
  return calls;
}

/** The handler, noting that it began for the request it is called for (the SDK passes its context last). */
function wrapHandler(original: (...args: unknown[]) => unknown, calls: Calls): (...args: unknown[]) => unknown {
  const wrapped = function toolHandlerObserved(this: unknown, ...args: unknown[]): unknown {
    try {
      const id = requestIdOf(args[args.length - 1]);
      if (id !== undefined && calls.began.has(id)) calls.began.set(id, true);
    } catch {
      // Never in the tool's way.
    }
    return original.apply(this, args);
  };
  Object.defineProperty(wrapped, WRAPPED, { value: true });
  return wrapped;
}

/**
 * The task handler seen through an object of its own whose `createTask` is
 * wrapped: the registry's entry changes, the application's object does not,
 * and its other methods still run with it as their prototype.
 */
function wrapTaskHandler(handler: object, createTask: (...args: unknown[]) => unknown, calls: Calls): object {
  const observed = Object.create(handler) as { createTask: unknown };
  const wrapped = wrapHandler(createTask, calls);
  observed.createTask = function createTaskObserved(this: unknown, ...args: unknown[]): unknown {
    return wrapped.apply(this === observed ? handler : this, args);
  };
  Object.defineProperty(observed, WRAPPED, { value: true });
  return observed;
}

function requestIdOf(extra: unknown): string | undefined {
  if (!isObject(extra)) return undefined;
  const id = isObject(extra.mcpReq) ? extra.mcpReq.id : extra.requestId;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
}
