// Rewrites the generated section of docs/grafana-plugin.md. Run: npm run generate -w grafana-plugin
import { readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { withReference } from './pages-reference';

const file = join(__dirname, '..', '..', 'docs', 'grafana-plugin.md');
writeFileSync(file, withReference(readFileSync(file, 'utf8')));
console.log('generated the pages reference in docs/grafana-plugin.md');
