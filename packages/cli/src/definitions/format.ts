/**
 * The figures as text (a table per kind, then the total) and as JSON for
 * scripts. Both carry the same numbers; the text rounds shares to 0.1%.
 */
import { KINDS } from './kinds.js';
import type { DefinitionsPrice } from './price.js';

export interface Budget {
  readonly tokens: number;
  readonly over: boolean;
}

export interface CallsSource {
  readonly prometheus: string;
  readonly range: string;
  readonly start: string;
  readonly end: string;
}

export function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

function serverLine(p: DefinitionsPrice): string {
  const name = p.server.name !== undefined ? `${p.server.name}${p.server.version !== undefined ? ` ${p.server.version}` : ''}` : '(server gave no name)';
  const protocol = p.protocolVersion !== undefined ? `protocol ${p.protocolVersion}, ${p.era} era` : `${p.era} era`;
  return `${name} (${protocol}); tokens counted with ${p.tokenizer}`;
}

export function formatText(p: DefinitionsPrice, budget?: Budget, calls?: CallsSource): string {
  const lines: string[] = [serverLine(p)];
  if (calls) lines.push(`calls from ${calls.prometheus} over the last ${calls.range} (${calls.start} to ${calls.end}), cancelled calls excluded`);
  for (const { kind, title } of KINDS) {
    const k = p.kinds[kind];
    if (!k) continue;
    const withCalls = kind === 'tools' && calls !== undefined;
    const nameWidth = Math.max(4, ...k.definitions.map((d) => d.name.length));
    const tokenWidth = Math.max(6, String(k.tokens).length);
    lines.push('', `${title}: ${k.definitions.length}, ${k.pages} page${k.pages === 1 ? '' : 's'}${k.unrendered ? ` (${k.unrendered} without a name, not counted)` : ''}`);
    if (!k.definitions.length) continue;
    lines.push(`  ${'name'.padEnd(nameWidth)}  ${'tokens'.padStart(tokenWidth)}   share${withCalls ? '   calls' : ''}`);
    for (const d of k.definitions) {
      const callText = withCalls ? `  ${String(d.calls ?? 0).padStart(6)}${d.calls ? '' : '  never called'}` : '';
      lines.push(`  ${d.name.padEnd(nameWidth)}  ${String(d.tokens).padStart(tokenWidth)}  ${percent(d.share).padStart(6)}${callText}`);
    }
    lines.push(`  ${'all'.padEnd(nameWidth)}  ${String(k.tokens).padStart(tokenWidth)}  ${percent(k.share).padStart(6)}`);
  }
  const count = KINDS.reduce((n, { kind }) => n + (p.kinds[kind]?.definitions.length ?? 0), 0);
  lines.push('', `Total: ${p.total} tokens (${p.tokenizer}) in ${count} definition${count === 1 ? '' : 's'}: what every host that lists this server's definitions puts in its model's context`);
  if (calls && p.kinds.tools) {
    const never = p.kinds.tools.definitions.filter((d) => !d.calls);
    if (never.length) lines.push(`Never called in the last ${calls.range}: ${never.length} tool${never.length === 1 ? '' : 's'}, ${never.reduce((n, d) => n + d.tokens, 0)} tokens`);
  }
  if (budget) lines.push(budget.over ? `OVER BUDGET: ${p.total} tokens > budget ${budget.tokens} (by ${p.total - budget.tokens})` : `Within budget: ${p.total} tokens <= ${budget.tokens}`);
  return lines.join('\n');
}

export function formatJson(p: DefinitionsPrice, budget?: Budget, calls?: CallsSource): string {
  return JSON.stringify({ ...p, ...(budget ? { budget } : {}), ...(calls ? { calls } : {}) }, null, 2);
}
