/**
 * `subscriptions/listen` streams (2026-07-28) of one session. A listen
 * request is long-lived: it is never pending, so it is never lost, never a
 * timeout and no logical call (docs/conservation-metrics.md#loss). Its
 * CLIENT span ends at the server's `notifications/subscriptions/acknowledged`
 * (the conventions' "ack"), or at its failure before one. The stream ends at
 * the server's empty result, its error, a `notifications/cancelled` for it
 * from either side, or the session's end.
 */
import { SpanStatusCode, type Span } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@mcp-conservation/semconv';
import { isObject } from './json.js';

export const LISTEN_METHOD = 'subscriptions/listen';
const ACKNOWLEDGED = 'notifications/subscriptions/acknowledged';
/** The `_meta` key a server stamps on every notification of a listen stream: the listen request's id. */
const SUBSCRIPTION_ID_META = 'io.modelcontextprotocol/subscriptionId';

/** Open streams a session keeps at most: each is one id and one span; a client opens a handful. */
const MAX_OPEN = 1000;

interface Stream {
  readonly span: Span;
  acknowledged: boolean;
}

export class ListenStreams {
  /** Made at the first stream: most sessions open none, and an empty Map costs about 150 bytes. */
  private open: Map<string, Stream> | undefined;

  constructor(private readonly warn: (message: string) => void) {}

  get size(): number {
    return this.open?.size ?? 0;
  }

  /** A listen request was sent, under its span. */
  opened(id: string, span: Span): void {
    const open = (this.open ??= new Map());
    if (open.size >= MAX_OPEN) {
      this.warn(`more than ${MAX_OPEN} listen streams open in one session; the oldest is no longer followed`);
      const [oldest, stream] = open.entries().next().value as [string, Stream];
      open.delete(oldest);
      if (!stream.acknowledged) stream.span.end();
    }
    open.set(id, { span, acknowledged: false });
  }

  has(id: string): boolean {
    return this.open?.has(id) ?? false;
  }

  /** A notification from the server: an acknowledgment ends its listen span; a cancellation ends its stream. */
  notification(message: Record<string, unknown>): void {
    const params = isObject(message.params) ? message.params : undefined;
    if (message.method === ACKNOWLEDGED) {
      const meta = isObject(params?._meta) ? params._meta : undefined;
      const id = meta?.[SUBSCRIPTION_ID_META];
      const stream = id === undefined || id === null ? undefined : this.open?.get(String(id));
      if (stream && !stream.acknowledged) {
        stream.acknowledged = true;
        stream.span.end();
      }
    } else if (message.method === 'notifications/cancelled' && params?.requestId !== undefined) {
      this.ended(String(params.requestId));
    }
  }

  /** A response to a listen request: the server ended the stream (an empty result), or refused it (an error). Returns false when `id` is no stream. */
  answered(id: string, message: Record<string, unknown>): boolean {
    const stream = this.open?.get(id);
    if (!stream) return false;
    this.open!.delete(id);
    if (!stream.acknowledged) {
      if (isObject(message.error)) {
        const code = String(message.error.code ?? 'error');
        stream.span.setAttribute(ATTR_ERROR_TYPE, code);
        stream.span.setStatus({ code: SpanStatusCode.ERROR, message: typeof message.error.message === 'string' ? message.error.message.slice(0, 200) : code });
      }
      stream.span.end();
    }
    return true;
  }

  /** The stream ended without an answer (a cancellation); a span still waiting for its ack ends now. */
  ended(id: string): void {
    const stream = this.open?.get(id);
    if (!stream) return;
    this.open!.delete(id);
    if (!stream.acknowledged) stream.span.end();
  }

  /** The session closed: every stream ends, none is lost. */
  close(): void {
    if (this.open) for (const id of [...this.open.keys()]) this.ended(id);
  }
}
