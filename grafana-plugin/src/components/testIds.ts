export const testIds = {
  app: {
    container: 'data-testid mcpc-app',
    denied: 'data-testid mcpc-app-denied',
  },
  appConfig: {
    container: 'data-testid mcpc-config',
    datasource: 'data-testid mcpc-config-datasource',
    threshold: (id: string) => `data-testid mcpc-config-threshold-${id}`,
    install: 'data-testid mcpc-config-install',
    remove: 'data-testid mcpc-config-remove',
    status: 'data-testid mcpc-config-status',
  },
};
