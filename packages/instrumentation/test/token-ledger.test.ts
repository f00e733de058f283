// Dispositions from literal analyses, without an MCP client: the ledger's points go to a recording sink.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Analysis, AnalyzedBlock } from '../src/core/analysis.ts';
import { emptyTally } from '../src/core/model.ts';
import { TokenLedger, type Delivery, type TokenSink } from '../src/core/token-ledger.ts';

function recordingSink() {
  const points: string[] = [];
  const sink: TokenSink = {
    tokens: (disposition, source, n, method, tool) => points.push(`${disposition} ${source} ${n} ${method}${tool ? ` ${tool}` : ''}`),
    lostTokens: (n, cause, method, tool) => points.push(`lost ${cause} ${n} ${method}${tool ? ` ${tool}` : ''}`),
    binaryBytes: (n, source) => points.push(`binary ${source} ${n}`),
    evictions: (n) => points.push(`evicted ${n}`),
    toolListed: (name) => points.push(`listed ${name}`),
  };
  return { sink, points };
}

const analysis = (blocks: AnalyzedBlock[], binaryBytes = 0): Analysis => ({ wireBytes: 0, renderBytes: 0, binaryBytes, blocks });
const text = (digest: string, tokens: number, extra: Partial<AnalyzedBlock> = {}): AnalyzedBlock => ({ source: 'tool_result', digest, tokens, ...extra });
const tool = (name: string, digest: string, tokens: number): AnalyzedBlock => ({ source: 'tool_definition', key: name, digest, tokens });
const call = (name: string): Delivery => ({ method: 'tools/call', tool: name, fresh: true });
const listing = (fresh = true): Delivery => ({ method: 'tools/list', tool: undefined, fresh });
const whole = { lostCause: undefined, lastPage: true, limit: undefined } as const;

test('a first delivery is meaningful, its repeat and a second representation are redundant', () => {
  const { sink, points } = recordingSink();
  const ledger = new TokenLedger(sink, 16);
  const first = emptyTally();
  ledger.deliver(call('search'), analysis([text('a', 10), text('b', 4, { secondRepresentation: true })]), whole, first);
  assert.deepEqual(first, { meaningful: 10, redundant: 4, unused: 0, lost: 0 });
  const again = emptyTally();
  ledger.deliver(call('search'), analysis([text('a', 10)]), whole, again);
  assert.deepEqual(again, { meaningful: 0, redundant: 10, unused: 0, lost: 0 });
  assert.deepEqual(ledger.totals, { meaningful: 10, redundant: 14, unused: 0, lost: 0 });
  assert.deepEqual(points, ['meaningful tool_result 10 tools/call search', 'redundant tool_result 4 tools/call search', 'redundant tool_result 10 tools/call search']);
});

test('a response lost as a whole loses every block; a host limit loses the part past it', () => {
  const { sink, points } = recordingSink();
  const ledger = new TokenLedger(sink, 16);
  const invalid = emptyTally();
  assert.equal(ledger.deliver(call('t'), analysis([text('a', 5), text('b', 6)]), { ...whole, lostCause: 'invalid' }, invalid), false);
  assert.deepEqual(invalid, { meaningful: 0, redundant: 0, unused: 0, lost: 11 });
  const limited = emptyTally();
  assert.equal(ledger.deliver(call('t'), analysis([text('c', 5), text('d', 6)]), { ...whole, limit: 8 }, limited), true);
  assert.deepEqual(limited, { meaningful: 8, redundant: 0, unused: 0, lost: 3 });
  assert.deepEqual(points, ['lost invalid 11 tools/call t', 'meaningful tool_result 8 tools/call t', 'lost truncated 3 tools/call t']);
  assert.equal(ledger.totals.lost, 14);
});

test('definitions wait for their use; a re-listing settles the ones it no longer carries, the session end the rest', () => {
  const { sink, points } = recordingSink();
  const ledger = new TokenLedger(sink, 16);
  const page = emptyTally();
  ledger.deliver(listing(), analysis([tool('used', 'u1', 20), tool('idle', 'i1', 30), tool('dropped', 'd1', 7)]), whole, page);
  // Nothing is decided at delivery: use is not known yet.
  assert.deepEqual(page, emptyTally());
  ledger.noteUse('tools/call', { name: 'used' });
  // A re-listing: `used` and `idle` again (repeats, redundant now), `dropped` gone: it is settled, unused.
  const relisting = emptyTally();
  ledger.deliver(listing(), analysis([tool('used', 'u1', 20), tool('idle', 'i1', 30)]), whole, relisting);
  assert.deepEqual(relisting, { meaningful: 0, redundant: 50, unused: 0, lost: 0 });
  ledger.settle();
  assert.deepEqual(ledger.totals, { meaningful: 20, redundant: 50, unused: 37, lost: 0 });
  assert.deepEqual(points, [
    'listed used',
    'listed idle',
    'listed dropped',
    'redundant tool_definition 20 tools/list used',
    'redundant tool_definition 30 tools/list idle',
    'unused tool_definition 7 tools/list dropped',
    'meaningful tool_definition 20 tools/list used',
    'unused tool_definition 30 tools/list idle',
  ]);
});

test('pagination: a listing supersedes definitions only once its last page is in', () => {
  const { sink } = recordingSink();
  const ledger = new TokenLedger(sink, 16);
  ledger.deliver(listing(), analysis([tool('a', 'a1', 3)]), { ...whole, lastPage: false }, emptyTally());
  ledger.deliver(listing(false), analysis([tool('b', 'b1', 5)]), whole, emptyTally());
  ledger.noteUse('tools/call', { name: 'b' });
  // A new listing's first page carries `a` only: `b`, on its second page, stays current until that page is in.
  ledger.deliver(listing(), analysis([tool('a', 'a2', 4)]), { ...whole, lastPage: false }, emptyTally());
  assert.deepEqual(ledger.totals, { meaningful: 0, redundant: 0, unused: 3, lost: 0 });
  ledger.deliver(listing(false), analysis([]), whole, emptyTally());
  // The last page came without `b`: superseded, and it was used.
  assert.deepEqual(ledger.totals, { meaningful: 5, redundant: 0, unused: 3, lost: 0 });
  ledger.settle();
  assert.deepEqual(ledger.totals, { meaningful: 5, redundant: 0, unused: 7, lost: 0 });
});

test('digest eviction: a repeat past the capacity counts as meaningful, and the eviction is reported', () => {
  const { sink, points } = recordingSink();
  const ledger = new TokenLedger(sink, 2);
  for (const d of ['a', 'b', 'c']) ledger.deliver(call('t'), analysis([text(d, 1)]), whole, emptyTally());
  // `a` was forgotten to make room for `c`.
  const again = emptyTally();
  ledger.deliver(call('t'), analysis([text('a', 1)]), whole, again);
  assert.deepEqual(again, { meaningful: 1, redundant: 0, unused: 0, lost: 0 });
  assert.deepEqual(
    points.filter((p) => p.startsWith('evicted')),
    ['evicted 1', 'evicted 1'],
  );
});

test('binary bytes take their method\'s source; a late answer loses all it carried', () => {
  const { sink, points } = recordingSink();
  const ledger = new TokenLedger(sink, 16);
  ledger.deliver({ method: 'resources/read', tool: undefined, fresh: true }, analysis([], 300), whole, emptyTally());
  assert.equal(ledger.lateLoss(call('slow'), analysis([text('x', 9), text('y', 2)])), 11);
  assert.equal(ledger.lateLoss(call('slow'), undefined), 0);
  assert.deepEqual(points, ['binary resource_content 300', 'lost late 11 tools/call slow']);
  assert.equal(ledger.totals.lost, 11);
});
