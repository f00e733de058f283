import { logs, metrics, trace, type LoggerProvider, type MeterProvider, type TracerProvider } from '@opentelemetry/api';
import { OBSERVER_VALUES } from '@mcp-conservation/semconv';
import { MeasuringCore } from './core/core.js';
import { coreTelemetry } from './core/telemetry.js';
import { attachToTransport, watchCache, watchRequest, type TransportLike } from './sdk/attach.js';
import type { ConservationOptions } from './types.js';

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
  /** v2 only (private): serves a listing or a read from the client's cache. */
  _serveFromCache?: (method: string, ...rest: unknown[]) => Promise<unknown>;
  readonly transport?: TransportLike;
  getServerVersion?(): { name?: string } | undefined;
}

/** The measuring core of an instrumented client: forceFlush() waits for its pending counts and audit records. */
export interface CoreHandle {
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

function createCore(options: InstrumentClientOptions): MeasuringCore {
  const telemetry = coreTelemetry({
    tracerProvider: () => options.tracerProvider ?? trace.getTracerProvider(),
    meterProvider: () => options.meterProvider ?? metrics.getMeterProvider(),
    loggerProvider: () => options.loggerProvider ?? logs.getLoggerProvider(),
  });
  return new MeasuringCore(telemetry, options, OBSERVER_VALUES.sdk);
}

const coresByClient = new WeakMap<object, MeasuringCore>();
const coresByOptions = new WeakMap<InstrumentClientOptions, MeasuringCore>();
let defaultCore: MeasuringCore | undefined;

/**
 * Instruments one MCP SDK `Client` explicitly, without patching the module.
 * Call it before or after `connect()`. Each options object gets one core,
 * shared by every client instrumented with that same object; without options
 * the process-wide default core is used.
 * Returns the same client.
 */
export function instrumentClient<C extends object>(client: C, options?: InstrumentClientOptions): C {
  let core: MeasuringCore;
  if (options) {
    core = coresByOptions.get(options) ?? createCore(options);
    coresByOptions.set(options, core);
  } else {
    core = defaultCore ??= createCore({});
  }
  coresByClient.set(client, core);
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
  const serveFromCache = target._serveFromCache;
  if (typeof serveFromCache === 'function') {
    target._serveFromCache = function _serveFromCache(this: ClientShape, method: string, ...rest: unknown[]) {
      return watchCache(this.transport, method, () => serveFromCache.call(this, method, ...rest));
    };
  }
  if (target.transport) {
    const session = attachToTransport(core, target.transport);
    session.setServerName(target.getServerVersion?.()?.name);
  }
  return client;
}

/** The core observing a client instrumented with {@link instrumentClient}. */
export function observerOf(client: object): CoreHandle | undefined {
  return coresByClient.get(client);
}
