/** The audit LogQL, parsed with Grafana's own LogQL grammar after Grafana-style variable substitution. */
import { parser } from '@grafana/lezer-logql';
import {
  AUDIT_FIELDS,
  AUDIT_KIND_VALUES,
  EVENT_AUDIT_OPERATION,
  EVENT_AUDIT_SESSION_END,
  EVENT_AUDIT_CHAIN_END,
  TARGET_REQUESTS_PER_SESSION,
} from '@mcp-conservation/semconv';
import { AUDIT_KEYS, EVENT_KINDS, auditRecords, auditRecordsByOutcome, metadataKey, sessionsOverLimit } from './logql';
import { ALL_VALUE, pageQueries } from './index';

/** What Grafana substitutes with the page's defaults: empty text boxes, All = `.*`, `$__auto` = the step. */
function substitute(expr: string): string {
  return expr
    .replace(/\$__auto/g, '1m')
    .replace(/\$(session|user)\b/g, '')
    .replace(/\$(outcome|cause|server|observer|service)\b/g, ALL_VALUE);
}

interface Parsed {
  errors: number;
  nodes: string[];
  labelFilters: string[];
}

function parse(expr: string): Parsed {
  const tree = parser.parse(expr);
  const nodes: string[] = [];
  const labelFilters: string[] = [];
  let errors = 0;
  tree.iterate({
    enter: (n) => {
      if (n.type.isError) {
        errors++;
      }
      nodes.push(n.name);
      if (n.name === 'LabelFilter') {
        const ident =
          n.node.getChild('Matcher')?.getChild('Identifier') ?? n.node.getChild('NumberFilter')?.getChild('Identifier');
        if (ident) {
          labelFilters.push(expr.slice(ident.from, ident.to));
        }
      }
    },
  });
  return { errors, nodes, labelFilters };
}

describe('audit LogQL', () => {
  const logql = pageQueries().filter((q) => q.language === 'logql');

  it('every LogQL query of the pages is one of the audit builders', () => {
    expect(new Set(logql.map((q) => q.expr))).toEqual(
      new Set([auditRecords(), auditRecordsByOutcome(), sessionsOverLimit()])
    );
  });

  it.each(logql.map((q) => [q.id, q.expr]))('%s parses without errors', (_id, expr) => {
    expect(parse(substitute(expr)).errors).toBe(0);
  });

  it('filters records on structured metadata named after the audit fields (dots to underscores)', () => {
    const { labelFilters } = parse(substitute(auditRecords()));
    expect(labelFilters).toEqual([
      metadataKey(AUDIT_FIELDS.kind),
      metadataKey(AUDIT_FIELDS.session),
      metadataKey(AUDIT_FIELDS.user),
      metadataKey(AUDIT_FIELDS.outcome),
      metadataKey(AUDIT_FIELDS.cause),
      metadataKey(AUDIT_FIELDS.server),
      metadataKey(AUDIT_FIELDS.observer),
    ]);
    expect(labelFilters).toEqual([
      'mcp_conservation_audit_kind',
      'mcp_conservation_session_id',
      'enduser_id',
      'mcp_conservation_outcome',
      'mcp_conservation_loss_cause',
      'mcp_conservation_server_name',
      'mcp_conservation_observer',
    ]);
  });

  it('selects every audit event by its kind', () => {
    expect(EVENT_KINDS[EVENT_AUDIT_OPERATION]).toBe(AUDIT_KIND_VALUES.operation);
    expect(EVENT_KINDS[EVENT_AUDIT_SESSION_END]).toBe(AUDIT_KIND_VALUES.sessionEnd);
    expect(EVENT_KINDS[EVENT_AUDIT_CHAIN_END]).toBe(AUDIT_KIND_VALUES.chainEnd);
    expect(auditRecords()).toContain(
      `${AUDIT_KEYS.kind}=~"${AUDIT_KIND_VALUES.operation}|${AUDIT_KIND_VALUES.sessionEnd}|${AUDIT_KIND_VALUES.chainEnd}"`
    );
  });

  it('finds sessions over the limit with a numeric filter on the session_end request count', () => {
    const parsed = parse(substitute(sessionsOverLimit()));
    expect(parsed.nodes).toContain('NumberFilter');
    expect(sessionsOverLimit()).toContain(`${AUDIT_KEYS.kind}="${AUDIT_KIND_VALUES.sessionEnd}"`);
    expect(sessionsOverLimit()).toMatch(
      new RegExp(`${AUDIT_KEYS.sessionRequests} > ${TARGET_REQUESTS_PER_SESSION.max}$`)
    );
  });

  it('counts operations by outcome as a metric query', () => {
    const parsed = parse(substitute(auditRecordsByOutcome()));
    expect(parsed.nodes).toEqual(
      expect.arrayContaining(['MetricExpr', 'VectorAggregationExpr', 'RangeAggregationExpr', 'CountOverTime'])
    );
  });

  it('a broken expression is reported', () => {
    expect(parse('{service_name=~".+"} | mcp_conservation_outcome=~').errors).toBeGreaterThan(0);
  });
});
