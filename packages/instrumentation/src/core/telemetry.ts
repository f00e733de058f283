/**
 * The one factory of the core's tracer, logger and instruments, for every
 * entry point (the SDK patch, instrumentClient, the proxy). Each is derived
 * from its provider when first used, and again only when the provider
 * changes: NodeSDK and hosts register global providers after
 * instrumentations are created.
 */
import { createNoopMeter, type Logger, type LoggerProvider, type MeterProvider, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { SCHEMA_URL } from '@mcp-conservation/semconv';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../version.js';
import { createInstruments, type Instruments } from './instruments.js';

/** Where the core's telemetry comes from: read at each use, so a late provider is taken. */
export interface CoreTelemetry {
  readonly tracer: () => Tracer;
  readonly instruments: () => Instruments;
  readonly logger: () => Logger;
  /** False while the meter provider is a no-op one (none registered): metric points go nowhere. */
  readonly metricsRecorded: () => boolean;
}

/** The providers, read at each use (typically an explicit one, else the global one). */
export interface TelemetryProviders {
  readonly tracerProvider: () => TracerProvider;
  readonly meterProvider: () => MeterProvider;
  readonly loggerProvider: () => LoggerProvider;
}

const SCOPE = { schemaUrl: SCHEMA_URL };

export function coreTelemetry(providers: TelemetryProviders): CoreTelemetry {
  return {
    tracer: memo(providers.tracerProvider, (p) => p.getTracer(PACKAGE_NAME, PACKAGE_VERSION, SCOPE)),
    logger: memo(providers.loggerProvider, (p) => p.getLogger(PACKAGE_NAME, PACKAGE_VERSION, SCOPE)),
    instruments: memo(providers.meterProvider, (p) => createInstruments(p.getMeter(PACKAGE_NAME, PACKAGE_VERSION, SCOPE))),
    metricsRecorded: memo(providers.meterProvider, (p) => meterRecords(p.getMeter(PACKAGE_NAME, PACKAGE_VERSION, SCOPE))),
  };
}

/** The API's no-op meter, what a meter provider gives when none is registered. */
const NOOP_METER: unknown = Object.getPrototypeOf(createNoopMeter());

/** False for the API's no-op meter: its points go nowhere, so nothing should be computed for them. */
export function meterRecords(meter: object): boolean {
  return Object.getPrototypeOf(meter) !== NOOP_METER;
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
