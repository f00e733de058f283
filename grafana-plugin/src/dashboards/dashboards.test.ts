import { readFileSync } from 'fs';
import { join } from 'path';
import { GENERATOR_COMMAND, renderDashboards } from './build';
import { PAGES, pageQueries } from '../specs';

const src = join(__dirname, '..');

describe('dashboards as code', () => {
  it.each(renderDashboards())(`$file is up to date (regenerate with ${GENERATOR_COMMAND})`, ({ file, json }) => {
    expect(readFileSync(join(src, file), 'utf8')).toBe(json);
  });

  it('every dashboard carries exactly the queries of its page, and no fixed data source uid', () => {
    for (const page of PAGES) {
      const dash = JSON.parse(readFileSync(join(src, `dashboards/${page.id}.json`), 'utf8'));
      const exprs = dash.panels.flatMap((p: { targets: Array<{ expr: string }> }) => p.targets.map((t) => t.expr));
      expect(exprs).toEqual(pageQueries([page]).map((q) => q.expr));
      const uids = JSON.stringify(dash).match(/"uid":\s*"([^"]*)"/g) ?? [];
      for (const u of uids) {
        expect(u).toMatch(/"\$\{(metrics|logs)\}"|"mcpc-/);
      }
    }
  });
});
