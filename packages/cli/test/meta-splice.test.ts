/**
 * Trace context is inserted into the host's bytes, never by serializing the
 * message again: big integers, number spellings, whitespace and invalid
 * UTF-8 stay as they came, and `params._meta` gains the carrier.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spliceTraceContext } from '../src/proxy/meta-splice.ts';

const TP = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

/** What the proxy's observation returns: the parsed message with the carrier merged into params._meta. */
function inject(message: Record<string, unknown>, carrier: Record<string, string> = { traceparent: TP }): Record<string, unknown> {
  const params = (message.params ?? {}) as Record<string, unknown>;
  return { ...message, params: { ...params, _meta: { ...((params._meta as object) ?? {}), ...carrier } } };
}

function splice(raw: string | Buffer, carrier?: Record<string, string>): string {
  const bytes = typeof raw === 'string' ? Buffer.from(raw) : raw;
  const parsed = JSON.parse(bytes.toString('utf8'));
  const changed = Array.isArray(parsed) ? parsed.map((m) => inject(m, carrier)) : inject(parsed, carrier);
  const out = spliceTraceContext(bytes, parsed, changed);
  assert.ok(out, 'spliced');
  return out.toString('latin1');
}

test('only _meta is added: big integers, number spellings and whitespace stay byte for byte', () => {
  const raw = '{"jsonrpc":"2.0", "id":9007199254740993,"method":"tools/call","params":{ "name":"pay","arguments":{"user_id":12345678901234567891,"price":1.10}}}';
  assert.equal(
    splice(raw),
    `{"jsonrpc":"2.0", "id":9007199254740993,"method":"tools/call","params":{"_meta":{"traceparent":"${TP}"}, "name":"pay","arguments":{"user_id":12345678901234567891,"price":1.10}}}`,
  );
});

test('invalid UTF-8 in the host bytes passes unchanged', () => {
  const head = Buffer.from('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","arguments":{"s":"');
  const tail = Buffer.from('"}}}');
  const raw = Buffer.concat([head, Buffer.from([0xff, 0xfe]), tail]);
  const out = splice(raw);
  const expected = Buffer.concat([Buffer.from(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"_meta":{"traceparent":"${TP}"},"name":"t","arguments":{"s":"`), Buffer.from([0xff, 0xfe]), tail]);
  assert.equal(out, expected.toString('latin1'));
});

test('no params, empty params, an existing _meta, a traceparent the host sent, a batch', () => {
  assert.equal(splice('{"jsonrpc":"2.0","id":1,"method":"tools/list"}'), `{"params":{"_meta":{"traceparent":"${TP}"}},"jsonrpc":"2.0","id":1,"method":"tools/list"}`);
  assert.equal(splice('{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{ }}'), `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"traceparent":"${TP}"} }}`);
  assert.equal(
    splice('{"id":2,"method":"m","params":{"_meta":{"progressToken":2}}}'),
    `{"id":2,"method":"m","params":{"_meta":{"traceparent":"${TP}","progressToken":2}}}`,
  );
  assert.equal(
    splice('{"id":3,"method":"m","params":{"_meta":{"traceparent":"00-host-01","x":1}}}'),
    `{"id":3,"method":"m","params":{"_meta":{"traceparent":"${TP}","x":1}}}`,
  );
  assert.equal(
    splice('[{"id":4,"method":"a"},\n {"id":5,"method":"b","params":{"k":1.50}}]'),
    `[{"params":{"_meta":{"traceparent":"${TP}"}},"id":4,"method":"a"},\n {"id":5,"method":"b","params":{"_meta":{"traceparent":"${TP}"},"k":1.50}}]`,
  );
});

test('bytes that do not have the shape the parse had are left alone', () => {
  const raw = Buffer.from('{"id":1,"method":"m","params":[1,2]}');
  const parsed = JSON.parse(raw.toString());
  assert.equal(spliceTraceContext(raw, parsed, { ...parsed, params: { _meta: { traceparent: TP } } }), undefined);
  assert.equal(spliceTraceContext(Buffer.from('{"id":1,'), {}, { params: { _meta: { traceparent: TP } } }), undefined);
});

test('random messages: the spliced bytes parse to the injected message', () => {
  let x = 11;
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)] as T;
  const value = (depth: number): unknown => {
    const r = rnd();
    if (depth > 3 || r < 0.3) return pick([0, -1.5, 1e21, 'a"b\\c', 'ünï', true, null, '']);
    if (r < 0.6) return Array.from({ length: Math.floor(rnd() * 3) }, () => value(depth + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 3) }, (_, i) => [pick(['k', '_meta', 'params', `x${i}`, '"q"']), value(depth + 1)]));
  };
  const ws = () => pick(['', ' ', '\n  ', '\t']);
  const write = (v: unknown): string => {
    if (Array.isArray(v)) return `[${ws()}${v.map(write).join(`${ws()},${ws()}`)}${ws()}]`;
    if (v && typeof v === 'object') return `{${ws()}${Object.entries(v).map(([k, e]) => `${JSON.stringify(k)}${ws()}:${ws()}${write(e)}`).join(',')}${ws()}}`;
    return JSON.stringify(v);
  };
  for (let round = 0; round < 2000; round++) {
    const message: Record<string, unknown> = { jsonrpc: '2.0', id: round, method: 'tools/call' };
    const shape = rnd();
    if (shape < 0.7) {
      const params = (value(3) && rnd() < 0.5 ? { name: 't', arguments: value(1) } : {}) as Record<string, unknown>;
      if (rnd() < 0.4) params._meta = rnd() < 0.5 ? { progressToken: round } : { traceparent: 'host', other: value(3) };
      message.params = params;
    }
    const raw = Buffer.from(write(message));
    const changed = inject(message, rnd() < 0.5 ? { traceparent: TP } : { traceparent: TP, tracestate: 'v=1' });
    const out = spliceTraceContext(raw, message, changed);
    assert.ok(out, `round ${round}: ${raw}`);
    assert.deepEqual(JSON.parse(out.toString()), changed, `round ${round}: ${raw}`);
  }
});
