import { logs, metrics, trace, type Logger, type LoggerProvider, type MeterProvider, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { InstrumentationBase, InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile, isWrapped } from '@opentelemetry/instrumentation';
import { OBSERVER_VALUES, SCHEMA_URL } from '@mcp-conservation/semconv';
import { createInstruments, type Instruments } from './core/instruments.js';
import { ConservationObserver } from './core/runtime.js';
import { attachToTransport, watchCallTool, type TransportLike } from './sdk/attach.js';
import type { McpInstrumentationConfig } from './types.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version.js';

/** Versions of @modelcontextprotocol/sdk this patches. */
export const SUPPORTED_SDK_VERSIONS = ['>=1.10.0 <2'];

/** The client module files hooked: the SDK's root export is not usable in every release, its subpaths are. */
const CLIENT_FILES = ['@modelcontextprotocol/sdk/dist/cjs/client/index.js', '@modelcontextprotocol/sdk/dist/esm/client/index.js'];

interface ClientPrototype {
  connect(transport: TransportLike, ...rest: unknown[]): Promise<void>;
  callTool(params: { name?: unknown }, ...rest: unknown[]): Promise<unknown>;
  readonly transport?: unknown;
}

interface ClientModule {
  Client?: { prototype: ClientPrototype };
  default?: { Client?: { prototype: ClientPrototype } };
}

/**
 * OpenTelemetry instrumentation of `@modelcontextprotocol/sdk` clients:
 * semconv CLIENT spans with trace context in `params._meta`, the semconv
 * duration histograms, the conservation metrics and a chained audit trail.
 */
export class McpInstrumentation extends InstrumentationBase<McpInstrumentationConfig> {
  private readonly core: ConservationObserver;
  private tracerProvider: TracerProvider | undefined;
  private loggerProvider: LoggerProvider | undefined;
  private cachedTracer: Tracer | undefined;
  private cachedLogger: Logger | undefined;
  private currentInstruments: Instruments | undefined;

  constructor(config: McpInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
    this.core = new ConservationObserver(
      {
        tracer: () => (this.cachedTracer ??= (this.tracerProvider ?? trace.getTracerProvider()).getTracer(PACKAGE_NAME, PACKAGE_VERSION, { schemaUrl: SCHEMA_URL })),
        logger: () => (this.cachedLogger ??= (this.loggerProvider ?? logs.getLoggerProvider()).getLogger(PACKAGE_NAME, PACKAGE_VERSION, { schemaUrl: SCHEMA_URL })),
        instruments: () => (this.currentInstruments ??= createInstruments(metrics.getMeter(PACKAGE_NAME, PACKAGE_VERSION, { schemaUrl: SCHEMA_URL }))),
      },
      config,
      OBSERVER_VALUES.sdk,
    );
  }

  override setTracerProvider(tracerProvider: TracerProvider): void {
    super.setTracerProvider(tracerProvider);
    this.tracerProvider = tracerProvider;
    this.cachedTracer = undefined;
  }

  override setMeterProvider(meterProvider: MeterProvider): void {
    super.setMeterProvider(meterProvider);
    this.currentInstruments = createInstruments(meterProvider.getMeter(PACKAGE_NAME, PACKAGE_VERSION, { schemaUrl: SCHEMA_URL }));
  }

  override setLoggerProvider(loggerProvider: LoggerProvider): void {
    super.setLoggerProvider(loggerProvider);
    this.loggerProvider = loggerProvider;
    this.cachedLogger = undefined;
  }

  protected init() {
    const files = CLIENT_FILES.map(
      (file) =>
        new InstrumentationNodeModuleFile(
          file,
          SUPPORTED_SDK_VERSIONS,
          (moduleExports: ClientModule) => this.patch(moduleExports),
          (moduleExports: ClientModule) => this.unpatch(moduleExports),
        ),
    );
    return new InstrumentationNodeModuleDefinition('@modelcontextprotocol/sdk', SUPPORTED_SDK_VERSIONS, undefined, undefined, files);
  }

  /** Waits for pending token counts and audit records. Wire it before the providers' shutdown (AuditLogRecordProcessor does). */
  forceFlush(): Promise<void> {
    return this.core.forceFlush();
  }

  private clientPrototype(moduleExports: ClientModule): ClientPrototype | undefined {
    return (moduleExports?.Client ?? moduleExports?.default?.Client)?.prototype;
  }

  private patch(moduleExports: ClientModule): ClientModule {
    const proto = this.clientPrototype(moduleExports);
    if (!proto) {
      this._diag.warn('no Client class in @modelcontextprotocol/sdk client module; not instrumented');
      return moduleExports;
    }
    const core = this.core;
    if (!isWrapped(proto.connect)) {
      this._wrap(proto, 'connect', (original) =>
        function connect(this: ClientPrototype, transport: TransportLike, ...rest: unknown[]) {
          try {
            if (transport && typeof transport.send === 'function') attachToTransport(core, transport);
          } catch (error) {
            core.warn(`could not observe transport: ${String(error)}`);
          }
          return original.call(this, transport, ...rest);
        },
      );
    }
    if (!isWrapped(proto.callTool)) {
      this._wrap(proto, 'callTool', (original) =>
        function callTool(this: ClientPrototype, params: { name?: unknown }, ...rest: unknown[]) {
          return watchCallTool(this.transport, params?.name, original.call(this, params, ...rest));
        },
      );
    }
    return moduleExports;
  }

  private unpatch(moduleExports: ClientModule): void {
    const proto = this.clientPrototype(moduleExports);
    if (!proto) return;
    if (isWrapped(proto.connect)) this._unwrap(proto, 'connect');
    if (isWrapped(proto.callTool)) this._unwrap(proto, 'callTool');
  }
}
