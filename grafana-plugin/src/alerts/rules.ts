/**
 * The plugin's alert rules: semconv's Grafana-managed rules (the same ones
 * collector-config writes for file provisioning), marked as owned by this
 * plugin and at the thresholds chosen on the config page.
 */
import { ALERT_RULES, grafanaRuleGroup, type GrafanaAlertRuleGroup } from '@mcp-conservation/semconv';
import { PLUGIN_ID } from '../constants';

/** Marks the rules as owned by this plugin. */
export const ORIGIN_LABEL = { __grafana_origin: `plugin/${PLUGIN_ID}` } as const;

export type Thresholds = Record<string, number>;

export function defaultThresholds(): Thresholds {
  return Object.fromEntries(ALERT_RULES.map((r) => [r.id, r.threshold]));
}

/** The body the provisioning API's group endpoint takes. */
export function ruleGroup(datasourceUid: string, thresholds: Thresholds = defaultThresholds()): GrafanaAlertRuleGroup {
  return grafanaRuleGroup({ datasourceUid, thresholds, labels: ORIGIN_LABEL });
}
