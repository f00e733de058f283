import { readFileSync } from 'fs';
import { join } from 'path';
import { TABLE_FILE, queryTable, renderQueryTable } from './query-table';

describe('shipped query table', () => {
  it(`${TABLE_FILE} is up to date (regenerate with npm run generate -w grafana-plugin)`, () => {
    expect(readFileSync(join(__dirname, '..', TABLE_FILE), 'utf8')).toBe(renderQueryTable());
  });

  it('leaves only the window variables for the suite', () => {
    for (const row of queryTable().rows) {
      // `$1` is a label_replace capture group, not a Grafana variable.
      expect(row.exprAtAll.replace(/\$__rate_interval|\$__range/g, '')).not.toMatch(/\$(?!\d)/);
    }
  });
});
