/**
 * Installs, updates and removes the plugin's alert rules through Grafana's
 * alerting provisioning HTTP API, with the signed-in admin's session.
 */
import { lastValueFrom } from 'rxjs';
import { getBackendSrv } from '@grafana/runtime';
import { ALERT_FOLDER, ALERT_GROUP, ALERT_RULES, grafanaRuleUid } from '@mcp-conservation/semconv';
import { ruleGroup, type Thresholds } from './rules';

export interface ApiRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  data?: unknown;
  headers?: Record<string, string>;
}

/** The group endpoint: PUT replaces the whole group (creates, updates and removes rules). */
export const RULE_GROUP_URL = `/api/v1/provisioning/folder/${ALERT_FOLDER.uid}/rule-groups/${ALERT_GROUP}`;

/**
 * Rules stay editable in Grafana's UI (no provenance lock), so an operator
 * can tune a rule without the plugin; reinstalling resets it.
 */
const HEADERS = { 'X-Disable-Provenance': 'true' };

async function send<T>(req: ApiRequest): Promise<{ status: number; data: T }> {
  const response = await lastValueFrom(
    getBackendSrv().fetch<T>({ ...req, showErrorAlert: false, showSuccessAlert: false })
  );
  return { status: response.status, data: response.data };
}

async function folderExists(): Promise<boolean> {
  try {
    await send({ method: 'GET', url: `/api/folders/${ALERT_FOLDER.uid}` });
    return true;
  } catch (e) {
    if ((e as { status?: number }).status === 404) {
      return false;
    }
    throw e;
  }
}

/** Creates the folder if needed, then writes the whole rule group. */
export async function installRules(datasourceUid: string, thresholds: Thresholds): Promise<number> {
  if (!(await folderExists())) {
    await send({ method: 'POST', url: '/api/folders', data: { uid: ALERT_FOLDER.uid, title: ALERT_FOLDER.title } });
  }
  const group = ruleGroup(datasourceUid, thresholds);
  await send({ method: 'PUT', url: RULE_GROUP_URL, data: group, headers: HEADERS });
  return group.rules.length;
}

/** Deletes each of the plugin's rules; rules already gone are fine. */
export async function removeRules(): Promise<number> {
  let removed = 0;
  for (const rule of ALERT_RULES) {
    try {
      await send({
        method: 'DELETE',
        url: `/api/v1/provisioning/alert-rules/${grafanaRuleUid(rule)}`,
        headers: HEADERS,
      });
      removed++;
    } catch (e) {
      if ((e as { status?: number }).status !== 404) {
        throw e;
      }
    }
  }
  return removed;
}
