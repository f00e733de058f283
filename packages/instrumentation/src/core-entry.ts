/**
 * `@mcp-conservation/instrumentation/core`: the measuring core for
 * observers other than the SDK patch (the CLI proxy relays raw JSON-RPC and
 * feeds a session itself). Not needed to instrument an application.
 */
export { MeasuringCore } from './core/core.js';
export { coreTelemetry, type CoreTelemetry, type TelemetryProviders } from './core/telemetry.js';
export { McpSession } from './core/session.js';
export { underPairingKey } from './core/wire-id.js';
export type { SessionDirection } from './core/model.js';
export type { TransportInfo } from './core/recorder.js';
export { createInstruments, type Instruments } from './core/instruments.js';
export { attachToTransport, describeTransport, type TransportLike } from './sdk/attach.js';
export { renderResult } from './core/render.js';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version.js';
