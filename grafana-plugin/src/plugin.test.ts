/**
 * plugin.json against Grafana's public plugin schema
 * (docs/sources/developers/plugins/plugin.schema.json in grafana/grafana),
 * checks written from it, plus the RBAC fields Grafana's plugin loader
 * reads (`roles`, include `action`) that the stored copy of the schema
 * predates; and every include points at something that exists.
 */
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import pluginJson from './plugin.json';
import { ACTIONS, PLUGIN_ID, ROUTES } from './constants';
import { PAGES } from './specs';
import { dashboardFile, dashboardUid } from './dashboards/build';
import { pageAction } from './access/pages';

type Json = Record<string, any>;
const plugin = pluginJson as Json;

const TOP_LEVEL = [
  '$schema',
  'alerting',
  'annotations',
  'autoEnabled',
  'backend',
  'builtIn',
  'category',
  'dependencies',
  'enterpriseFeatures',
  'executable',
  'hideFromList',
  'id',
  'includes',
  'info',
  'logs',
  'metrics',
  'name',
  'pascalName',
  'preload',
  'queryOptions',
  'routes',
  'skipDataQuery',
  'state',
  'streaming',
  'tracing',
  'type',
  // RBAC: read by Grafana's plugin loader (plugindef), newer than the stored schema copy.
  'roles',
  'iam',
];
const INCLUDE_KEYS = ['uid', 'type', 'name', 'component', 'role', 'path', 'addToNav', 'defaultNav', 'icon', 'action'];
const BASIC_ROLES = ['Viewer', 'Editor', 'Admin', 'Grafana Admin'];

describe('plugin.json', () => {
  it("has the schema's required fields and no unknown ones", () => {
    for (const k of ['type', 'name', 'id', 'info', 'dependencies']) {
      expect(plugin[k]).toBeDefined();
    }
    expect(Object.keys(plugin).filter((k) => !TOP_LEVEL.includes(k))).toEqual([]);
  });

  it('has an id of the <org>-<name>-app form and the app type', () => {
    expect(plugin.id).toMatch(/^[0-9a-z]+-([0-9a-z]+-)?(app|panel|datasource|secretsmanager|transformer)$/);
    expect(plugin.id).toBe('mcpconservation-conservation-app');
    expect(plugin.type).toBe('app');
  });

  it('has valid info', () => {
    const info = plugin.info as Json;
    for (const k of ['logos', 'version', 'updated', 'keywords']) {
      expect(info[k]).toBeDefined();
    }
    expect(
      Object.keys(info).filter(
        (k) =>
          ![
            'author',
            'build',
            'description',
            'keywords',
            'links',
            'logos',
            'screenshots',
            'updated',
            'version',
          ].includes(k)
      )
    ).toEqual([]);
    expect(info.keywords.length).toBeGreaterThanOrEqual(1);
    expect(info.version).toMatch(/^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)|(%VERSION%)$/);
    expect(info.updated).toMatch(/^(\d{4}-\d{2}-\d{2}|%TODAY%)$/);
    expect(Object.keys(info.logos).sort()).toEqual(['large', 'small']);
    for (const logo of Object.values(info.logos)) {
      expect(existsSync(join(__dirname, logo as string))).toBe(true);
    }
  });

  it('declares a Grafana version range the schema accepts, matching the packages built against', () => {
    expect(
      Object.keys(plugin.dependencies).filter((k) => !['grafanaDependency', 'grafanaVersion', 'plugins'].includes(k))
    ).toEqual([]);
    expect(plugin.dependencies.grafanaDependency).toMatch(
      /^(<=|>=|<|>|=|~|\^)?([0-9]+)(\.[0-9x*]+)(\.[0-9x*]+)?(\s(<=|>=|<|=>)?([0-9]+)(\.[0-9x]+)(\.[0-9x]+))?$/
    );
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'));
    expect(plugin.dependencies.grafanaDependency).toBe(`>=${pkg.dependencies['@grafana/runtime']}`);
  });

  it('has includes the schema accepts', () => {
    for (const inc of plugin.includes as Json[]) {
      expect(Object.keys(inc).filter((k) => !INCLUDE_KEYS.includes(k))).toEqual([]);
      expect(['dashboard', 'page', 'panel', 'datasource', 'secretsmanager']).toContain(inc.type);
      if (inc.role !== undefined) {
        expect(['Admin', 'Editor', 'Viewer']).toContain(inc.role);
      }
      expect(typeof inc.name).toBe('string');
    }
  });

  it('includes every page, with the action its page needs, and an admin-only config page', () => {
    const pages = (plugin.includes as Json[]).filter((i) => i.type === 'page');
    for (const page of PAGES) {
      const inc = pages.find((p) => p.path === `/a/%PLUGIN_ID%/${ROUTES[page.id]}`);
      expect(inc).toBeDefined();
      expect(inc!.action).toBe(pageAction(page));
    }
    const config = pages.find((p) => p.path === '/plugins/%PLUGIN_ID%');
    expect(config).toMatchObject({ role: 'Admin', action: ACTIONS.configure });
    expect(pages.filter((p) => p.defaultNav)).toHaveLength(1);
  });

  it('ships every dashboard as an include whose file exists', () => {
    const dashboards = (plugin.includes as Json[]).filter((i) => i.type === 'dashboard');
    expect(dashboards.map((d) => d.path).sort()).toEqual(PAGES.map((p) => dashboardFile(p)).sort());
    for (const d of dashboards) {
      const file = join(__dirname, d.path);
      expect(existsSync(file)).toBe(true);
      const page = PAGES.find((p) => dashboardFile(p) === d.path)!;
      expect(JSON.parse(readFileSync(file, 'utf8')).uid).toBe(dashboardUid(page));
      expect(d.action).toBe(pageAction(page));
    }
  });

  it('declares a reader and an auditor role, with OSS grants, covering every action used', () => {
    const roles = plugin.roles as Json[];
    for (const r of roles) {
      expect(Object.keys(r).sort()).toEqual(['grants', 'role']);
      expect(typeof r.role.name).toBe('string');
      expect(typeof r.role.description).toBe('string');
      for (const p of r.role.permissions) {
        expect(Object.keys(p).filter((k) => !['action', 'scope'].includes(k))).toEqual([]);
        // Plugin actions must be namespaced by the plugin id.
        expect(p.action.startsWith(`${PLUGIN_ID}.`)).toBe(true);
      }
      for (const g of r.grants) {
        expect(BASIC_ROLES).toContain(g);
      }
    }
    const actionsOf = (name: string) =>
      roles.find((r) => r.role.name === name)!.role.permissions.map((p: Json) => p.action);
    expect(actionsOf('Reader')).toEqual([ACTIONS.read]);
    expect(actionsOf('Auditor').sort()).toEqual([ACTIONS.audit, ACTIONS.read].sort());
    const declared = new Set(roles.flatMap((r) => r.role.permissions.map((p: Json) => p.action)));
    for (const inc of plugin.includes as Json[]) {
      if (inc.action && inc.action.startsWith(`${PLUGIN_ID}.`)) {
        expect(declared.has(inc.action)).toBe(true);
      }
    }
  });
});
