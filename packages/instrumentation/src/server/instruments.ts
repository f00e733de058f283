/** The server-side instruments, created from the semconv definitions and nothing else. */
import type { Counter, Histogram, Meter } from '@opentelemetry/api';
import {
  METRIC_AUDIT_RECORDS,
  METRIC_SERVER_CALL_LEGS,
  METRIC_SERVER_LISTINGS,
  METRIC_SERVER_OPERATION_DURATION,
  METRIC_SERVER_RESULT_TOKENS,
  METRIC_SERVER_SESSION_DURATION,
  METRIC_SERVER_TOOL_CALLS,
  type MetricDefinition,
} from '@mcp-conservation/semconv';

function histogram(meter: Meter, def: MetricDefinition): Histogram {
  return meter.createHistogram(def.name, {
    unit: def.unit,
    description: def.description,
    ...(def.buckets ? { advice: { explicitBucketBoundaries: [...def.buckets] } } : {}),
  });
}

function counter(meter: Meter, def: MetricDefinition): Counter {
  return meter.createCounter(def.name, { unit: def.unit, description: def.description });
}

export interface ServerInstruments {
  readonly operationDuration: Histogram;
  readonly sessionDuration: Histogram;
  readonly toolCalls: Counter;
  readonly callLegs: Histogram;
  readonly resultTokens: Counter;
  readonly listings: Counter;
  /** Audit records handed to the Logs SDK, as the client side counts its own: the gateway's received count is checked against it. */
  readonly auditRecords: Counter;
}

export function createServerInstruments(meter: Meter): ServerInstruments {
  return {
    operationDuration: histogram(meter, METRIC_SERVER_OPERATION_DURATION),
    sessionDuration: histogram(meter, METRIC_SERVER_SESSION_DURATION),
    toolCalls: counter(meter, METRIC_SERVER_TOOL_CALLS),
    callLegs: histogram(meter, METRIC_SERVER_CALL_LEGS),
    resultTokens: counter(meter, METRIC_SERVER_RESULT_TOKENS),
    listings: counter(meter, METRIC_SERVER_LISTINGS),
    auditRecords: counter(meter, METRIC_AUDIT_RECORDS),
  };
}
