/**
 * The identity of a session (see SessionIdentity), learnt as it goes: who
 * the server is and which protocol version it speaks, from the `initialize`
 * exchange (legacy) or from the `_meta` of modern requests and results.
 */
import { META_PROTOCOL_VERSION, META_SERVER_INFO, protocolEra, type ProtocolEra } from '@mcp-conservation/semconv';
import { isObject } from './json.js';
import type { SessionDirection, SessionIdentity } from './model.js';
import type { TransportInfo } from './recorder.js';

/** The session's identity, filled in as it is learnt; the MCP session id is read from the transport and remembered. */
export function sessionIdentity(sessionId: string, direction: SessionDirection, transport: TransportInfo): SessionIdentity {
  let last: string | undefined;
  return {
    sessionId,
    direction,
    serverName: undefined,
    protocolVersion: undefined,
    era: undefined,
    user: undefined,
    mcpSessionId() {
      const id = transport.mcpSessionId?.();
      if (id) last = id;
      return id ?? last;
    },
    get lastMcpSessionId() {
      return last;
    },
  };
}

/** What the learner needs of the core: the version cap and the series created at zero. */
export interface IdentityContext {
  capProtocolVersion(version: string): string;
  zeroInit(serverName: string | undefined, era: ProtocolEra | undefined): void;
}

export class IdentityLearner {
  /** The last version a request declared: a modern client declares it on every request. */
  private declared: string | undefined;
  private zeroed = false;

  constructor(
    private readonly identity: SessionIdentity,
    private readonly core: IdentityContext,
  ) {}

  /** A modern request declares its protocol version in `_meta`; a legacy initialize asks for one in its params. */
  fromRequest(method: string, params: Record<string, unknown> | undefined): void {
    const declared = method === 'initialize' ? params?.protocolVersion : isObject(params?._meta) ? params._meta[META_PROTOCOL_VERSION] : undefined;
    if (typeof declared !== 'string' || declared === this.declared) return;
    this.declared = declared;
    this.version(declared);
  }

  /**
   * The server's name and version from the `initialize` result (legacy), or
   * from the `serverInfo` a modern result carries in its `_meta` (values of
   * the wrong type are ignored). The known series are created at zero for
   * what is known.
   */
  fromResult(method: string, result: Record<string, unknown>): void {
    const id = this.identity;
    const before = `${id.serverName ?? ''}|${id.era ?? ''}`;
    if (method === 'initialize') {
      const info = result.serverInfo;
      if (isObject(info) && typeof info.name === 'string') id.serverName = info.name;
      if (typeof result.protocolVersion === 'string') this.version(result.protocolVersion);
    } else if (id.serverName === undefined && isObject(result._meta)) {
      const info = result._meta[META_SERVER_INFO];
      if (isObject(info) && typeof info.name === 'string') id.serverName = info.name;
    }
    if (method === 'initialize' || `${id.serverName ?? ''}|${id.era ?? ''}` !== before || !this.zeroed) {
      this.zeroed = true;
      this.core.zeroInit(id.serverName, id.era);
    }
  }

  /** Server- or client-chosen, and a metric attribute: capped like names; the era is derived before capping. */
  private version(version: string): void {
    this.identity.era = protocolEra(version);
    this.identity.protocolVersion = this.core.capProtocolVersion(version);
  }
}
