/**
 * Runs analyses in a worker thread (default) or inline, batched per tick.
 * Either way the caller's request path never waits for tokenization.
 */
import { Worker } from 'node:worker_threads';
import { diag } from '@opentelemetry/api';
import type { TokenizerSpec } from '../types.js';
import { analyze, loadRenderer, loadTokenizer, type Analysis, type AnalysisJob, type CountTokens, type Render } from './analysis.js';

export interface Analyzer {
  analyze(job: AnalysisJob): Promise<Analysis>;
  /** Resolves when every submitted job has its result. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

interface Waiting {
  readonly job: AnalysisJob;
  readonly resolve: (a: Analysis) => void;
}

const FAILED: Analysis = { wireBytes: 0, renderBytes: 0, binaryBytes: 0, blocks: [], error: 'analysis unavailable' };

/** Shared batching: jobs submitted in one tick go out together. */
abstract class BatchingAnalyzer implements Analyzer {
  private queue: Waiting[] = [];
  private scheduled = false;
  protected inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  analyze(job: AnalysisJob): Promise<Analysis> {
    return new Promise((resolve) => {
      this.queue.push({ job, resolve });
      this.inFlight++;
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.dispatch());
      }
    });
  }

  private dispatch(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    this.run(batch.map((w) => w.job)).then(
      (results) => batch.forEach((w, i) => w.resolve(results[i] ?? FAILED)),
      (error: unknown) => {
        diag.warn(`mcp-conservation: token analysis failed: ${String(error)}`);
        batch.forEach((w) => w.resolve({ ...FAILED, error: String(error) }));
      },
    ).finally(() => {
      this.inFlight -= batch.length;
      this.onSettled();
      if (this.inFlight === 0) this.idleWaiters.splice(0).forEach((r) => r());
    });
  }

  protected onSettled(): void {}

  idle(): Promise<void> {
    return this.inFlight === 0 ? Promise.resolve() : new Promise((r) => this.idleWaiters.push(r));
  }

  protected abstract run(jobs: AnalysisJob[]): Promise<Analysis[]>;
  abstract close(): Promise<void>;
}

export class InlineAnalyzer extends BatchingAnalyzer {
  private readonly ready: Promise<[CountTokens, Render]>;
  constructor(tokenizer: TokenizerSpec | undefined, renderer: string | undefined) {
    super();
    this.ready = Promise.all([loadTokenizer(tokenizer), loadRenderer(renderer)]);
    this.ready.catch(() => undefined);
  }
  protected async run(jobs: AnalysisJob[]): Promise<Analysis[]> {
    const [count, render] = await this.ready;
    return jobs.map((j) => analyze(j, count, render));
  }
  async close(): Promise<void> {}
}

export class WorkerAnalyzer extends BatchingAnalyzer {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Analysis[]) => void; reject: (e: Error) => void }>();
  private fallback: InlineAnalyzer | undefined;

  constructor(
    private readonly tokenizer: TokenizerSpec | undefined,
    private readonly renderer: string | undefined,
  ) {
    super();
  }

  private start(): Worker | undefined {
    if (this.worker || this.fallback) return this.worker;
    try {
      const worker = new Worker(new URL('./core/analysis-worker.js', import.meta.url), {
        workerData: { tokenizer: this.tokenizer, renderer: this.renderer },
      });
      // The worker must never keep the host alive; it is ref'd only while jobs are in flight.
      worker.unref();
      worker.on('message', (msg: { id: number; results?: Analysis[]; error?: string }) => {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.results) p.resolve(msg.results);
        else p.reject(new Error(msg.error ?? 'worker error'));
      });
      worker.on('error', (error) => this.failOver(error));
      worker.on('exit', (code) => {
        if (this.worker === worker) this.failOver(new Error(`analysis worker exited with code ${code}`));
      });
      this.worker = worker;
    } catch (error) {
      this.failOver(error);
    }
    return this.worker;
  }

  private failOver(error: unknown): void {
    diag.warn(`mcp-conservation: analysis worker unavailable (${String(error)}); counting tokens inline`);
    this.worker = undefined;
    this.fallback ??= new InlineAnalyzer(this.tokenizer, this.renderer);
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  protected run(jobs: AnalysisJob[]): Promise<Analysis[]> {
    const worker = this.start();
    if (!worker) return Promise.all(jobs.map((j) => (this.fallback as InlineAnalyzer).analyze(j)));
    const id = this.nextId++;
    worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, jobs });
    });
  }

  protected override onSettled(): void {
    if (this.pending.size === 0) this.worker?.unref();
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    await w?.terminate();
  }
}

export function createAnalyzer(opts: { useWorker?: boolean; tokenizer?: TokenizerSpec; renderer?: string }): Analyzer {
  return opts.useWorker === false ? new InlineAnalyzer(opts.tokenizer, opts.renderer) : new WorkerAnalyzer(opts.tokenizer, opts.renderer);
}
