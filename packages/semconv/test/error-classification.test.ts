import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CALLER_ERROR_CLASSIFICATION, CALLER_ERROR_CODES, SPAN_KIND_VALUES, isCallerErrorCode, isSpanError } from '@mcp-conservation/semconv';

test('the caller-error table: the five codes semconv lists, and the three 2026-07-28 codes as ours', () => {
  assert.deepEqual(
    CALLER_ERROR_CLASSIFICATION.filter((c) => c.source === 'semconv').map((c) => c.code),
    [-32700, -32600, -32601, -32602, -32002],
  );
  assert.deepEqual(
    CALLER_ERROR_CLASSIFICATION.filter((c) => c.source === 'mcp_conservation').map((c) => c.code),
    [-32020, -32021, -32022],
  );
  assert.equal(new Set(CALLER_ERROR_CODES).size, CALLER_ERROR_CODES.length);
});

test('a caller error fails a CLIENT span and not a SERVER span, as a number or as its decimal text', () => {
  for (const code of CALLER_ERROR_CODES) {
    assert.equal(isSpanError(SPAN_KIND_VALUES.client, { errorCode: code }), true, `client ${code}`);
    assert.equal(isSpanError(SPAN_KIND_VALUES.server, { errorCode: code }), false, `server ${code}`);
    assert.equal(isSpanError(SPAN_KIND_VALUES.server, { errorCode: String(code) }), false, `server "${code}"`);
  }
});

test('a server fault, or isError, fails both kinds; no error fails neither', () => {
  for (const errorCode of [-32603, -32000, -32042, 1]) {
    assert.equal(isCallerErrorCode(errorCode), false);
    assert.equal(isSpanError(SPAN_KIND_VALUES.server, { errorCode }), true, `server ${errorCode}`);
    assert.equal(isSpanError(SPAN_KIND_VALUES.client, { errorCode }), true, `client ${errorCode}`);
  }
  assert.equal(isSpanError(SPAN_KIND_VALUES.server, { isError: true }), true);
  assert.equal(isSpanError(SPAN_KIND_VALUES.server, { errorCode: -32602, isError: true }), true);
  assert.equal(isSpanError(SPAN_KIND_VALUES.server, {}), false);
  assert.equal(isSpanError(SPAN_KIND_VALUES.client, {}), false);
  assert.equal(isCallerErrorCode(undefined), false);
});
