/** Number formatting shared by the HTML report and the text summary. */

export function percent(v: number | undefined, digits = 2): string {
  return v === undefined ? 'no data' : `${(v * 100).toFixed(digits)}%`;
}

/** A count: exact (from raw samples), so whole; thousands separated. */
export function count(v: number | undefined): string {
  return v === undefined ? 'no data' : v.toLocaleString('en-US', { maximumFractionDigits: 0 });
}

/** Unix seconds as an RFC 3339 time to the second, in UTC. */
export function isoSecond(unixSeconds: number | undefined): string {
  return unixSeconds === undefined ? 'no sample' : `${new Date(unixSeconds * 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
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
