/**
 * The production build (run by the root build before the tests): dist/ is
 * the plugin folder Grafana loads, and the zip holds it under the plugin id.
 */
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import pluginJson from './plugin.json';

// CommonJS packaging script shared with `npm run build`.
 
const { buildZip, listZip } = require('../scripts/package-zip.js') as {
  buildZip: (dir: string, id: string) => Buffer;
  listZip: (zip: Buffer) => string[];
};

const dist = join(__dirname, '..', 'dist');
const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'));

describe('production build', () => {
  beforeAll(() => {
    if (!existsSync(join(dist, 'module.js'))) {
      throw new Error('dist/ is missing: run `npm run build -w grafana-plugin` (the root `npm test` builds first)');
    }
  });

  it('dist/plugin.json is the source with version and date filled in', () => {
    const built = JSON.parse(readFileSync(join(dist, 'plugin.json'), 'utf8'));
    expect(built.id).toBe(pluginJson.id);
    expect(built.info.version).toBe(pkg.version);
    expect(built.info.updated).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(built.includes).toEqual(
      JSON.parse(JSON.stringify(pluginJson.includes).replace(/%PLUGIN_ID%/g, pluginJson.id))
    );
  });

  it('dist/ holds the module, the logo and every included dashboard', () => {
    expect(readFileSync(join(dist, 'module.js'), 'utf8')).toContain(pluginJson.id);
    expect(existsSync(join(dist, pluginJson.info.logos.small))).toBe(true);
    for (const inc of pluginJson.includes.filter((i) => i.type === 'dashboard')) {
      expect(readFileSync(join(dist, inc.path), 'utf8')).toBe(readFileSync(join(__dirname, inc.path), 'utf8'));
    }
  });

  it('the zip holds dist/ under one folder named after the plugin id', () => {
    const names = listZip(buildZip(dist, pluginJson.id));
    expect(names).toEqual(
      expect.arrayContaining([
        `${pluginJson.id}/plugin.json`,
        `${pluginJson.id}/module.js`,
        `${pluginJson.id}/dashboards/overview.json`,
      ])
    );
    expect(names.every((n) => n.startsWith(`${pluginJson.id}/`))).toBe(true);
  });
});
