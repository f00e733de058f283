// Writes e2e/shipped-queries.json. Run: npm run generate -w grafana-plugin
import { mkdirSync, writeFileSync } from 'fs';
import { dirname, join } from 'path';
import { TABLE_FILE, renderQueryTable } from './query-table';

const file = join(__dirname, '..', TABLE_FILE);
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, renderQueryTable());
console.log(`generated grafana-plugin/${TABLE_FILE}`);
