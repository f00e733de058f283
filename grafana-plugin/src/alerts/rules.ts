/**
 * Grafana-managed alert rules from semconv's ALERT_RULES, as bodies of
 * Grafana's alerting provisioning HTTP API (AlertRuleGroup holding
 * ProvisionedAlertRule items). The query is the rule's guarded measure;
 * Grafana's threshold expression makes the comparison, so the threshold is
 * editable (default from semconv).
 */
import { ALERT_RULES, ALERT_WINDOW, grafanaTemplate, type AlertRuleDefinition } from '@mcp-conservation/semconv';
import { PLUGIN_ID } from '../constants';

export const ALERT_FOLDER = { uid: 'mcp-conservation', title: 'MCP conservation' } as const;
export const ALERT_GROUP = 'mcp-conservation';
/** Seconds between evaluations. */
export const ALERT_INTERVAL_SECONDS = 60;
/** Marks the rules as owned by this plugin. */
export const ORIGIN_LABEL = { __grafana_origin: `plugin/${PLUGIN_ID}` } as const;
/** Grafana's data source uid for server-side expressions. */
export const EXPRESSION_DATASOURCE = '__expr__';

export interface AlertQuery {
  refId: string;
  queryType: string;
  relativeTimeRange: { from: number; to: number };
  datasourceUid: string;
  model: Record<string, unknown>;
}

export interface ProvisionedAlertRule {
  uid: string;
  orgID: number;
  folderUID: string;
  ruleGroup: string;
  title: string;
  condition: string;
  data: AlertQuery[];
  noDataState: 'NoData' | 'OK' | 'Alerting';
  execErrState: 'OK' | 'Alerting' | 'Error';
  for: string;
  annotations: Record<string, string>;
  labels: Record<string, string>;
  isPaused: boolean;
}

export interface AlertRuleGroup {
  title: string;
  folderUid: string;
  interval: number;
  rules: ProvisionedAlertRule[];
}

export function ruleUid(rule: AlertRuleDefinition): string {
  return `mcpc-${rule.id}`;
}

/** The PromQL a rule evaluates (its guarded measure over the alert window). */
export function ruleQuery(rule: AlertRuleDefinition): string {
  return rule.query({ window: ALERT_WINDOW });
}

function windowSeconds(): number {
  const m = /^(\d+)([smh])$/.exec(ALERT_WINDOW);
  const n = Number(m?.[1] ?? 300);
  return m?.[2] === 'h' ? n * 3600 : m?.[2] === 'm' ? n * 60 : n;
}

export function provisionedRule(
  rule: AlertRuleDefinition,
  datasourceUid: string,
  threshold: number,
  orgID = 1
): ProvisionedAlertRule {
  return {
    uid: ruleUid(rule),
    orgID,
    folderUID: ALERT_FOLDER.uid,
    ruleGroup: ALERT_GROUP,
    title: rule.title,
    condition: 'C',
    data: [
      {
        refId: 'A',
        queryType: '',
        relativeTimeRange: { from: windowSeconds() * 2, to: 0 },
        datasourceUid,
        model: {
          refId: 'A',
          expr: ruleQuery(rule),
          instant: true,
          range: false,
          intervalMs: 1000,
          maxDataPoints: 43200,
        },
      },
      {
        refId: 'C',
        queryType: '',
        relativeTimeRange: { from: 0, to: 0 },
        datasourceUid: EXPRESSION_DATASOURCE,
        model: {
          refId: 'C',
          type: 'threshold',
          expression: 'A',
          datasource: { type: '__expr__', uid: EXPRESSION_DATASOURCE },
          conditions: [{ evaluator: { type: rule.comparator === '<' ? 'lt' : 'gt', params: [threshold] } }],
        },
      },
    ],
    // The guard drops the value below the minimum volume: no data is healthy.
    noDataState: 'OK',
    execErrState: 'Error',
    for: rule.for,
    annotations: { summary: grafanaTemplate(rule.summary), description: rule.description },
    labels: { severity: rule.severity, ...ORIGIN_LABEL },
    isPaused: false,
  };
}

export type Thresholds = Record<string, number>;

export function defaultThresholds(): Thresholds {
  return Object.fromEntries(ALERT_RULES.map((r) => [r.id, r.threshold]));
}

export function ruleGroup(datasourceUid: string, thresholds: Thresholds = defaultThresholds()): AlertRuleGroup {
  return {
    title: ALERT_GROUP,
    folderUid: ALERT_FOLDER.uid,
    interval: ALERT_INTERVAL_SECONDS,
    rules: ALERT_RULES.map((r) => provisionedRule(r, datasourceUid, thresholds[r.id] ?? r.threshold)),
  };
}
