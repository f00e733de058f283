/**
 * Where every rendered token of a session goes: meaningful, redundant
 * (a repeat, or a second representation), unused (a definition no call
 * used) or lost. It keeps the digests of what was delivered, the
 * definitions waiting for their use to be known, the definitions used, the
 * listings in progress and the session's totals. Token points go to a
 * sink (the recorder); the ledger itself knows no telemetry.
 */
import { CONTEXT_SOURCE_VALUES as SRC, LOSS_CAUSE_VALUES as CAUSE, methodSpec, type LossCause, type TokenDisposition } from '@mcp-conservation/semconv';
import type { Analysis, AnalyzedBlock } from './analysis.js';
import { DigestSet } from './bounded.js';
import { emptyTally, type Definition, type TokenTally } from './model.js';

/** Distinct used keys a session notes beyond its listed definitions (see noteUse). */
const MAX_USED = 4096;

/** The request a delivery answers, as far as tokens care. */
export interface Delivery {
  readonly method: string;
  /** The tool called (tools/call only). */
  readonly tool: string | undefined;
  /** No cursor: a listing's first page. */
  readonly fresh: boolean;
  /** Served from the client's cache. */
  readonly cached?: boolean;
}

/** Where the ledger's points go. `tool` is the raw name: the sink caps it. */
export interface TokenSink {
  /** `cached`: delivered from the client's cache, not the wire. */
  tokens(disposition: TokenDisposition, source: string, n: number, method: string, tool: string | undefined, cached?: boolean): void;
  lostTokens(n: number, cause: LossCause, method: string, tool: string | undefined): void;
  binaryBytes(n: number, source: string, method: string, tool: string | undefined): void;
  /** Of the tokens just reported (delivered or lost), `n` of `source` were estimated from bytes. */
  estimatedTokens?(n: number, source: string, method: string, tool: string | undefined): void;
  /** Digests forgotten since the last report: repeats past them count as meaningful. */
  evictions(n: number): void;
  /** A tool definition was delivered (its series start at zero). */
  toolListed(name: string): void;
}

export interface DeliveryOptions {
  /** The whole response is lost with this cause (its blocks are not delivered). */
  readonly lostCause: LossCause | undefined;
  /** No `nextCursor`: the listing this page belongs to is complete. */
  readonly lastPage: boolean;
  /** Host limit on rendered tokens per response. */
  readonly limit: number | undefined;
}

export class TokenLedger {
  /** The session's tokens so far, by disposition. */
  readonly totals: TokenTally = emptyTally();
  private readonly digests: DigestSet;
  /** The collections below are made when first needed: a session that lists nothing needs none, and an empty Map or Set costs about 150 bytes. */
  private readonly definitions = new Map<string, Definition>();
  private used: Set<string> | undefined;
  /** The listing in progress per definition source: the keys of its pages so far. */
  private listings: Map<string, { readonly fromFirstPage: boolean; readonly keys: Set<string> }> | undefined;
  private reportedEvictions = 0;

  constructor(
    private readonly sink: TokenSink,
    maxDigests: number,
  ) {
    this.digests = new DigestSet(maxDigests);
  }

  /**
   * A request that uses a definition (a tools/call of a tool, a read of a
   * resource) makes it meaningful. Past MAX_USED distinct keys only listed
   * definitions are noted: a long session reading thousands of distinct
   * URIs must not grow without bound (a key read before its listing is then
   * missed, and that definition counted unused).
   */
  noteUse(method: string, params: Record<string, unknown> | undefined): void {
    const uses = methodSpec(method)?.uses;
    const key = uses ? params?.[uses.key] : undefined;
    if (!uses || typeof key !== 'string') return;
    const used = `${uses.source}|${key}`;
    const noted = (this.used ??= new Set());
    if (noted.size < MAX_USED || this.definitions.has(used)) noted.add(used);
  }

  /**
   * Gives each rendered block of a response its disposition, adding them to
   * `tally` and the totals. Returns true when the host limit truncated the
   * response (blocks past the limit are lost tokens).
   */
  deliver(d: Delivery, analysis: Analysis, options: DeliveryOptions, tally: TokenTally): boolean {
    const spec = methodSpec(d.method);
    if (analysis.estimated) this.estimated(d, analysis.blocks, tally);
    if (analysis.binaryBytes > 0) this.sink.binaryBytes(analysis.binaryBytes, spec && !spec.listing ? spec.source : SRC.other, d.method, d.tool);
    if (spec?.listing && !options.lostCause) {
      this.listed(d, spec.source, analysis.blocks, tally, options.lastPage);
      return false;
    }
    const { lostCause, limit } = options;
    let delivered = 0;
    let truncated = false;
    // Summed per disposition and source, then added once each: a result of a
    // million blocks must not cost a million metric calls. A list, not a map
    // keyed by a joined string: there are a few pairs at most (two
    // dispositions by a handful of sources), and this runs for every response.
    const sums: { disposition: TokenDisposition; source: string; tokens: number }[] = [];
    const add = (disposition: TokenDisposition, source: string, n: number) => {
      for (const sum of sums) {
        if (sum.disposition === disposition && sum.source === source) {
          sum.tokens += n;
          return;
        }
      }
      sums.push({ disposition, source, tokens: n });
    };
    let lost = 0;
    for (const b of analysis.blocks) {
      if (lostCause) {
        lost += b.tokens;
        continue;
      }
      if (limit !== undefined && delivered + b.tokens > limit) {
        // The host keeps the first tokens up to its limit: the part past it is lost.
        truncated = true;
        const kept = Math.max(0, limit - delivered);
        delivered += kept;
        lost += b.tokens - kept;
        // The part kept repeats content only if the whole block was delivered before; it is not the block, so its digest is not added.
        if (kept > 0) add(b.secondRepresentation || (b.digest !== undefined && this.digests.has(b.digest)) ? 'redundant' : 'meaningful', b.source, kept);
        continue;
      }
      delivered += b.tokens;
      // The summed tail of an estimated huge response has no digest: never a repeat.
      const repeated = b.digest !== undefined && this.digests.seenBefore(b.digest);
      add(b.secondRepresentation || repeated ? 'redundant' : 'meaningful', b.source, b.tokens);
    }
    for (const sum of sums) this.count(sum.disposition, sum.source, sum.tokens, d.method, d.tool, tally, d.cached);
    if (lost > 0) {
      tally.lost += lost;
      this.sink.lostTokens(lost, lostCause ?? CAUSE.truncated, d.method, d.tool);
    }
    this.reportEvictions();
    this.totals.lost += tally.lost;
    return truncated;
  }

  /** A late answer: everything it carried is lost (nobody was waiting, or it came too late). Returns its tokens. */
  lateLoss(d: Delivery, analysis: Analysis | undefined): number {
    if (analysis?.estimated) this.estimated(d, analysis.blocks, emptyTally());
    const tokens = (analysis?.blocks ?? []).reduce((n, b) => n + b.tokens, 0);
    if (tokens) this.sink.lostTokens(tokens, CAUSE.late, d.method, d.tool);
    this.totals.lost += tokens;
    return tokens;
  }

  /**
   * An estimated response: its tokens, whatever their disposition, go to
   * the estimated counter by source, and the tally (the audit record) and
   * the session's totals say so.
   */
  private estimated(d: Delivery, blocks: readonly AnalyzedBlock[], tally: TokenTally): void {
    const bySource = new Map<string, number>();
    for (const b of blocks) bySource.set(b.source, (bySource.get(b.source) ?? 0) + b.tokens);
    for (const [source, n] of bySource) if (n > 0) this.sink.estimatedTokens?.(n, source, d.method, d.tool);
    tally.estimated = true;
    this.totals.estimated = true;
  }

  /** The session ended: every definition still waiting is decided. */
  settle(): void {
    for (const def of [...this.definitions.values()]) this.decide(def);
  }

  /**
   * Definitions from one page of a listing: repeats are redundant now; the
   * rest wait until use is known. A listing from its first page (no cursor)
   * to its last (no nextCursor) supersedes the definitions it no longer
   * carries, once its last page is in: a definition on a later page is
   * still current while the first pages come.
   */
  private listed(d: Delivery, source: string, blocks: readonly AnalyzedBlock[], tally: TokenTally, lastPage: boolean): void {
    const listings = (this.listings ??= new Map());
    let listing = listings.get(source);
    if (d.fresh || !listing) {
      listing = { fromFirstPage: d.fresh, keys: new Set() };
      listings.set(source, listing);
    }
    for (const b of blocks) {
      if (b.key === undefined || b.digest === undefined) continue;
      const key = `${source}|${b.key}`;
      listing.keys.add(key);
      if (this.digests.seenBefore(b.digest)) {
        this.count('redundant', source, b.tokens, d.method, toolOf(source, b.key), tally, d.cached);
        continue;
      }
      const previous = this.definitions.get(key);
      if (previous) this.decide(previous);
      this.definitions.set(key, { source, method: d.method, key: b.key, digest: b.digest, tokens: b.tokens });
      if (source === SRC.toolDefinition) this.sink.toolListed(b.key);
    }
    if (lastPage) {
      listings.delete(source);
      if (listing.fromFirstPage) {
        for (const [key, def] of this.definitions) {
          if (def.source === source && !listing.keys.has(key)) this.decide(def);
        }
      }
    }
    this.reportEvictions();
  }

  /** A definition's use is known (it was superseded, or the session ended): meaningful if used, else unused. */
  private decide(def: Definition): void {
    const key = `${def.source}|${def.key}`;
    if (this.definitions.get(key) !== def) return;
    this.definitions.delete(key);
    const disposition: TokenDisposition = this.used?.has(key) ? 'meaningful' : 'unused';
    this.count(disposition, def.source, def.tokens, def.method, toolOf(def.source, def.key), emptyTally());
  }

  private count(disposition: TokenDisposition, source: string, n: number, method: string, tool: string | undefined, tally: TokenTally, cached = false): void {
    tally[disposition] += n;
    this.totals[disposition] += n;
    if (n) this.sink.tokens(disposition, source, n, method, tool, cached);
  }

  private reportEvictions(): void {
    const n = this.digests.evictions - this.reportedEvictions;
    if (n > 0) {
      this.sink.evictions(n);
      this.reportedEvictions = this.digests.evictions;
    }
  }
}

/** A tool definition's points carry its tool; other definitions carry none. */
function toolOf(source: string, key: string): string | undefined {
  return source === SRC.toolDefinition ? key : undefined;
}
