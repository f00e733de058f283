/** The metric instruments, created from the semconv definitions and nothing else. */
import type { Histogram, Meter } from '@opentelemetry/api';
import {
  METRIC_AUDIT_RECORDS,
  METRIC_CALL_LEGS,
  METRIC_CALL_UNLINKED_RETRIES,
  METRIC_CLIENT_OPERATION_DURATION,
  METRIC_CLIENT_SESSION_DURATION,
  METRIC_CONTEXT_BINARY_SIZE,
  METRIC_CONTEXT_TOKENS,
  METRIC_DEDUP_EVICTIONS,
  METRIC_ESTIMATED_TOKENS,
  METRIC_LOST_TOKENS,
  METRIC_RESPONSES_CANCELLED,
  METRIC_RESPONSES_EXPECTED,
  METRIC_RESPONSES_LOST,
  METRIC_SESSION_REQUESTS,
  METRIC_SESSIONLESS_REQUESTS,
  METRIC_SESSIONS_OVER_LIMIT,
  METRIC_TOOL_CALLS,
  METRIC_WIRE_OVERHEAD,
  type MetricDefinition,
} from '@mcp-conservation/semconv';
import { SumCounter } from './sum-counter.js';

/**
 * Counters are summed in process and observed at collection (see
 * SumCounter), one per meter and name: every core on a meter adds to the
 * same sums, as synchronous counters of one name share one storage. Two
 * ObservableCounters of one name would each report their own share, and the
 * SDK would keep only one of them.
 */
const countersByMeter = new WeakMap<Meter, Map<string, SumCounter>>();

function counter(meter: Meter, def: MetricDefinition): SumCounter {
  let counters = countersByMeter.get(meter);
  if (!counters) countersByMeter.set(meter, (counters = new Map()));
  let c = counters.get(def.name);
  if (!c) counters.set(def.name, (c = new SumCounter(meter, def.name, { unit: def.unit, description: def.description })));
  return c;
}

function histogram(meter: Meter, def: MetricDefinition): Histogram {
  return meter.createHistogram(def.name, {
    unit: def.unit,
    description: def.description,
    ...(def.buckets ? { advice: { explicitBucketBoundaries: [...def.buckets] } } : {}),
  });
}

export interface Instruments {
  readonly operationDuration: Histogram;
  readonly sessionDuration: Histogram;
  readonly tokens: SumCounter;
  readonly binaryBytes: SumCounter;
  readonly wireOverhead: SumCounter;
  readonly toolCalls: SumCounter;
  readonly expected: SumCounter;
  readonly cancelled: SumCounter;
  readonly lost: SumCounter;
  readonly lostTokens: SumCounter;
  readonly estimatedTokens: SumCounter;
  readonly sessionRequests: Histogram;
  readonly callLegs: Histogram;
  readonly unlinkedRetries: SumCounter;
  readonly overLimit: SumCounter;
  readonly sessionlessRequests: SumCounter;
  readonly dedupEvictions: SumCounter;
  readonly auditRecords: SumCounter;
}

export function createInstruments(meter: Meter): Instruments {
  return {
    operationDuration: histogram(meter, METRIC_CLIENT_OPERATION_DURATION),
    sessionDuration: histogram(meter, METRIC_CLIENT_SESSION_DURATION),
    tokens: counter(meter, METRIC_CONTEXT_TOKENS),
    binaryBytes: counter(meter, METRIC_CONTEXT_BINARY_SIZE),
    wireOverhead: counter(meter, METRIC_WIRE_OVERHEAD),
    toolCalls: counter(meter, METRIC_TOOL_CALLS),
    expected: counter(meter, METRIC_RESPONSES_EXPECTED),
    cancelled: counter(meter, METRIC_RESPONSES_CANCELLED),
    lost: counter(meter, METRIC_RESPONSES_LOST),
    lostTokens: counter(meter, METRIC_LOST_TOKENS),
    estimatedTokens: counter(meter, METRIC_ESTIMATED_TOKENS),
    sessionRequests: histogram(meter, METRIC_SESSION_REQUESTS),
    callLegs: histogram(meter, METRIC_CALL_LEGS),
    unlinkedRetries: counter(meter, METRIC_CALL_UNLINKED_RETRIES),
    overLimit: counter(meter, METRIC_SESSIONS_OVER_LIMIT),
    sessionlessRequests: counter(meter, METRIC_SESSIONLESS_REQUESTS),
    dedupEvictions: counter(meter, METRIC_DEDUP_EVICTIONS),
    auditRecords: counter(meter, METRIC_AUDIT_RECORDS),
  };
}
