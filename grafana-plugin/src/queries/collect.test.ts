import { ALERT_RULES, ALERT_WINDOW, queries } from '@mcp-conservation/semconv';
import { QUERY_CHECKS, checkKey } from './checks';
import { shippedQueries, substitute, substitutedQueries } from './collect';

const S = { rateInterval: '1m', range: '1h' };

describe('shipped PromQL', () => {
  const shipped = shippedQueries();

  it('comes from pages, dashboards and alert rules, and dashboards carry the pages’ queries', () => {
    const pages = shipped.filter((q) => q.source === 'page');
    const dashboards = shipped.filter((q) => q.source === 'dashboard');
    expect(dashboards.map((q) => [checkKey(q.id), q.expr])).toEqual(pages.map((q) => [checkKey(q.id), q.expr]));
    expect(shipped.filter((q) => q.source === 'alert').map((q) => q.expr)).toEqual(
      ALERT_RULES.map((r) => r.query({ window: ALERT_WINDOW }))
    );
  });

  it('substitutes Grafana’s variables: intervals by duration, filters at All', () => {
    for (const { expr } of substitutedQueries(S)) {
      expect(expr).not.toMatch(/\$/);
    }
    expect(
      substitute(
        queries.tokenEfficiency({
          service: '$service',
          server: '$server',
          tool: '$tool',
          observer: '$observer',
          window: '$__rate_interval',
        }),
        S
      )
    ).toBe(queries.tokenEfficiency({ service: '.*', server: '.*', tool: '.*', observer: '.*', window: '1m' }));
    expect(substitute('increase(x{job=~"$service"}[$__range])', S)).toBe('increase(x{job=~".*"}[1h])');
  });

  it('has a check for every query, most of them exact', () => {
    const keys = new Set(shipped.map((q) => checkKey(q.id)));
    expect([...keys].filter((k) => !QUERY_CHECKS[k])).toEqual([]);
    expect(Object.keys(QUERY_CHECKS).filter((k) => !keys.has(k))).toEqual([]);
    const checks = Object.values(QUERY_CHECKS);
    const exact = checks.filter((c) => c.kind === 'exact').length;
    expect(exact / checks.length).toBeGreaterThan(0.7);
  });
});
