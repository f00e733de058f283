/** The identity of a session, learnt as it goes (see SessionIdentity). */
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
