/**
 * What each definition a server lists costs a host: rendered as the client
 * side renders definitions (`renderResult`: name, description, compact
 * schema), counted with the exact tokenizer once per distinct version, and
 * observed as a gauge per server, kind and name. A changed definition shows
 * as a step. Counting runs on the server's thread, once per version (a
 * listing of unchanged definitions costs a digest per definition), with the
 * tokenizer the observer was given (o200k_base by default).
 */
import { hash } from 'node:crypto';
import { diag, type Attributes, type Meter, type ObservableResult } from '@opentelemetry/api';
import { ATTR_DEFINITION_KIND, ATTR_DEFINITION_NAME, ATTR_SERVER_NAME, DEFINITION_KIND_VALUES, METRIC_SERVER_DEFINITION_TOKENS, type DefinitionKind } from '@mcp-conservation/semconv';
import { isObject } from '../core/json.js';
import { renderResult } from '../core/render.js';
import { loadTokenizer } from '../core/analysis.js';
import type { TokenizerSpec } from '../types.js';

/** Most priced definitions kept per observer: a server registers a bounded set; beyond, new names are not priced. */
const MAX_DEFINITIONS = 2000;

const KINDS: Record<string, { kind: DefinitionKind; field: string }> = {
  'tools/list': { kind: DEFINITION_KIND_VALUES.tool, field: 'tools' },
  'prompts/list': { kind: DEFINITION_KIND_VALUES.prompt, field: 'prompts' },
  'resources/list': { kind: DEFINITION_KIND_VALUES.resource, field: 'resources' },
  'resources/templates/list': { kind: DEFINITION_KIND_VALUES.resourceTemplate, field: 'resourceTemplates' },
};

interface Priced {
  digest: string;
  tokens: number | undefined;
  readonly attributes: Attributes;
}

/** The rendered text of one listed definition and its name, as the `definitions` command renders it. */
export function renderDefinition(method: string, item: Record<string, unknown>): { name: string; text: string } | undefined {
  const info = KINDS[method];
  if (!info) return undefined;
  const template = info.kind === DEFINITION_KIND_VALUES.resourceTemplate;
  const renderMethod = template ? 'resources/list' : method;
  const field = template ? 'resources' : info.field;
  const rendered = template ? { ...item, uri: item.uriTemplate } : item;
  const block = renderResult(renderMethod, { [field]: [rendered] }).blocks[0];
  if (!block) return undefined;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const name = info.kind === DEFINITION_KIND_VALUES.tool || info.kind === DEFINITION_KIND_VALUES.prompt ? str(item.name) : (str(item.name) ?? str(template ? item.uriTemplate : item.uri));
  return name ? { name: name.slice(0, 128), text: block.text } : undefined;
}

export class DefinitionPrices {
  private readonly priced = new Map<string, Priced>();
  private count: ((text: string) => number) | undefined;
  private loading: Promise<void> | undefined;
  private readonly registered = new WeakSet<Meter>();

  constructor(private readonly tokenizer?: TokenizerSpec) {}

  /** Registers the gauge on a meter once (a late meter provider gets it too). */
  observeOn(meter: Meter): void {
    if (this.registered.has(meter)) return;
    this.registered.add(meter);
    const def = METRIC_SERVER_DEFINITION_TOKENS;
    meter.createObservableGauge(def.name, { unit: def.unit, description: def.description }).addCallback((result: ObservableResult) => {
      for (const p of this.priced.values()) if (p.tokens !== undefined) result.observe(p.tokens, p.attributes);
    });
  }

  /** A listing page was sent: prices its definitions that are new or changed. */
  listed(method: string, result: Record<string, unknown>, base: Attributes): void {
    const info = KINDS[method];
    const items = info ? result[info.field] : undefined;
    if (!info || !Array.isArray(items)) return;
    for (const item of items) {
      if (!isObject(item)) continue;
      const def = renderDefinition(method, item);
      if (!def) continue;
      const key = `${String(base[ATTR_SERVER_NAME] ?? '')}\u0000${info.kind}\u0000${def.name}`;
      const digest = hash('sha256', def.text, 'base64url');
      const known = this.priced.get(key);
      if (known?.digest === digest) continue;
      if (!known && this.priced.size >= MAX_DEFINITIONS) continue;
      const entry: Priced = known ?? { digest, tokens: undefined, attributes: { ...base, [ATTR_DEFINITION_KIND]: info.kind, [ATTR_DEFINITION_NAME]: def.name } };
      entry.digest = digest;
      this.priced.set(key, entry);
      this.price(entry, digest, def.text);
    }
  }

  private price(entry: Priced, digest: string, text: string): void {
    if (this.count) {
      entry.tokens = this.count(text);
      return;
    }
    this.loading ??= loadTokenizer(this.tokenizer).then(
      (count) => {
        this.count = count;
      },
      (error: unknown) => diag.warn(`mcp-conservation: no tokenizer for definition prices: ${String(error)}`),
    );
    void this.loading.then(() => {
      if (this.count && entry.digest === digest) entry.tokens = this.count(text);
    });
  }

  /** Resolves once every definition seen so far is priced. */
  async flush(): Promise<void> {
    await this.loading;
    await Promise.resolve();
  }
}
