/**
 * `mcp-conservation demo`: the README's main job. Starts the sample MCP
 * server as a subprocess, drives four scripted agents through the
 * instrumented SDK client, serves the metrics on an embedded Prometheus
 * endpoint, writes and verifies the audit trail, and prints the scorecard.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { instrumentClient, observerOf, type InstrumentClientOptions } from '@mcp-conservation/instrumentation';
import { QUERY_CATALOGUE } from '@mcp-conservation/semconv';
import { parseCommandArgs } from '../command-line/args.js';
import { CliError, usageError } from '../command-line/errors.js';
import { EXIT } from '../command-line/exit-codes.js';
import { silentProgress } from '../command-line/progress.js';
import { readAuditFiles } from '../audit/read.js';
import { verifyRecords } from '../audit/verify.js';
import { dirname } from 'node:path';
import { AGENTS, type AgentScript, type Pace } from '../demo/script.js';
import { connectAgent, sampleServerPath, type DemoEra } from '../demo/agent-client.js';
import { computeScorecard, cumulativeHeading, renderScorecard, type Scorecard } from '../demo/scorecard.js';
import { startTelemetry } from '../demo/telemetry.js';
import { OtlpSink } from '../demo/otlp-sink.js';
import { runLive, type LiveProgress } from '../demo/live.js';
import { findPrometheus, startEmbeddedPrometheus, waitForScrapeAfter, type EmbeddedPrometheus } from '../demo/embedded-prometheus.js';
import { compareFigures, comparisonText, runReportOfDemo, type ReportJson } from '../demo/report-run.js';

/** Requests per second of the live demo: a modest rate a dashboard shows as a line. */
const LIVE_RATE = 25;
/** How often the live scorecard is reprinted. */
const REPRINT_MS = 5000;
const DEMO_JOB = 'mcp-conservation-demo';

export const DEMO_HELP = `Usage: mcp-conservation demo [options]

Runs a sample MCP server as a subprocess and four scripted agents against it
through the instrumented MCP SDK client (one of them runs away past 100
requests, some calls fail or time out). Prints the scorecard of the four
conservation measures against their targets, serves the metrics on an
embedded Prometheus endpoint, and writes and verifies the audit trail.

On a terminal the demo is live: the four agents run their sessions again and
again at a steady rate (the same scripted failures each round) until Ctrl-C,
and the scorecard, cumulative since the start, is reprinted every few
seconds; Prometheus and Grafana see live rates. Elsewhere (tests, CI, pipes)
it runs one round and exits.

Options:
  --live              keep the agents running until Ctrl-C (or --duration)
  --once              run one round of the four agents, then stop
  --duration <s>      stop the live demo after this many seconds (implies --live)
  --rate <n>          requests per second in the live demo (default ${LIVE_RATE})
  --report            run live for --duration (default 60) against an embedded
                      Prometheus (the installed \`prometheus\` binary, scraping every
                      second), then write the HTML report of the run: its figures
                      equal the scorecard's
  --report-out <f>    where --report writes the HTML (default beside the audit file)
  --legacy            run the agents on SDK v1 in the 2025 protocol (default: SDK v2
                      in the 2026-07-28 protocol, against the same sample server on v2)
  --via-proxy         run the agents uninstrumented, each through
                      \`mcp-conservation proxy\` (the zero-code path), one round; the
                      proxies export OTLP to the demo, which scores what they measured
  --port <n>          port of the /metrics endpoint (default 9464; 0 picks a free one)
  --host <addr>       address it listens on (default 127.0.0.1)
  --serve <seconds>   keep serving /metrics this long after the agents stop
                      (default: until Ctrl-C after one round on a terminal, 0 otherwise)
  --audit-file <f>    where to write the audit trail (OTLP/JSON lines)
  --json              print the scorecard as JSON (live: when it stops; meanwhile
                      one progress line a round on stderr)
  --no-color          plain output
  -h, --help          this help`;

interface DemoFlags {
  live?: boolean;
  legacy?: boolean;
  once?: boolean;
  duration?: string;
  rate?: string;
  report?: boolean;
  'report-out'?: string;
  'via-proxy'?: boolean;
  port?: string;
  host?: string;
  serve?: string;
  'audit-file'?: string;
  json?: boolean;
  'no-color'?: boolean;
}

export interface DemoResult {
  readonly mode: 'sdk' | 'proxy';
  /** The scorecard counts everything since this time (RFC 3339): it is cumulative. */
  readonly since: string;
  readonly until: string;
  /** Complete rounds of the four agents, and sessions run in all (a stopped live demo may end mid-round). */
  readonly rounds: number;
  readonly sessionsRun: number;
  readonly scorecard: Scorecard;
  /** The embedded Prometheus endpoint (SDK mode only). */
  readonly metricsUrl?: string;
  readonly auditFile: string;
  readonly audit: { readonly ok: boolean; readonly records: number; readonly sessions: number };
  /** `--report`: the report of the run and its figures beside the scorecard's. */
  readonly report?: { readonly html: string; readonly summary: string; readonly pngs: readonly string[]; readonly figuresEqual: boolean; readonly figures: ReportJson };
}


function intFlag(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw usageError(`demo: --${name} must be a whole number, got '${value}'`);
  return n;
}

/** How the run names its era: the SDK and the protocol revision. */
const eraLabel = (era: DemoEra) => (era === 'modern' ? 'SDK v2, protocol 2026-07-28' : 'SDK v1, protocol 2025-11-25');
const cliBin = () => fileURLToPath(new URL('./bin.js', import.meta.url));

/** Each agent through its own proxy process, which exports OTLP/JSON to the sink. */
async function runViaProxy(era: DemoEra, auditFile: string, log: (s: string) => void): Promise<{ scorecard: Scorecard; spans: number }> {
  const sink = new OtlpSink(auditFile);
  const endpoint = await sink.start();
  const env: Record<string, string> = {
    ...(Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined)) as Record<string, string>),
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_SERVICE_NAME: 'mcp-conservation-demo',
    OTEL_BLRP_SCHEDULE_DELAY: '200',
  };
  try {
    for (const agent of AGENTS) {
      const agentClient = await connectAgent({ era, name: agent.name, command: process.execPath, args: [cliBin(), 'proxy', '--', process.execPath, sampleServerPath(era)], env });
      await agent.run(agentClient.client);
      // Closing waits for the proxy to exit, after it exported its telemetry.
      await agentClient.close();
      log(`  ${agent.name.padEnd(15)} done (through the proxy)`);
    }
    return { scorecard: computeScorecard(sink.resourceMetrics()), spans: sink.spans };
  } finally {
    await sink.stop();
  }
}

export async function runDemo(argv: string[]): Promise<number> {
  const { values, help } = parseCommandArgs<DemoFlags>(
    'demo',
    argv,
    {
      live: { type: 'boolean' },
      once: { type: 'boolean' },
      duration: { type: 'string' },
      rate: { type: 'string' },
      report: { type: 'boolean' },
      'report-out': { type: 'string' },
      'via-proxy': { type: 'boolean' },
      legacy: { type: 'boolean' },
      port: { type: 'string' },
      host: { type: 'string' },
      serve: { type: 'string' },
      'audit-file': { type: 'string' },
      json: { type: 'boolean' },
      'no-color': { type: 'boolean' },
    },
    false,
  );
  if (help) {
    process.stdout.write(`${DEMO_HELP}\n`);
    return EXIT.ok;
  }
  if (values.live && values.once) throw usageError('demo: --live and --once exclude each other');
  if (values['via-proxy'] && (values.live || values.report)) throw usageError('demo: --via-proxy runs one round; it takes neither --live nor --report');
  if (values.report && values.once) throw usageError('demo: --report runs the demo live; it does not take --once');
  const port = intFlag('port', values.port, 9464);
  const duration = values.duration === undefined ? (values.report ? 60 : undefined) : intFlag('duration', values.duration, 0);
  if (duration === 0) throw usageError('demo: --duration must be at least 1 second');
  const rate = values.rate === undefined ? LIVE_RATE : Number(values.rate);
  if (!(rate > 0 && rate <= 1000)) throw usageError(`demo: --rate must be a number of requests per second from 1 to 1000, got '${values.rate}'`);
  // Live on a terminal (a person watching), one round elsewhere (tests, CI, pipes); --live, --once and --report decide.
  const live = values.report || values.live || (!values.once && values.duration !== undefined) || (!values.once && process.stdout.isTTY === true && !values.json);
  const serveDefault = process.stdout.isTTY && !values.json && !live ? Number.POSITIVE_INFINITY : 0;
  const serve = values.serve === undefined ? serveDefault : intFlag('serve', values.serve, 0);
  const auditFile = values['audit-file'] ?? join(tmpdir(), `mcp-conservation-demo-${process.pid}`, 'audit.jsonl');
  const color = process.stdout.isTTY && !values['no-color'];
  const era: DemoEra = values.legacy ? 'legacy' : 'modern';
  const log = (s: string) => {
    if (!values.json) process.stdout.write(`${s}\n`);
  };

  if (values['via-proxy']) {
    const since = new Date();
    log(`mcp-conservation demo: ${AGENTS.length} agents, each through mcp-conservation proxy, against a sample MCP server (${eraLabel(era)})`);
    const { scorecard } = await runViaProxy(era, auditFile, log);
    const verification = verifyRecords(await readAuditFiles([auditFile], silentProgress));
    const result: DemoResult = {
      mode: 'proxy',
      since: since.toISOString(),
      until: new Date().toISOString(),
      rounds: 1,
      sessionsRun: AGENTS.length,
      scorecard,
      auditFile,
      audit: { ok: verification.ok, records: verification.records, sessions: verification.sessions.length },
    };
    if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
      log('');
      log(renderScorecard(scorecard, color));
      log('');
      log(`Audit trail (as the proxies exported it): ${verification.records} records in ${verification.sessions.length} sessions, chain ${verification.ok ? 'verified' : 'BROKEN'}: ${auditFile}`);
    }
    // Missed targets are what the demo shows; a broken audit chain is a fault.
    return verification.ok ? EXIT.ok : EXIT.findings;
  }

  // --report needs a Prometheus before anything runs: say so at once, not after a minute.
  const prometheusBinary = values.report ? findPrometheus() : undefined;
  if (values.report && prometheusBinary === undefined) {
    throw new CliError(EXIT.unreachable, 'demo --report needs an installed Prometheus: none at $MCPC_PROMETHEUS_BINARY, /usr/bin/prometheus or on PATH.\n  Debian: apt-get install prometheus (the package the tests use).');
  }

  let flushInstrumentation: () => Promise<void> = async () => undefined;
  let telemetry;
  try {
    telemetry = await startTelemetry({ port, host: values.host ?? '127.0.0.1', auditFile, flushFirst: [{ forceFlush: () => flushInstrumentation() }] });
  } catch (error) {
    process.stderr.write(`demo: cannot serve metrics on port ${port}: ${(error as Error).message}\nTry --port 0 for a free port.\n`);
    return EXIT.unreachable;
  }
  let prometheus: EmbeddedPrometheus | undefined;
  try {
    if (prometheusBinary !== undefined) {
      log(`Starting an embedded Prometheus (${prometheusBinary}), scraping ${telemetry.metricsUrl} every second`);
      try {
        prometheus = await startEmbeddedPrometheus(prometheusBinary, join(dirname(auditFile), 'prometheus'), new URL(telemetry.metricsUrl).host, DEMO_JOB);
      } catch (error) {
        throw new CliError(EXIT.unreachable, `demo --report: ${(error as Error).message}`);
      }
      log(`  Prometheus: ${prometheus.url}`);
    }
    return await runSdkDemo({ values, era, telemetry, live, duration, rate, serve, auditFile, color, log, prometheus, setFlush: (f) => (flushInstrumentation = f) });
  } finally {
    await prometheus?.stop();
    await telemetry.shutdown();
  }
}

interface SdkDemoContext {
  readonly values: DemoFlags;
  readonly era: DemoEra;
  readonly telemetry: Awaited<ReturnType<typeof startTelemetry>>;
  readonly live: boolean;
  readonly duration: number | undefined;
  readonly rate: number;
  readonly serve: number;
  readonly auditFile: string;
  readonly color: boolean;
  readonly log: (s: string) => void;
  readonly prometheus: EmbeddedPrometheus | undefined;
  readonly setFlush: (flush: () => Promise<void>) => void;
}

async function runSdkDemo(ctx: SdkDemoContext): Promise<number> {
  const { values, telemetry, live, log, color } = ctx;
  // One options object: every client shares one measuring core.
  const options: InstrumentClientOptions = {
    tracerProvider: telemetry.tracerProvider,
    meterProvider: telemetry.meterProvider,
    loggerProvider: telemetry.loggerProvider,
    resolveUser: () => 'demo-user',
  };
  const runSession = async (agent: AgentScript, pace?: Pace) => {
    const agentClient = await connectAgent({ era: ctx.era, name: agent.name, command: process.execPath, args: [sampleServerPath(ctx.era)], instrument: (c) => instrumentClient(c, options) });
    const core = observerOf(agentClient.sdkClient);
    if (core) {
      flushCore = () => core.forceFlush();
      ctx.setFlush(flushCore);
    }
    await agent.run(agentClient.client, pace);
    await agentClient.close();
  };
  let flushCore: () => Promise<void> = async () => undefined;
  const scorecardNow = async () => computeScorecard((await telemetry.prometheus.collect()).resourceMetrics);

  const since = new Date();
  let rounds = 0;
  let sessions = 0;
  if (!live) {
    log(`mcp-conservation demo: ${AGENTS.length} agents against a sample MCP server (stdio subprocess, ${eraLabel(ctx.era)})`);
    for (const agent of AGENTS) {
      await runSession(agent);
      sessions++;
      log(`  ${agent.name.padEnd(15)} done`);
    }
    rounds = 1;
  } else {
    log(`mcp-conservation demo, live: ${AGENTS.length} agents against a sample MCP server (${eraLabel(ctx.era)}), ${ctx.rate} requests/s, ${ctx.duration === undefined ? 'until Ctrl-C' : `for ${ctx.duration} s (Ctrl-C stops sooner)`}`);
    log(`Metrics: ${telemetry.metricsUrl}${ctx.prometheus ? ` (scraped by ${ctx.prometheus.url})` : ''}`);
    log('');
    const run = await runLive({
      agents: AGENTS,
      runSession,
      rate: ctx.rate,
      reprintMs: REPRINT_MS,
      ...(ctx.duration !== undefined ? { durationSeconds: ctx.duration } : {}),
      ...(values.json
        ? // stdout holds only the JSON result; progress goes to stderr, one line a round.
          { onRound: (p: LiveProgress) => process.stderr.write(`live: round ${p.rounds} done (${p.sessions} sessions)\n`) }
        : { block: async (p: LiveProgress) => `${cumulativeHeading(since, p.rounds, p.sessions, true)}\n\n${renderScorecard(await scorecardNow(), color)}` }),
    });
    rounds = run.rounds;
    sessions = run.sessions;
    log(`\nStopped (${run.reason}).`);
  }

  await flushCore();
  await telemetry.audit.forceFlush();
  const scorecard = await scorecardNow();
  const until = new Date();
  const verification = verifyRecords(await readAuditFiles([ctx.auditFile], silentProgress));

  let report: DemoResult['report'];
  if (ctx.prometheus) {
    log('Waiting for Prometheus to scrape the final counts...');
    await waitForScrapeAfter(ctx.prometheus, until.getTime() / 1000);
    const out = ctx.values['report-out'] ?? join(dirname(ctx.auditFile), 'report.html');
    log(`Writing the report of this run from Prometheus and the audit trail: mcp-conservation report --prometheus ${ctx.prometheus.url} --service ${DEMO_JOB} ...`);
    const run = await runReportOfDemo({
      cliBin: cliBin(),
      prometheusUrl: ctx.prometheus.url,
      job: DEMO_JOB,
      since: since.getTime() / 1000 - 2,
      until: Date.now() / 1000,
      auditFile: ctx.auditFile,
      out,
      summaryOut: join(dirname(out), 'summary.html'),
    });
    const { equal } = compareFigures(scorecard, run.report);
    report = { html: run.html, summary: run.summary, pngs: run.report.outputs.pngs, figuresEqual: equal, figures: run.report };
  }

  const result: DemoResult = {
    mode: 'sdk',
    since: since.toISOString(),
    until: until.toISOString(),
    rounds,
    sessionsRun: sessions,
    scorecard,
    metricsUrl: telemetry.metricsUrl,
    auditFile: ctx.auditFile,
    audit: { ok: verification.ok, records: verification.records, sessions: verification.sessions.length },
    ...(report ? { report } : {}),
  };

  if (values.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    log(`  (${((until.getTime() - since.getTime()) / 1000).toFixed(1)} s)\n`);
    log(cumulativeHeading(since, rounds, sessions, live));
    log('');
    log(renderScorecard(scorecard, color));
    log('');
    log(`Audit trail: ${verification.records} records in ${verification.sessions.length} sessions, chain ${verification.ok ? 'verified' : 'BROKEN'}: ${ctx.auditFile}`);
    log(`  check it yourself: npx mcp-conservation audit verify ${ctx.auditFile}`);
    log(`Metrics: ${telemetry.metricsUrl}`);
    const efficiency = QUERY_CATALOGUE.find((q) => q.id === 'tokenEfficiency');
    if (efficiency) log(`  e.g. in Prometheus: ${efficiency.expr({ window: '5m' })}`);
    if (report) {
      log(`\n${comparisonText(scorecard, report.figures)}`);
      log(`Report: ${report.html}${report.pngs.length ? ` (and ${report.pngs.length} PNG charts beside it)` : ''}`);
      log(`Summary for stakeholders: ${report.summary}`);
    }
  }

  const serve = ctx.serve;
  if (serve > 0) {
    log(serve === Number.POSITIVE_INFINITY ? '\nServing /metrics until Ctrl-C.' : `\nServing /metrics for ${serve} s.`);
    await new Promise<void>((resolve) => {
      const timer = serve === Number.POSITIVE_INFINITY ? undefined : setTimeout(resolve, serve * 1000);
      process.once('SIGINT', () => {
        if (timer) clearTimeout(timer);
        resolve();
      });
    });
  }
  // Missed targets are what the demo shows; a broken audit chain, or a report that disagrees with the scorecard, is a fault.
  return verification.ok && (report === undefined || report.figuresEqual) ? EXIT.ok : EXIT.findings;
}
