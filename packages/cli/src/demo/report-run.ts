/**
 * `demo --report`: the report of the demo's own run, written by
 * `mcp-conservation report` (a subprocess, exactly as a user runs it) from
 * the embedded Prometheus and the demo's audit file, with the two sets of
 * figures set side by side.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { DEFAULT_CHROMIUM } from '../report/png.js';
import type { Scorecard } from './scorecard.js';

export interface DemoReportRun {
  readonly html: string;
  readonly summary: string;
  readonly exitCode: number | null;
  /** The report's --json document. */
  readonly report: ReportJson;
  readonly pngs: boolean;
}

/** The parts of `report --json` the demo compares. */
export interface ReportJson {
  readonly measures: readonly { id: string; title: string; value: number | undefined; context: Record<string, number | undefined>; points: number }[];
  readonly topFailingTools: readonly { tool: string; failed: number }[];
  readonly lostByCause: readonly { cause: string; responses: number }[];
  readonly pipeline: { emitted?: number };
  readonly coverage: { firstSample?: number; lastSample?: number; firstSeenAboveZero: number; resets: number };
  readonly audit?: { records: number; sessions: number; findings?: { sessions: readonly unknown[] } };
  readonly outputs: { html: string; pngs: string[] };
}

interface DemoReportOptions {
  readonly cliBin: string;
  readonly prometheusUrl: string;
  readonly job: string;
  readonly since: number;
  readonly until: number;
  readonly auditFile: string;
  readonly out: string;
  /** The one-page summary, written beside the report. */
  readonly summaryOut: string;
}

/** Runs the CLI and parses its --json; 0 and 1 (targets missed, as the demo's agents are scripted to) are reports. */
async function reportJson(args: string[]): Promise<{ exitCode: number | null; report: ReportJson }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exitCode = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (exitCode !== 0 && exitCode !== 1) throw new Error(`mcp-conservation report exited ${exitCode}: ${stderr.trim()}`);
  return { exitCode, report: JSON.parse(stdout) as ReportJson };
}

export async function runReportOfDemo(opts: DemoReportOptions): Promise<DemoReportRun> {
  const pngs = existsSync(DEFAULT_CHROMIUM);
  const common = [
    opts.cliBin,
    'report',
    '--prometheus',
    opts.prometheusUrl,
    '--service',
    opts.job,
    '--range',
    `${Math.ceil(opts.until - opts.since) + 1}s`,
    '--end',
    String(opts.until),
    '--audit',
    opts.auditFile,
    '--json',
    '--quiet',
  ];
  const { exitCode, report } = await reportJson([...common, '--out', opts.out, ...(pngs ? [] : ['--no-png'])]);
  await reportJson([...common, '--summary', '--out', opts.summaryOut]);
  return { html: opts.out, summary: opts.summaryOut, exitCode, report, pngs };
}

/** Each figure of the scorecard beside the report's, for the terminal. */
export function compareFigures(card: Scorecard, report: ReportJson): { rows: [string, string, string][]; equal: boolean } {
  const m = Object.fromEntries(report.measures.map((x) => [x.id, x]));
  const [efficiency, loss, success, volume] = card.measures;
  const pct = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? 'n/a' : `${(v * 100).toFixed(2)}%`);
  const rows: [string, number | string | undefined, number | string | undefined][] = [
    ['token efficiency', pct(efficiency?.value), pct(m.tokenEfficiency?.value)],
    ['  meaningful tokens', efficiency?.numerator, m.tokenEfficiency?.context['meaningful tokens']],
    ['  rendered tokens', efficiency?.denominator, m.tokenEfficiency?.context['rendered tokens']],
    ['context loss rate', pct(loss?.value), pct(m.contextLossRate?.value)],
    ['  lost responses', loss?.numerator, m.contextLossRate?.context['lost responses']],
    ['  responses expected', loss?.denominator, m.contextLossRate?.context['responses expected (less cancelled)']],
    ['tool call success rate', pct(success?.value), pct(m.toolSuccessRate?.value)],
    ['  successful tool calls', success?.numerator, m.toolSuccessRate?.context['successful tool calls']],
    ['  tool calls', success?.denominator, m.toolSuccessRate?.context['tool calls']],
    ['sessions ended', volume?.denominator, m.requestsPerSession?.context['sessions ended']],
    ['  within 30-100 requests', volume?.numerator, m.requestsPerSession?.context['sessions within 30-100']],
    ['  over 100 requests', card.sessions.overLimit, m.requestsPerSession?.context['sessions over limit']],
  ];
  const text = rows.map(([name, a, b]): [string, string, string] => [name, String(a ?? 'no data'), String(b ?? 'no data')]);
  return { rows: text, equal: text.every(([, a, b]) => a === b) };
}

/** The comparison as the terminal shows it: a line per figure, DIFFERENT where they disagree. */
export function comparisonText(card: Scorecard, report: ReportJson): string {
  const { rows, equal } = compareFigures(card, report);
  const w = Math.max(...rows.map((r) => r[0].length));
  return [
    'The report of this run, beside the scorecard:',
    `  ${'figure'.padEnd(w)}  ${'scorecard'.padStart(10)}  ${'report'.padStart(10)}`,
    ...rows.map(([name, a, b]) => `  ${name.padEnd(w)}  ${a.padStart(10)}  ${b.padStart(10)}${a === b ? '' : '  DIFFERENT'}`),
    equal ? '  every figure equal' : '  THE FIGURES DIFFER',
  ].join('\n');
}
