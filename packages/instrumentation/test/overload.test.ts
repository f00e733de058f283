/**
 * Graceful under overload: with a tiny accounting budget, a host that
 * never yields (sequential callTools over an in-memory transport run in
 * microtasks, so the worker's results cannot come back between them) gets
 * most of its responses counted from their bytes. The budget is a few
 * responses, so this does not depend on the machine's speed: the backlog
 * of responses waiting to be counted never passes it, the estimated share
 * is reported (metric and audit records), and the estimate is within 2% of
 * the exact count, which the test computes itself on the same texts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { observerOf } from '@mcp-conservation/instrumentation';
import { ATTR_CONTEXT_SOURCE, ATTR_GEN_AI_TOOL_NAME, CONTEXT_SOURCE_VALUES, METRIC_CONTEXT_TOKENS, METRIC_ESTIMATED_TOKENS } from '@mcp-conservation/semconv';
import { AUDIT_FIELDS as F, AUDIT_KIND_VALUES, verifyChain, type AuditRecord } from '@mcp-conservation/semconv/audit';
import { auditRecords, connectInMemory, createTelemetry, sumOf } from './helpers.ts';

/** About five of the responses below: the backlog can hold no more. */
const BUDGET = 16 * 1024;
const CALIBRATION = 12;
const FLOOD = 300;

const SHORT = 'a an at by do go if in is it me my no of on or so to up us we ok id'.split(' ');
const UNITS = 'row value count total state item price unit level block'.split(' ');

/** 2.6 KB of numbers and short words (the bench's token-dense workload), distinct per call. */
function dense(i: number): string {
  let s = (i + 1) >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let out = `Result ${i}:`;
  while (out.length < 2600) {
    const r = next();
    out += r < 0.22 ? ` ${Math.floor(next() * 1000)}` : r < 0.5 ? ` ${SHORT[Math.floor(next() * SHORT.length)]}` : ` ${UNITS[Math.floor(next() * UNITS.length)]}`;
  }
  return out.slice(0, 2600);
}

interface Backlog {
  readonly bytes: number;
  readonly peakBytes: number;
}

test('past a tiny budget, responses are estimated from their bytes: backlog bounded, share reported, within 2%', async () => {
  const tel = createTelemetry();
  const server = new McpServer({ name: 'dense-server', version: '1' });
  server.registerTool('dense', { inputSchema: { i: z.number() } }, async ({ i }) => ({ content: [{ type: 'text', text: dense(i) }] }));
  const client = await connectInMemory(tel, server, { accountingBudgetBytes: BUDGET });
  const core = observerOf(client)!;
  const backlog = (core as unknown as { analyzer: { backlog: Backlog } }).analyzer.backlog;

  // Calibration: one call at a time, each counted exactly before the next.
  for (let i = 0; i < CALIBRATION; i++) {
    await client.callTool({ name: 'dense', arguments: { i } });
    await core.forceFlush();
  }
  // The flood: back to back, without a macrotask in between.
  let yielded = false;
  setImmediate(() => (yielded = true));
  for (let i = CALIBRATION; i < CALIBRATION + FLOOD; i++) await client.callTool({ name: 'dense', arguments: { i } });
  assert.equal(yielded, false, 'the flood ran without a macrotask: the condition under test');
  await client.close();
  await core.forceFlush();

  assert.ok(backlog.peakBytes > 0 && backlog.peakBytes <= BUDGET, `backlog peaked at ${backlog.peakBytes} bytes, budget ${BUDGET}`);
  assert.equal(backlog.bytes, 0, 'everything admitted was counted');

  // Records are chained in call order: the k-th tools/call record is call k.
  const records = auditRecords(tel.logs).map((r) => r.attributes as AuditRecord);
  assert.equal(verifyChain(records).ok, true, 'records with the estimated flag verify as format 2');
  const calls = records.filter((r) => r[F.kind] === AUDIT_KIND_VALUES.operation && r[F.method] === 'tools/call');
  assert.equal(calls.length, CALIBRATION + FLOOD);
  const tokensOf = (r: AuditRecord) => Number(r[F.tokensMeaningful]) + Number(r[F.tokensRedundant]) + Number(r[F.tokensLost]);
  let estimatedCalls = 0;
  let estimatedTokens = 0;
  let exactOfEstimated = 0;
  let exactTotal = 0;
  calls.forEach((r, i) => {
    const exact = countTokens(dense(i));
    exactTotal += exact;
    if (r[F.tokensEstimated] === true) {
      estimatedCalls++;
      estimatedTokens += tokensOf(r);
      exactOfEstimated += exact;
    } else {
      assert.equal(r[F.tokensEstimated], undefined, 'exact records carry no flag');
      assert.equal(tokensOf(r), exact, `call ${i} was counted exactly`);
    }
  });
  for (let i = 0; i < CALIBRATION; i++) assert.equal(calls[i]![F.tokensEstimated], undefined, `calibration call ${i} counted exactly`);
  // Five responses fill the budget, and the flood's results come back only when the lane drains (64 items): most are estimated.
  assert.ok(estimatedCalls >= FLOOD / 2, `${estimatedCalls} of ${FLOOD} flood calls estimated`);
  const error = Math.abs(estimatedTokens - exactOfEstimated) / exactOfEstimated;
  assert.ok(error < 0.02, `estimate ${estimatedTokens} vs exact ${exactOfEstimated}: ${(error * 100).toFixed(2)}% off`);
  const end = records.find((r) => r[F.kind] === AUDIT_KIND_VALUES.sessionEnd)!;
  assert.equal(end[F.tokensEstimated], true, 'the session totals include estimates, and say so');

  // The metrics: estimated tokens by source, and the share the dashboards show.
  const rm = await tel.collect();
  const tool = { [ATTR_GEN_AI_TOOL_NAME]: 'dense', [ATTR_CONTEXT_SOURCE]: CONTEXT_SOURCE_VALUES.toolResult };
  assert.equal(sumOf(rm, METRIC_ESTIMATED_TOKENS.name, tool), estimatedTokens);
  const all = sumOf(rm, METRIC_CONTEXT_TOKENS.name, tool);
  assert.equal(all, estimatedTokens + (exactTotal - exactOfEstimated));
  const share = estimatedTokens / all;
  assert.ok(share > 0.5 && share < 1, `estimated share ${share}`);
  await tel.shutdown();
});

test('with an unlimited budget the same flood is counted exactly', async () => {
  const tel = createTelemetry();
  const server = new McpServer({ name: 'dense-server', version: '1' });
  server.registerTool('dense', { inputSchema: { i: z.number() } }, async ({ i }) => ({ content: [{ type: 'text', text: dense(i) }] }));
  const client = await connectInMemory(tel, server, { accountingBudgetBytes: Infinity });
  const core = observerOf(client)!;
  let exact = 0;
  for (let i = 0; i < 100; i++) {
    await client.callTool({ name: 'dense', arguments: { i } });
    exact += countTokens(dense(i));
  }
  await client.close();
  await core.forceFlush();
  const rm = await tel.collect();
  assert.equal(sumOf(rm, METRIC_CONTEXT_TOKENS.name, { [ATTR_GEN_AI_TOOL_NAME]: 'dense' }), exact);
  assert.equal(sumOf(rm, METRIC_ESTIMATED_TOKENS.name), 0);
  assert.ok(auditRecords(tel.logs).every((r) => (r.attributes as AuditRecord)[F.tokensEstimated] === undefined));
  await tel.shutdown();
});
