import { queryKey, shippedQueries } from '../src/queries/collect';
import { QUERY_CHECKS } from './query-checks';

describe('end-to-end query checks', () => {
  it('has a check for every query, most of them exact', () => {
    const keys = new Set(shippedQueries().map((q) => queryKey(q.id)));
    expect([...keys].filter((k) => !QUERY_CHECKS[k])).toEqual([]);
    expect(Object.keys(QUERY_CHECKS).filter((k) => !keys.has(k))).toEqual([]);
    const checks = Object.values(QUERY_CHECKS);
    const exact = checks.filter((c) => c.kind === 'exact').length;
    expect(exact / checks.length).toBeGreaterThan(0.7);
  });
});
