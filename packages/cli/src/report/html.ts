/**
 * The report as one self-contained HTML file: inline CSS, charts as inline
 * SVG, no scripts and no external resources, so it can be mailed, archived
 * and opened offline.
 */
import { TARGET_COLORS } from '@mcp-conservation/semconv';
import type { AuditFacts } from './audit-facts.js';
import type { SessionRow } from './session-findings.js';
import { CHART_WINDOW_STEPS, type Measure, type PrometheusFacts, type ReportWindow, type Verdict } from './collect.js';
import { count, escapeHtml as h, isoMinute, isoSecond, measureValue, percent } from './format.js';

export interface ReportModel {
  readonly title: string;
  readonly prometheusUrl: string;
  readonly scope: Readonly<Record<string, string | undefined>>;
  readonly window: ReportWindow;
  readonly generatedAt: Date;
  readonly facts: PrometheusFacts;
  /** Chart SVG per measure id. */
  readonly charts: Readonly<Record<string, string>>;
  readonly audit?: AuditFacts;
}

const VERDICT_LABEL: Record<Verdict, string> = { pass: 'PASS', fail: 'FAIL', 'no data': 'NO DATA' };
const VERDICT_COLOR: Record<Verdict, string> = { pass: TARGET_COLORS.pass, fail: TARGET_COLORS.fail, 'no data': TARGET_COLORS.neutral };

function badge(verdict: Verdict): string {
  return `<span class="badge" style="background:${VERDICT_COLOR[verdict]}">${VERDICT_LABEL[verdict]}</span>`;
}

function contextLine(m: Measure): string {
  return Object.entries(m.context)
    .map(([k, v]) => `${h(k)}: <b>${count(v)}</b>`)
    .join(' · ');
}

function card(m: Measure): string {
  return `<div class="card ${m.verdict.replace(' ', '-')}" id="card-${m.id}">
  <div class="card-title">${h(m.title)}</div>
  <div class="card-value" data-measure="${m.id}">${h(measureValue(m.unit, m.value))}</div>
  <div class="card-target">target ${h(m.target)} ${badge(m.verdict)}</div>
  <div class="card-context">${contextLine(m)}</div>${m.note ? `
  <div class="card-note">${h(m.note)}</div>` : ''}
</div>`;
}

function table(headers: readonly string[], rows: readonly (readonly string[])[], empty: string, id: string): string {
  if (rows.length === 0) return `<p class="empty" id="${id}">${h(empty)}</p>`;
  const numeric = (i: number) => rows.every((r) => /^[\d,.%-]+$|^no data$/.test(r[i] ?? ''));
  return `<table id="${id}"><thead><tr>${headers.map((c, i) => `<th${numeric(i) ? ' class="num"' : ''}>${h(c)}</th>`).join('')}</tr></thead>
<tbody>${rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric(i) ? ' class="num"' : ''}>${h(c)}</td>`).join('')}</tr>`).join('\n')}</tbody></table>`;
}

function pipeline(p: PrometheusFacts['pipeline']): string {
  const state = p.healthy === undefined ? 'no data' : p.healthy ? 'pass' : 'fail';
  const rows: string[][] = [
    ['Emitted by the SDKs', count(p.emitted)],
    ['Dropped before export', count(p.dropped)],
    ...p.droppedByReason.map((r) => [`dropped: ${r.reason}`, count(r.records)]),
    ['Received at the gateway', count(p.received)],
    ['Emitted but not received', count(p.unreceived)],
  ];
  return `<p>Audit pipeline ${badge(state as Verdict)} ${state === 'fail' ? 'records were dropped or did not reach the gateway: the audit trail has gaps' : state === 'pass' ? 'every emitted record reached the gateway' : ''}</p>
${table(['Audit records', 'Count'], rows, 'no data', 'pipeline')}`;
}

const MISSED_SHORT: Record<string, string> = {
  'token efficiency': 'efficiency',
  'context loss rate': 'loss',
  'tool call success rate': 'tool success',
  'requests per session': 'volume',
};

function findingRows(rows: readonly SessionRow[]): string[][] {
  return rows.map((r) => [
    r.session,
    r.user ?? '',
    r.server ?? '',
    isoSecond(Date.parse(r.start) / 1000),
    r.open ? 'open' : isoSecond(Date.parse(r.end) / 1000),
    count(r.requests),
    r.requestsWithinBand ? 'yes' : 'no',
    count(r.lostResponses),
    percent(r.lossRate),
    percent(r.tokenEfficiency),
    percent(r.toolSuccessRate),
    r.failingTools.map((t) => `${t.tool} (${t.failed})`).join(', '),
    `${r.missed.length}: ${r.missed.map((m) => MISSED_SHORT[m] ?? m).join(', ')}`,
  ]);
}

const FINDING_HEADERS = ['Session', 'User', 'Server', 'Start', 'End', 'Requests', 'Within 30-100', 'Lost', 'Loss rate', 'Token efficiency', 'Tool success', 'Failing tools (failed calls)', 'Targets missed'];

function findingsSection(a: AuditFacts | undefined): string {
  if (!a) return '<p class="empty">No audit files were given (<code>--audit</code>): sessions are listed from the audit trail.</p>';
  const f = a.findings;
  return `<p>From the audit trail: <b id="findings-count">${f.sessions.length}</b> of ${count(f.examined)} sessions in the range missed at least one target, most targets missed first, then most lost responses. Open sessions are listed apart: their figures are so far.${f.timeChains ? ` ${count(f.timeChains)} audit ${f.timeChains === 1 ? 'chain covers' : 'chains cover'} sessionless traffic (a per-request server, stateless HTTP through the proxy) over a stretch of time: not sessions, so no per-session target is applied to ${f.timeChains === 1 ? 'it' : 'them'}.` : ''}</p>
<div class="wide">${table(FINDING_HEADERS, findingRows(f.sessions), 'No ended session missed a target.', 'session-findings')}</div>
<h3>Open at the end of the range</h3>
<div class="wide">${table(FINDING_HEADERS, findingRows(f.open), 'None: every session in the range ended.', 'open-sessions')}</div>`;
}

function auditSection(a: AuditFacts | undefined): string {
  if (!a) return '<p class="empty">No audit files were given (<code>--audit</code>); session-level facts are not part of this report.</p>';
  const gaps = a.problems.filter((p) => p.kind === 'gap');
  const altered = a.problems.filter((p) => p.kind === 'altered');
  const other = a.problems.filter((p) => p.kind !== 'gap' && p.kind !== 'altered');
  const verdict: Verdict = a.problems.length || a.diagnostics.length ? 'fail' : 'pass';
  const problemRows = (list: typeof a.problems) => list.map((p) => [p.session, String(p.seq), p.detail, p.location ?? '']);
  return `<p>Audit trail ${badge(verdict)} ${count(a.records)} records in ${count(a.sessions)} sessions from ${count(a.files)} file(s)${a.duplicates ? `, ${count(a.duplicates)} identical duplicates ignored` : ''}.</p>
<div class="facts">
  <div><span id="audit-over-limit">${a.overLimit.length}</span> sessions over 100 requests</div>
  <div><span id="audit-gaps">${gaps.length}</span> gaps</div>
  <div><span id="audit-altered">${altered.length}</span> altered records</div>
  <div><span id="audit-open">${a.open.length}</span> sessions without session_end</div>
${a.unauthenticated ? `  <div><span id="audit-unauthenticated">${a.unauthenticated}</span> records not authenticated (plain SHA-256 chains, read with a key)</div>
` : ''}</div>
<h3>Sessions over 100 requests</h3>
${table(['Session', 'User', 'Server', 'Requests'], a.overLimit.map((s) => [s.session, s.user ?? '', s.server ?? '', count(s.requests)]), 'None.', 'over-limit')}
<h3>Gaps</h3>
${table(['Session', 'First missing seq', 'Detail', 'Position'], problemRows(gaps), 'None: every session is contiguous.', 'gaps')}
<h3>Altered records</h3>
${table(['Session', 'Seq', 'Detail', 'Position'], problemRows(altered), 'None: every record matches its chain link.', 'altered')}
${other.length ? `<h3>Other chain problems</h3>\n${table(['Session', 'Seq', 'Detail', 'Position'], other.map((p) => [p.session, String(p.seq), `${p.kind}: ${p.detail}`, p.location ?? '']), '', 'other-problems')}` : ''}
${a.diagnostics.length ? `<h3>Unreadable input</h3>\n<ul class="diagnostics">${a.diagnostics.map((d) => `<li>${h(d)}</li>`).join('')}</ul>` : ''}`;
}

/** The range the samples actually covered, and what the counting had to assume: every count's bounds. */
/** How much of the token counts was estimated from bytes under overload: the measures are approximate to that extent. */
function estimatedLine(e: PrometheusFacts['estimated']): string {
  if (e.tokens === undefined) return '';
  return `<p class="coverage" id="estimated">Estimated token share: <b id="estimated-share">${h(percent(e.share))}</b> (${count(e.tokens)} tokens counted from their bytes, at a ratio calibrated on the exactly counted ones, while the accounting backlog was past its budget); the token measures are approximate to that extent.</p>`;
}

function coverageLine(c: PrometheusFacts['coverage']): string {
  if (c.series === 0) return '<p class="coverage" id="coverage">No sample of any counter in this range and scope.</p>';
  const interval = c.scrapeIntervalSeconds === undefined ? '' : `, one every ${c.scrapeIntervalSeconds} s`;
  const parts = [
    `Counts are exact: every increment of ${count(c.series)} counter series, from their raw samples (${count(c.samples)} samples${interval}), without extrapolation.`,
    `Samples from <b id="coverage-first">${h(isoSecond(c.firstSample))}</b> to <b id="coverage-last">${h(isoSecond(c.lastSample))}</b>.`,
    `<span id="coverage-resets">${count(c.resets)}</span> counter reset(s) counted through.`,
    `<span id="coverage-above-zero">${count(c.firstSeenAboveZero)}</span> series first seen above zero inside the range${c.firstSeenAboveZero ? ' (born inside it: counted from zero; had one lived before the range unscraped, its earlier count would be included)' : ''}.`,
    `Each chart point is the measure over the ${count(c.stepSeconds * CHART_WINDOW_STEPS)} s (${CHART_WINDOW_STEPS} steps of ${count(c.stepSeconds)} s) ending there.`,
  ];
  return `<p class="coverage" id="coverage">${parts.join(' ')}</p>`;
}

const CSS = `
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; color: #222; margin: 0; background: #f5f6f8; }
main { max-width: 1080px; margin: 0 auto; padding: 24px 32px 48px; background: #fff; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.meta { color: #555; font-size: 13px; margin: 0 0 8px; } .meta code { font-size: 12px; }
.coverage { color: #555; font-size: 12px; margin: 0 0 16px; line-height: 1.5; }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; }
.card { border: 1px solid #ddd; border-top: 5px solid ${TARGET_COLORS.neutral}; border-radius: 6px; padding: 12px; }
.card.pass { border-top-color: ${TARGET_COLORS.pass}; } .card.fail { border-top-color: ${TARGET_COLORS.fail}; }
.card-title { font-size: 13px; color: #444; min-height: 32px; } .card-value { font-size: 28px; font-weight: bold; margin: 6px 0; }
.card-target { font-size: 12px; color: #444; } .card-context { font-size: 12px; color: #666; margin-top: 6px; line-height: 1.5; } .card-note { font-size: 12px; color: #444; margin-top: 6px; font-style: italic; }
.badge { color: #fff; font-size: 11px; font-weight: bold; border-radius: 3px; padding: 1px 6px; margin-left: 4px; }
.chart { margin: 8px 0 20px; } .chart h3 { margin-bottom: 2px; } .chart svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0 12px; } th, td { border-bottom: 1px solid #e3e3e3; padding: 4px 12px 4px 0; text-align: left; }
th { color: #555; font-weight: 600; } .num { text-align: right; font-variant-numeric: tabular-nums; }
.empty { color: #666; font-size: 13px; } .facts { display: flex; gap: 24px; font-size: 14px; } .facts span { font-weight: bold; font-size: 20px; margin-right: 4px; }
.wide { overflow-x: auto; } .wide table { font-size: 12px; } .wide td:first-child { font-family: monospace; font-size: 11px; }
details { font-size: 12px; color: #444; } details pre { white-space: pre-wrap; word-break: break-all; background: #f6f6f6; padding: 6px; }
@media print { body { background: #fff; } main { padding: 0; } .chart { break-inside: avoid; } }
`;

export function renderHtml(m: ReportModel): string {
  const f = m.facts;
  const scope = Object.entries(m.scope).filter(([, v]) => v !== undefined).map(([k, v]) => `${h(k)} =~ <code>${h(v as string)}</code>`);
  const charts = f.measures
    .map((x) => `<div class="chart" id="chart-${x.id}">${m.charts[x.id] ?? ''}</div>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${h(m.title)}</title>
<meta name="generator" content="mcp-conservation report">
<style>${CSS}</style></head>
<body><main>
<h1>${h(m.title)}</h1>
<p class="meta">${h(isoMinute(m.window.start))} to ${h(isoMinute(m.window.end))} · Prometheus <code>${h(m.prometheusUrl)}</code> · ${scope.length ? scope.join(', ') : 'all services and servers'} · generated ${h(isoMinute(m.generatedAt))}</p>
${coverageLine(f.coverage)}
<h2>The four measures</h2>
<div class="cards">${f.measures.map(card).join('\n')}</div>
${estimatedLine(f.estimated)}
<h2>Over the range</h2>
${charts}
<h2>Top failing tools</h2>
${table(['Tool', 'Failed calls', 'Success rate'], f.topFailingTools.map((t) => [t.tool, count(t.failed), percent(t.successRate)]), 'No tool call failed in this range.', 'failing-tools')}
<h2>Largest sources of unused and redundant context</h2>
${table(['Disposition', 'Source', 'Server', 'Tool', 'Tokens'], f.waste.map((w) => [w.disposition, w.source, w.server, w.tool, count(w.tokens)]), 'No unused or redundant context in this range.', 'waste')}
<h2>Lost responses by cause</h2>
${table(['Cause', 'Responses'], f.lostByCause.map((l) => [l.cause, count(l.responses)]), 'No response was lost in this range.', 'lost')}
<h2>Pipeline health</h2>
${pipeline(f.pipeline)}
<h2>Sessions with findings</h2>
${findingsSection(m.audit)}
<h2>Sessions and audit trail</h2>
${auditSection(m.audit)}
<h2>Queries</h2>
<details><summary>Every PromQL expression behind this report (from @mcp-conservation/semconv)</summary>
${f.queryLog.map((q) => `<p><b>${h(q.name)}</b></p><pre>${h(q.query)}</pre>`).join('\n')}
</details>
</main></body></html>
`;
}
