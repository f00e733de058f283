/**
 * Sessions with findings, from a scripted audit trail whose per-session
 * losses, failures, tokens and request counts are known: the table (HTML,
 * --json and --csv) lists exactly the sessions that missed a target, in
 * order, with their figures; open sessions apart; sessions outside the
 * range left out.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AUDIT_FIELDS as F, AUDIT_KIND_VALUES, GENESIS_LINK, sealRecord, type AuditRecord } from '@mcp-conservation/semconv/audit';
import { METRIC_AUDIT_RECORDS, promNames } from '@mcp-conservation/semconv';
import { runCli } from './helpers/cli.ts';
import { writeJsonLines } from './helpers/otlp-writer.ts';
import { startPrometheusWith, type RunningPrometheus } from './helpers/prometheus-server.ts';
import { sessionFindings } from '../src/report/session-findings.ts';

const end = Math.floor(Date.now() / 60_000) * 60 - 600;
const iso = (s: number) => new Date(s * 1000).toISOString();
let prom: RunningPrometheus;

interface Script {
  readonly id: string;
  readonly user: string;
  /** Seconds before `end` of the first record; one record a second. */
  readonly startsAgo: number;
  /** tools/call records: [tool, outcome, cause?] */
  readonly calls: readonly (readonly [string, string, string?])[];
  /** Session totals on the session_end record (omitted: the session is open). */
  readonly tokens?: { meaningful: number; redundant: number; unused: number };
}

/** One initialize, one tools/list, the calls, then (unless open) a session_end; chained as the instrumentation chains them. */
function sessionRecords(s: Script): AuditRecord[] {
  const records: AuditRecord[] = [];
  let prev = GENESIS_LINK;
  const ops: [string, string | undefined, string, string | undefined][] = [['initialize', undefined, 'success', undefined], ['tools/list', undefined, 'success', undefined], ...s.calls.map(([tool, outcome, cause]): [string, string, string, string | undefined] => ['tools/call', tool, outcome, cause])];
  const push = (fields: Record<string, string | number | boolean | undefined>) => {
    const seq = records.length + 1;
    const clean = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Record<string, string | number | boolean>;
    const r = sealRecord({ [F.version]: 1, [F.session]: s.id, [F.seq]: seq, [F.time]: iso(end - s.startsAgo + seq), [F.observer]: 'sdk', [F.user]: s.user, [F.server]: 'srv-1', ...clean }, prev);
    prev = r[F.link] as string;
    records.push(r);
  };
  for (const [method, tool, outcome, cause] of ops) {
    push({ [F.kind]: AUDIT_KIND_VALUES.operation, [F.method]: method, [F.tool]: tool, [F.outcome]: outcome, [F.cause]: cause, [F.contextValid]: cause === undefined, [F.tokensMeaningful]: 0, [F.tokensRedundant]: 0, [F.tokensUnused]: 0 });
  }
  if (s.tokens) {
    push({
      [F.kind]: AUDIT_KIND_VALUES.sessionEnd,
      [F.outcome]: 'success',
      [F.contextValid]: true,
      [F.sessionRequests]: ops.length - 1,
      [F.sessionRecords]: ops.length + 1,
      [F.tokensMeaningful]: s.tokens.meaningful,
      [F.tokensRedundant]: s.tokens.redundant,
      [F.tokensUnused]: s.tokens.unused,
    });
  }
  return records;
}

const ok = (n: number, tool = 'search') => Array.from({ length: n }, () => [tool, 'success'] as const);
const good = { meaningful: 950, redundant: 30, unused: 20 };
const SCRIPTS: Script[] = [
  // No finding: 41 requests, every call answered, 95% efficiency.
  { id: 's-clean', user: 'ann', startsAgo: 3000, calls: ok(40), tokens: good },
  // Three targets missed: 3 of 51 responses lost (timeouts), 4 failing calls, 60% efficiency.
  { id: 's-lossy', user: 'bob', startsAgo: 2900, calls: [...ok(41), ['fetch', 'timeout', 'timeout'], ['fetch', 'timeout', 'timeout'], ['fetch', 'timeout', 'timeout'], ['lookup', 'tool_error'], ...ok(3)], tokens: { meaningful: 600, redundant: 300, unused: 100 } },
  // One target missed (121 requests), one lost response (1/122, within the loss target) and its failed call: 119/120 success.
  { id: 's-busy', user: 'cy', startsAgo: 2800, calls: [...ok(119), ['fetch', 'transport_error', 'transport_closed']], tokens: good },
  // One target missed: 50% efficiency; nothing lost.
  { id: 's-wasteful', user: 'dee', startsAgo: 2700, calls: ok(35), tokens: { meaningful: 500, redundant: 0, unused: 500 } },
  // Open at the range's end: no session_end.
  { id: 's-open', user: 'eve', startsAgo: 100, calls: [...ok(8), ['lookup', 'tool_error']] },
  // Before the range: left out.
  { id: 's-old', user: 'fay', startsAgo: 9000, calls: [['lookup', 'tool_error']], tokens: good },
];
const records = SCRIPTS.flatMap(sessionRecords);
const range = { start: new Date((end - 3600) * 1000), end: new Date(end * 1000) };

before(async () => {
  const name = promNames(METRIC_AUDIT_RECORDS)[0] as string;
  prom = await startPrometheusWith(`# TYPE ${name.replace(/_total$/, '')} counter\n${name}{job="svc-f"} 0 ${end - 120}\n${name}{job="svc-f"} 5 ${end - 60}\n# EOF\n`);
  await writeJsonLines(join(prom.dir, 'audit.json'), records);
});

after(async () => {
  await prom?.stop();
});

test('sessionFindings: the sessions that missed a target, in order, with their exact figures; open apart; outside the range left out', () => {
  const f = sessionFindings(records, range);
  assert.equal(f.examined, 5);
  assert.deepEqual(
    f.sessions.map((r) => [r.session, r.missed]),
    [
      ['s-lossy', ['token efficiency', 'context loss rate', 'tool call success rate']],
      ['s-busy', ['requests per session']],
      ['s-wasteful', ['token efficiency']],
    ],
  );
  const lossy = f.sessions[0]!;
  assert.deepEqual(
    { requests: lossy.requests, within: lossy.requestsWithinBand, expected: lossy.responsesExpected, lost: lossy.lostResponses, loss: lossy.lossRate, eff: lossy.tokenEfficiency, calls: lossy.toolCalls, success: lossy.toolSuccessRate, failing: lossy.failingTools, user: lossy.user, server: lossy.server },
    { requests: 49, within: true, expected: 50, lost: 3, loss: 3 / 50, eff: 0.6, calls: 48, success: 44 / 48, failing: [{ tool: 'fetch', failed: 3 }, { tool: 'lookup', failed: 1 }], user: 'bob', server: 'srv-1' },
  );
  assert.equal(lossy.start, iso(end - 2900 + 1));
  assert.equal(lossy.end, iso(end - 2900 + 51));
  const busy = f.sessions[1]!;
  assert.deepEqual([busy.requests, busy.requestsWithinBand, busy.lostResponses, busy.lossRate, busy.toolSuccessRate], [121, false, 1, 1 / 122, 119 / 120]);
  assert.deepEqual(f.open.map((r) => [r.session, r.open, r.requests, r.lostResponses, r.toolCalls, r.toolSuccessRate]), [['s-open', true, 10, 0, 9, 8 / 9]]);
  // A range that ends before s-lossy's session_end: s-lossy is open then, and s-busy has not begun.
  const earlier = sessionFindings(records, { start: range.start, end: new Date((end - 2900 + 30) * 1000) });
  assert.deepEqual(earlier.open.map((r) => [r.session, r.requests]), [['s-lossy', 29]]);
  assert.deepEqual(earlier.sessions.map((r) => r.session), []);
});

test('report --audit --csv --json: the same rows in the HTML table, the JSON and the CSV', async () => {
  const html = join(prom.dir, 'findings.html');
  const csv = join(prom.dir, 'findings.csv');
  const r = await runCli(['report', '--prometheus', prom.url, '--range', '1h', '--end', String(end), '--service', 'svc-f', '--audit', join(prom.dir, 'audit.json'), '--out', html, '--csv', csv, '--no-png', '--json', '--quiet']);
  assert.equal(r.code, 1, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.deepEqual(report.audit.findings.sessions.map((s: { session: string }) => s.session), ['s-lossy', 's-busy', 's-wasteful']);
  assert.deepEqual(report.audit.findings.open.map((s: { session: string }) => s.session), ['s-open']);
  const lines = readFileSync(csv, 'utf8').split('\r\n');
  assert.equal(lines[0], 'status,session,user,server,start,end,requests,requests_within_30_100,responses_expected,lost_responses,loss_rate,meaningful_tokens,rendered_tokens,token_efficiency,tool_calls,tool_success_rate,failing_tools,targets_missed,missed');
  assert.equal(lines[1], `ended,s-lossy,bob,srv-1,${iso(end - 2899)},${iso(end - 2849)},49,true,50,3,0.06,600,1000,0.6,48,${44 / 48},fetch:3 lookup:1,3,token efficiency; context loss rate; tool call success rate`);
  assert.equal(lines[2]!.split(',').slice(0, 2).join(','), 'ended,s-busy');
  assert.equal(lines[3]!.split(',').slice(0, 2).join(','), 'ended,s-wasteful');
  assert.equal(lines[4]!.split(',').slice(0, 2).join(','), 'open,s-open');
  assert.equal(lines.length, 6, 'four rows and a final line break');
  const text = readFileSync(html, 'utf8');
  assert.match(text, /<b id="findings-count">3<\/b> of 5 sessions/);
  const table = text.slice(text.indexOf('id="session-findings"'), text.indexOf('</table>', text.indexOf('id="session-findings"')));
  assert.deepEqual([...table.matchAll(/<tr><td>(s-[a-z]+)<\/td>/g)].map((m) => m[1]), ['s-lossy', 's-busy', 's-wasteful']);
  assert.match(table, /<td>fetch \(3\), lookup \(1\)<\/td><td>3: efficiency, loss, tool success<\/td>/);
});

test('report --summary: one page with the four measures, their trend, pipeline health and the count of sessions with findings; no session id, user or tool', async () => {
  const html = join(prom.dir, 'summary.html');
  const r = await runCli(['report', '--prometheus', prom.url, '--range', '1h', '--end', String(end), '--service', 'svc-f', '--audit', join(prom.dir, 'audit.json'), '--summary', '--out', html, '--json', '--quiet']);
  assert.equal(r.code, 1, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).outputs.pngs, []);
  const text = readFileSync(html, 'utf8');
  assert.match(text, /<b id="summary-findings">3<\/b> of 5 sessions in the range missed at least one target; <b id="summary-open">1<\/b> still open/);
  assert.match(text, /Records emitted <b id="summary-emitted">5<\/b>/);
  for (const id of ['tokenEfficiency', 'contextLossRate', 'toolSuccessRate', 'requestsPerSession']) assert.match(text, new RegExp(`id="summary-${id}"[\\s\\S]*?<svg`));
  // What the audit files hold about people and sessions stays out of the summary.
  for (const s of SCRIPTS) {
    assert.ok(!text.includes(s.id), `summary names session ${s.id}`);
    assert.ok(!text.includes(`>${s.user}<`) && !new RegExp(`\\b${s.user}\\b`).test(text.replace(/<style>[\s\S]*?<\/style>/, '')), `summary names user ${s.user}`);
  }
  for (const tool of ['fetch', 'lookup', 'search']) assert.ok(!new RegExp(`\\b${tool}\\b`).test(text.replace(/<style>[\s\S]*?<\/style>/, '').replace(/<svg[\s\S]*?<\/svg>/g, '')), `summary names tool ${tool}`);
});

test('sessionFindings: chains that cover a stretch of time (a chain_end, a proxy\'s open stateless chain, a server\'s open chain) are counted apart, never judged as sessions', () => {
  // 150 calls of many clients: as a session it would be over the request limit.
  const chain = (id: string, direction: string | undefined, ended: boolean, covers?: 'time'): AuditRecord[] => {
    const out: AuditRecord[] = [];
    let prev = GENESIS_LINK;
    const push = (fields: Record<string, string | number | boolean>) => {
      const seq = out.length + 1;
      const r = sealRecord({ [F.version]: 2, [F.session]: id, [F.seq]: seq, [F.time]: iso(end - 1000 + seq), [F.observer]: 'proxy', ...(direction ? { [F.direction]: direction } : {}), ...(covers ? { [F.chainCovers]: covers } : {}), ...fields }, prev);
      prev = r[F.link] as string;
      out.push(r);
    };
    for (let i = 0; i < 150; i++) push({ [F.kind]: AUDIT_KIND_VALUES.operation, [F.method]: 'tools/call', [F.tool]: 'search', [F.outcome]: 'success', [F.contextValid]: true });
    if (ended) push({ [F.kind]: AUDIT_KIND_VALUES.chainEnd, [F.outcome]: 'success', [F.contextValid]: true, [F.sessionRequests]: 150, [F.sessionRecords]: 151 });
    return out;
  };
  const f = sessionFindings([...records, ...chain('proxy-window', undefined, true), ...chain('server-process', 'server', false), ...chain('proxy-open-window', undefined, false, 'time')], range);
  assert.equal(f.timeChains, 3);
  assert.equal(f.examined, 5, 'the five sessions, as without the chains');
  assert.deepEqual(f.sessions.map((r) => r.session), ['s-lossy', 's-busy', 's-wasteful']);
  assert.deepEqual(f.open.map((r) => r.session), ['s-open']);
});
