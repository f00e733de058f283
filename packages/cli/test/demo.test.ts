/** The demo, as the README runs it: its scorecard equals the script's known truth, and /metrics serves the same counts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { DEMO_TRUTH } from '../src/demo/script.ts';

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

for (const era of ['modern', 'legacy'] as const) test(`demo (${era}): scorecard and /metrics equal the scripted truth; the audit trail verifies`, async () => {
  const child = spawn(process.execPath, [BIN, 'demo', '--port', '0', '--json', '--serve', '600', ...(era === 'legacy' ? ['--legacy'] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  // The JSON document is complete when its closing brace ends a line; the demo then serves /metrics.
  for await (const chunk of child.stdout) {
    out += chunk;
    if (/\n}\n$/.test(out)) break;
  }
  const result = JSON.parse(out);
  try {
    const card = result.scorecard;
    assert.deepEqual(card.toolCalls, {
      success: DEMO_TRUTH.toolCalls - DEMO_TRUTH.toolErrors - DEMO_TRUTH.timeouts,
      tool_error: DEMO_TRUTH.toolErrors,
      protocol_error: 0,
      timeout: DEMO_TRUTH.timeouts,
      transport_error: 0,
      invalid_result: 0,
      cancelled: 0,
    });
    assert.deepEqual(card.sessions, { ended: DEMO_TRUTH.sessions, within: DEMO_TRUTH.sessionsWithinBand, overLimit: DEMO_TRUTH.sessionsOverLimit });
    assert.equal(card.lostResponses, DEMO_TRUTH.lostResponses);
    const loss = card.measures[1];
    // Every request expects a response, and so does each session's initialize in the 2025 protocol.
    const requests = DEMO_TRUTH.requestsPerSession.reduce((a: number, b: number) => a + b, 0) + DEMO_TRUTH.handshakes[era] * DEMO_TRUTH.sessions;
    assert.deepEqual([loss.numerator, loss.denominator], [DEMO_TRUTH.lostResponses, requests]);
    assert.equal(result.audit.ok, true);
    assert.equal(result.audit.sessions, DEMO_TRUTH.sessions);
    // One record per request (initialize included where there is one) and one per session end.
    assert.equal(result.audit.records, requests + DEMO_TRUTH.sessions);
    const efficiency = card.measures[0];
    assert.equal(efficiency.numerator, card.tokens.meaningful);
    assert.equal(efficiency.denominator, card.tokens.meaningful + card.tokens.redundant + card.tokens.unused);
    assert.ok(card.tokens.unused > 0 && card.tokens.redundant > 0);

    const scrape = await (await fetch(result.metricsUrl)).text();
    const value = (re: RegExp) => scrape.split('\n').filter((l) => re.test(l)).reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    assert.equal(value(/^mcp_conservation_tool_calls_total\{.*mcp_conservation_outcome="tool_error"/), DEMO_TRUTH.toolErrors);
    assert.equal(value(/^mcp_conservation_session_over_limit_total\{/), DEMO_TRUTH.sessionsOverLimit);
    assert.equal(value(/^mcp_conservation_context_tokens_total\{.*disposition="unused"/), card.tokens.unused);
    assert.equal(value(/^mcp_conservation_session_requests_count\{/), DEMO_TRUTH.sessions);
  } finally {
    child.kill('SIGINT');
  }
  const [code] = await once(child, 'exit');
  assert.equal(code, 0, err);
});

for (const era of ['modern', 'legacy'] as const) test(`demo --via-proxy (${era}): the proxies measure the same scorecard as the in-process instrumentation`, async () => {
  const eraFlag = era === 'legacy' ? ['--legacy'] : [];
  const run = (args: string[]) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, 'demo', '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      child.on('exit', (code) => resolve({ code, out, err }));
    });
  const proxied = await run(['--via-proxy', ...eraFlag]);
  assert.equal(proxied.code, 0, proxied.err);
  const direct = await run(['--port', '0', '--serve', '0', ...eraFlag]);
  assert.equal(direct.code, 0, direct.err);
  const p = JSON.parse(proxied.out);
  const d = JSON.parse(direct.out);
  assert.equal(p.mode, 'proxy');
  assert.deepEqual(p.scorecard, d.scorecard);
  assert.equal(p.scorecard.toolCalls.tool_error, DEMO_TRUTH.toolErrors);
  assert.deepEqual(p.audit, { ok: true, records: d.audit.records, sessions: DEMO_TRUTH.sessions });
});

/** Per agent, in the order the demo runs them: what one session of each counts. */
const PER_AGENT = [
  { toolCalls: 40, toolErrors: 2, timeouts: 0, lost: 0, requests: 41 },
  { toolCalls: 60, toolErrors: 3, timeouts: 1, lost: 1, requests: 63 },
  { toolCalls: 110, toolErrors: 0, timeouts: 0, lost: 0, requests: 111 },
  { toolCalls: 5, toolErrors: 0, timeouts: 0, lost: 0, requests: 6 },
];

test('demo --live: sessions again and again until Ctrl-C; the scorecard is cumulative and equals the script run that many times', async () => {
  // Stopped on evidence, not on a clock: a busy machine runs fewer sessions in a given time, never fewer rounds before Ctrl-C.
  const child = spawn(process.execPath, [BIN, 'demo', '--live', '--rate', '1000', '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  const exited = once(child, 'exit');
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (d) => {
      err += d;
      if (/^live: round 2 done \(8 sessions\)$/m.test(err)) resolve();
    });
    child.once('exit', () => reject(new Error(`demo exited before its second round: ${err}`)));
  });
  child.kill('SIGINT');
  const [code] = await exited;
  assert.equal(code, 0, err);
  assert.match(err, /^live: round 1 done \(4 sessions\)$/m);
  assert.match(err, /Ctrl-C: finishing the session in progress/);
  const result = JSON.parse(out);
  // The session in progress at Ctrl-C is finished and counted; no other starts.
  assert.ok(result.sessionsRun === 8 || result.sessionsRun === 9, `${result.sessionsRun} sessions`);
  assert.equal(result.rounds, 2);
  const ran = Array.from({ length: result.sessionsRun }, (_, i) => PER_AGENT[i % PER_AGENT.length]!);
  const sum = (f: (a: (typeof PER_AGENT)[number]) => number) => ran.reduce((n, a) => n + f(a), 0);
  const card = result.scorecard;
  assert.equal(card.sessions.ended, result.sessionsRun);
  assert.equal(card.toolCalls.tool_error, sum((a) => a.toolErrors));
  assert.equal(card.toolCalls.timeout, sum((a) => a.timeouts));
  assert.equal(card.toolCalls.success, sum((a) => a.toolCalls - a.toolErrors - a.timeouts));
  assert.equal(card.lostResponses, sum((a) => a.lost));
  // The default era is 2026-07-28: every request expects a response, and there is no initialize.
  assert.equal(card.measures[1].denominator, sum((a) => a.requests + DEMO_TRUTH.handshakes.modern));
  assert.equal(card.sessions.overLimit, ran.filter((a) => a.requests > 100).length);
  assert.equal(result.audit.ok, true);
  assert.equal(result.audit.sessions, result.sessionsRun);
});

test('demo --duration: the live demo stops by itself once the duration has passed, after the session in progress', async () => {
  const child = spawn(process.execPath, [BIN, 'demo', '--duration', '1', '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const [code] = await once(child, 'exit');
  assert.equal(code, 0, err);
  const result = JSON.parse(out);
  assert.ok(Date.parse(result.until) - Date.parse(result.since) >= 1000, `${result.since} to ${result.until}`);
  assert.ok(result.sessionsRun >= 1, `${result.sessionsRun} sessions`);
  assert.equal(result.scorecard.sessions.ended, result.sessionsRun);
  assert.equal(result.audit.sessions, result.sessionsRun);
});

test('demo flags: --live with --once, --report with --once or --via-proxy, a bad --rate are usage errors', async () => {
  for (const args of [['--live', '--once'], ['--report', '--once'], ['--via-proxy', '--live'], ['--rate', '0'], ['--duration', '0']]) {
    const child = spawn(process.execPath, [BIN, 'demo', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const [code] = await once(child, 'exit');
    assert.equal(code, 2, `${args.join(' ')}: ${err}`);
    assert.match(err, /^mcp-conservation: demo: /);
  }
});
