import { ACTIONS } from '../constants';
import { host } from '../test/runtimeMock';
import { can } from './access';

jest.mock('@grafana/runtime', () => require('../test/runtimeMock').runtimeMock());

describe('access', () => {
  describe('Grafana OSS: plugin roles are not enforced, their grants on basic roles decide', () => {
    beforeEach(() => (host.edition = 'Open Source'));

    it.each([
      ['Viewer', true, false],
      ['Editor', true, false],
      ['Admin', true, true],
    ] as const)('%s: read %s, audit %s', (orgRole, read, audit) => {
      // Permissions the user might carry are ignored in OSS: only grants count.
      host.user = { orgRole, isGrafanaAdmin: false, permissions: { [ACTIONS.audit]: true } };
      expect(can(ACTIONS.read)).toBe(read);
      expect(can(ACTIONS.audit)).toBe(audit);
    });
  });

  describe('Grafana Enterprise and Cloud: the roles assigned decide, whatever the basic role', () => {
    beforeEach(() => (host.edition = 'Enterprise'));
    afterAll(() => (host.edition = 'Open Source'));

    it('an Admin without the auditor role cannot read the audit trail', () => {
      host.user = { orgRole: 'Admin', isGrafanaAdmin: false, permissions: { [ACTIONS.read]: true } };
      expect(can(ACTIONS.read)).toBe(true);
      expect(can(ACTIONS.audit)).toBe(false);
    });

    it('a Viewer given the auditor role can', () => {
      host.user = { orgRole: 'Viewer', isGrafanaAdmin: false, permissions: { [ACTIONS.read]: true, [ACTIONS.audit]: true } };
      expect(can(ACTIONS.audit)).toBe(true);
    });
  });
});
