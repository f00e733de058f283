// Writes the dashboards to src/dashboards/*.json. Run: npm run generate -w grafana-plugin
import { writeFileSync } from 'fs';
import { join } from 'path';
import { renderDashboards } from '../src/dashboards/build';

const src = join(__dirname, '..', 'src');
for (const { file, json } of renderDashboards()) {
  writeFileSync(join(src, file), json);
  console.log(`generated grafana-plugin/src/${file}`);
}
