/**
 * Grafana-managed alert rules from ALERT_RULES, built once for both ways
 * Grafana takes them: file provisioning (collector-config writes the YAML)
 * and the alerting provisioning HTTP API (the Grafana app sends the bodies).
 * Query A is the rule's guarded measure (instant); B, a threshold expression
 * on A, is the condition, so the threshold stays editable in Grafana. Plain
 * objects only: this package has no runtime dependencies.
 */
import { ALERT_RULES, ALERT_WINDOW, grafanaTemplate, type AlertRuleDefinition } from './alerts.js';
import type { QueryScope } from './queries.js';

/** The folder holding the rules: file provisioning names it by title, the API by uid. */
export const ALERT_FOLDER = { uid: 'mcp-conservation', title: 'MCP conservation' } as const;
/** The rule group, in Grafana and in the Prometheus rule file alike. */
export const ALERT_GROUP = 'mcp-conservation';
/** Seconds between evaluations of the Grafana rule group. */
export const ALERT_INTERVAL_SECONDS = 60;

/** Grafana rejects rule uids longer than this. */
const MAX_UID_LENGTH = 40;
/** Grafana's data source uid for server-side expressions. */
const EXPRESSION_DATASOURCE = '__expr__';

export interface GrafanaRuleOptions {
  /** Uid of the Prometheus (or Mimir) data source the rules query. */
  readonly datasourceUid: string;
  /** Scope of every query; default: window `ALERT_WINDOW`, no filters. */
  readonly scope?: QueryScope;
  /** Threshold per rule id (edited on the app's config page); default: the rule's. */
  readonly thresholds?: Readonly<Record<string, number>>;
  /** `for` of a rule; default: the rule's own. End-to-end tests shorten it. */
  readonly forOf?: (rule: AlertRuleDefinition) => string;
  /** Extra labels on every rule, e.g. `__grafana_origin` for plugin-owned rules. */
  readonly labels?: Readonly<Record<string, string>>;
  readonly orgId?: number;
}

/**
 * AlertQuery of Grafana's API, also the shape of a query in file
 * provisioning. Left out, `queryType` and the model's `intervalMs` and
 * `maxDataPoints` take Grafana's defaults.
 */
export interface GrafanaAlertQuery {
  refId: string;
  /** Seconds before the evaluation time. */
  relativeTimeRange: { from: number; to: number };
  datasourceUid: string;
  model: Record<string, unknown>;
}

/** A rule as file provisioning lists it inside its group. */
export interface GrafanaAlertRule {
  uid: string;
  title: string;
  condition: string;
  data: GrafanaAlertQuery[];
  noDataState: 'NoData' | 'OK' | 'Alerting';
  execErrState: 'OK' | 'Alerting' | 'Error';
  for: string;
  annotations: Record<string, string>;
  labels: Record<string, string>;
  isPaused: boolean;
}

/** ProvisionedAlertRule of the API: the rule plus where it lives. */
export interface ProvisionedAlertRule extends GrafanaAlertRule {
  orgID: number;
  folderUID: string;
  ruleGroup: string;
}

/** AlertRuleGroup of the API (`PUT /api/v1/provisioning/folder/{uid}/rule-groups/{group}`). */
export interface GrafanaAlertRuleGroup {
  title: string;
  folderUid: string;
  interval: number;
  rules: ProvisionedAlertRule[];
}

/** Grafana's file-provisioning alerting document (provisioning/alerting/*.yaml). */
export interface GrafanaProvisioningFile {
  apiVersion: 1;
  groups: Array<{ orgId: number; name: string; folder: string; interval: string; rules: GrafanaAlertRule[] }>;
}

const DEFAULT_SCOPE: QueryScope = { window: ALERT_WINDOW };

/** Grafana rule uid: `mcpc-<rule id>`, cut to Grafana's 40 characters. */
export function grafanaRuleUid(rule: AlertRuleDefinition): string {
  return `mcpc-${rule.id}`.slice(0, MAX_UID_LENGTH);
}

/** The PromQL a rule's query A evaluates: its guarded measure over the window. */
export function alertQuery(rule: AlertRuleDefinition, scope: QueryScope = DEFAULT_SCOPE): string {
  return rule.query(scope);
}

/** Seconds of a Prometheus duration such as `30s`, `5m` or `1h`. */
function durationSeconds(window: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(window);
  if (!m) {
    throw new Error(`alert window ${JSON.stringify(window)} is not a duration like 30s, 5m or 1h`);
  }
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

/**
 * One rule in the shape file provisioning lists; `grafanaRuleGroup` adds
 * the fields the API needs. No data means the guard holds back: state OK.
 */
export function grafanaAlertRule(rule: AlertRuleDefinition, options: GrafanaRuleOptions): GrafanaAlertRule {
  const { datasourceUid } = options;
  const scope = options.scope ?? DEFAULT_SCOPE;
  const threshold = options.thresholds?.[rule.id] ?? rule.threshold;
  return {
    uid: grafanaRuleUid(rule),
    title: rule.title,
    condition: 'B',
    data: [
      {
        refId: 'A',
        // The query's range must cover the window its expression reads back over; twice it leaves margin.
        relativeTimeRange: { from: durationSeconds(scope.window ?? ALERT_WINDOW) * 2, to: 0 },
        datasourceUid,
        model: {
          refId: 'A',
          datasource: { type: 'prometheus', uid: datasourceUid },
          expr: alertQuery(rule, scope),
          instant: true,
          range: false,
        },
      },
      {
        refId: 'B',
        relativeTimeRange: { from: 0, to: 0 },
        datasourceUid: EXPRESSION_DATASOURCE,
        model: {
          refId: 'B',
          datasource: { type: EXPRESSION_DATASOURCE, uid: EXPRESSION_DATASOURCE },
          type: 'threshold',
          expression: 'A',
          conditions: [{ evaluator: { type: rule.comparator === '<' ? 'lt' : 'gt', params: [threshold] } }],
        },
      },
    ],
    noDataState: 'OK',
    execErrState: 'Error',
    for: options.forOf ? options.forOf(rule) : rule.for,
    annotations: { summary: grafanaTemplate(rule.summary), description: rule.description },
    labels: { severity: rule.severity, ...options.labels },
    isPaused: false,
  };
}

/** Every rule as one API rule group: the body of the group endpoint's PUT. */
export function grafanaRuleGroup(options: GrafanaRuleOptions): GrafanaAlertRuleGroup {
  return {
    title: ALERT_GROUP,
    folderUid: ALERT_FOLDER.uid,
    interval: ALERT_INTERVAL_SECONDS,
    rules: ALERT_RULES.map((r) => ({
      ...grafanaAlertRule(r, options),
      orgID: options.orgId ?? 1,
      folderUID: ALERT_FOLDER.uid,
      ruleGroup: ALERT_GROUP,
    })),
  };
}

/** Every rule as Grafana's file-provisioning document (collector-config writes it as YAML). */
export function grafanaProvisioningFile(options: GrafanaRuleOptions): GrafanaProvisioningFile {
  return {
    apiVersion: 1,
    groups: [
      {
        orgId: options.orgId ?? 1,
        name: ALERT_GROUP,
        folder: ALERT_FOLDER.title,
        interval: `${ALERT_INTERVAL_SECONDS}s`,
        rules: ALERT_RULES.map((r) => grafanaAlertRule(r, options)),
      },
    ],
  };
}
