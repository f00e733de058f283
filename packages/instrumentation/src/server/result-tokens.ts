/**
 * The tokens of the results a server sends, rendered as the client side
 * renders them and counted by the same shared analyzer (a worker thread by
 * default), so the server's own thread pays for a job, not for a count.
 * Past the accounting budget a result is estimated from its bytes, as on the
 * client side. Counted only when a meter would record them.
 */
import { diag, type Attributes, type Counter } from '@opentelemetry/api';
import { ATTR_CONTEXT_SOURCE } from '@mcp-conservation/semconv';
import { renderedJob } from '../core/analysis.js';
import { createAnalyzer, type Analyzer } from '../core/analyzer.js';
import { budgetFromEnv } from '../core/core.js';
import type { ServerObserverOptions } from './types.js';

/** The methods whose results a host hands the model. */
const RENDERED = new Set(['tools/call', 'prompts/get', 'resources/read']);

export class ResultTokens {
  private analyzer: Analyzer | undefined;
  private readonly budgetBytes: number;

  constructor(private readonly options: ServerObserverOptions) {
    const budget = options.accountingBudgetBytes;
    this.budgetBytes = typeof budget === 'number' && budget >= 0 ? budget : budgetFromEnv();
  }

  /** Counts `message`'s rendered tokens into `counter`, by source, with `attributes`; returns at once. */
  count(method: string, message: Record<string, unknown>, counter: Counter, attributes: Attributes, server: string | undefined, tool: string | undefined): void {
    if (!RENDERED.has(method) || !('result' in message) || this.options.tokens === false) return;
    this.analyzer ??= createAnalyzer({ ...(this.options.useWorker !== undefined ? { useWorker: this.options.useWorker } : {}), ...(this.options.tokenizer !== undefined ? { tokenizer: this.options.tokenizer } : {}) });
    const job = renderedJob(method, message, undefined) ?? { method, message };
    this.analyzer.analyze(
      job,
      (analysis) => {
        if (analysis.error !== undefined) {
          diag.warn(`mcp-conservation: a server result could not be counted: ${analysis.error}`);
          return;
        }
        const bySource = new Map<string, number>();
        for (const b of analysis.blocks) bySource.set(b.source, (bySource.get(b.source) ?? 0) + b.tokens);
        for (const [source, tokens] of bySource) counter.add(tokens, { ...attributes, [ATTR_CONTEXT_SOURCE]: source });
      },
      { budgetBytes: this.budgetBytes, server, tool },
    );
  }

  /** Resolves once every result sent so far is counted. */
  async flush(): Promise<void> {
    await this.analyzer?.idle();
  }
}
