/**
 * Which pages need which action, derived from the panel specs' `audit`
 * flag: a page whose every panel is an audit panel is for auditors only (a
 * reader would see nothing on it); any other page needs the reader's action
 * and shows its audit panels to auditors only. plugin.json's page and
 * dashboard includes carry these actions (checked by plugin.test.ts).
 */
import { ACTIONS } from '../constants';
import { PAGES, type PageSpec } from '../specs';
import type { Access } from './access';

export function auditorsOnly(page: PageSpec): boolean {
  return page.panels.every((panel) => panel.audit === true);
}

/** The action a page, and the dashboard built from it, needs. */
export function pageAction(page: PageSpec): string {
  return auditorsOnly(page) ? ACTIONS.audit : ACTIONS.read;
}

/** Pages the user may open, in navigation order. */
export function visiblePages(access: Access): PageSpec[] {
  if (!access.read) {
    return [];
  }
  return PAGES.filter((page) => access.audit || !auditorsOnly(page));
}
