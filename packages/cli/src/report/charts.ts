/**
 * Charts as SVG, rendered headless by Vega (from a Vega-Lite spec) in Node:
 * no browser, no canvas, so the HTML report needs nothing but this text.
 */
import { TARGET_COLORS } from '@mcp-conservation/semconv';
import type { Measure } from './collect.js';
import { measureValue } from './format.js';

/** The series' colour: neutral, so a line is not read as a verdict where it crosses the target. */
const LINE_COLOR = '#3274D9';

export interface ChartOptions {
  readonly start: Date;
  readonly end: Date;
  /** Chart step: a wider gap between points means no data there, drawn as a break. */
  readonly stepSeconds?: number;
  readonly width?: number;
  readonly height?: number;
  /** A trend line for a card (the summary): no title, fewer ticks; the card says what it is. */
  readonly compact?: boolean;
}

/** Axis labels that tell the ticks apart: seconds for a demo's minute, days for a month. */
function timeFormat(rangeMs: number): string {
  if (rangeMs <= 3_600_000) return '%H:%M:%S';
  if (rangeMs <= 3 * 86_400_000) return '%b %d %H:%M';
  return '%b %d';
}

/** The Vega-Lite spec of a measure's chart: its series, its target line(s), the range as the x domain. */
export function chartSpec(measure: Measure, options: ChartOptions): Record<string, unknown> {
  const ratio = measure.unit === 'ratio';
  const verdictColor = measure.verdict === 'fail' ? TARGET_COLORS.fail : measure.verdict === 'pass' ? TARGET_COLORS.pass : TARGET_COLORS.neutral;
  const color = LINE_COLOR;
  const ruleLabel = (r: number, i: number) =>
    ratio ? `target ${measure.target}` : i === 0 ? `band from ${r}` : `to ${r}`;
  const points = measure.series.map(([t, v]) => ({ t: t * 1000, v }));
  const gapMs = (options.stepSeconds ?? Infinity) * 1500;
  // A null between points more than a step and a half apart breaks the line: no data is not a trend.
  const values: { t: number; v: number | null }[] = [];
  for (const [i, p] of points.entries()) {
    const before = points[i - 1];
    if (before && p.t - before.t > gapMs) values.push({ t: (before.t + p.t) / 2, v: null });
    values.push(p);
  }
  const ys = [...points.map((d) => d.v), ...measure.rules];
  // Show the target and the data together; ratios never leave [0, 1].
  let lo = Math.min(...ys);
  let hi = Math.max(...ys);
  const pad = (hi - lo || Math.abs(hi) || 1) * 0.15;
  lo = ratio ? Math.max(0, lo - pad) : Math.max(0, lo - pad);
  hi = ratio ? Math.min(1, hi + pad) : hi + pad;
  const x = { field: 't', type: 'temporal', title: null, scale: { domain: [options.start.getTime(), options.end.getTime()] }, axis: { format: timeFormat(options.end.getTime() - options.start.getTime()), labelAngle: 0, tickCount: options.compact ? 3 : 6 } };
  const y = { field: 'v', type: 'quantitative', title: null, scale: { domain: [lo, hi], nice: false, zero: false }, axis: { format: ratio ? '.1%' : ',.0f', tickCount: options.compact ? 3 : 5 } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: options.width ?? 640,
    height: options.height ?? 200,
    background: 'white',
    padding: 8,
    // A PNG travels alone (mail, tickets), so the chart names itself, its value, target and verdict.
    ...(options.compact ? {} : { title: {
      text: measure.title,
      subtitle: `${measureValue(measure.unit, measure.value)} over the range · target ${measure.target} · ${measure.verdict.toUpperCase()}`,
      subtitleColor: verdictColor,
      subtitleFontWeight: 'bold',
      anchor: 'start',
      fontSize: 14,
      subtitleFontSize: 12,
    } }),
    // A fixed y-axis width lines the plots of all charts up under each other.
    config: { font: 'DejaVu Sans, Helvetica, Arial, sans-serif', axis: { labelFontSize: 11, gridColor: '#e6e6e6' }, axisY: { minExtent: 48, maxExtent: 48 }, view: { stroke: '#d0d0d0' } },
    layer: [
      {
        data: { values: measure.rules.map((r) => ({ r })) },
        mark: { type: 'rule', strokeDash: [6, 4], color: '#555', strokeWidth: 1.5 },
        encoding: { y: { field: 'r', type: 'quantitative', scale: { domain: [lo, hi], nice: false, zero: false } } },
      },
      {
        data: { values: measure.rules.map((r, i) => ({ r, label: ruleLabel(r, i) })) },
        mark: { type: 'text', align: 'left', dx: 4, dy: -7, fontSize: 11, color: '#555' },
        encoding: { y: { field: 'r', type: 'quantitative', scale: { domain: [lo, hi], nice: false, zero: false } }, x: { value: 0 }, text: { field: 'label' } },
      },
      {
        data: { values },
        mark: { type: 'line', color, strokeWidth: 2, point: points.length < 40 ? { color, size: 30 } : false, interpolate: 'linear' },
        encoding: { x, y },
      },
      ...(points.length === 0
        ? [{ data: { values: [{}] }, mark: { type: 'text', text: 'no data in this range', fontSize: 14, color: '#777' }, encoding: {} }]
        : []),
    ],
  };
}

/**
 * Several SVGs share one HTML document, so element ids (Vega's clip paths,
 * gradients) get a per-chart prefix to keep `url(#id)` references apart.
 */
export function prefixIds(svg: string, prefix: string): string {
  return svg.replace(/\bid="([^"]+)"/g, `id="${prefix}-$1"`).replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`).replace(/href="#([^"]+)"/g, `href="#${prefix}-$1"`);
}

/** Renders a Vega-Lite spec to a standalone SVG string. */
export async function renderSvg(spec: Record<string, unknown>): Promise<string> {
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vl.compile(spec as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
