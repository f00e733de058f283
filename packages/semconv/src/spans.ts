/** Span names and log event names. */

/**
 * Span name per the MCP semantic conventions: `{mcp.method.name} {target}`,
 * where target is the tool or prompt name; `{mcp.method.name}` alone when
 * there is no low-cardinality target. Resource URIs are never a target by
 * default: they are unbounded.
 */
export function spanName(method: string, target?: string): string {
  return target ? `${method} ${target}` : method;
}

/** Log event name of the audit record written for each operation. */
export const EVENT_AUDIT_OPERATION = 'mcp_conservation.audit.operation';
/** Log event name of the audit record written when a session ends. */
export const EVENT_AUDIT_SESSION_END = 'mcp_conservation.audit.session_end';

/** Name of the instrumentation scope (tracer, meter, logger). */
export const INSTRUMENTATION_SCOPE_NAME = '@mcp-conservation/instrumentation';

/** Methods excluded from the API call volume of a session. */
export const VOLUME_EXCLUDED_METHODS: readonly string[] = ['initialize', 'ping'];
