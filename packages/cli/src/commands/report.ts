/**
 * `mcp-conservation report`: the periodic audit. Reads the four measures,
 * the failing tools, the wasted context and the pipeline's health from
 * Prometheus, session facts from audit files, and writes one self-contained
 * HTML file plus a PNG per chart.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { QueryScope } from '@mcp-conservation/semconv';
import { parseCommandArgs } from '../command-line/args.js';
import { CliError, usageError } from '../command-line/errors.js';
import { EXIT, EXIT_CODE_HELP } from '../command-line/exit-codes.js';
import { resolveKey } from '../command-line/key.js';
import { stderrProgress } from '../command-line/progress.js';
import { collectAudit, type AuditFacts } from '../report/audit-facts.js';
import { chartSpec, prefixIds, renderSvg } from '../report/charts.js';
import { collectPrometheus, type PrometheusFacts, type ReportWindow } from '../report/collect.js';
import { parseDuration, parseTime } from '../report/duration.js';
import { count, isoMinute, isoSecond, measureValue } from '../report/format.js';
import { renderHtml } from '../report/html.js';
import { renderSummaryHtml } from '../report/summary-html.js';
import { findingsCsv } from '../report/session-findings.js';
import { PrometheusClient } from '../report/prometheus-client.js';
import { DEFAULT_CHROMIUM, writePngs } from '../report/png.js';

export const REPORT_HELP = `Usage: mcp-conservation report --prometheus <url> [options]

Writes the periodic audit report: for each of the four measures (token
efficiency, context loss rate, tool call success rate, requests per session)
its value over the range against its target, pass or fail, and a chart; the
top failing tools, the largest sources of unused and redundant context, the
audit pipeline's health and, from audit files, the sessions over 100
requests, gaps and altered records. One self-contained HTML file, plus a PNG
of each chart.

Options:
  --prometheus <url>     Prometheus base URL, e.g. http://127.0.0.1:9090 (required)
  --range <duration>     how far back from --end, e.g. 24h, 7d, 30d (default 7d)
  --end <time>           end of the range, RFC 3339 or Unix seconds (default now)
  --step <duration>      chart resolution (default: range / 120, at least 4 scrapes)
  --service <regex>      only these services (the Prometheus job label)
  --server <regex>       only these MCP servers
  --observer <regex>     only this observer: sdk or proxy (when both see the same traffic)
  --audit <files...>     audit files or folders (Collector file exporter output)
  --key <key>            audit key, for HMAC-chained records
  --key-file <file>      read the audit key from a file
  --out <file>           the HTML report (default mcp-conservation-report.html)
  --png-dir <dir>        where the chart PNGs go (default: beside --out, named after it)
  --no-png               write no PNGs (and need no browser)
  --chromium <path>      Chromium for the PNGs (default $CHROMIUM_PATH or /usr/bin/chromium)
  --timeout <seconds>    per Prometheus request (default 30)
  --summary              write the one-page summary for stakeholders instead: the four
                         measures and their trend, pipeline health, how many sessions had
                         findings; no session ids, user ids, tools or arguments
  --csv <file>           write the sessions with findings (from --audit) as CSV
  --json                 print the report's figures as JSON on stdout
  --quiet                no progress on stderr
  -h, --help             this help

Exits 1 when a measure misses its target, the audit pipeline lost records,
or the audit files show gaps, alterations or unreadable records.

${EXIT_CODE_HELP}`;

interface ReportFlags {
  prometheus?: string;
  range?: string;
  end?: string;
  step?: string;
  service?: string;
  server?: string;
  observer?: string;
  audit?: string[];
  key?: string;
  'key-file'?: string;
  out?: string;
  'png-dir'?: string;
  'no-png'?: boolean;
  chromium?: string;
  timeout?: string;
  summary?: boolean;
  csv?: string;
  json?: boolean;
  quiet?: boolean;
}

const CHART_FILE_NAMES: Record<string, string> = {
  tokenEfficiency: 'token-efficiency',
  contextLossRate: 'context-loss-rate',
  toolSuccessRate: 'tool-success-rate',
  requestsPerSession: 'requests-per-session',
};

function validRegex(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.includes('"') || value.includes('\n')) throw usageError(`report: --${flag} must not contain quotes or newlines`);
  return value;
}

export async function runReport(argv: string[]): Promise<number> {
  const { values, positionals, help } = parseCommandArgs<ReportFlags>('report', argv, {
    prometheus: { type: 'string' },
    range: { type: 'string' },
    end: { type: 'string' },
    step: { type: 'string' },
    service: { type: 'string' },
    server: { type: 'string' },
    observer: { type: 'string' },
    audit: { type: 'string', multiple: true },
    key: { type: 'string' },
    'key-file': { type: 'string' },
    out: { type: 'string', short: 'o' },
    'png-dir': { type: 'string' },
    'no-png': { type: 'boolean' },
    chromium: { type: 'string' },
    timeout: { type: 'string' },
    summary: { type: 'boolean' },
    csv: { type: 'string' },
    json: { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
  });
  if (help) {
    process.stdout.write(`${REPORT_HELP}\n`);
    return EXIT.ok;
  }
  // `--audit a.json b.json` (a shell glob) leaves b.json as a positional: it belongs to --audit.
  if (positionals.length && !values.audit) throw usageError(`report: unexpected argument '${positionals[0]}' (audit files follow --audit)\nRun \`mcp-conservation report --help\` for usage.`);
  const auditFiles = [...(values.audit ?? []), ...positionals];
  if (!values.prometheus) throw usageError('report: --prometheus <url> is required\nRun `mcp-conservation report --help` for usage.');
  let base: URL;
  try {
    base = new URL(values.prometheus);
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw usageError(`report: --prometheus '${values.prometheus}' is not an http(s) URL`);
  }
  const rangeSeconds = parseDuration(values.range ?? '7d');
  if (rangeSeconds === undefined) throw usageError(`report: --range '${values.range}' is not a duration like 24h, 7d or 30d`);
  const end = values.end === undefined ? new Date() : parseTime(values.end);
  if (end === undefined) throw usageError(`report: --end '${values.end}' is not an RFC 3339 time or Unix seconds`);
  const stepSeconds = values.step === undefined ? undefined : parseDuration(values.step);
  if (values.step !== undefined && stepSeconds === undefined) throw usageError(`report: --step '${values.step}' is not a duration like 5m or 1h`);
  if (stepSeconds !== undefined && rangeSeconds / stepSeconds > 11_000) throw usageError('report: --step is too fine for --range (at most 11,000 points per chart)');
  const timeout = values.timeout === undefined ? 30 : Number(values.timeout);
  if (!(timeout > 0)) throw usageError(`report: --timeout '${values.timeout}' is not a positive number of seconds`);
  const key = resolveKey('report', values.key, values['key-file']);
  if (values.csv !== undefined && !auditFiles.length) throw usageError('report: --csv lists sessions from the audit trail: give --audit <files...>');
  const csvOut = values.csv === undefined ? undefined : resolve(values.csv);
  const out = resolve(values.out ?? (values.summary ? 'mcp-conservation-summary.html' : 'mcp-conservation-report.html'));
  const pngDir = resolve(values['png-dir'] ?? dirname(out));
  const progress = stderrProgress(values.quiet === true);

  const scope: QueryScope = {
    ...(validRegex('service', values.service) !== undefined ? { service: values.service } : {}),
    ...(validRegex('server', values.server) !== undefined ? { server: values.server } : {}),
    ...(validRegex('observer', values.observer) !== undefined ? { observer: values.observer } : {}),
  };
  const window: ReportWindow = { start: new Date(end.getTime() - rangeSeconds * 1000), end, rangeSeconds, stepSeconds };

  // Audit files first: a missing file is found before minutes of queries.
  const audit: AuditFacts | undefined = auditFiles.length ? await collectAudit(auditFiles, key, window, progress) : undefined;
  const client = new PrometheusClient(base, timeout * 1000);
  const facts: PrometheusFacts = await collectPrometheus(client, scope, window, progress);

  progress.step('rendering charts');
  const charts: Record<string, string> = {};
  const compact = values.summary === true;
  for (const m of facts.measures) {
    charts[m.id] = await renderSvg(chartSpec(m, { start: window.start, end: window.end, stepSeconds: facts.coverage.stepSeconds, ...(compact ? { compact, width: 400, height: 90 } : {}) }));
  }
  const scopeText = Object.entries(scope).filter(([, v]) => v !== undefined).map(([k, v]) => `${k} =~ ${v}`).join(', ') || 'all services and servers';
  const html = values.summary ? renderSummaryHtml({
    title: 'MCP conservation summary',
    scopeText,
    window,
    generatedAt: new Date(),
    facts,
    charts: Object.fromEntries(Object.entries(charts).map(([id, svg]) => [id, prefixIds(svg, id)])),
    ...(audit ? { audit } : {}),
  }) : renderHtml({
    title: 'MCP conservation report',
    prometheusUrl: base.href,
    scope: { service: scope.service, server: scope.server, observer: scope.observer },
    window,
    generatedAt: new Date(),
    facts,
    charts: Object.fromEntries(Object.entries(charts).map(([id, svg]) => [id, prefixIds(svg, id)])),
    ...(audit ? { audit } : {}),
  });
  try {
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, html);
  } catch (error) {
    throw new CliError(EXIT.output, `cannot write ${out}: ${(error as Error).message}`);
  }
  progress.step(`wrote ${out}`);
  if (csvOut !== undefined && audit) {
    try {
      await mkdir(dirname(csvOut), { recursive: true });
      await writeFile(csvOut, findingsCsv(audit.findings));
    } catch (error) {
      throw new CliError(EXIT.output, `cannot write ${csvOut}: ${(error as Error).message}`);
    }
    progress.step(`wrote ${csvOut}`);
  }

  const stem = basename(out, extname(out));
  // The summary is one page with its trends inline: it has no separate chart PNGs.
  const pngs = values['no-png'] || values.summary ? [] : facts.measures.map((m) => ({ svg: charts[m.id] as string, path: join(pngDir, `${stem}-${CHART_FILE_NAMES[m.id]}.png`) }));
  if (pngs.length) {
    try {
      await mkdir(pngDir, { recursive: true });
    } catch (error) {
      throw new CliError(EXIT.output, `cannot create ${pngDir}: ${(error as Error).message}`);
    }
    progress.step(`rendering ${pngs.length} PNG charts with ${values.chromium ?? DEFAULT_CHROMIUM}`);
    await writePngs(pngs, values.chromium ?? DEFAULT_CHROMIUM, (p) => progress.step(`wrote ${p}`));
  }

  // No data at all for the scope (a mistyped --service, an empty range) is a finding, not a clean week.
  const noData = facts.measures.every((m) => m.verdict === 'no data');
  const findings =
    noData ||
    facts.measures.some((m) => m.verdict === 'fail') ||
    facts.pipeline.healthy === false ||
    (audit !== undefined && (audit.problems.length > 0 || audit.diagnostics.length > 0));
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ window, scope, measures: facts.measures.map(({ series, ...m }) => ({ ...m, points: series.length })), topFailingTools: facts.topFailingTools, waste: facts.waste, lostByCause: facts.lostByCause, estimated: facts.estimated, pipeline: facts.pipeline, coverage: facts.coverage, audit, outputs: { html: out, pngs: pngs.map((p) => p.path), ...(csvOut ? { csv: csvOut } : {}) }, findings }, null, 2)}\n`);
  } else {
    const lines = [`MCP conservation report, ${isoMinute(window.start)} to ${isoMinute(window.end)}`];
    const c = facts.coverage;
    lines.push(`  exact counts from ${c.series} series, samples ${isoSecond(c.firstSample)} to ${isoSecond(c.lastSample)}, ${c.resets} resets, ${c.firstSeenAboveZero} series first seen above zero`);
    for (const m of facts.measures) {
      lines.push(`  ${m.title.padEnd(40)} ${measureValue(m.unit, m.value).padStart(10)}  target ${m.target}  ${m.verdict.toUpperCase()}`);
      if (m.note) lines.push(`    ${m.note}`);
    }
    if (facts.estimated.tokens !== undefined) lines.push(`  estimated token counts: ${count(facts.estimated.tokens)} tokens, ${measureValue('ratio', facts.estimated.share)} of all rendered, counted from bytes under overload`);
    lines.push(`  audit pipeline: ${count(facts.pipeline.emitted)} emitted, ${count(facts.pipeline.dropped)} dropped, ${count(facts.pipeline.received)} received`);
    if (audit) lines.push(`  audit trail: ${audit.records} records, ${audit.overLimit.length} sessions over 100 requests, ${audit.problems.filter((p) => p.kind === 'gap').length} gaps, ${audit.problems.filter((p) => p.kind === 'altered').length} altered`);
    if (audit) lines.push(`  sessions with findings: ${audit.findings.sessions.length} of ${audit.findings.examined} in the range, ${audit.findings.open.length} still open at its end${audit.findings.timeChains ? `; ${audit.findings.timeChains} chains of sessionless traffic (not sessions)` : ""}`);
    if (noData) lines.push('  no data for any measure in this range and scope: check --service, --range and the Prometheus URL');
    lines.push(`  wrote ${out}${pngs.length ? ` and ${pngs.length} PNGs in ${pngDir}` : ''}`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return findings ? EXIT.findings : EXIT.ok;
}
