/**
 * Decisions from wire facts: what a response, a cancellation, a closed
 * transport or an unparseable message means for an operation's outcome,
 * its loss and whether the context it delivered is valid. Pure functions:
 * no session, no telemetry.
 */
import { ERROR_TYPE_TOOL_ERROR, ERROR_TYPE_VALUES as ERR, LOSS_CAUSE_VALUES as CAUSE, OUTCOME_VALUES as OUT } from '@mcp-conservation/semconv';
import type { Decision, Tombstone, WireFacts } from './model.js';
import { isObject } from './json.js';

/**
 * Reads what the outcome needs from a response, when it arrives. The raw
 * result and error are kept only when `keepPayload` (an audit digest or
 * content capture reads them).
 */
export function readWireFacts(message: Record<string, unknown>, keepPayload: boolean): WireFacts {
  const error = isObject(message.error) ? message.error : undefined;
  const result = isObject(message.result) ? message.result : undefined;
  const resultType = typeof result?.resultType === 'string' ? result.resultType : undefined;
  return {
    ...(error
      ? {
          error: {
            code: String(error.code ?? ''),
            message: String(error.message ?? ''),
            ...(isObject(error.data) && typeof error.data.uri === 'string' ? { dataUri: true } : {}),
          },
        }
      : {}),
    hasResult: result !== undefined,
    isError: result?.isError === true,
    lastPage: typeof result?.nextCursor !== 'string',
    ...(typeof result?.nextCursor === 'string' ? { nextCursor: result.nextCursor } : {}),
    ...(resultType !== undefined ? { resultType } : {}),
    ...(resultType === 'input_required' ? { interim: { state: result?.requestState, ...inputKeys(result?.inputRequests) } } : {}),
    ...(keepPayload ? { payload: { result: message.result, error: message.error } } : {}),
  };
}

/** The keys of an interim answer's `inputRequests`, which the retry's `inputResponses` echo: sorted, joined, at most 64 of them. */
export function inputKeys(requests: unknown): { keys?: string } {
  if (typeof requests !== 'object' || requests === null || Array.isArray(requests)) return {};
  const keys = Object.keys(requests);
  return keys.length > 0 && keys.length <= 64 ? { keys: keys.sort().join('\u0000') } : {};
}

/**
 * The outcome of a response that arrived: a JSON-RPC error, a result the
 * SDK rejected (`invalidReason`), a tool's own error, or a success.
 */
export function decideResponse(method: string, facts: WireFacts, invalidReason: string | undefined): Decision {
  if (facts.error) {
    const code = facts.error.code;
    return { outcome: OUT.protocolError, errorType: code || ERR.protocolError, statusCode: code, statusMessage: facts.error.message, contextValid: true };
  }
  if (invalidReason !== undefined) {
    return { outcome: OUT.invalidResult, lostNow: CAUSE.invalid, auditCause: CAUSE.invalid, errorType: ERR.invalidResult, statusMessage: invalidReason, contextValid: false };
  }
  if (method === 'tools/call' && facts.isError) return { outcome: OUT.toolError, errorType: ERROR_TYPE_TOOL_ERROR, contextValid: true };
  return { outcome: OUT.success, contextValid: true };
}

/** A response the host limit truncated: its loss, unless it was already invalid (then that is its loss). */
export function withTruncation(d: Decision): Decision {
  if (d.outcome === OUT.invalidResult) return d;
  return { ...d, lostNow: CAUSE.truncated, auditCause: CAUSE.truncated, contextValid: false };
}

/** A timeout, as the SDK and most hosts word it in `notifications/cancelled`. */
export function isTimeoutReason(reason: unknown): boolean {
  return typeof reason === 'string' && (/-32001\b/.test(reason) || /timed?\s*out/i.test(reason));
}

/** A transport error that is a message the client could not parse. */
export function isParseError(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name;
  return name === 'SyntaxError' || name === 'ZodError' || /pars|JSON|invalid_union|invalid_type/i.test(String((error as Error)?.message ?? ''));
}

/**
 * A multi-round-trip call whose last answer was `input_required` and that
 * no leg followed (rounds exhausted, no retry within the late window, or
 * the session ended): that answer arrived intact, so nothing is lost, and
 * the call did not succeed.
 */
export function inputUnresolved(): Decision {
  return { outcome: OUT.inputUnresolved, errorType: ERR.inputUnresolved, contextValid: true };
}

/** The caller gave up waiting: its loss is decided later (a late answer, or none within the late window). */
export function timedOut(reason: unknown): Decision {
  return { outcome: OUT.timeout, auditCause: CAUSE.timeout, errorType: ERR.timeout, statusMessage: String(reason), contextValid: false };
}

/** The caller cancelled: nobody waits for the answer, so nothing is lost. */
export function cancelled(reason: unknown): Decision {
  return { outcome: OUT.cancelled, errorType: ERR.cancelled, statusMessage: String(reason ?? 'cancelled'), contextValid: false };
}

/**
 * The transport closed, or failed to send, with the request pending.
 * `errorType`: what the transport knows better than `transport_error`, such
 * as the HTTP status of an answer with no JSON-RPC body ("401", "503").
 */
export function transportClosed(statusMessage: string, errorType: string = ERR.transportError): Decision {
  return { outcome: OUT.transportError, lostNow: CAUSE.transportClosed, auditCause: CAUSE.transportClosed, errorType, statusMessage, contextValid: false };
}

/** The request ended unanswered after an unparseable message that was most likely its answer. */
export function unparseable(statusMessage: string | undefined): Decision {
  return { outcome: OUT.protocolError, lostNow: CAUSE.unparseable, auditCause: CAUSE.unparseable, errorType: ERR.unparseable, statusMessage, contextValid: false };
}

/**
 * An answer to a request given up on. Its context is lost whatever it says:
 * after a timeout it is the request's loss (the caller waited), after a
 * cancellation nobody was waiting, so no response is counted lost.
 */
export function lateAnswer(tomb: Tombstone): Decision {
  return { outcome: tomb.outcome, auditCause: CAUSE.late, ...(tomb.kind === 'timeout' ? { lostNow: CAUSE.late } : {}), contextValid: false };
}
