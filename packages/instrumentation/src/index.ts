/**
 * @mcp-conservation/instrumentation: what an application needs. What the
 * CLI builds on (the measuring core, its sessions and the transport hook)
 * is the `./core` entry point.
 */
export { McpInstrumentation, SUPPORTED_SDK_VERSIONS } from './instrumentation.js';
export { instrumentClient, observerOf, type InstrumentClientOptions, type CoreHandle } from './instrument-client.js';
export { AuditLogRecordProcessor, type AuditLogRecordProcessorOptions } from './audit-log-processor.js';
export type { McpInstrumentationConfig, ConservationOptions, SessionInfo, RenderedBlock, Rendering, TokenizerSpec } from './types.js';
export { instrumentServer, instrumentMcpHandler, serverObserverOf, type InstrumentServerOptions } from './server/instrument-server.js';
export { carryClientAddress } from './server/request-headers.js';
export type { ServerObserverOptions, ServerInfoForUser } from './server/types.js';
