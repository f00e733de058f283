/** Prometheus-style durations (`7d`, `90m`, `1h30m`), in seconds. */
const UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_536_000 };

export function parseDuration(text: string): number | undefined {
  if (!/^(\d+(ms|s|m|h|d|w|y))+$/.test(text)) return undefined;
  let seconds = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) seconds += Number(n) * (UNITS[unit as string] as number);
  return seconds > 0 ? seconds : undefined;
}

/** Seconds as a PromQL duration, in whole seconds (`3600s` reads less well than `1h`, so the largest exact unit). */
export function promDuration(seconds: number): string {
  const s = Math.max(1, Math.round(seconds));
  for (const [unit, size] of [['w', 604_800], ['d', 86_400], ['h', 3600], ['m', 60]] as const) {
    if (s % size === 0) return `${s / size}${unit}`;
  }
  return `${s}s`;
}

/** An end time from RFC 3339 or Unix seconds. */
export function parseTime(text: string): Date | undefined {
  const d = /^\d+(\.\d+)?$/.test(text) ? new Date(Number(text) * 1000) : new Date(text);
  return Number.isNaN(d.getTime()) ? undefined : d;
}
