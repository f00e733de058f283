/**
 * The trace context a client put in `params._meta`: `traceparent`,
 * `tracestate` and `baggage`, extracted with the W3C propagators. Anything
 * too long or not a string is ignored (a hostile client cannot hand us a
 * broken parent); the propagator rejects a malformed traceparent itself.
 */
import { context as api, trace, type Context, type TextMapGetter } from '@opentelemetry/api';
import { W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';

/** A version-00 traceparent is 55 characters; later versions may append fields, within reason. */
const MAX_TRACEPARENT = 256;
/** W3C trace context: vendors should propagate at least 512 characters of tracestate. */
const MAX_TRACESTATE = 512;
/** W3C baggage: at least 8192 bytes per header. */
const MAX_BAGGAGE = 8192;

const LIMITS: Record<string, number> = { traceparent: MAX_TRACEPARENT, tracestate: MAX_TRACESTATE, baggage: MAX_BAGGAGE };

const getter: TextMapGetter<Record<string, unknown>> = {
  keys: (carrier) => Object.keys(LIMITS).filter((k) => typeof carrier[k] === 'string'),
  get: (carrier, key) => {
    const v = carrier[key];
    const max = LIMITS[key];
    return typeof v === 'string' && max !== undefined && v.length <= max ? v : undefined;
  },
};

const traceContext = new W3CTraceContextPropagator();
const baggage = new W3CBaggagePropagator();

export interface Extracted {
  /** The context to parent the server span on: the client's span when `_meta` carried a valid one, else `base`. */
  readonly parent: Context;
  /** Whether the parent came from `_meta`. */
  readonly fromMeta: boolean;
}

/** Extracts `_meta`'s trace context and baggage on top of `base` (the ambient context). */
export function extractFromMeta(meta: unknown, base: Context = api.active()): Extracted {
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) return { parent: base, fromMeta: false };
  const carrier = meta as Record<string, unknown>;
  const withBaggage = getter.get(carrier, 'baggage') !== undefined ? baggage.extract(base, carrier, getter) : base;
  if (getter.get(carrier, 'traceparent') === undefined) return { parent: withBaggage, fromMeta: false };
  // Without the ambient span, so that a traceparent the propagator rejects leaves no parent rather than the HTTP span.
  const extracted = traceContext.extract(trace.deleteSpan(withBaggage), carrier, getter);
  const remote = trace.getSpanContext(extracted);
  if (!remote || !trace.isSpanContextValid(remote)) return { parent: withBaggage, fromMeta: false };
  return { parent: extracted, fromMeta: true };
}
