/**
 * The exchange book on its own: ids kept as they came unless another
 * exchange has the same id in flight, answers paired within their exchange
 * first, and each request handed back to the core once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExchangeBook } from '../src/proxy/exchange.ts';

const call = (id: number | string) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 't' } });
const answer = (id: number | string) => ({ jsonrpc: '2.0', id, result: { content: [] } });

test('exchange book: a colliding id gets the key <id>#<exchange>, each answer comes back under its own request\'s key', () => {
  const book = new ExchangeBook();
  const a = book.open();
  const b = book.open();
  const first = call(1);
  assert.equal(a.requests(first), first, 'no collision: the very message');
  assert.deepEqual(b.requests(call(1)), call('1#2'));
  // A string "1" collides with a number 1: the core keys by String(id).
  const c = book.open();
  assert.deepEqual(c.requests(call('1')), call('1#3'));
  // B's answer arrives first, on B's stream.
  assert.deepEqual(b.answers(answer(1)), answer('1#2'));
  const fromA = answer(1);
  assert.equal(a.answers(fromA), fromA);
  assert.deepEqual(a.takeUnanswered(), []);
  assert.deepEqual(c.takeUnanswered(), [call('1#3')]);
  assert.deepEqual(c.takeUnanswered(), [], 'handed back once');
});

test('exchange book: answers and cancellations outside their exchange are paired only when one request has the id', () => {
  const book = new ExchangeBook();
  const a = book.open();
  a.requests([call(5), call(6), { jsonrpc: '2.0', method: 'notifications/initialized' }]);
  const b = book.open();
  b.requests(call(6));
  const stream = book.open();
  // Id 5 is in flight once: a GET stream's answer for it is A's. Id 6 is in flight twice: left as it came.
  assert.deepEqual(stream.answers([answer(5), answer(6)]), [answer(5), answer(6)]);
  assert.deepEqual(a.takeUnanswered(), [call(6)]);
  // Now only B holds 6 (as 6#2): a host's cancellation of 6 names B's key.
  const cancel = { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 6, reason: 'stop' } };
  assert.deepEqual(book.open().requests(cancel), { ...cancel, params: { requestId: '6#2', reason: 'stop' } });
  // Notifications, server requests and answers to them pass as they are.
  const progress = { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: 1 } };
  assert.equal(stream.answers(progress), progress);
  book.clear();
  assert.deepEqual(b.takeUnanswered(), [], 'a closed session holds nothing');
});
