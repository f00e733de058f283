import pluginJson from './plugin.json';

export const PLUGIN_ID = pluginJson.id;
export const PLUGIN_BASE_URL = `/a/${PLUGIN_ID}`;

/** Routes of the app's pages, below PLUGIN_BASE_URL. */
export const ROUTES = {
  overview: 'overview',
  tools: 'tools',
  servers: 'servers',
  sessions: 'sessions',
  context: 'context',
  audit: 'audit',
} as const;

export type RouteId = keyof typeof ROUTES;

export function prefixRoute(route: string): string {
  return `${PLUGIN_BASE_URL}/${route}`;
}

/**
 * RBAC actions declared by the plugin's roles in plugin.json. Grafana
 * Enterprise and Cloud enforce them; in OSS the basic-role grants apply.
 */
export const ACTIONS = {
  read: `${PLUGIN_ID}.metrics:read`,
  audit: `${PLUGIN_ID}.audit:read`,
  /** Grafana's own action for the plugin's settings (the config page). */
  configure: 'plugins:write',
} as const;
