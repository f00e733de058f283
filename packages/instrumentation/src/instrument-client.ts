import { logs, metrics, trace, type LoggerProvider, type MeterProvider, type TracerProvider } from '@opentelemetry/api';
import { OBSERVER_VALUES, SCHEMA_URL } from '@mcp-conservation/semconv';
import { createInstruments } from './core/instruments.js';
import { ConservationObserver } from './core/runtime.js';
import { attachToTransport, watchRequest, type TransportLike } from './sdk/attach.js';
import type { ConservationOptions } from './types.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version.js';

/** Options of {@link instrumentClient}: the shared options plus providers (default: the global ones). */
export interface InstrumentClientOptions extends ConservationOptions {
  tracerProvider?: TracerProvider;
  meterProvider?: MeterProvider;
  loggerProvider?: LoggerProvider;
}

/** What instrumentClient reads of an MCP SDK `Client` at run time. */
interface ClientShape {
  connect?: (transport: TransportLike, ...rest: unknown[]) => Promise<void>;
  callTool?: (params: { name?: unknown }, ...rest: unknown[]) => Promise<unknown>;
  request?: (...args: unknown[]) => Promise<unknown>;
  readonly transport?: TransportLike;
  getServerVersion?(): { name?: string } | undefined;
}

/** A core bound to providers; forceFlush() waits for its pending counts and audit records. */
export interface ClientObserver {
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

function createObserver(options: InstrumentClientOptions): ConservationObserver {
  const tp = () => options.tracerProvider ?? trace.getTracerProvider();
  const lp = () => options.loggerProvider ?? logs.getLoggerProvider();
  const mp = () => options.meterProvider ?? metrics.getMeterProvider();
  return new ConservationObserver(
    {
      tracer: memo(tp, (p) => p.getTracer(PACKAGE_NAME, PACKAGE_VERSION, { schemaUrl: SCHEMA_URL })),
      logger: memo(lp, (p) => p.getLogger(PACKAGE_NAME, PACKAGE_VERSION, { schemaUrl: SCHEMA_URL })),
      instruments: memo(mp, (p) => createInstruments(p.getMeter(PACKAGE_NAME, PACKAGE_VERSION, { schemaUrl: SCHEMA_URL }))),
    },
    options,
    OBSERVER_VALUES.sdk,
  );
}

/** Derives a value from a provider once, again only when the provider changes (a late global registration). */
function memo<P, T>(provider: () => P, derive: (p: P) => T): () => T {
  let last: P | undefined;
  let value: T | undefined;
  return () => {
    const current = provider();
    if (current !== last || value === undefined) {
      last = current;
      value = derive(current);
    }
    return value;
  };
}

const observers = new WeakMap<object, ConservationObserver>();
const coresByOptions = new WeakMap<InstrumentClientOptions, ConservationObserver>();
let defaultObserver: ConservationObserver | undefined;

/**
 * Instruments one MCP SDK `Client` explicitly, without patching the module.
 * Call it before or after `connect()`. Each options object gets one core,
 * shared by every client instrumented with that same object; without options
 * the process-wide default core is used.
 * Returns the same client.
 */
export function instrumentClient<C extends object>(client: C, options?: InstrumentClientOptions): C {
  let core: ConservationObserver;
  if (options) {
    core = coresByOptions.get(options) ?? createObserver(options);
    coresByOptions.set(options, core);
  } else {
    core = defaultObserver ??= createObserver({});
  }
  observers.set(client, core);
  const target = client as ClientShape;
  const connect = target.connect;
  const callTool = target.callTool;
  if (typeof connect !== 'function' || typeof callTool !== 'function') {
    core.warn('instrumentClient: not an MCP SDK Client (no connect/callTool); left as it is');
    return client;
  }
  target.connect = function connect_(this: ClientShape, transport: TransportLike, ...rest: unknown[]) {
    try {
      if (transport && typeof transport.send === 'function') attachToTransport(core, transport);
    } catch (error) {
      core.warn(`could not observe transport: ${String(error)}`);
    }
    return connect.call(this, transport, ...rest);
  };
  target.callTool = function callTool_(this: ClientShape, params: { name?: unknown }, ...rest: unknown[]) {
    return watchRequest(this.transport, params?.name, () => callTool.call(this, params, ...rest));
  };
  // Every request (callTool's own included): what the SDK decides about a response above the transport.
  const request = target.request;
  if (typeof request === 'function') {
    target.request = function request_(this: ClientShape, ...args: unknown[]) {
      return watchRequest(this.transport, undefined, () => request.apply(this, args));
    };
  }
  if (target.transport) {
    const session = attachToTransport(core, target.transport);
    session.setServerName(target.getServerVersion?.()?.name);
  }
  return client;
}

/** The core observing a client instrumented with {@link instrumentClient}. */
export function observerOf(client: object): ClientObserver | undefined {
  return observers.get(client);
}
