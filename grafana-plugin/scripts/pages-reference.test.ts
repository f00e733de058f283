import { readFileSync } from 'fs';
import { join } from 'path';
import { withReference } from './pages-reference';

it('docs/grafana-plugin.md describes the current pages, panels, queries and alert rules (regenerate with npm run generate -w grafana-plugin)', () => {
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'grafana-plugin.md'), 'utf8');
  expect(doc).toBe(withReference(doc));
});
