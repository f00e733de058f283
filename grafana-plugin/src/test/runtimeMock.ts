/** The @grafana/runtime module with the host services replaced (see fakeGrafana.tsx). */
import { DATASOURCES, panelPlugin, runRequest } from './fakeGrafana';

export interface FakeUser {
  orgRole: 'Viewer' | 'Editor' | 'Admin';
  isGrafanaAdmin: boolean;
  permissions: Record<string, boolean>;
}

export const host = {
  edition: 'Open Source',
  user: { orgRole: 'Viewer', isGrafanaAdmin: false, permissions: {} } as FakeUser,
  backend: jest.fn(),
};

export function runtimeMock() {
  const actual = jest.requireActual('@grafana/runtime');
  const config = actual.config;
  const buildInfo = config.buildInfo;
  Object.defineProperty(config, 'buildInfo', {
    get: () => ({ ...buildInfo, edition: host.edition }),
    configurable: true,
  });
  Object.defineProperty(config, 'bootData', {
    get: () => ({ user: host.user, settings: {}, navTree: [] }),
    configurable: true,
  });
  return {
    ...actual,
    config,
    getRunRequest: () => runRequest,
    getPluginImportUtils: () => ({
      importPanelPlugin: async (id: string) => panelPlugin(id),
      getPanelPluginFromCache: (id: string) => panelPlugin(id),
    }),
    hasPermission: (action: string) => host.user.permissions[action] === true,
    getBackendSrv: () => ({ fetch: host.backend }),
    getDataSourceSrv: () => ({
      getList: (filters?: { type?: string }) =>
        DATASOURCES.filter((d) => !filters?.type || d.type === filters.type).map((d) => ({
          uid: d.uid,
          name: d.name,
          type: d.type,
        })),
    }),
  };
}
