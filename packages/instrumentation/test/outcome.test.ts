// Every outcome and loss cause from literal wire facts, without an MCP client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cancelled,
  decideResponse,
  isParseError,
  isTimeoutReason,
  lateAnswer,
  readWireFacts,
  timedOut,
  transportClosed,
  unparseable,
  withTruncation,
} from '../src/core/outcome.ts';
import type { Pending } from '../src/core/model.ts';

const facts = (message: Record<string, unknown>, keepPayload = false) => readWireFacts(message, keepPayload);

test('wire facts are read when the response arrives; the payload is kept only when asked', () => {
  const message = { jsonrpc: '2.0', id: 1, result: { content: [], isError: true, nextCursor: 'p2' } };
  assert.deepEqual(facts(message), { hasResult: true, isError: true, lastPage: false, nextCursor: 'p2' });
  assert.deepEqual(facts(message, true).payload, { result: message.result, error: undefined });
  assert.deepEqual(facts({ id: 2, result: { tools: [] } }), { hasResult: true, isError: false, lastPage: true });
  assert.deepEqual(facts({ id: 3, error: { code: -32602, message: 'bad params' } }), {
    error: { code: '-32602', message: 'bad params' },
    hasResult: false,
    isError: false,
    lastPage: true,
  });
  // An error that is not an object, and a result that is not one, are neither.
  assert.deepEqual(facts({ id: 4, error: 'boom', result: [1] }), { hasResult: false, isError: false, lastPage: true });
});

test('a response: success, tool error, protocol error, schema-invalid', () => {
  assert.deepEqual(decideResponse('tools/call', facts({ result: { content: [] } }), undefined), { outcome: 'success', contextValid: true });
  assert.deepEqual(decideResponse('tools/call', facts({ result: { isError: true } }), undefined), { outcome: 'tool_error', errorType: 'tool_error', contextValid: true });
  // isError means a tool's own error only on tools/call.
  assert.equal(decideResponse('resources/read', facts({ result: { isError: true } }), undefined).outcome, 'success');
  assert.deepEqual(decideResponse('tools/call', facts({ error: { code: -32603, message: 'internal' } }), undefined), {
    outcome: 'protocol_error',
    errorType: '-32603',
    statusCode: '-32603',
    statusMessage: 'internal',
    contextValid: true,
  });
  assert.equal(decideResponse('tools/call', facts({ error: { message: 'no code' } }), undefined).errorType, 'protocol_error');
  assert.deepEqual(decideResponse('tools/call', facts({ result: { content: [] } }), 'structured content does not match the output schema'), {
    outcome: 'invalid_result',
    lostNow: 'invalid',
    auditCause: 'invalid',
    errorType: 'invalid_result',
    statusMessage: 'structured content does not match the output schema',
    contextValid: false,
  });
  // A JSON-RPC error is what the caller got, whatever the SDK said of a result it never had.
  assert.equal(decideResponse('tools/call', facts({ error: { code: -1, message: 'x' } }), 'invalid').outcome, 'protocol_error');
});

test('truncation by the host limit is a loss unless the response was already invalid', () => {
  assert.deepEqual(withTruncation({ outcome: 'success', contextValid: true }), { outcome: 'success', lostNow: 'truncated', auditCause: 'truncated', contextValid: false });
  assert.deepEqual(withTruncation({ outcome: 'tool_error', errorType: 'tool_error', contextValid: true }).lostNow, 'truncated');
  const invalid = decideResponse('tools/call', facts({ result: {} }), 'bad');
  assert.equal(withTruncation(invalid), invalid);
});

test('a timeout with no cancellation, a cancelled request, a closed transport, an unparseable answer', () => {
  // The SDK's maxTotalTimeout sends no cancellation: the hook reports it, and its loss is decided later.
  assert.deepEqual(timedOut('MCP error -32001: Request timed out'), {
    outcome: 'timeout',
    auditCause: 'timeout',
    errorType: 'timeout',
    statusMessage: 'MCP error -32001: Request timed out',
    contextValid: false,
  });
  assert.deepEqual(cancelled(undefined), { outcome: 'cancelled', errorType: 'cancelled', statusMessage: 'cancelled', contextValid: false });
  assert.equal(cancelled('user stopped').lostNow, undefined);
  assert.deepEqual(transportClosed('closed'), { outcome: 'transport_error', lostNow: 'transport_closed', auditCause: 'transport_closed', errorType: 'transport_error', statusMessage: 'closed', contextValid: false });
  assert.deepEqual(unparseable('Unexpected token'), { outcome: 'protocol_error', lostNow: 'unparseable', auditCause: 'unparseable', errorType: 'unparseable', statusMessage: 'Unexpected token', contextValid: false });
});

test('a late answer: the loss of a timed-out request, no loss after a cancellation', () => {
  const pending = { id: '7', method: 'tools/call' } as unknown as Pending;
  assert.deepEqual(lateAnswer({ pending, kind: 'timeout', outcome: 'timeout' }), { outcome: 'timeout', auditCause: 'late', lostNow: 'late', contextValid: false });
  assert.deepEqual(lateAnswer({ pending, kind: 'cancelled', outcome: 'cancelled' }), { outcome: 'cancelled', auditCause: 'late', contextValid: false });
  assert.deepEqual(lateAnswer({ pending, kind: 'decided', outcome: 'protocol_error' }), { outcome: 'protocol_error', auditCause: 'late', contextValid: false });
});

test('what counts as a timeout reason and as a parse error', () => {
  assert.equal(isTimeoutReason('MCP error -32001: Request timed out'), true);
  assert.equal(isTimeoutReason('Request timeout'), true);
  assert.equal(isTimeoutReason('-32001'), true);
  assert.equal(isTimeoutReason('-320011'), false);
  assert.equal(isTimeoutReason('user cancelled'), false);
  assert.equal(isTimeoutReason(undefined), false);
  assert.equal(isParseError(new SyntaxError('Unexpected token')), true);
  assert.equal(isParseError(Object.assign(new Error('x'), { name: 'ZodError' })), true);
  assert.equal(isParseError(new Error('connection reset')), false);
});
