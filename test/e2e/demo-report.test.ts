/**
 * `demo --report`, as a new user runs it: the live demo (steady traffic, the
 * scripted failures every round) under a real Prometheus 2.42 scraping it
 * every second, then `mcp-conservation report` from that Prometheus and the
 * demo's audit file. The report's counts equal the demo's scorecard exactly,
 * count by count, its ratios to 0.01 percentage point, and each chart has
 * many points (lines, not dots). The HTML and PNGs are kept for a person to
 * look at when MCPC_E2E_KEEP is set.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const BIN = fileURLToPath(new URL('../../packages/cli/dist/bin.js', import.meta.url));
/** Long enough for several rounds of the four agents and a few dozen scrapes. */
const DURATION_S = 30;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

interface Figures {
  scorecard: {
    measures: { title: string; value: number; numerator: number; denominator: number }[];
    sessions: { ended: number; within: number; overLimit: number };
    tokens: { meaningful: number; redundant: number; unused: number };
    toolCalls: Record<string, number>;
    lostResponses: number;
  };
  rounds: number;
  sessionsRun: number;
  audit: { ok: boolean; records: number; sessions: number };
  report: {
    html: string;
    summary: string;
    pngs: string[];
    figuresEqual: boolean;
    figures: {
      measures: { id: string; value: number; context: Record<string, number>; points: number }[];
      topFailingTools: { tool: string; failed: number }[];
      lostByCause: { cause: string; responses: number }[];
      pipeline: { emitted: number; dropped: number };
      coverage: { firstSample: number; lastSample: number; series: number; resets: number; firstSeenAboveZero: number; scrapeIntervalSeconds: number };
      audit: { records: number; sessions: number; open: unknown[]; problems: unknown[]; findings: { sessions: { session: string; missed: string[] }[]; open: unknown[]; examined: number } };
    };
  };
}

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('demo --report: the report from Prometheus equals the live demo scorecard, count by count', { skip: !existsSync('/usr/bin/prometheus') && !process.env.MCPC_PROMETHEUS_BINARY && 'no Prometheus installed' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcpc-demo-report-'));
  try {
    const r = await run(['demo', '--report', '--duration', String(DURATION_S), '--port', '0', '--json', '--audit-file', join(dir, 'audit.jsonl'), '--report-out', join(dir, 'report.html')]);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as Figures;
    const card = result.scorecard;
    const report = result.report.figures;
    const m = Object.fromEntries(report.measures.map((x) => [x.id, x]));
    const [efficiency, loss, success, volume] = card.measures;

    // Live: several rounds ran, each with its scripted failures.
    assert.ok(result.rounds >= 2, `${result.rounds} rounds in ${DURATION_S} s`);
    assert.ok(card.toolCalls.tool_error! >= 5 * result.rounds, JSON.stringify(card.toolCalls));

    // Every count, exactly.
    assert.equal(m.tokenEfficiency!.context['meaningful tokens'], card.tokens.meaningful);
    assert.equal(m.tokenEfficiency!.context['rendered tokens'], card.tokens.meaningful + card.tokens.redundant + card.tokens.unused);
    assert.equal(m.contextLossRate!.context['lost responses'], card.lostResponses);
    assert.equal(m.contextLossRate!.context['responses expected (less cancelled)'], loss!.denominator);
    assert.equal(m.toolSuccessRate!.context['successful tool calls'], card.toolCalls.success);
    assert.equal(m.toolSuccessRate!.context['tool calls'], success!.denominator);
    assert.equal(m.requestsPerSession!.context['sessions ended'], card.sessions.ended);
    assert.equal(m.requestsPerSession!.context['sessions within 30-100'], card.sessions.within);
    assert.equal(m.requestsPerSession!.context['sessions over limit'], card.sessions.overLimit);
    assert.equal(card.sessions.ended, result.sessionsRun);
    const failing = Object.fromEntries(report.topFailingTools.map((t) => [t.tool, t.failed]));
    assert.equal(Object.values(failing).reduce((a, b) => a + b, 0), card.toolCalls.tool_error! + card.toolCalls.timeout!);
    assert.equal(report.lostByCause.reduce((n, c) => n + c.responses, 0), card.lostResponses);
    // The audit pipeline counted every record the file holds; the audit trail agrees.
    assert.equal(report.pipeline.emitted, result.audit.records);
    assert.equal(report.pipeline.dropped, 0);
    assert.equal(report.audit.records, result.audit.records);
    assert.equal(report.audit.sessions, result.audit.sessions);
    assert.deepEqual(report.audit.problems, []);
    assert.deepEqual(report.audit.open, []);

    // Ratios, to 0.01 percentage point.
    const pp = (a: number | undefined, b: number, what: string) => assert.ok(a !== undefined && Math.abs(a - b) < 0.0001, `${what}: report ${a}, scorecard ${b}`);
    pp(m.tokenEfficiency!.value, efficiency!.value, 'token efficiency');
    pp(m.contextLossRate!.value, loss!.value, 'context loss rate');
    pp(m.toolSuccessRate!.value, success!.value, 'tool call success rate');
    assert.equal(volume!.denominator, card.sessions.ended);
    assert.equal(result.report.figuresEqual, true);

    // Many scrapes, charts with many points: the traffic was live, not a burst before the first scrape.
    assert.equal(report.coverage.scrapeIntervalSeconds, 1);
    assert.ok(report.coverage.lastSample - report.coverage.firstSample >= DURATION_S - 2, JSON.stringify(report.coverage));
    assert.equal(report.coverage.resets, 0);
    for (const x of report.measures) assert.ok(x.points > 1, `${x.id}: ${x.points} chart points`);
    for (const id of ['tokenEfficiency', 'contextLossRate', 'toolSuccessRate']) assert.ok(m[id]!.points >= 5, `${id}: ${m[id]!.points} chart points`);

    // The HTML shows the same counts.
    const html = readFileSync(result.report.html, 'utf8');
    for (const n of [card.tokens.meaningful, success!.denominator, loss!.denominator]) assert.ok(html.includes(`<b>${n.toLocaleString('en-US')}</b>`), `HTML shows ${n}`);

    // Sessions with findings: every round's runaway (over 100 requests), research (its timeouts and tool errors) and quick check (6 requests) miss a target.
    const findings = report.audit.findings;
    assert.equal(findings.examined, result.sessionsRun);
    assert.deepEqual(findings.open, []);
    assert.ok(findings.sessions.length >= 3 * result.rounds, `${findings.sessions.length} sessions with findings in ${result.rounds} rounds`);
    assert.ok(findings.sessions.every((f) => f.missed.length > 0));

    // The summary names no session or user.
    const summary = readFileSync(result.report.summary, 'utf8');
    for (const f of findings.sessions) assert.ok(!summary.includes(f.session), `summary names ${f.session}`);
    assert.ok(!summary.includes('demo-user'));
    assert.match(summary, new RegExp(`<b id="summary-findings">${findings.sessions.length}</b>`));

    // Rendered by Chromium (as the PNG charts are), for a person to look at.
    if (existsSync(CHROMIUM)) {
      for (const [page, size] of [[result.report.html, '1100,3400'], [result.report.summary, '1000,1250']] as const) {
        const png = page.replace(/\.html$/, '-page.png');
        const shot = spawnSync(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', `--window-size=${size}`, `--screenshot=${png}`, pathToFileURL(page).href], { encoding: 'utf8', timeout: 60_000 });
        assert.equal(shot.status, 0, shot.stderr);
        assert.deepEqual([...readFileSync(png).subarray(1, 4)], [0x50, 0x4e, 0x47], `${png} is a PNG`);
      }
    }
  } finally {
    if (!process.env.MCPC_E2E_KEEP) rmSync(dir, { recursive: true, force: true });
    else process.stdout.write(`[e2e] kept ${dir}\n`);
  }
});
