import { ALERT_RULES, ALERT_WINDOW, queries } from '@mcp-conservation/semconv';
import { queryKey, shippedQueries, substitute, substitutedQueries } from './collect';

const S = { rateInterval: '1m', range: '1h' };

describe('shipped PromQL', () => {
  const shipped = shippedQueries();

  it('comes from pages, dashboards and alert rules, and dashboards carry the pages’ queries', () => {
    const pages = shipped.filter((q) => q.source === 'page');
    const dashboards = shipped.filter((q) => q.source === 'dashboard');
    expect(dashboards.map((q) => [queryKey(q.id), q.expr])).toEqual(pages.map((q) => [queryKey(q.id), q.expr]));
    expect(shipped.filter((q) => q.source === 'alert').map((q) => q.expr)).toEqual(
      ALERT_RULES.map((r) => r.query({ window: ALERT_WINDOW }))
    );
  });

  it('substitutes Grafana’s variables: intervals by duration, filters at All', () => {
    for (const { expr } of substitutedQueries(S)) {
      // `$1` is a label_replace capture group, not a Grafana variable (those start with a letter or _).
      expect(expr).not.toMatch(/\$(?!\d)/);
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
});
