/**
 * `instrumentServer(server, options?)`: observes one MCP SDK server (v1 or
 * v2 `Server`, or an `McpServer`) explicitly, without patching the module.
 * Call it before `connect()`, or after: an already connected transport is
 * observed from then on.
 */
import { logs, metrics, trace, type LoggerProvider, type MeterProvider, type TracerProvider } from '@opentelemetry/api';
import { SCHEMA_URL } from '@mcp-conservation/semconv';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../version.js';
import { attachServerTransport, serverFacts } from './attach.js';
import { ServerObserver } from './observer.js';
import { watchEntryRefusals } from './entry-refusals.js';
import type { ServerObserverOptions } from './types.js';

export interface InstrumentServerOptions extends ServerObserverOptions {
  tracerProvider?: TracerProvider;
  meterProvider?: MeterProvider;
  loggerProvider?: LoggerProvider;
}

const SCOPE = { schemaUrl: SCHEMA_URL };

export function createServerObserver(options: InstrumentServerOptions, providers?: { tracer: () => TracerProvider; meter: () => MeterProvider; logger: () => LoggerProvider }): ServerObserver {
  const tp = providers?.tracer ?? (() => options.tracerProvider ?? trace.getTracerProvider());
  const mp = providers?.meter ?? (() => options.meterProvider ?? metrics.getMeterProvider());
  const lp = providers?.logger ?? (() => options.loggerProvider ?? logs.getLoggerProvider());
  return new ServerObserver(
    () => tp().getTracer(PACKAGE_NAME, PACKAGE_VERSION, SCOPE),
    () => mp().getMeter(PACKAGE_NAME, PACKAGE_VERSION, SCOPE),
    () => lp().getLogger(PACKAGE_NAME, PACKAGE_VERSION, SCOPE),
    options,
  );
}

interface ServerShape {
  connect?: (transport: unknown, ...rest: unknown[]) => Promise<void>;
  /** McpServer: the low-level Server it owns. */
  server?: ServerShape;
  transport?: unknown;
}

const observers = new WeakMap<InstrumentServerOptions, ServerObserver>();
const byServer = new WeakMap<object, ServerObserver>();

/**
 * The observer of a server instrumented with {@link instrumentServer}:
 * `forceFlush()` waits for its result tokens and definition prices;
 * `shutdown()` also decides the calls still waiting for a retry and closes
 * the audit chain with its `chain_end` record. Call it before shutting the
 * providers down: a LoggerProvider whose shutdown has begun takes no record.
 */
export function serverObserverOf(server: object): { forceFlush(): Promise<void>; shutdown(): Promise<void>; readonly chainId: string } | undefined {
  return byServer.get(server);
}
let defaultObserver: ServerObserver | undefined;

/** The observer of an options object: one each (and one audit chain), the default one without. */
function observerFor(options: InstrumentServerOptions | undefined): ServerObserver {
  if (!options) return (defaultObserver ??= createServerObserver({}));
  const observer = observers.get(options) ?? createServerObserver(options);
  observers.set(options, observer);
  return observer;
}

/**
 * Returns the same `createMcpHandler` handler (SDK v2), its entry observed:
 * the requests it refuses before any server instance exists (`-32020`,
 * `-32021`, `-32022`) are recorded as the servers' requests are, with the
 * observer of `options` (pass the options object the factory gives
 * `instrumentServer`). McpInstrumentation does this itself.
 *
 * @example
 * const handler = instrumentMcpHandler(createMcpHandler(() => instrumentServer(build(), options)), options);
 */
export function instrumentMcpHandler<H extends object>(handler: H, options?: InstrumentServerOptions): H {
  const observer = observerFor(options);
  return watchEntryRefusals(handler, () => observer);
}

/** Returns the same server, observed. Each options object gets one observer (and one audit chain). */
export function instrumentServer<S extends object>(server: S, options?: InstrumentServerOptions): S {
  const observer = observerFor(options);
  byServer.set(server, observer);
  const target = server as ServerShape;
  const low = target.server && typeof target.server.connect === 'function' ? target.server : target;
  const owner = low === target ? undefined : target;
  const connect = low.connect;
  if (typeof connect !== 'function') return server;
  const facts = serverFacts(low, owner);
  low.connect = function connect_(this: ServerShape, transport: unknown, ...rest: unknown[]) {
    attachServerTransport(observer, transport as never, facts);
    return connect.call(this, transport, ...rest);
  };
  if (low.transport) attachServerTransport(observer, low.transport as never, facts);
  return server;
}
