import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';
import { logs, metrics, trace, type LoggerProvider, type MeterProvider, type TracerProvider } from '@opentelemetry/api';
import { InstrumentationBase, InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile, isWrapped } from '@opentelemetry/instrumentation';
import { OBSERVER_VALUES } from '@mcp-conservation/semconv';
import { MeasuringCore } from './core/core.js';
import { coreTelemetry } from './core/telemetry.js';
import { attachToTransport, watchCache, watchRequest, type TransportLike } from './sdk/attach.js';
import { createServerObserver } from './server/instrument-server.js';
import type { ServerObserver } from './server/observer.js';
import { patchServerModule, unpatchServerModule, type ServerModule } from './server/patch.js';
import { patchNodeAdapter, unpatchNodeAdapter, type NodeAdapterModule } from './server/node-adapter-patch.js';
import type { McpInstrumentationConfig } from './types.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version.js';

/** The MCP packages this patches, and their versions: the 2025-era SDK, the v2 client and server (both protocol eras), and v2's node adapter. */
export const SUPPORTED_SDK_VERSIONS = {
  '@modelcontextprotocol/sdk': ['>=1.10.0 <2'],
  '@modelcontextprotocol/client': ['>=2.0.0 <3'],
  '@modelcontextprotocol/server': ['>=2.0.0 <3'],
  '@modelcontextprotocol/node': ['>=2.0.0 <3'],
} as const satisfies Record<string, readonly string[]>;
const V1 = [...SUPPORTED_SDK_VERSIONS['@modelcontextprotocol/sdk']];
const V2 = [...SUPPORTED_SDK_VERSIONS['@modelcontextprotocol/client']];

/** The client module files hooked: the SDK's root export is not usable in every release, its subpaths are. */
const CLIENT_FILES = ['@modelcontextprotocol/sdk/dist/cjs/client/index.js', '@modelcontextprotocol/sdk/dist/esm/client/index.js'];
const CLIENT_SUBPATH = '@modelcontextprotocol/sdk/client/index.js';
/** The v1 server module files hooked: `Server` (every server connects through it) and `McpServer` (its tool registry). */
const SERVER_FILES = ['server/index.js', 'server/mcp.js'].flatMap((f) => [`@modelcontextprotocol/sdk/dist/cjs/${f}`, `@modelcontextprotocol/sdk/dist/esm/${f}`]);
const SERVER_SUBPATHS = ['@modelcontextprotocol/sdk/server/index.js', '@modelcontextprotocol/sdk/server/mcp.js'];
const V2_SERVER = [...SUPPORTED_SDK_VERSIONS['@modelcontextprotocol/server']];

/** `>=1.10.0 <2`, checked without a semver dependency. */
function supportedVersion(version: string | undefined): boolean {
  const m = /^(\d+)\.(\d+)\./.exec(version ?? '');
  return !!m && Number(m[1]) === 1 && Number(m[2]) >= 10;
}

/**
 * Absolute paths of the CommonJS client module as the app would require it.
 * require-in-the-middle identifies a package's internal files by resolving
 * the package root, which fails when the root export points at missing
 * files (1.32.2); a hook on the absolute file path does not depend on it.
 */
function resolveCjsClientFiles(subpath: string = CLIENT_SUBPATH): string[] {
  const found = new Set<string>();
  for (const base of [join(process.cwd(), 'noop.js'), typeof __filename === 'string' ? __filename : import.meta.url]) {
    try {
      const file = createRequire(base).resolve(subpath);
      const pkg = JSON.parse(readFileSync(join(dirname(file), '..', '..', '..', 'package.json'), 'utf8')) as { version?: string };
      if (supportedVersion(pkg.version)) found.add(file);
    } catch {
      // Not resolvable from here: the name-based hooks still apply.
    }
  }
  return [...found];
}

interface ClientPrototype {
  connect(transport: TransportLike, ...rest: unknown[]): Promise<void>;
  /** v2 only: serves a listing or a read from the client's cache. */
  _serveFromCache?(method: string, ...rest: unknown[]): Promise<unknown>;
  callTool(params: { name?: unknown }, ...rest: unknown[]): Promise<unknown>;
  request(...args: unknown[]): Promise<unknown>;
  readonly transport?: unknown;
}

interface ClientModule {
  Client?: { prototype: ClientPrototype };
  default?: { Client?: { prototype: ClientPrototype } };
}

/**
 * OpenTelemetry instrumentation of MCP clients (`@modelcontextprotocol/sdk`
 * 1.x and `@modelcontextprotocol/client` 2.x):
 * semconv CLIENT spans with trace context in `params._meta`, the semconv
 * duration histograms, the conservation metrics and a chained audit trail.
 */
/** Client prototypes whose `request` was inherited before we wrapped it. */
const inheritedRequest = new WeakSet<object>();

export class McpInstrumentation extends InstrumentationBase<McpInstrumentationConfig> {
  private readonly core: MeasuringCore;
  private tracerProvider: TracerProvider | undefined;
  private meterProvider: MeterProvider | undefined;
  private loggerProvider: LoggerProvider | undefined;
  private serverObserver: ServerObserver | undefined;

  constructor(config: McpInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
    const telemetry = coreTelemetry({
      tracerProvider: () => this.tracerProvider ?? trace.getTracerProvider(),
      meterProvider: () => this.meterProvider ?? metrics.getMeterProvider(),
      loggerProvider: () => this.loggerProvider ?? logs.getLoggerProvider(),
    });
    this.core = new MeasuringCore(telemetry, config, OBSERVER_VALUES.sdk);
  }

  override setTracerProvider(tracerProvider: TracerProvider): void {
    super.setTracerProvider(tracerProvider);
    this.tracerProvider = tracerProvider;
  }

  override setMeterProvider(meterProvider: MeterProvider): void {
    super.setMeterProvider(meterProvider);
    this.meterProvider = meterProvider;
  }

  override setLoggerProvider(loggerProvider: LoggerProvider): void {
    super.setLoggerProvider(loggerProvider);
    this.loggerProvider = loggerProvider;
  }

  /** The server-side observer, made on first use with the instrumentation's providers (late ones included). */
  private server(): ServerObserver {
    return (this.serverObserver ??= createServerObserver(
      { ...this._config, ...(this._config.resolveServerUser ? { resolveServerUser: this._config.resolveServerUser } : {}) },
      {
        tracer: () => this.tracerProvider ?? trace.getTracerProvider(),
        meter: () => this.meterProvider ?? metrics.getMeterProvider(),
        logger: () => this.loggerProvider ?? logs.getLoggerProvider(),
      },
    ));
  }

  protected init() {
    const definitions = [...(this._config.clients === false ? [] : this.clientDefinitions()), ...(this._config.servers === false ? [] : this.serverDefinitions())];
    return definitions;
  }

  private serverDefinitions() {
    const patch = (m: ServerModule) => patchServerModule(m, () => this.server(), (t, n, w) => this._wrap(t as Record<string, never>, n, w as never));
    const unpatch = (m: ServerModule) => unpatchServerModule(m, (t, n) => this._unwrap(t as Record<string, never>, n));
    const files = SERVER_FILES.map((file) => new InstrumentationNodeModuleFile(file, V1, patch, unpatch));
    const byName = new InstrumentationNodeModuleDefinition('@modelcontextprotocol/sdk', V1, undefined, undefined, files);
    const v2 = new InstrumentationNodeModuleDefinition('@modelcontextprotocol/server', V2_SERVER, patch, unpatch);
    // v2's node adapter: its handlers carry the socket peer to the server (client.address).
    const nodeAdapter = new InstrumentationNodeModuleDefinition(
      '@modelcontextprotocol/node',
      [...SUPPORTED_SDK_VERSIONS['@modelcontextprotocol/node']],
      (m: NodeAdapterModule) => patchNodeAdapter(m, (t, n, w) => this._wrap(t, n, w)),
      (m: NodeAdapterModule) => unpatchNodeAdapter(m, (t, n) => this._unwrap(t, n)),
    );
    const byPath = SERVER_SUBPATHS.flatMap(resolveCjsClientFiles).map(
      (file) => new InstrumentationNodeModuleDefinition(file, ['*'], undefined, undefined, [new InstrumentationNodeModuleFile(file.endsWith('mcp.js') ? 'mcp' : 'index', ['*'], patch, unpatch)]),
    );
    return [byName, v2, nodeAdapter, ...byPath];
  }

  private clientDefinitions() {
    const patch = (moduleExports: ClientModule) => this.patch(moduleExports);
    const unpatch = (moduleExports: ClientModule) => this.unpatch(moduleExports);
    const files = CLIENT_FILES.map((file) => new InstrumentationNodeModuleFile(file, V1, patch, unpatch));
    const byName = new InstrumentationNodeModuleDefinition('@modelcontextprotocol/sdk', V1, undefined, undefined, files);
    // The v2 client ships ESM and CJS bundles with hashed chunk names: no stable
    // file to hook, but each bundle's entry exports its own Client class.
    const v2 = new InstrumentationNodeModuleDefinition('@modelcontextprotocol/client', V2, patch, unpatch);
    // A hook on the absolute path reports the file as `index` in a folder without a versioned
    // package.json: the version was checked when resolving, hence '*'.
    const byPath = resolveCjsClientFiles().map(
      (file) => new InstrumentationNodeModuleDefinition(file, ['*'], undefined, undefined, [new InstrumentationNodeModuleFile('index', ['*'], patch, unpatch)]),
    );
    return [byName, v2, ...byPath];
  }

  /**
   * Waits for the pending analyses and accounting of clients, and the
   * definition prices and result counts of servers. Wire it before the
   * providers' shutdown (AuditLogRecordProcessor's `flushFirst` does).
   */
  async forceFlush(): Promise<void> {
    await Promise.all([this.core.forceFlush(), this.serverObserver?.forceFlush()]);
  }

  /**
   * As `forceFlush()`, and closes the servers' audit chain with its
   * `session_end` record (a server answering per request has no session to
   * end it). Call it before `NodeSDK.shutdown()`: a LoggerProvider whose
   * shutdown has begun takes no record.
   */
  async shutdown(): Promise<void> {
    await Promise.all([this.core.forceFlush(), this.serverObserver?.shutdown()]);
  }

  private clientPrototype(moduleExports: ClientModule): ClientPrototype | undefined {
    return (moduleExports?.Client ?? moduleExports?.default?.Client)?.prototype;
  }

  private patch(moduleExports: ClientModule): ClientModule {
    const proto = this.clientPrototype(moduleExports);
    if (!proto) {
      this._diag.warn('no Client class in the MCP client module; not instrumented');
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
          return watchRequest(this.transport, params?.name, () => original.call(this, params, ...rest));
        },
      );
    }
    // Every request (callTool's own included). Client inherits request from
    // Protocol: the wrapper is an own property of Client.prototype, removed
    // again at unpatch.
    if (typeof proto.request === 'function' && !isWrapped(proto.request)) {
      if (!Object.prototype.hasOwnProperty.call(proto, 'request')) inheritedRequest.add(proto);
      this._wrap(proto, 'request', (original) =>
        function request(this: ClientPrototype, ...args: unknown[]) {
          return watchRequest(this.transport, undefined, () => original.apply(this, args));
        },
      );
    }
    if (typeof proto._serveFromCache === 'function' && !isWrapped(proto._serveFromCache)) {
      this._wrap(proto, '_serveFromCache', (original) =>
        function _serveFromCache(this: ClientPrototype, method: string, ...rest: unknown[]) {
          return watchCache(this.transport, method, () => (original as NonNullable<ClientPrototype['_serveFromCache']>).call(this, method, ...rest));
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
    if (isWrapped(proto._serveFromCache)) this._unwrap(proto, '_serveFromCache');
    if (isWrapped(proto.request)) {
      this._unwrap(proto, 'request');
      if (inheritedRequest.delete(proto)) delete (proto as Partial<ClientPrototype>).request;
    }
  }
}
