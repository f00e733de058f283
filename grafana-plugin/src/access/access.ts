/**
 * Who may do what. Grafana Enterprise and Cloud enforce the plugin's RBAC
 * roles, so `hasPermission` answers. Grafana OSS does not register plugin
 * roles; there the roles' `grants` in plugin.json (the basic roles each role
 * is granted to) decide, read from plugin.json so they are written once.
 * Which pages that opens is in ./pages.
 */
import { config, hasPermission } from '@grafana/runtime';
import pluginJson from '../plugin.json';
import { ACTIONS } from '../constants';

type BasicRole = 'Viewer' | 'Editor' | 'Admin' | 'Grafana Admin';

const RANK: Record<string, number> = { None: 0, Viewer: 1, Editor: 2, Admin: 3 };

interface PluginRole {
  role: { name: string; permissions: Array<{ action: string }> };
  grants: BasicRole[];
}

function rolesEnforced(): boolean {
  // OSS reports 'Open Source'; Enterprise builds and Cloud do not.
  return config.buildInfo?.edition !== 'Open Source';
}

function grantedByBasicRole(action: string): boolean {
  const user = config.bootData?.user;
  if (!user) {
    return false;
  }
  const roles = ((pluginJson as { roles?: PluginRole[] }).roles ?? []).filter((r) =>
    r.role.permissions.some((p) => p.action === action)
  );
  return roles.some((r) =>
    r.grants.some((g) =>
      g === 'Grafana Admin' ? user.isGrafanaAdmin : (RANK[user.orgRole] ?? 0) >= (RANK[g] ?? Number.POSITIVE_INFINITY)
    )
  );
}

/** Whether the signed-in user may perform a plugin action. */
export function can(action: string): boolean {
  return rolesEnforced() ? hasPermission(action) : grantedByBasicRole(action);
}

/** What the signed-in user may see in the app. */
export interface Access {
  readonly read: boolean;
  readonly audit: boolean;
}

export function currentAccess(): Access {
  return { read: can(ACTIONS.read), audit: can(ACTIONS.audit) };
}

/**
 * Whether the user may change the plugin's settings (the config page, for
 * administrators). The action is Grafana's own, which every edition
 * answers, so plugin.json's grants play no part.
 */
export function canConfigure(): boolean {
  return hasPermission(ACTIONS.configure);
}
