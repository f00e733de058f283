/**
 * The price of a server's definitions: each definition rendered as the
 * default rendering hands it to the model (`renderResult`, the one the
 * instrumentation counts), its tokens, and its share of the server's total.
 * Pure: the listing and the counter come in, figures go out.
 */
import { renderResult } from '@mcp-conservation/instrumentation/core';
import { KINDS, type DefinitionKind } from './kinds.js';
import type { ServerListing } from './list.js';
import type { CountTokens, Encoding } from './tokenizer.js';

export interface PricedDefinition {
  readonly name: string;
  /** Resources and templates: the URI (template) by which they are read. */
  readonly uri?: string;
  readonly tokens: number;
  /** Of the server's total over every kind, 0..1 (0 when the total is 0). */
  readonly share: number;
  /** Tools, with Prometheus: calls in the range (cancelled calls excluded). */
  readonly calls?: number;
}

export interface PricedKind {
  readonly pages: number;
  readonly tokens: number;
  readonly share: number;
  /** Most expensive first; equal costs by name. */
  readonly definitions: readonly PricedDefinition[];
  /** Listed items the rendering gives no text for (no name or URI): not counted. */
  readonly unrendered: number;
}

export interface DefinitionsPrice {
  readonly server: ServerListing['server'];
  readonly era: string;
  readonly protocolVersion?: string;
  readonly tokenizer: Encoding;
  readonly kinds: Partial<Record<DefinitionKind, PricedKind>>;
  readonly total: number;
}

const FIELD: Record<DefinitionKind, string> = { tools: 'tools', prompts: 'prompts', resources: 'resources', resourceTemplates: 'resources' };

/**
 * The rendered text of one definition, or undefined when the rendering
 * gives none. The default rendering knows no `resources/templates/list`:
 * a template is rendered as a resource whose URI is its template (name,
 * URI template, description), which is how a host shows it.
 */
function renderOne(kind: DefinitionKind, item: Record<string, unknown>): string | undefined {
  const info = KINDS.find((k) => k.kind === kind)!;
  const method = kind === 'resourceTemplates' ? 'resources/list' : info.method;
  const rendered = kind === 'resourceTemplates' ? { ...item, uri: item.uriTemplate } : item;
  const blocks = renderResult(method, { [FIELD[kind]]: [rendered] }).blocks;
  return blocks.length ? blocks.map((b) => b.text).join('\n') : undefined;
}

function nameOf(kind: DefinitionKind, item: Record<string, unknown>): { name: string; uri?: string } {
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  if (kind === 'tools' || kind === 'prompts') return { name: str(item.name) ?? '' };
  const uri = str(kind === 'resources' ? item.uri : item.uriTemplate) ?? '';
  return { name: str(item.name) || uri, uri };
}

export function priceDefinitions(listing: ServerListing, count: CountTokens, tokenizer: Encoding, calls?: ReadonlyMap<string, number>): DefinitionsPrice {
  const counted: Partial<Record<DefinitionKind, { pages: number; rows: { name: string; uri?: string; tokens: number }[]; unrendered: number }>> = {};
  let total = 0;
  for (const { kind } of KINDS) {
    const list = listing.kinds[kind];
    if (!list) continue;
    const rows: { name: string; uri?: string; tokens: number }[] = [];
    let unrendered = 0;
    for (const item of list.items) {
      const text = renderOne(kind, item);
      if (text === undefined) {
        unrendered++;
        continue;
      }
      const tokens = count(text);
      total += tokens;
      rows.push({ ...nameOf(kind, item), tokens });
    }
    counted[kind] = { pages: list.pages, rows, unrendered };
  }
  const share = (n: number) => (total > 0 ? n / total : 0);
  const kinds: Partial<Record<DefinitionKind, PricedKind>> = {};
  for (const [kind, c] of Object.entries(counted) as [DefinitionKind, NonNullable<(typeof counted)[DefinitionKind]>][]) {
    const definitions = c.rows
      .map((r) => ({ ...r, share: share(r.tokens), ...(kind === 'tools' && calls ? { calls: calls.get(r.name) ?? 0 } : {}) }))
      .sort((a, b) => b.tokens - a.tokens || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const tokens = c.rows.reduce((n, r) => n + r.tokens, 0);
    kinds[kind] = { pages: c.pages, tokens, share: share(tokens), definitions, unrendered: c.unrendered };
  }
  return {
    server: listing.server,
    era: listing.era,
    ...(listing.protocolVersion !== undefined ? { protocolVersion: listing.protocolVersion } : {}),
    tokenizer,
    kinds,
    total,
  };
}
