import { ACTIONS } from '../constants';
import { PAGES } from '../specs';
import { auditorsOnly, pageAction, visiblePages } from './pages';

describe('pages by access, from the panels’ audit flag', () => {
  it('the Audit page, all audit panels, is for auditors only; a page with some audit panels is not', () => {
    expect(PAGES.filter(auditorsOnly).map((p) => p.id)).toEqual(['audit']);
    const sessions = PAGES.find((p) => p.id === 'sessions')!;
    expect(sessions.panels.some((p) => p.audit)).toBe(true);
    expect(pageAction(sessions)).toBe(ACTIONS.read);
  });

  it('readers see every page but the auditors-only ones, auditors every page, others none', () => {
    expect(visiblePages({ read: true, audit: false })).toEqual(PAGES.filter((p) => !auditorsOnly(p)));
    expect(visiblePages({ read: true, audit: true })).toEqual(PAGES);
    expect(visiblePages({ read: false, audit: true })).toEqual([]);
  });
});
