/**
 * `mcp-conservation demo`: the README's main job. Starts the sample MCP
 * server as a subprocess, drives four scripted agents through the
 * instrumented SDK client, serves the metrics on an embedded Prometheus
 * endpoint, writes and verifies the audit trail, and prints the scorecard.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { instrumentClient, observerOf, type InstrumentClientOptions } from '@mcp-conservation/instrumentation';
import { QUERY_CATALOGUE } from '@mcp-conservation/semconv';
import { parseCommandArgs } from '../command-line/args.js';
import { usageError } from '../command-line/errors.js';
import { EXIT } from '../command-line/exit-codes.js';
import { silentProgress } from '../command-line/progress.js';
import { readAuditFiles } from '../audit/read.js';
import { verifyRecords } from '../audit/verify.js';
import { AGENTS } from '../demo/script.js';
import { computeScorecard, renderScorecard, type Scorecard } from '../demo/scorecard.js';
import { startTelemetry } from '../demo/telemetry.js';
import { OtlpSink } from '../demo/otlp-sink.js';

export const DEMO_HELP = `Usage: mcp-conservation demo [options]

Runs a sample MCP server as a subprocess and four scripted agents against it
through the instrumented MCP SDK client (one of them runs away past 100
requests, some calls fail or time out). Prints the scorecard of the four
conservation measures against their targets, serves the metrics on an
embedded Prometheus endpoint, and writes and verifies the audit trail.

Options:
  --via-proxy         run the agents uninstrumented, each through
                      \`mcp-conservation proxy\` (the zero-code path); the proxies
                      export OTLP to the demo, which scores what they measured
  --port <n>          port of the /metrics endpoint (default 9464; 0 picks a free one)
  --host <addr>       address it listens on (default 127.0.0.1)
  --serve <seconds>   keep serving /metrics this long after the run
                      (default: until Ctrl-C on a terminal, 0 otherwise)
  --audit-file <f>    where to write the audit trail (OTLP/JSON lines)
  --json              print the scorecard as JSON
  --no-color          plain output
  -h, --help          this help`;

interface DemoFlags {
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
  readonly scorecard: Scorecard;
  /** The embedded Prometheus endpoint (SDK mode only). */
  readonly metricsUrl?: string;
  readonly auditFile: string;
  readonly audit: { readonly ok: boolean; readonly records: number; readonly sessions: number };
}

function intFlag(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw usageError(`demo: --${name} must be a whole number, got '${value}'`);
  return n;
}

const sampleServer = () => fileURLToPath(new URL('./demo/sample-server.js', import.meta.url));
const cliBin = () => fileURLToPath(new URL('./bin.js', import.meta.url));

/** Each agent through its own proxy process, which exports OTLP/JSON to the sink. */
async function runViaProxy(auditFile: string, log: (s: string) => void): Promise<{ scorecard: Scorecard; spans: number }> {
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
      const client = new Client({ name: agent.name, version: '1.0.0' });
      await client.connect(new StdioClientTransport({ command: process.execPath, args: [cliBin(), 'proxy', '--', process.execPath, sampleServer()], env, stderr: 'ignore' }));
      await agent.run(client);
      // Closing waits for the proxy to exit, after it exported its telemetry.
      await client.close();
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
      'via-proxy': { type: 'boolean' },
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
  const port = intFlag('port', values.port, 9464);
  const serveDefault = process.stdout.isTTY && !values.json ? Number.POSITIVE_INFINITY : 0;
  const serve = values.serve === undefined ? serveDefault : intFlag('serve', values.serve, 0);
  const auditFile = values['audit-file'] ?? join(tmpdir(), `mcp-conservation-demo-${process.pid}`, 'audit.jsonl');
  const color = process.stdout.isTTY && !values['no-color'];
  const log = (s: string) => {
    if (!values.json) process.stdout.write(`${s}\n`);
  };

  if (values['via-proxy']) {
    log(`mcp-conservation demo: ${AGENTS.length} agents, each through mcp-conservation proxy, against a sample MCP server`);
    const { scorecard } = await runViaProxy(auditFile, log);
    const verification = verifyRecords(await readAuditFiles([auditFile], silentProgress));
    const result: DemoResult = { mode: 'proxy', scorecard, auditFile, audit: { ok: verification.ok, records: verification.records, sessions: verification.sessions.length } };
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

  let flushInstrumentation: () => Promise<void> = async () => undefined;
  let telemetry;
  try {
    telemetry = await startTelemetry({ port, host: values.host ?? '127.0.0.1', auditFile, flushFirst: [{ forceFlush: () => flushInstrumentation() }] });
  } catch (error) {
    process.stderr.write(`demo: cannot serve metrics on port ${port}: ${(error as Error).message}\nTry --port 0 for a free port.\n`);
    return EXIT.unreachable;
  }
  // One options object: every client shares one measuring core.
  const options: InstrumentClientOptions = {
    tracerProvider: telemetry.tracerProvider,
    meterProvider: telemetry.meterProvider,
    loggerProvider: telemetry.loggerProvider,
    resolveUser: () => 'demo-user',
  };
  log(`mcp-conservation demo: ${AGENTS.length} agents against a sample MCP server (stdio subprocess)`);
  const started = Date.now();
  for (const agent of AGENTS) {
    const client = instrumentClient(new Client({ name: agent.name, version: '1.0.0' }), options);
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [sampleServer()], stderr: 'ignore' }));
    const core = observerOf(client);
    if (core) flushInstrumentation = () => core.forceFlush();
    await agent.run(client);
    await client.close();
    log(`  ${agent.name.padEnd(15)} done`);
  }
  await flushInstrumentation();
  await telemetry.audit.forceFlush();
  const { resourceMetrics } = await telemetry.prometheus.collect();
  const scorecard = computeScorecard(resourceMetrics);
  const verification = verifyRecords(await readAuditFiles([auditFile], silentProgress));
  const result: DemoResult = {
    mode: 'sdk',
    scorecard,
    metricsUrl: telemetry.metricsUrl,
    auditFile,
    audit: { ok: verification.ok, records: verification.records, sessions: verification.sessions.length },
  };

  if (values.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    log(`  (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    log(renderScorecard(scorecard, color));
    log('');
    log(`Audit trail: ${verification.records} records in ${verification.sessions.length} sessions, chain ${verification.ok ? 'verified' : 'BROKEN'}: ${auditFile}`);
    log(`  check it yourself: npx mcp-conservation audit verify ${auditFile}`);
    log(`Metrics: ${telemetry.metricsUrl}`);
    const efficiency = QUERY_CATALOGUE.find((q) => q.id === 'tokenEfficiency');
    if (efficiency) log(`  e.g. in Prometheus: ${efficiency.expr({ window: '5m' })}`);
  }

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
  await telemetry.shutdown();
  // Missed targets are what the demo shows; a broken audit chain is a fault.
  return verification.ok ? EXIT.ok : EXIT.findings;
}
