/**
 * Checks of request bodies against the shapes in Grafana's public OpenAPI
 * description (pkg/services/ngalert/api/tooling/post.json, merged into
 * public/openapi3.json): AlertRuleGroup, ProvisionedAlertRule, AlertQuery,
 * RelativeTimeRange and the folder-creation command. Written from the
 * description, field by field; each returns the problems found.
 */

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v);
const isStringMap = (v: unknown) => isObj(v) && Object.values(v).every((x) => typeof x === 'string');

function unknownKeys(obj: Json, allowed: string[], path: string): string[] {
  return Object.keys(obj)
    .filter((k) => !allowed.includes(k))
    .map((k) => `${path}.${k}: not in the schema`);
}

export function checkAlertQuery(q: unknown, path: string): string[] {
  if (!isObj(q)) {
    return [`${path}: not an object`];
  }
  const p: string[] = unknownKeys(q, ['datasourceUid', 'model', 'queryType', 'refId', 'relativeTimeRange'], path);
  if (typeof q.refId !== 'string' || q.refId === '') {
    p.push(`${path}.refId: string required`);
  }
  if (typeof q.datasourceUid !== 'string' || q.datasourceUid === '') {
    p.push(`${path}.datasourceUid: string required`);
  }
  if (q.queryType !== undefined && typeof q.queryType !== 'string') {
    p.push(`${path}.queryType: string`);
  }
  if (!isObj(q.model)) {
    p.push(`${path}.model: object required`);
  }
  const r = q.relativeTimeRange;
  // RelativeTimeRange: from/to are Durations in seconds (int64).
  if (!isObj(r) || !isInt(r.from) || !isInt(r.to)) {
    p.push(`${path}.relativeTimeRange: {from, to} integers required`);
  }
  return p;
}

const RULE_KEYS = [
  'annotations',
  'condition',
  'data',
  'execErrState',
  'folderUID',
  'for',
  'id',
  'isPaused',
  'keep_firing_for',
  'labels',
  'missing_series_evals_to_resolve',
  'noDataState',
  'notification_settings',
  'orgID',
  'provenance',
  'record',
  'ruleGroup',
  'title',
  'uid',
  'updated',
];

export function checkProvisionedAlertRule(r: unknown, path: string): string[] {
  if (!isObj(r)) {
    return [`${path}: not an object`];
  }
  const p = unknownKeys(r, RULE_KEYS, path);
  for (const k of [
    'condition',
    'data',
    'execErrState',
    'folderUID',
    'for',
    'noDataState',
    'orgID',
    'ruleGroup',
    'title',
  ]) {
    if (r[k] === undefined) {
      p.push(`${path}.${k}: required`);
    }
  }
  if (typeof r.title !== 'string' || r.title.length < 1 || r.title.length > 190) {
    p.push(`${path}.title: string of 1 to 190 characters`);
  }
  if (typeof r.ruleGroup !== 'string' || r.ruleGroup.length < 1 || r.ruleGroup.length > 190) {
    p.push(`${path}.ruleGroup: string of 1 to 190 characters`);
  }
  if (r.uid !== undefined && (typeof r.uid !== 'string' || !/^[a-zA-Z0-9-_]+$/.test(r.uid) || r.uid.length > 40)) {
    p.push(`${path}.uid: [a-zA-Z0-9-_], at most 40 characters`);
  }
  if (!isInt(r.orgID)) {
    p.push(`${path}.orgID: integer`);
  }
  if (!['Alerting', 'NoData', 'OK'].includes(r.noDataState as string)) {
    p.push(`${path}.noDataState: Alerting | NoData | OK`);
  }
  if (!['OK', 'Alerting', 'Error'].includes(r.execErrState as string)) {
    p.push(`${path}.execErrState: OK | Alerting | Error`);
  }
  if (typeof r.for !== 'string' || !/^(\d+(ms|s|m|h|d))+$/.test(r.for)) {
    p.push(`${path}.for: a duration`);
  }
  if (r.labels !== undefined && !isStringMap(r.labels)) {
    p.push(`${path}.labels: map of strings`);
  }
  if (r.annotations !== undefined && !isStringMap(r.annotations)) {
    p.push(`${path}.annotations: map of strings`);
  }
  if (r.isPaused !== undefined && typeof r.isPaused !== 'boolean') {
    p.push(`${path}.isPaused: boolean`);
  }
  if (!Array.isArray(r.data) || r.data.length === 0) {
    p.push(`${path}.data: non-empty array`);
  } else {
    r.data.forEach((q, i) => p.push(...checkAlertQuery(q, `${path}.data[${i}]`)));
    if (!r.data.some((q) => isObj(q) && q.refId === r.condition)) {
      p.push(`${path}.condition: names no query refId`);
    }
  }
  return p;
}

export function checkAlertRuleGroup(g: unknown, path = 'AlertRuleGroup'): string[] {
  if (!isObj(g)) {
    return [`${path}: not an object`];
  }
  const p = unknownKeys(g, ['folderUid', 'interval', 'rules', 'title'], path);
  if (typeof g.title !== 'string' || g.title === '') {
    p.push(`${path}.title: string`);
  }
  if (typeof g.folderUid !== 'string' || g.folderUid === '') {
    p.push(`${path}.folderUid: string`);
  }
  if (!isInt(g.interval) || (g.interval as number) <= 0) {
    p.push(`${path}.interval: positive integer (seconds)`);
  }
  if (!Array.isArray(g.rules)) {
    p.push(`${path}.rules: array`);
  } else {
    g.rules.forEach((r, i) => {
      p.push(...checkProvisionedAlertRule(r, `${path}.rules[${i}]`));
      if (isObj(r) && (r.folderUID !== g.folderUid || r.ruleGroup !== g.title)) {
        p.push(`${path}.rules[${i}]: folderUID/ruleGroup differ from the group's`);
      }
    });
  }
  return p;
}

/** CreateFolderCommand: uid, title (required), description, parentUid. */
export function checkCreateFolder(body: unknown): string[] {
  if (!isObj(body)) {
    return ['CreateFolderCommand: not an object'];
  }
  const p = unknownKeys(body, ['uid', 'title', 'description', 'parentUid'], 'CreateFolderCommand');
  if (typeof body.title !== 'string' || body.title === '') {
    p.push('CreateFolderCommand.title: required');
  }
  if (body.uid !== undefined && (typeof body.uid !== 'string' || body.uid.length > 40)) {
    p.push('CreateFolderCommand.uid: string of at most 40 characters');
  }
  return p;
}
