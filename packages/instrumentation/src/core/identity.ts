/**
 * The identity of a session (see SessionIdentity), learnt as it goes: who
 * the server is and which protocol version it speaks, from the `initialize`
 * exchange (legacy) or from the `_meta` of modern requests and results.
 */
import { META_CLIENT_INFO, META_PROTOCOL_VERSION, META_SERVER_INFO, protocolEra, type ProtocolEra } from '@mcp-conservation/semconv';
import { randomUUID } from 'node:crypto';
import { isObject } from './json.js';
import type { SessionDirection, SessionIdentity } from './model.js';
import type { TransportInfo } from './recorder.js';

/**
 * The session's identity, filled in as it is learnt; the MCP session id is
 * read from the transport and remembered. A class, not a literal with a
 * getter: the literal's accessor left V8 keeping every identity (one per open
 * session) as a dictionary of about 850 bytes.
 */
class LearntIdentity implements SessionIdentity {
  serverName: string | undefined = undefined;
  protocolVersion: string | undefined = undefined;
  era: ProtocolEra | undefined = undefined;
  user: string | undefined = undefined;
  clientName: string | undefined = undefined;
  clientVersion: string | undefined = undefined;
  serverVersion: string | undefined = undefined;
  private last: string | undefined = undefined;

  constructor(
    readonly sessionId: string,
    readonly direction: SessionDirection,
    private readonly transport: TransportInfo,
  ) {}

  mcpSessionId(): string | undefined {
    const id = this.transport.mcpSessionId?.();
    if (id) this.last = id;
    return id ?? this.last;
  }

  get lastMcpSessionId(): string | undefined {
    return this.last;
  }
}

/**
 * A new session id: a UUID, as one flat string. Node builds `randomUUID()`
 * from about twenty concatenated pieces, and every record, span and cache
 * entry of the session holds it: kept as it comes, it costs an open session
 * some 850 bytes of string pieces.
 */
export function newSessionId(): string {
  return Buffer.from(randomUUID(), 'latin1').toString('latin1');
}

export function sessionIdentity(sessionId: string, direction: SessionDirection, transport: TransportInfo): SessionIdentity {
  return new LearntIdentity(sessionId, direction, transport);
}

/** Self-reported names are free text from the peer: kept as sent, up to this many characters. */
const MAX_INFO_LENGTH = 256;

/** A `clientInfo`/`serverInfo` field when it is a string (a value of another type is ignored), capped in length. */
function infoField(info: unknown, key: 'name' | 'version'): string | undefined {
  const v = isObject(info) ? info[key] : undefined;
  return typeof v === 'string' ? v.slice(0, MAX_INFO_LENGTH) : undefined;
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
  /** The last `clientInfo` object read: the v2 client sends the same one on every request, so it is read once. */
  private client: unknown;

  constructor(
    private readonly identity: SessionIdentity,
    private readonly core: IdentityContext,
  ) {}

  /** A modern request declares its protocol version in `_meta`; a legacy initialize asks for one in its params. */
  fromRequest(method: string, params: Record<string, unknown> | undefined): void {
    const meta = isObject(params?._meta) ? params._meta : undefined;
    const client = method === 'initialize' ? params?.clientInfo : meta?.[META_CLIENT_INFO];
    if (client !== undefined && client !== this.client) {
      this.client = client;
      this.identity.clientName = infoField(client, 'name') ?? this.identity.clientName;
      this.identity.clientVersion = infoField(client, 'version') ?? this.identity.clientVersion;
    }
    const declared = method === 'initialize' ? params?.protocolVersion : meta?.[META_PROTOCOL_VERSION];
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
  fromResult(method: string, result: Record<string, unknown>): string | undefined {
    const id = this.identity;
    const before = `${id.serverName ?? ''}|${id.era ?? ''}`;
    let serverVersion: string | undefined;
    if (method === 'initialize') {
      const info = result.serverInfo;
      if (isObject(info) && typeof info.name === 'string') id.serverName = info.name;
      serverVersion = infoField(info, 'version');
      if (typeof result.protocolVersion === 'string') this.version(result.protocolVersion);
    } else if (isObject(result._meta)) {
      const info = result._meta[META_SERVER_INFO];
      if (id.serverName === undefined && isObject(info) && typeof info.name === 'string') id.serverName = info.name;
      serverVersion = infoField(info, 'version');
    }
    if (serverVersion !== undefined) id.serverVersion = serverVersion;
    if (method === 'initialize' || `${id.serverName ?? ''}|${id.era ?? ''}` !== before || !this.zeroed) {
      this.zeroed = true;
      this.core.zeroInit(id.serverName, id.era);
    }
    return serverVersion;
  }

  /** Server- or client-chosen, and a metric attribute: capped like names; the era is derived before capping. */
  private version(version: string): void {
    this.identity.era = protocolEra(version);
    this.identity.protocolVersion = this.core.capProtocolVersion(version);
  }
}
