/**
 * Every shipped PromQL expression, as Grafana would send it, parsed by
 * Prometheus itself: written as recording rules and checked with
 * `promtool check rules` (installed by the pretest script).
 */
import { spawnSync } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { substitutedQueries } from './collect';

function checkRules(exprs: Array<{ id: string; expr: string }>): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mcpc-promtool-'));
  try {
    // JSON is valid YAML: no quoting questions.
    const rules = {
      groups: [{ name: 'shipped', rules: exprs.map((q, i) => ({ record: `shipped:query_${i}`, expr: q.expr })) }],
    };
    const file = join(dir, 'rules.yml');
    writeFileSync(file, JSON.stringify(rules));
    const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    return { status: r.status, output: `${r.stdout}${r.stderr}${r.error ? String(r.error) : ''}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('promtool', () => {
  it('parses every shipped query with Grafana’s variables substituted', () => {
    const queries = substitutedQueries({ rateInterval: '1m', range: '1h' });
    const r = checkRules(queries);
    expect(r.output).toContain(`SUCCESS: ${queries.length} rules found`);
    expect(r.status).toBe(0);
  });

  it('rejects a broken expression (the check can fail)', () => {
    expect(checkRules([{ id: 'broken', expr: 'sum (rate(x[1m])' }]).status).not.toBe(0);
  });
});
