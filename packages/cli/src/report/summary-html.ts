/**
 * `report --summary`: one page for stakeholders. The four measures against
 * their targets with their trend, the audit pipeline's health, and how many
 * sessions had findings. By construction it names no session, user, tool or
 * argument: only figures over the whole scope reach this page.
 */
import { TARGET_COLORS } from '@mcp-conservation/semconv';
import type { AuditFacts } from './audit-facts.js';
import type { Measure, PrometheusFacts, ReportWindow, Verdict } from './collect.js';
import { count, escapeHtml as h, isoMinute, isoSecond, measureValue } from './format.js';

export interface SummaryModel {
  readonly title: string;
  readonly scopeText: string;
  readonly window: ReportWindow;
  readonly generatedAt: Date;
  readonly facts: PrometheusFacts;
  /** A small chart SVG per measure id. */
  readonly charts: Readonly<Record<string, string>>;
  /** Only counts are read from it. */
  readonly audit?: AuditFacts;
}

const LABEL: Record<Verdict, string> = { pass: 'MET', fail: 'MISSED', 'no data': 'NO DATA' };
const COLOR: Record<Verdict, string> = { pass: TARGET_COLORS.pass, fail: TARGET_COLORS.fail, 'no data': TARGET_COLORS.neutral };

function badge(v: Verdict, text = LABEL[v]): string {
  return `<span class="badge" style="background:${COLOR[v]}">${h(text)}</span>`;
}

function measureCard(m: Measure, chart: string | undefined): string {
  const basis = Object.entries(m.context)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${h(k)} ${count(v)}`)
    .join(' · ');
  return `<section class="measure ${m.verdict.replace(' ', '-')}" id="summary-${m.id}">
  <div class="head"><span class="name">${h(m.title)}</span>${badge(m.verdict)}</div>
  <div class="value">${h(measureValue(m.unit, m.value))}</div>
  <div class="target">target ${h(m.target)}</div>
  <div class="basis">${basis}</div>${m.note ? `
  <div class="note">${h(m.note)}</div>` : ''}
  <div class="trend">${chart ?? ''}</div>
</section>`;
}

function pipelineLine(p: PrometheusFacts['pipeline']): string {
  const state: Verdict = p.healthy === undefined ? 'no data' : p.healthy ? 'pass' : 'fail';
  const dropped = (p.dropped ?? 0) > 0 ? `${count(p.dropped)} dropped` : 'none dropped';
  const text =
    state === 'pass'
      ? 'every record emitted reached the gateway; none dropped'
      : state === 'fail'
        ? 'records were dropped or did not reach the gateway: the audit trail has gaps'
        : p.emitted !== undefined
          ? `receipt is not measured here (no gateway count); ${dropped}`
          : 'no data';
  return `<p>${badge(state, state === 'pass' ? 'HEALTHY' : state === 'fail' ? 'GAPS' : 'NOT MEASURED')} ${h(text)}.</p>
<p class="figures">Records emitted <b id="summary-emitted">${count(p.emitted)}</b> · dropped <b id="summary-dropped">${count(p.dropped)}</b> · received at the gateway <b>${count(p.received)}</b></p>`;
}

function auditLine(a: AuditFacts | undefined): string {
  if (!a) return '<p class="empty">No audit files were part of this summary.</p>';
  const gaps = a.problems.filter((p) => p.kind === 'gap').length;
  const altered = a.problems.filter((p) => p.kind === 'altered').length;
  const intact = a.problems.length === 0 && a.diagnostics.length === 0;
  return `<p>${badge(intact ? 'pass' : 'fail', intact ? 'INTACT' : 'PROBLEMS')} ${count(a.records)} records in ${count(a.sessions)} sessions: ${count(gaps)} gaps, ${count(altered)} altered records, ${count(a.problems.length - gaps - altered + a.diagnostics.length)} other problems.</p>
<p class="findings"><b id="summary-findings">${count(a.findings.sessions.length)}</b> of ${count(a.findings.examined)} sessions in the range missed at least one target; <b id="summary-open">${count(a.findings.open.length)}</b> still open at its end. The full report lists them.</p>`;
}

const CSS = `
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; color: #222; margin: 0; background: #f5f6f8; }
main { width: 960px; margin: 0 auto; padding: 20px 28px 28px; background: #fff; }
h1 { font-size: 22px; margin: 0 0 2px; } h2 { font-size: 16px; margin: 18px 0 6px; border-bottom: 1px solid #ddd; padding-bottom: 3px; }
.meta { color: #555; font-size: 12px; margin: 0 0 10px; }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
.measure { border: 1px solid #ddd; border-left: 6px solid ${TARGET_COLORS.neutral}; border-radius: 6px; padding: 8px 10px; }
.measure.pass { border-left-color: ${TARGET_COLORS.pass}; } .measure.fail { border-left-color: ${TARGET_COLORS.fail}; }
.head { display: flex; justify-content: space-between; font-size: 13px; color: #444; }
.value { font-size: 26px; font-weight: bold; margin: 2px 0; } .target, .basis { font-size: 11px; color: #555; } .note { font-size: 11px; color: #444; font-style: italic; }
.trend svg { width: 100%; height: auto; margin-top: 4px; }
.badge { color: #fff; font-size: 11px; font-weight: bold; border-radius: 3px; padding: 1px 6px; }
p { font-size: 13px; margin: 4px 0; } .figures, .findings { color: #333; } .empty { color: #666; }
.foot { color: #777; font-size: 11px; margin-top: 14px; }
@media print { body { background: #fff; } main { padding: 0; } }
`;

export function renderSummaryHtml(m: SummaryModel): string {
  const f = m.facts;
  const c = f.coverage;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${h(m.title)}</title>
<meta name="generator" content="mcp-conservation report --summary">
<style>${CSS}</style></head>
<body><main>
<h1>${h(m.title)}</h1>
<p class="meta">${h(isoMinute(m.window.start))} to ${h(isoMinute(m.window.end))} · ${h(m.scopeText)} · samples ${h(isoSecond(c.firstSample))} to ${h(isoSecond(c.lastSample))} · generated ${h(isoMinute(m.generatedAt))}</p>
<h2>The four measures against their targets</h2>
<div class="grid">${f.measures.map((x) => measureCard(x, m.charts[x.id])).join('\n')}</div>
<h2>Audit pipeline</h2>
${pipelineLine(f.pipeline)}
<h2>Audit trail and sessions</h2>
${auditLine(m.audit)}
<p class="foot">Counts are exact, from the counters' raw samples. This summary names no session, user, tool or argument; the full report (<code>mcp-conservation report</code>) has the details.</p>
</main></body></html>
`;
}
