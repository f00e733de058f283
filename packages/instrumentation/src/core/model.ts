/**
 * The plain types the measuring core passes along its pipeline: transport
 * hook → pairing (session) → decision (outcome) → accounting (token ledger)
 * → recording (recorder). No behaviour lives here.
 */
import type { Span, SpanContext } from '@opentelemetry/api';
import type { LossCause, Outcome, ProtocolEra } from '@mcp-conservation/semconv';

/** Which side of the protocol a session observes. Only clients are observed today. */
export type SessionDirection = 'client' | 'server';

/**
 * What one audit chain of a core session covers: a session, or a stretch of
 * time of traffic that has no observable session (the proxy's stateless
 * HTTP requests, many clients together), which gets no per-session measure.
 */
export type ChainCover = 'session' | 'time';

/** Tokens of one response (or of a session so far), by disposition. */
export interface TokenTally {
  meaningful: number;
  redundant: number;
  unused: number;
  lost: number;
  /** Some of these tokens were estimated from bytes, not counted (overload; see estimate.ts). */
  estimated?: boolean;
}

export function emptyTally(): TokenTally {
  return { meaningful: 0, redundant: 0, unused: 0, lost: 0 };
}

/** The sum of two tallies (the pages of one listing), as a new tally. */
export function addTally(a: TokenTally | undefined, b: TokenTally): TokenTally {
  if (!a) return { ...b };
  return { meaningful: a.meaningful + b.meaningful, redundant: a.redundant + b.redundant, unused: a.unused + b.unused, lost: a.lost + b.lost, ...(a.estimated || b.estimated ? { estimated: true } : {}) };
}

/**
 * What the SDK decided about one request above the transport, filled in by
 * the hooks watching its promise. It is the one route by which the SDK's
 * verdict (its result schema, a tool's output schema) reaches accounting.
 */
export interface Verdict {
  /** Watchers (the SDK's request and its callTool) yet to settle. */
  watchers: number;
  /** True once every watcher settled: a drained item may be accounted. */
  settled: boolean;
  invalidReason?: string;
}

/** One call the host made through the client API, made of one or more wire legs. */
export interface LogicalCall {
  /** Minted here, unique in the process. */
  readonly id: string;
  /** Legs sent so far. */
  legs: number;
  /** When its first leg was sent (`performance.now()`). */
  readonly startPerf: number;
  /** Its first leg's span: every later leg's span links to it. */
  firstSpan?: SpanContext;
  /** The id of its latest leg: the one a timeout the SDK reports ends. */
  lastLeg?: string;
  /** The `serverInfo.version` of the latest result of the call that carried one (a stateless server may answer from different instances). */
  serverVersion?: string;
  /** A multi-round-trip retry that could not be linked to the call it continues: a call of its own. */
  unlinked?: boolean;
  /** Set when the SDK's promise for the call is watched: its verdict covers the call, whichever leg ends it. */
  verdict?: Verdict;
  /** The tokens of a listing's pages accounted so far, before its last: the call's audit record sums every page. */
  pages?: TokenTally;
  /** Set once the call's operation is recorded: a leg accounted later changes nothing. */
  decided?: boolean;
}

/** One request sent and not yet decided. */
export interface Pending {
  /** The core's pairing key: the request's id, unless the observer handed it over under a key of its own (see wire-id.ts). */
  readonly id: string;
  /** The request's id on the wire, when `id` is a pairing key instead: what spans and records name it by. */
  readonly wireId?: string | undefined;
  /** The logical call this request is a leg of (its index is `call.legs` when it was sent, on its span). */
  readonly call: LogicalCall;
  readonly method: string;
  readonly tool: string | undefined;
  readonly prompt: string | undefined;
  readonly uri: string | undefined;
  /** No cursor: the first page of a listing (or not a listing). */
  readonly fresh: boolean;
  readonly startPerf: number;
  readonly span: Span;
  /** Kept only with an audit key, for the payload digest. */
  readonly params: unknown;
  /** The MCP session id when the request was sent (a transport forgets it on termination). */
  readonly mcpSessionId: string | undefined;
  /** A `tools/list` the v2 client sent to re-list after a `-32020`: its definitions go to the client's cache, not the host. */
  readonly relist?: boolean;
  /** Served from the v2 client's cache: no wire request (a call of zero legs). */
  readonly cached?: boolean;
  /**
   * Set when an unparseable message arrived while this was the one request
   * pending: it was most likely the response, lost as `unparseable` if no
   * answer comes (a server's stray stdout line is followed by the answer).
   */
  unparseable?: string;
  /**
   * Set when the request's own response stream ended before its answer and
   * the transport will not resume it (an HTTP stream that carried no event
   * id): nothing can answer it now, so when it ends unanswered (the caller's
   * timeout, or close) it is lost as `transport_closed`, with no late window.
   */
  streamEnded?: string;
}

/** What the SDK client's promise for a request said when it settled. */
export interface Settled {
  /** The SDK rejected the result: its own result schema, or a tool's output schema. */
  readonly invalidReason?: string;
  /** The SDK gave up on the request (a timeout), possibly without telling the server. */
  readonly timedOut?: string;
}

/**
 * What a response said, read when it arrives: the outcome needs only these,
 * so the message itself is not held until accounting (its payload is kept
 * only when an audit digest or content capture needs it).
 */
export interface WireFacts {
  /** A JSON-RPC error object. */
  readonly error?: { readonly code: string; readonly message: string; /** `data.uri` is a string: a 2026-07-28 not-found. */ readonly dataUri?: boolean };
  /** The result is an object (a response that carries context). */
  readonly hasResult: boolean;
  /** `isError: true` on a result. */
  readonly isError: boolean;
  /** No `nextCursor`: the last page of a listing. */
  readonly lastPage: boolean;
  /** The `nextCursor` of a listing page, which the next page's request echoes (fingerprinted when parked). */
  readonly nextCursor?: string;
  /** The result's `resultType` when it is a string (2026-07-28). */
  readonly resultType?: string;
  /** An `input_required` interim result: its `requestState`, which the next leg echoes (read at arrival, never kept). */
  readonly interim?: { readonly state: unknown; readonly keys?: string };
  /** The raw result and error, kept only when an audit digest or content capture reads them. */
  readonly payload?: { readonly result: unknown; readonly error: unknown };
}

/** The decided outcome of one operation. */
export interface Decision {
  readonly outcome: Outcome;
  /** A loss decided now (counted at once). */
  readonly lostNow?: LossCause;
  /** The cause written in the audit record (may differ: a timeout's loss is decided later). */
  readonly auditCause?: LossCause;
  readonly errorType?: string;
  readonly statusCode?: string;
  readonly statusMessage?: string;
  readonly contextValid: boolean;
}

/** A request given up on, remembered for a while to recognize its late answer. */
export interface Tombstone {
  readonly pending: Pending;
  /** timeout: a loss decided when the response arrives late or never; cancelled: no loss; decided: already counted. */
  readonly kind: 'timeout' | 'cancelled' | 'decided';
  readonly outcome: Outcome;
}

/** A definition delivered in a listing, waiting for its use to be known. */
export interface Definition {
  readonly source: string;
  /** The listing method that delivered it. */
  readonly method: string;
  /** Tool or prompt name, or resource URI. */
  readonly key: string;
  readonly digest: string;
  readonly tokens: number;
}

/**
 * Who the session talks to, read by every record: filled in as the session
 * learns it (the server's name and version at initialize, the user when
 * resolved). One object, owned by the session, read by the recorder.
 */
export interface SessionIdentity {
  /** Local id of the session's audit chain. */
  readonly sessionId: string;
  readonly direction: SessionDirection;
  serverName: string | undefined;
  /** Capped: it is a metric attribute value. */
  protocolVersion: string | undefined;
  /** Derived from the version as received, before capping. */
  era: ProtocolEra | undefined;
  /** The MCP session id: the transport's current one, else the last one it had. */
  mcpSessionId(): string | undefined;
  /** The last MCP session id read, without asking the transport. */
  readonly lastMcpSessionId: string | undefined;
  user: string | undefined;
  /** Self-reported, as sent (capped in length): the client's from `initialize` or the latest request `_meta`, the server's from `initialize` or the latest result `_meta`. */
  clientName: string | undefined;
  clientVersion: string | undefined;
  serverVersion: string | undefined;
}
