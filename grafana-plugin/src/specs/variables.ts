/**
 * Template variables of the pages and dashboards. Data sources are chosen
 * by variables (never by uid); filters are multi-value regexes whose All
 * value is `.*`, which is what semconv's query scopes expect.
 */
import {
  LABELS,
  LOSS_CAUSE_VALUES,
  METRIC_CLIENT_OPERATION_DURATION,
  METRIC_SERVER_OPERATION_DURATION,
  METRIC_SERVER_TOOL_CALLS,
  METRIC_TOOL_CALLS,
  promNames,
  type MetricDefinition,
  OBSERVER_VALUES,
  OUTCOME_VALUES,
} from '@mcp-conservation/semconv';
import type { VariableName } from './types';

export const ALL_VALUE = '.*';

export type VariableSpec =
  | {
      readonly kind: 'datasource';
      readonly name: VariableName;
      readonly label: string;
      readonly pluginId: 'prometheus' | 'loki' | 'tempo';
    }
  | { readonly kind: 'query'; readonly name: VariableName; readonly label: string; readonly query: string }
  | { readonly kind: 'custom'; readonly name: VariableName; readonly label: string; readonly values: readonly string[] }
  | { readonly kind: 'textbox'; readonly name: VariableName; readonly label: string; readonly description: string };

/**
 * One selector over several metrics, every export path's name of each: a
 * variable lists the services, servers and tools seen by clients and by
 * servers alike (a server process has no client metrics).
 */
function anyOf(defs: readonly MetricDefinition[], matchers: string[], part: '' | '_count' = ''): string {
  const names = defs.flatMap((d) => promNames(d, part));
  return `{${[`__name__=~"${names.join('|')}"`, ...matchers].join(',')}}`;
}

const ops = (matchers: string[] = []) => anyOf([METRIC_CLIENT_OPERATION_DURATION, METRIC_SERVER_OPERATION_DURATION], matchers, '_count');

export const VARIABLES: Readonly<Record<VariableName, VariableSpec>> = {
  metrics: { kind: 'datasource', name: 'metrics', label: 'Metrics', pluginId: 'prometheus' },
  logs: { kind: 'datasource', name: 'logs', label: 'Audit logs', pluginId: 'loki' },
  traces: { kind: 'datasource', name: 'traces', label: 'Traces', pluginId: 'tempo' },
  service: { kind: 'query', name: 'service', label: 'Service', query: `label_values(${ops()}, ${LABELS.service})` },
  server: {
    kind: 'query',
    name: 'server',
    label: 'MCP server',
    query: `label_values(${ops([`${LABELS.service}=~"$service"`])}, ${LABELS.server})`,
  },
  tool: {
    kind: 'query',
    name: 'tool',
    label: 'Tool',
    query: `label_values(${anyOf([METRIC_TOOL_CALLS, METRIC_SERVER_TOOL_CALLS], [`${LABELS.service}=~"$service"`, `${LABELS.server}=~"$server"`])}, ${LABELS.tool})`,
  },
  observer: { kind: 'custom', name: 'observer', label: 'Observer', values: Object.values(OBSERVER_VALUES) },
  session: { kind: 'textbox', name: 'session', label: 'Session', description: 'Part of a session id (regex)' },
  user: { kind: 'textbox', name: 'user', label: 'User', description: 'Part of an end-user id (regex)' },
  outcome: { kind: 'custom', name: 'outcome', label: 'Outcome', values: Object.values(OUTCOME_VALUES) },
  cause: { kind: 'custom', name: 'cause', label: 'Loss cause', values: Object.values(LOSS_CAUSE_VALUES) },
};

/** Variables of the metrics pages. */
export const METRIC_VARIABLES: readonly VariableName[] = ['metrics', 'service', 'server', 'tool', 'observer'];
