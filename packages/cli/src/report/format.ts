/** Number formatting shared by the HTML report and the text summary. */

export function percent(v: number | undefined, digits = 2): string {
  return v === undefined ? 'no data' : `${(v * 100).toFixed(digits)}%`;
}

/**
 * A count from Prometheus. increase() extrapolates to the window's edges, so
 * counts need not be whole; show one decimal only when they are not.
 */
export function count(v: number | undefined): string {
  if (v === undefined) return 'no data';
  const rounded = Math.round(v);
  return Math.abs(v - rounded) < 0.005 ? rounded.toLocaleString('en-US') : v.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
}

export function measureValue(unit: 'ratio' | 'requests', v: number | undefined): string {
  return unit === 'ratio' ? percent(v) : v === undefined ? 'no data' : v.toLocaleString('en-US', { maximumFractionDigits: 1 });
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

export function isoMinute(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
