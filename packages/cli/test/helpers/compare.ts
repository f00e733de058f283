/**
 * Normal forms of telemetry for comparing two observers of the same session
 * (the proxy against the in-process instrumentation): what differs by
 * nature (the observer, times, ids of the audit chain) is left out, and a
 * logical call id (unique per process) is only required to be there.
 */
const CALL_ID = '<call id>';
const callIdPresent = (attrs: Attrs): Attrs => (typeof attrs[ATTR_CALL_ID] === 'string' ? { ...attrs, [ATTR_CALL_ID]: CALL_ID } : attrs);
import { ATTR_CALL_ID, ATTR_JSONRPC_REQUEST_ID, ATTR_OBSERVER, AUDIT_FIELDS as F, METRIC_CLIENT_OPERATION_DURATION, METRIC_CLIENT_SESSION_DURATION, METRIC_SESSION_REQUESTS, METRIC_AUDIT_DROPPED } from '@mcp-conservation/semconv';
import type { Attrs, Point } from './otlp-receiver.ts';

/**
 * Request ids that are no numbers (the v2 SDK's probe and `listen:N` ids) first, in string order,
 * then numbers as numbers: a NaN comparison would leave spans in export order, which follows
 * accounting timing, not the workload.
 */
function byRequestId(a: { attributes: Attrs }, b: { attributes: Attrs }): number {
  const key = (s: { attributes: Attrs }) => String(s.attributes[ATTR_JSONRPC_REQUEST_ID] ?? '');
  const [x, y] = [key(a), key(b)];
  const [nx, ny] = [/^-?\d+$/.test(x), /^-?\d+$/.test(y)];
  if (nx !== ny) return nx ? 1 : -1;
  return nx ? Number(x) - Number(y) : x < y ? -1 : x > y ? 1 : 0;
}

export function normSpans(spans: readonly { name: string; kind: number; attributes: Attrs; status: object; scope: string }[]) {
  return spans
    .map((s) => {
      const { [ATTR_OBSERVER]: _o, ...attributes } = s.attributes;
      // OTLP/JSON spells an unset status as code 0.
      const status = Object.fromEntries(Object.entries(s.status).filter(([k, v]) => !(k === 'code' && v === 0)));
      return { name: s.name, kind: s.kind, attributes: callIdPresent(attributes), status, scope: s.scope };
    })
    .sort(byRequestId);
}

/**
 * Each series' value (count for duration histograms, whose sums are times), keyed without the observer.
 * The audit processor's dropped counter belongs to the log pipeline, not to the core: left out.
 */
export function series(points: readonly Point[]): Map<string, number> {
  const out = new Map<string, { time: number; value: number }>();
  for (const p of points) {
    if (p.metric === METRIC_AUDIT_DROPPED.name) continue;
    const { [ATTR_OBSERVER]: _o, ...rest } = p.attributes;
    const key = `${p.metric} ${JSON.stringify(Object.entries(rest).sort())}`;
    const timed = p.metric === METRIC_CLIENT_OPERATION_DURATION.name || p.metric === METRIC_CLIENT_SESSION_DURATION.name;
    const value = timed ? (p.count ?? 0) : p.metric === METRIC_SESSION_REQUESTS.name ? (p.count ?? 0) * 1e6 + p.value : p.value;
    const prev = out.get(key);
    if (!prev || prev.time <= p.time) out.set(key, { time: p.time, value });
  }
  return new Map([...out].map(([k, v]) => [k, v.value]));
}

export function normAudit(logs: readonly { eventName: string; attributes: Attrs }[]) {
  const varying: readonly string[] = [F.session, F.time, F.durationUs, F.prev, F.link, F.observer];
  return logs
    .map((l): Attrs => callIdPresent({ event: l.eventName, ...Object.fromEntries(Object.entries(l.attributes).filter(([k]) => !varying.includes(k))) }))
    .sort((a, b) => Number(a[F.seq]) - Number(b[F.seq]));
}
