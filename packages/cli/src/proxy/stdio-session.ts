/**
 * The stdio relay's measuring session, opened at the first sign that the
 * process is a session, and the protocol era the process is pinned to.
 *
 * A v2 client in `auto` mode probes `server/discover` on a sibling process
 * and kills it (docs/conservation-metrics.md#session): that process is no
 * session, and the in-process instrumentation never sees it. So while the
 * host has sent nothing but `server/discover` requests, what crosses is
 * held (a few messages, never their bytes), and the session is opened only
 * at the first other host message, which replays what was held. A process
 * that ends first was a probe: no session, no record, no metric point.
 */
import { META_PROTOCOL_VERSION, NETWORK_TRANSPORT_VALUES, PROTOCOL_ERA_VALUES, protocolEra, type ProtocolEra } from '@mcp-conservation/semconv';
import type { MeasuringCore, McpSession } from '@mcp-conservation/instrumentation/core';
import { isObject } from '../json.js';
import { observeIncoming, observeOutgoing, observeUnparseable } from './observe.js';
import { limitedNotes, type KindNote } from './limited-notes.js';
import { undeclaredNote } from './meta-check.js';

/** A probe is one exchange, or two with the SDK's corrective re-probe; past this many held messages the process is a session. */
const MAX_HELD = 16;

type Held = { readonly from: 'host'; readonly value: unknown } | { readonly from: 'server'; readonly value: unknown; readonly wireBytes: number } | { readonly from: 'unparseable'; readonly error: SyntaxError };

const DISCOVER = 'server/discover';

function isDiscoverRequest(v: unknown): boolean {
  return isObject(v) && v.method === DISCOVER && v.id !== undefined && v.id !== null;
}

export class StdioSession {
  private session: McpSession | undefined;
  private held: Held[] | undefined = [];
  /** Ids of requests the era is learnt from: `initialize` and `server/discover`, by id. */
  private readonly handshakes = new Map<string, string>();
  private pinned: ProtocolEra | undefined;
  private contradicted = false;
  /** The host message being read is a modern request that declares no version: relayed without trace context. */
  private undeclared = false;

  private readonly core: MeasuringCore;
  private readonly note: (message: string) => void;
  private readonly noteOf: KindNote;

  // Fields assigned by hand, not as parameter properties: the CLI's tests load its sources with type stripping only.
  constructor(core: MeasuringCore, note: (message: string) => void) {
    this.core = core;
    this.note = note;
    this.noteOf = limitedNotes(note);
  }

  /** The era the process was pinned to by its first successful exchange, if any yet. */
  get era(): ProtocolEra | undefined {
    return this.pinned;
  }

  /** True while the process has shown nothing but a probe. */
  get probing(): boolean {
    return this.held !== undefined;
  }

  /** A host message. Returns the value to forward when it changed (trace context), else undefined. */
  fromHost(value: unknown): unknown {
    this.undeclared = false;
    this.guarded(() => this.learnFromHost(value));
    if (this.held !== undefined) {
      if (isDiscoverRequest(value) && this.held.length < MAX_HELD) {
        this.held.push({ from: 'host', value });
        return undefined;
      }
      this.open();
    }
    const changed = observeOutgoing(this.session!, value);
    // A modern request with no version in its _meta goes on as it came: a _meta the proxy added would change the server's answer.
    return this.undeclared ? undefined : changed;
  }

  /** A server message that parsed; `wireBytes` is its size on the wire. */
  fromServer(value: unknown, wireBytes: number): void {
    this.guarded(() => this.learnFromServer(value));
    if (this.held !== undefined) {
      if (this.held.length < MAX_HELD) this.held.push({ from: 'server', value, wireBytes });
      else {
        this.open();
        observeIncoming(this.session!, value, wireBytes);
      }
      return;
    }
    observeIncoming(this.session!, value, wireBytes);
  }

  unparseable(error: SyntaxError): void {
    if (this.held !== undefined) {
      if (this.held.length < MAX_HELD) this.held.push({ from: 'unparseable', error });
      else {
        this.open();
        observeUnparseable(this.session!, error);
      }
      return;
    }
    observeUnparseable(this.session!, error);
  }

  /** The process ended: the session closes, or, after a probe alone, nothing was a session. */
  close(): void {
    if (this.held !== undefined) {
      const probes = this.held.filter((h) => h.from === 'host').length;
      this.held = undefined;
      if (probes > 0) this.note(`a process with only ${DISCOVER} traffic (a client's sibling probe): no session recorded`);
      return;
    }
    this.session?.close();
  }

  private open(): void {
    const held = this.held ?? [];
    this.held = undefined;
    this.session = this.core.openSession({ networkTransport: NETWORK_TRANSPORT_VALUES.pipe });
    // An in-place probe, replayed: its leg is timed from now (it was held while it crossed).
    for (const h of held) {
      if (h.from === 'host') observeOutgoing(this.session, h.value);
      else if (h.from === 'server') observeIncoming(this.session, h.value, h.wireBytes);
      else observeUnparseable(this.session, h.error);
    }
  }

  /** Learning the era never stops a message. */
  private guarded(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.note(`reading the protocol era failed: ${String(error)}`);
    }
  }

  // --- The era, pinned per process --------------------------------------------------------

  private learnFromHost(value: unknown): void {
    for (const m of Array.isArray(value) ? value : [value]) {
      if (!isObject(m) || typeof m.method !== 'string' || m.id === undefined || m.id === null) continue;
      if (m.method === 'initialize' || m.method === DISCOVER) {
        this.handshakes.set(String(m.id), m.method);
        continue;
      }
      const meta = isObject(m.params) && isObject(m.params._meta) ? m.params._meta : undefined;
      const declared = meta?.[META_PROTOCOL_VERSION];
      // A process pinned modern by its discover result: every request should declare its version.
      if (typeof declared !== 'string' && this.pinned === PROTOCOL_ERA_VALUES.modern) {
        this.undeclared = true;
        this.noteOf('meta', undeclaredNote(m.method, 'in a process pinned to the modern era'));
      }
      // A modern request declares its version; a legacy one declares none.
      this.pin(typeof declared === 'string' && protocolEra(declared) === PROTOCOL_ERA_VALUES.modern ? PROTOCOL_ERA_VALUES.modern : undefined, `a ${m.method} request`);
    }
  }

  private learnFromServer(value: unknown): void {
    for (const m of Array.isArray(value) ? value : [value]) {
      if (!isObject(m) || m.method !== undefined || !('result' in m)) continue;
      const method = this.handshakes.get(String(m.id));
      if (method === undefined) continue;
      this.handshakes.delete(String(m.id));
      // An initialize result is legacy whatever it names; a discover result is modern. A failed probe pins nothing.
      this.pin(method === 'initialize' ? PROTOCOL_ERA_VALUES.legacy : PROTOCOL_ERA_VALUES.modern, `the ${method} result`);
    }
  }

  private pin(era: ProtocolEra | undefined, by: string): void {
    if (era === undefined) return;
    if (this.pinned === undefined) this.pinned = era;
    else if (this.pinned !== era && !this.contradicted) {
      this.contradicted = true;
      this.note(`${by} speaks the ${era} era in a process pinned to ${this.pinned}: telemetry keeps what each message declares (said once)`);
    }
  }
}
