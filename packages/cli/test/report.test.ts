/**
 * The report against a real Prometheus (Debian's package) serving a known
 * workload, backfilled with promtool; audit files written with the real
 * OTel Logs SDK; the HTML rendered in real Chromium (Debian's package, driven
 * by playwright-core). Every figure is compared with the workload's truth.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { AUDIT_FIELDS, AUDIT_KIND_VALUES, GENESIS_LINK, sealRecord, type AuditRecord } from '@mcp-conservation/semconv/audit';
import { METRIC_AUDIT_RECORDS, promNames } from '@mcp-conservation/semconv';
import { runCli } from './helpers/cli.ts';
import { writeJsonLines } from './helpers/otlp-writer.ts';
import { freePort, startPrometheusWith, type RunningPrometheus } from './helpers/prometheus-server.ts';
import { keyed, unkeyed, KEY } from './helpers/vectors.ts';
import { TRUTH_ALL, TRUTH_SVC_A, workloadOpenMetrics } from './helpers/workload.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Kept after the run (git-ignored) so that a person can look at the report and its PNGs.
const out = fileURLToPath(new URL('../test-output/report/', import.meta.url));
// A whole minute, ten minutes ago: the last sample of the workload, and the report's end.
const end = Math.floor(Date.now() / 60_000) * 60 - 600;
const endIso = new Date(end * 1000).toISOString();
let prom: RunningPrometheus;

/** A session of 101 requests, sealed with the semconv chain rules (as the instrumentation does). */
function busySession(): AuditRecord[] {
  const records: AuditRecord[] = [];
  let prev = GENESIS_LINK;
  for (let seq = 1; seq <= 102; seq++) {
    const last = seq === 102;
    const record = sealRecord(
      {
        [AUDIT_FIELDS.version]: 1,
        [AUDIT_FIELDS.kind]: last ? AUDIT_KIND_VALUES.sessionEnd : AUDIT_KIND_VALUES.operation,
        [AUDIT_FIELDS.session]: 's-busy',
        [AUDIT_FIELDS.seq]: seq,
        [AUDIT_FIELDS.time]: new Date((end - 3000 + seq) * 1000).toISOString(),
        [AUDIT_FIELDS.observer]: 'sdk',
        [AUDIT_FIELDS.user]: 'bob',
        [AUDIT_FIELDS.server]: 'srv-1',
        [AUDIT_FIELDS.outcome]: 'success',
        [AUDIT_FIELDS.contextValid]: true,
        ...(last ? { [AUDIT_FIELDS.sessionRequests]: 101, [AUDIT_FIELDS.sessionRecords]: 102 } : { [AUDIT_FIELDS.method]: 'tools/call', [AUDIT_FIELDS.tool]: 'search' }),
      },
      prev,
    );
    prev = record[AUDIT_FIELDS.link] as string;
    records.push(record);
  }
  return records;
}

before(async () => {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  prom = await startPrometheusWith(workloadOpenMetrics(end));
  const u = unkeyed.records.map((r) => r.record);
  const k = keyed.records.map((r) => r.record);
  // One record removed (s-unkeyed seq 2), one altered (s-keyed seq 3).
  await writeJsonLines(join(out, 'audit-2026-11-25T00-00-00.000.json'), [u[0]!, u[2]!, u[3]!, ...busySession()]);
  await writeJsonLines(join(out, 'audit.json'), [k[0]!, k[1]!, { ...k[2]!, [AUDIT_FIELDS.outcome]: 'success' }, k[3]!]);
});

after(async () => {
  await prom?.stop();
});

const close = (actual: number | undefined, expected: number, what: string) =>
  assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-9, `${what}: ${actual} != ${expected}`);

test('report for one service: every figure equals the workload truth; HTML and PNGs written; exit 1 for the misses', async () => {
  const html = join(out, 'report.html');
  const r = await runCli([
    'report', '--prometheus', prom.url, '--range', '3h', '--end', endIso, '--service', 'svc-a',
    '--audit', join(out, 'audit-2026-11-25T00-00-00.000.json'), join(out, 'audit.json'), '--key', KEY,
    '--out', html, '--chromium', CHROMIUM, '--json',
  ]);
  assert.equal(r.code, 1, r.stderr);
  const report = JSON.parse(r.stdout);
  const m = Object.fromEntries(report.measures.map((x: { id: string }) => [x.id, x]));
  const t = TRUTH_SVC_A;
  close(m.tokenEfficiency.value, t.tokenEfficiency, 'token efficiency');
  close(m.contextLossRate.value, t.contextLossRate, 'context loss rate');
  close(m.toolSuccessRate.value, t.toolSuccessRate, 'tool success rate');
  close(m.requestsPerSession.value, t.meanRequestsPerSession, 'mean requests per session');
  // Counts are exact integers, not extrapolations.
  assert.equal(m.requestsPerSession.context['sessions within 30-100'], t.shareWithinBand * t.sessionsEnded);
  assert.equal(m.requestsPerSession.context['sessions ended'], t.sessionsEnded);
  assert.equal(m.requestsPerSession.context['sessions over limit'], t.sessionsOverLimit);
  assert.equal(m.tokenEfficiency.context['rendered tokens'], t.renderedTokens);
  assert.equal(m.contextLossRate.context['responses expected (less cancelled)'], t.responsesExpected);
  assert.equal(m.toolSuccessRate.context['tool calls'], t.toolCalls);
  assert.deepEqual(Object.fromEntries(report.measures.map((x: { id: string; verdict: string }) => [x.id, x.verdict])), t.verdicts);
  // svc-a's calls are all in sessions: nothing to say beside its volume.
  assert.equal(m.requestsPerSession.note, undefined);
  // Counters rise every minute: a point per step (3 h in 4-minute steps, two hours of data). Sessions end every ten
  // minutes (2.5 steps) from minute 10 to 100: each point covers three steps, so every step from the first end on has one.
  assert.equal(report.coverage.stepSeconds, 240);
  for (const x of report.measures) assert.equal(x.points, x.id === 'requestsPerSession' ? 25 : 30, `${x.id} chart has ${x.points} points`);
  assert.equal(report.topFailingTools.length, t.topFailingTools.length);
  t.topFailingTools.forEach((e, i) => {
    assert.equal(report.topFailingTools[i].tool, e.tool);
    close(report.topFailingTools[i].failed, e.failed, `${e.tool} failed`);
    close(report.topFailingTools[i].successRate, e.successRate, `${e.tool} success rate`);
  });
  assert.deepEqual(report.waste, t.waste);
  assert.deepEqual(report.lostByCause, t.lostByCause);
  assert.deepEqual(report.pipeline, t.pipeline);
  // Session facts from the audit files.
  assert.deepEqual(report.audit.overLimit.map((s: { session: string; requests: number; user: string }) => [s.session, s.requests, s.user]), [['s-busy', 101, 'bob']]);
  assert.deepEqual(report.audit.problems.map((p: { kind: string; session: string; seq: number }) => [p.kind, p.session, p.seq]), [['gap', 's-unkeyed', 2], ['altered', 's-keyed', 3]]);
  assert.equal(report.audit.records, 3 + 102 + 4);
  // The HTML shows the same figures.
  const text = readFileSync(html, 'utf8');
  for (const shown of ['87.00%', '1.22%', '98.18%', '88.7', '10,000', '494', '96.35%', '99.34%', 'admin_reset', 'dropped: queue_full']) assert.ok(text.includes(`>${shown}<`), `HTML lacks ${shown}`);
  assert.match(text, /<span id="audit-over-limit">1<\/span>/);
  assert.match(text, /<span id="audit-gaps">1<\/span>/);
  assert.match(text, /<span id="audit-altered">1<\/span>/);
  for (const png of report.outputs.pngs as string[]) {
    const bytes = readFileSync(png);
    assert.deepEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47], `${png} is a PNG`);
    assert.ok(bytes.readUInt32BE(16) >= 1000, `${png} is at least 1000 px wide (2x scale)`);
  }
  assert.equal(report.outputs.pngs.length, 4);
});

test('the HTML is self-contained and renders in Chromium: four charts, no request leaves the file', async () => {
  const html = join(out, 'report.html');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const requests: string[] = [];
    page.on('request', (req) => requests.push(req.url()));
    await page.goto(pathToFileURL(html).href);
    assert.deepEqual(requests, [pathToFileURL(html).href]);
    assert.equal(await page.locator('.chart svg').count(), 4);
    assert.equal(await page.locator('script').count(), 0);
    // Each chart draws its series: a path with many points inside the plot.
    for (const id of ['tokenEfficiency', 'contextLossRate', 'toolSuccessRate', 'requestsPerSession']) {
      const box = await page.locator(`#chart-${id} svg`).boundingBox();
      assert.ok(box && box.width > 500 && box.height > 150, `${id} chart box ${JSON.stringify(box)}`);
    }
    await page.screenshot({ path: join(out, 'report-page.png'), fullPage: true });
  } finally {
    await browser.close();
  }
});

test('all services: the figures change with the scope (no --service)', async () => {
  const r = await runCli(['report', '--prometheus', prom.url, '--range', '3h', '--end', endIso, '--out', join(out, 'all.html'), '--no-png', '--json', '--quiet']);
  const report = JSON.parse(r.stdout);
  const m = Object.fromEntries(report.measures.map((x: { id: string }) => [x.id, x]));
  close(m.toolSuccessRate.value, TRUTH_ALL.toolSuccessRate, 'tool success rate, all services');
  close(m.tokenEfficiency.value, TRUTH_ALL.tokenEfficiency, 'token efficiency, all services');
  // svc-c's stateless calls are not averaged into requests per session: the report says they are not observable there.
  close(m.requestsPerSession.value, (887 + 40) / 11, 'mean requests per session, all services');
  assert.equal(m.requestsPerSession.note, `not observable over stateless HTTP: ${TRUTH_ALL.sessionlessRequests} requests the proxy relayed there are in no session, and not in this measure`);
  const text = await runCli(['report', '--prometheus', prom.url, '--range', '3h', '--end', endIso, '--out', join(out, 'all.html'), '--no-png']);
  assert.match(text.stdout, /\n {4}not observable over stateless HTTP: 250 requests the proxy relayed there are in no session/);
  assert.match(readFileSync(join(out, 'all.html'), 'utf8'), /<div class="card-note">not observable over stateless HTTP: 250 requests/);
  assert.equal(report.outputs.pngs.length, 0);
  assert.equal(report.audit, undefined);
});

test('unreachable Prometheus, a non-Prometheus endpoint, a refused query: exit 4 with the reason', async () => {
  const port = await freePort();
  const down = await runCli(['report', '--prometheus', `http://127.0.0.1:${port}`, '--out', join(out, 'x.html'), '--no-png']);
  assert.equal(down.code, 4);
  assert.match(down.stderr, new RegExp(`cannot reach Prometheus at http://127.0.0.1:${port}/: ECONNREFUSED`));
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>hello</html>'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const other = await runCli(['report', '--prometheus', `http://127.0.0.1:${(server.address() as { port: number }).port}`, '--out', join(out, 'x.html'), '--no-png']);
    assert.equal(other.code, 4);
    assert.match(other.stderr, /without a Prometheus API answer: is .* a Prometheus server\?/);
  } finally {
    server.close();
  }
  const refused = await runCli(['report', '--prometheus', prom.url, '--service', '(unclosed', '--out', join(out, 'x.html'), '--no-png']);
  assert.equal(refused.code, 4);
  assert.match(refused.stderr, /Prometheus at .* refused a query \(HTTP 400, bad_data\)/);
});

test('bad flags are usage errors; a missing Chromium is an output error that leaves the HTML', async () => {
  for (const args of [[], ['--prometheus', 'ftp://x'], ['--prometheus', prom.url, '--range', '7 days'], ['--prometheus', prom.url, '--end', 'yesterday'], ['--prometheus', prom.url, 'stray.json'], ['--prometheus', prom.url, '--timeout', '0']]) {
    const r = await runCli(['report', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^mcp-conservation: report: /);
  }
  const html = join(out, 'nochrome.html');
  const r = await runCli(['report', '--prometheus', prom.url, '--range', '3h', '--end', endIso, '--out', html, '--chromium', '/nonexistent/chromium', '--quiet']);
  assert.equal(r.code, 5);
  assert.match(r.stderr, /cannot start Chromium at \/nonexistent\/chromium .*\n.*--no-png/);
  assert.ok(readFileSync(html, 'utf8').includes('MCP conservation report'));
});

test('malformed audit files do not stop the report: their problems are listed in it', async () => {
  const bad = join(out, 'bad-audit.json');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(bad, '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"eventName":"mcp_conservation.audit.operation","attributes":[]}]}]}]}\nnot json\n');
  const html = join(out, 'bad.html');
  const r = await runCli(['report', '--prometheus', prom.url, '--range', '3h', '--end', endIso, '--audit', bad, '--out', html, '--no-png', '--json', '--quiet']);
  assert.equal(r.code, 1);
  const report = JSON.parse(r.stdout);
  assert.deepEqual(report.audit.problems.map((p: { kind: string }) => p.kind), ['malformed']);
  assert.equal(report.audit.diagnostics.length, 1);
  assert.match(readFileSync(html, 'utf8'), /Unreadable input[\s\S]*bad-audit\.json:2: not valid JSON/);
});

test('a scope with no data at all (a mistyped --service) is a finding: exit 1, said so', async () => {
  const html = join(out, 'none.html');
  const r = await runCli(['report', '--prometheus', prom.url, '--range', '3h', '--end', endIso, '--service', 'svc-mistyped', '--out', html, '--no-png', '--quiet']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /no data for any measure in this range and scope: check --service, --range and the Prometheus URL/);
  assert.ok(readFileSync(html, 'utf8').includes('MCP conservation report'));
});

test('without a gateway count (the SDKs scraped directly), receipt is not measured: pipeline health is no data, not a failure', async () => {
  // Only the SDK's emitted counter, as a Prometheus scraping the SDK (or the demo) has it.
  const name = promNames(METRIC_AUDIT_RECORDS)[0] as string;
  const lines = [`# TYPE ${name.replace(/_total$/, '')} counter`];
  for (let i = 0; i <= 60; i++) lines.push(`${name}{job="svc-direct"} ${i * 5} ${end - (60 - i) * 60}`);
  lines.push('# EOF');
  const direct = await startPrometheusWith(lines.join('\n') + '\n');
  try {
    const r = await runCli(['report', '--prometheus', direct.url, '--range', '1h', '--end', endIso, '--service', 'svc-direct', '--out', join(out, 'direct.html'), '--no-png', '--json', '--quiet']);
    const report = JSON.parse(r.stdout);
    assert.equal(report.pipeline.emitted, 300);
    assert.equal(report.pipeline.received, undefined);
    assert.equal(report.pipeline.healthy, undefined, JSON.stringify(report.pipeline));
  } finally {
    await direct.stop();
  }
});
