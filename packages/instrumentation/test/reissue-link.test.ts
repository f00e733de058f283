/**
 * How a re-issue after a broken stream is linked to its call
 * (docs/conservation-metrics.md, the `reissue` leg): by method, target and
 * params less `_meta`, under any id; to none when two broken calls fit it
 * alike; and a cancellation naming the broken leg ends the wait.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INVALID_SPAN_CONTEXT, trace } from '@opentelemetry/api';
import { CallAssembler, newCall, paramsDigest } from '../src/core/calls.ts';
import type { Pending } from '../src/core/model.ts';
import { readWireFacts, transportClosed } from '../src/core/outcome.ts';

function leg(id: string, tool: string): Pending {
  return { id, call: newCall(0), method: 'tools/call', tool, prompt: undefined, uri: undefined, fresh: true, startPerf: 0, span: trace.wrapSpanContext(INVALID_SPAN_CONTEXT), params: undefined, mcpSessionId: undefined };
}

const BROKE = transportClosed('broke');
const FACTS = readWireFacts({}, false);

test('paramsDigest: _meta aside (trace context, progress tokens), the params decide', () => {
  assert.equal(paramsDigest({ name: 'a', arguments: { x: 1 }, _meta: { traceparent: '00-1' } }), paramsDigest({ name: 'a', arguments: { x: 1 } }));
  assert.notEqual(paramsDigest({ name: 'a', arguments: { x: 1 } }), paramsDigest({ name: 'a', arguments: { x: 2 } }));
});

test('a re-issue of the same params links to the broken call as its next leg; other params or another tool do not', () => {
  const calls = new CallAssembler(16, 60_000);
  const broken = leg('1', 'search');
  calls.parkForReissue(broken, { name: 'search', arguments: { q: 'a' } }, BROKE, FACTS, 5);
  assert.equal(calls.waitsForReissue(), true);
  assert.equal(calls.reissue({ method: 'tools/call', tool: 'search' }, { name: 'search', arguments: { q: 'b' } }), undefined);
  assert.equal(calls.reissue({ method: 'tools/call', tool: 'other' }, { name: 'other', arguments: { q: 'a' } }), undefined);
  const linked = calls.reissue({ method: 'tools/call', tool: 'search' }, { name: 'search', arguments: { q: 'a' }, _meta: { traceparent: 'x' } });
  assert.equal(linked?.last, broken);
  assert.equal(linked?.brokeAt, 5);
  assert.equal(broken.call.legs, 2);
  assert.equal(calls.waitsForReissue(), false);
});

test('two broken calls a re-issue fits alike: it links to neither, both still wait', () => {
  const calls = new CallAssembler(16, 60_000);
  const params = { name: 'search', arguments: { q: 'a' } };
  calls.parkForReissue(leg('1', 'search'), params, BROKE, FACTS, 0);
  calls.parkForReissue(leg('2', 'search'), params, BROKE, FACTS, 0);
  assert.equal(calls.reissue({ method: 'tools/call', tool: 'search' }, params), undefined);
  assert.equal(calls.size, 2);
});

test('a cancellation naming the broken leg ends its wait (decided then); another id ends nothing', () => {
  const calls = new CallAssembler(16, 60_000);
  const broken = leg('7', 'search');
  calls.parkForReissue(broken, {}, BROKE, FACTS, 0);
  assert.equal(calls.reissueEnded('8'), undefined);
  assert.equal(calls.reissueEnded('7')?.decision, BROKE);
  assert.equal(calls.size, 0);
});
