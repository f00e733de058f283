/**
 * The two eras of the MCP protocol, and the `_meta` keys of the 2026-07-28
 * revision an observer reads. The era is derived from `mcp.protocol.version`
 * and nothing else (docs/conservation-metrics.md#protocol-era).
 */

/** The first protocol revision of the stateless (modern) era. */
export const MODERN_PROTOCOL_SINCE = '2026-07-28';

export const PROTOCOL_ERA_VALUES = { legacy: 'legacy', modern: 'modern' } as const;
export type ProtocolEra = (typeof PROTOCOL_ERA_VALUES)[keyof typeof PROTOCOL_ERA_VALUES];

const DATED_VERSION = /^\d{4}-\d{2}-\d{2}$/;

/** The era of a protocol version: a dated revision at or after 2026-07-28 is modern, an earlier one legacy; anything else has none. */
export function protocolEra(version: string | undefined): ProtocolEra | undefined {
  if (version === undefined || !DATED_VERSION.test(version)) return undefined;
  return version >= MODERN_PROTOCOL_SINCE ? PROTOCOL_ERA_VALUES.modern : PROTOCOL_ERA_VALUES.legacy;
}

/** `_meta` keys of the 2026-07-28 revision: every request declares its version, capabilities and (optionally) client; results name their server. */
export const META_PROTOCOL_VERSION = 'io.modelcontextprotocol/protocolVersion';
export const META_CLIENT_INFO = 'io.modelcontextprotocol/clientInfo';
export const META_CLIENT_CAPABILITIES = 'io.modelcontextprotocol/clientCapabilities';
export const META_SERVER_INFO = 'io.modelcontextprotocol/serverInfo';
