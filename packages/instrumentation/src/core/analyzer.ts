/**
 * Runs analyses in a worker thread (default) or inline. Jobs go out in
 * batches: after a short delay, or as soon as BATCH are queued, so that a
 * host that never yields to the event loop (an in-memory transport in a
 * tight loop) still keeps the worker busy. A message to the worker costs the
 * host a thread wake-up, and a tokenizer woken for one text runs with cold
 * caches; batching spreads both. Results come back as messages,
 * and poll() takes the ready ones synchronously, so a host that never
 * yields still gets its results accounted as it goes.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { diag } from '@opentelemetry/api';
import type { TokenizerSpec } from '../types.js';
import { BatchClaims, CLAIMED_BY_HOST } from './batch-claims.js';
import { analyze, loadRenderer, loadTokenizer, MAX_EXACT_BLOCKS, type Analysis, type AnalysisJob, type CountTokens, type Render } from './analysis.js';
import { estimateAnalysis } from './estimate.js';
import { TokenEstimator } from './estimator.js';
import { jsonSize } from './json-size.js';
import { renderResult } from './render.js';

export type AnalysisDone = (analysis: Analysis) => void;

/** Whose response a job is, and the backlog its core allows: decides between counting and estimating. */
export interface AnalysisBudget {
  /** Bytes of responses waiting to be counted past which a response is estimated instead; Infinity: never. */
  readonly budgetBytes: number;
  readonly server: string | undefined;
  readonly tool: string | undefined;
}

export interface Analyzer {
  /**
   * Analyzes a response; `done` is called once, from a microtask or a
   * message, never synchronously. With a budget, a response that would
   * take the backlog past it (or one past MAX_EXACT_BLOCKS) is estimated
   * from its bytes on this thread instead of queued.
   */
  analyze(job: AnalysisJob, done: AnalysisDone, budget?: AnalysisBudget): void;
  /** Bytes of responses waiting to be counted now, and the most there were at once. */
  readonly backlog: { readonly bytes: number; readonly peakBytes: number };
  /** Delivers the results that are ready now, synchronously. */
  poll(): void;
  /** Sends the queued jobs now rather than at the next batch. */
  dispatchNow(): void;
  /** Resolves when every submitted job has its result. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

interface Waiting {
  readonly job: AnalysisJob;
  readonly done: AnalysisDone;
  /** What the job holds while it waits, as counted against the budget. */
  readonly bytes: number;
  readonly budget: AnalysisBudget | undefined;
}

/** Per string: its characters (a byte each in V8's one-byte strings, the common case) are what a job holds. */
const STRING_OVERHEAD = 16;

/**
 * What a job holds while it waits (and is copied to the worker): its
 * strings, in characters, which is about their bytes in memory. A message
 * is walked for it unless the observer knew its wire size (the proxy).
 */
function jobBytes(job: AnalysisJob): number {
  if ('texts' in job) {
    let n = job.envelopeBytes;
    for (const t of job.texts) n += t.length + STRING_OVERHEAD;
    for (const s of job.longStrings) n += s.length + STRING_OVERHEAD;
    return n;
  }
  if (job.wireBytes !== undefined) return job.wireBytes;
  try {
    const long: string[] = [];
    let n = jsonSize(job.message, long) ?? 0;
    for (const s of long) n += s.length;
    return n;
  } catch {
    return 0; // unserializable: the worker's path reports it
  }
}

/** A diagnostic at most this often while responses are estimated. */
const ESTIMATE_WARN_INTERVAL_MS = 60_000;

/** The analysis worker's nice value on Linux (19 is the lowest priority); see analysis-worker. */
const WORKER_NICE = Number(process.env.MCP_CONSERVATION_WORKER_NICE ?? 10);
/**
 * How long a flush waits for the worker before this thread counts what the
 * worker has not answered. A niced worker on a busy machine gets a sliver
 * of CPU (it may still be loading its tokenizer): a host shutting down
 * would run out of time and exit without its last records.
 */
export const FLUSH_TAKEOVER_MS = 250;

const FAILED: Analysis = { wireBytes: 0, renderBytes: 0, binaryBytes: 0, blocks: [], error: 'analysis unavailable' };

/** Jobs that go out together at once; fewer wait up to BATCH_DELAY_MS for company. */
const BATCH = 16;
const BATCH_DELAY_MS = 2;

/** Shared batching (see the file's comment). */
abstract class BatchingAnalyzer implements Analyzer {
  private queue: Waiting[] = [];
  private scheduled = false;
  protected inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly estimator = new TokenEstimator();
  readonly backlog = { bytes: 0, peakBytes: 0 };
  /** The renderer estimates use on this thread: the default, or the configured module once loaded here. */
  private mainRender: Render | undefined;
  private renderLoading = false;
  private lastWarned = -Infinity;

  constructor(private readonly renderer: string | undefined) {
    if (renderer === undefined) this.mainRender = renderResult;
  }

  analyze(job: AnalysisJob, done: AnalysisDone, budget?: AnalysisBudget): void {
    const bytes = jobBytes(job);
    if (budget && this.shouldEstimate(job, bytes, budget)) {
      const render = this.mainRender as Render;
      const analysis = estimateAnalysis(job, render, (source) => this.estimator.tokensPerByte(budget.server, budget.tool, source));
      // What waits for company goes out now: it is the backlog, and it drains only once counted.
      queueMicrotask(() => {
        this.dispatch();
        done(analysis);
      });
      return;
    }
    this.backlog.bytes += bytes;
    if (this.backlog.bytes > this.backlog.peakBytes) this.backlog.peakBytes = this.backlog.bytes;
    this.queue.push({ job, done, bytes, budget });
    this.inFlight++;
    // A microtask, not now: `done` is never called before analyze() returns.
    if (this.queue.length === BATCH) queueMicrotask(this.dispatch);
    else if (!this.scheduled) {
      this.scheduled = true;
      setTimeout(this.onTimer, BATCH_DELAY_MS);
    }
  }

  /** Whether a job is estimated rather than counted: it would take the backlog past its budget, or it is huge. */
  private shouldEstimate(job: AnalysisJob, bytes: number, budget: AnalysisBudget): boolean {
    // Unlimited: everything is counted exactly, whatever it costs (the truth tests run so).
    if (budget.budgetBytes === Infinity) return false;
    const huge = 'texts' in job && job.huge === true;
    if (!huge && this.backlog.bytes + bytes <= budget.budgetBytes) return false;
    if (!this.mainRender) {
      // A configured renderer is loaded on this thread the first time it is needed; until then, counting goes on.
      // (A huge job is only made with the default rendering: it never waits here.)
      if (!this.renderLoading) {
        this.renderLoading = true;
        loadRenderer(this.renderer).then(
          (r) => (this.mainRender = r),
          (error: unknown) => {
            diag.warn(`mcp-conservation: renderer unavailable for estimates (${String(error)}); estimating with the default rendering`);
            this.mainRender = renderResult;
          },
        );
      }
      return false;
    }
    const now = performance.now();
    if (now - this.lastWarned >= ESTIMATE_WARN_INTERVAL_MS) {
      this.lastWarned = now;
      diag.warn(
        huge
          ? `mcp-conservation: a result of more than ${MAX_EXACT_BLOCKS} blocks is counted from its bytes (estimated), not tokenized`
          : `mcp-conservation: accounting backlog past its budget (${this.backlog.bytes} + ${bytes} > ${budget.budgetBytes} bytes): responses are counted from their bytes (estimated) until it drains`,
      );
    }
    return true;
  }

  private readonly onTimer = (): void => {
    this.scheduled = false;
    this.dispatch();
  };

  dispatchNow(): void {
    this.dispatch();
  }

  private readonly dispatch = (): void => {
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    try {
      this.run(batch.map((w) => w.job), (results) => this.settle(batch, results));
    } catch (error) {
      this.settle(batch, error);
    }
  };

  /** Delivers a batch's results (or its failure) to their callers. */
  private settle(batch: readonly Waiting[], results: readonly Analysis[] | unknown): void {
    const ok = Array.isArray(results);
    if (!ok) diag.warn(`mcp-conservation: token analysis failed: ${String(results)}`);
    for (let i = 0; i < batch.length; i++) {
      const w = batch[i] as Waiting;
      this.backlog.bytes -= w.bytes;
      const analysis = ok ? ((results as Analysis[])[i] ?? FAILED) : { ...FAILED, error: String(results) };
      if (w.budget && analysis.error === undefined) this.estimator.observe(w.budget.server, w.budget.tool, analysis.blocks as { source: string; tokens: number; bytes: number }[]);
      try {
        w.done(analysis);
      } catch (error) {
        diag.warn(`mcp-conservation: accounting an analysis failed: ${String(error)}`);
      }
    }
    this.inFlight -= batch.length;
    if (this.inFlight === 0 && this.idleWaiters.length) {
      this.idleWaiters.splice(0).forEach((r) => r());
      this.hold(false);
    }
  }

  poll(): void {}

  /**
   * Keeps the process alive (true) or not (false). Only a flush holds it:
   * pending counts never keep a host alive that is done (a server sending
   * text that takes long to count would hold it hostage), as the SDK's own
   * batch processors do not; a host that wants every record flushes or
   * shuts its providers down, which waits here.
   */
  protected hold(_on: boolean): void {}

  /** Whether a flush is waiting (the worker is held while it does). */
  protected get flushing(): boolean {
    return this.idleWaiters.length > 0;
  }

  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    this.hold(true);
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Runs jobs; calls `done` once with their results in order, or with an error. */
  protected abstract run(jobs: AnalysisJob[], done: (results: readonly Analysis[] | unknown) => void): void;
  abstract close(): Promise<void>;
}

export class InlineAnalyzer extends BatchingAnalyzer {
  private loaded: [CountTokens, Render] | undefined;
  private readonly ready: Promise<[CountTokens, Render]>;
  constructor(tokenizer: TokenizerSpec | undefined, renderer: string | undefined) {
    super(renderer);
    this.ready = Promise.all([loadTokenizer(tokenizer), loadRenderer(renderer)]);
    this.ready.then((l) => (this.loaded = l), () => undefined);
  }
  protected run(jobs: AnalysisJob[], done: (results: readonly Analysis[] | unknown) => void): void {
    const go = ([count, render]: [CountTokens, Render]) => done(jobs.map((j) => analyze(j, count, render)));
    if (this.loaded) go(this.loaded);
    else this.ready.then(go, done);
  }

  /** Calls `then` once the tokenizer and renderer are loaded (now, if they are); never if they fail to load. */
  whenLoaded(then: () => void): void {
    if (this.loaded) then();
    else this.ready.then(then, () => undefined);
  }

  /** Counts jobs now, on this thread, with no batching; only once loaded (see whenLoaded). */
  countNow(jobs: readonly AnalysisJob[]): Analysis[] {
    const [count, render] = this.loaded as [CountTokens, Render];
    return jobs.map((j) => analyze(j, count, render));
  }
  async close(): Promise<void> {}
}

interface Reply {
  readonly id: number;
  readonly results?: Analysis[];
  readonly error?: string;
  /** The worker left the batch: this thread had claimed it. */
  readonly skipped?: true;
}

export class WorkerAnalyzer extends BatchingAnalyzer {
  private worker: Worker | undefined;
  private port: MessagePort | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { readonly jobs: AnalysisJob[]; readonly slot: number; readonly done: (results: readonly Analysis[] | unknown) => void }>();
  private fallback: InlineAnalyzer | undefined;
  /** Counts this thread takes over from a worker that was slow during a flush. */
  private takeover: InlineAnalyzer | undefined;
  private takeoverTimer: NodeJS.Timeout | undefined;
  private readonly claims = new BatchClaims();
  /** Batches this thread took, by id: their slots are free once the worker has said it skipped them. */
  private readonly taken = new Map<number, number>();

  constructor(
    private readonly tokenizer: TokenizerSpec | undefined,
    private readonly rendererPath: string | undefined,
  ) {
    super(rendererPath);
  }

  private start(): MessagePort | undefined {
    if (this.port || this.fallback) return this.port;
    try {
      // A port of our own: poll() can read it synchronously (receiveMessageOnPort).
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(new URL('./core/analysis-worker.js', import.meta.url), {
        workerData: { tokenizer: this.tokenizer, renderer: this.rendererPath, port: port2, nice: WORKER_NICE, claims: this.claims.shared },
        transferList: [port2],
      });
      // Neither may keep the host alive; both are ref'd only while jobs are in flight.
      worker.unref();
      port1.on('message', (reply: Reply) => this.reply(reply));
      port1.unref();
      worker.on('error', (error) => this.failOver(error));
      worker.on('exit', (code) => {
        if (this.worker === worker) this.failOver(new Error(`analysis worker exited with code ${code}`));
      });
      this.worker = worker;
      this.port = port1;
      if (this.flushing) this.hold(true);
    } catch (error) {
      this.failOver(error);
    }
    return this.port;
  }

  private reply(reply: Reply): void {
    const taken = this.taken.get(reply.id);
    if (taken !== undefined) {
      this.taken.delete(reply.id);
      this.claims.release(taken);
      return;
    }
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.pending.delete(reply.id);
    this.claims.release(waiting.slot);
    waiting.done(reply.results ?? new Error(reply.error ?? 'worker error'));
  }

  /**
   * A flush that still waits after FLUSH_TAKEOVER_MS counts unanswered
   * batches on this thread too: the host asked to wait, and is better
   * served by this thread's full priority than by a starved worker. The
   * worker goes on from the oldest batch, this thread from the newest, and
   * a batch is counted by whichever claims it first (batch-claims), so no
   * work is done twice. Both count with the same tokenizer and renderer,
   * so the results are the same.
   */
  override idle(): Promise<void> {
    const idle = super.idle();
    if (this.pending.size > 0 && !this.takeoverTimer) {
      this.takeoverTimer = setTimeout(() => {
        this.takeoverTimer = undefined;
        this.takeOver();
      }, FLUSH_TAKEOVER_MS);
      this.takeoverTimer.unref();
      void idle.then(() => {
        if (this.takeoverTimer) clearTimeout(this.takeoverTimer);
        this.takeoverTimer = undefined;
      });
    }
    return idle;
  }

  private takeOver(): void {
    this.poll();
    if (!this.flushing || this.pending.size === 0) return;
    diag.debug(`mcp-conservation: the analysis worker has not answered ${this.pending.size} batch(es) within ${FLUSH_TAKEOVER_MS} ms of a flush; counting the newest on this thread`);
    const inline = (this.takeover ??= new InlineAnalyzer(this.tokenizer, this.rendererPath));
    inline.whenLoaded(() => this.shareBacklog(inline));
  }

  /** Counts unclaimed batches here, newest first, one at a time, taking in the worker's answers between them. */
  private shareBacklog(inline: InlineAnalyzer): void {
    if (!this.flushing) return;
    for (const id of [...this.pending.keys()].reverse()) {
      const batch = this.pending.get(id);
      if (!batch || !this.claims.claim(batch.slot, CLAIMED_BY_HOST)) continue;
      this.pending.delete(id);
      this.taken.set(id, batch.slot);
      batch.done(inline.countNow(batch.jobs));
      this.poll();
    }
  }

  override poll(): void {
    const port = this.port;
    if (!port || this.pending.size === 0) return;
    for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) this.reply(m.message as Reply);
  }

  private failOver(error: unknown): void {
    diag.warn(`mcp-conservation: analysis worker unavailable (${String(error)}); counting tokens inline`);
    this.port?.close();
    this.worker = undefined;
    this.port = undefined;
    this.fallback ??= new InlineAnalyzer(this.tokenizer, this.rendererPath);
    this.taken.clear();
    for (const [id, { done }] of this.pending) {
      this.pending.delete(id);
      done(error instanceof Error ? error : new Error(String(error)));
    }
  }

  protected run(jobs: AnalysisJob[], done: (results: readonly Analysis[] | unknown) => void): void {
    const port = this.start();
    if (!port) {
      countWith(this.fallback as InlineAnalyzer, jobs, done);
      return;
    }
    const id = this.nextId++;
    const slot = this.claims.allocate();
    this.pending.set(id, { jobs, slot, done });
    port.postMessage({ id, slot, jobs });
  }

  protected override hold(on: boolean): void {
    if (on) {
      this.worker?.ref();
      this.port?.ref();
    } else {
      this.worker?.unref();
      this.port?.unref();
    }
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.port?.close();
    this.worker = undefined;
    this.port = undefined;
    await w?.terminate();
  }
}

/** Counts a batch with an inline analyzer, with no budget: the jobs were admitted, and are in the caller's backlog already. */
function countWith(inline: InlineAnalyzer, jobs: readonly AnalysisJob[], done: (results: readonly Analysis[]) => void): void {
  const results: Analysis[] = [];
  let left = jobs.length;
  jobs.forEach((j, i) =>
    inline.analyze(j, (a) => {
      results[i] = a;
      if (--left === 0) done(results);
    }),
  );
}

/** One analyzer per configuration, shared by every core of the process. */
const shared = new Map<string, Analyzer>();

/**
 * The analyzer for a tokenizer, renderer and threading choice. It is shared:
 * hosts often instrument each client with options of its own, and a worker
 * thread per client (each loading a 200k-entry tokenizer) would cost memory
 * and garbage collection out of all proportion. It holds no session state.
 */
export function createAnalyzer(opts: { useWorker?: boolean; tokenizer?: TokenizerSpec; renderer?: string }): Analyzer {
  const key = JSON.stringify([opts.useWorker !== false, opts.tokenizer ?? null, opts.renderer ?? null]);
  let analyzer = shared.get(key);
  if (!analyzer) {
    analyzer = opts.useWorker === false ? new InlineAnalyzer(opts.tokenizer, opts.renderer) : new WorkerAnalyzer(opts.tokenizer, opts.renderer);
    shared.set(key, analyzer);
  }
  return analyzer;
}
