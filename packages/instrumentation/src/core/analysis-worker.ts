/** Worker-thread entry: analyzes batches of responses off the main event loop. */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { workerData, type MessagePort } from 'node:worker_threads';
import { analyze, loadRenderer, loadTokenizer, type AnalysisJob } from './analysis.js';
import { BatchClaims, CLAIMED_BY_WORKER } from './batch-claims.js';

/**
 * Counting yields to the host: on Linux, where a nice value belongs to a
 * thread, this thread lowers its own priority, so that it takes the CPU
 * time the application and its MCP servers leave over rather than competing
 * with them. Elsewhere (or when /proc is missing) it runs at normal priority.
 */
function yieldToHost(nice: number): void {
  if (process.platform !== 'linux' || !(nice > 0)) return;
  try {
    const tid = Number(/task\/(\d+)$/.exec(readlinkSync('/proc/thread-self'))?.[1]);
    if (tid > 0) setPriority(tid, nice);
  } catch {
    // Best effort: the priority is an optimization, never a requirement.
  }
}

yieldToHost(Number(workerData?.nice ?? 0));

interface Batch {
  readonly id: number;
  /** Its claim slot (batch-claims): a batch the host thread claimed during a flush is left to it. */
  readonly slot: number;
  readonly jobs: readonly AnalysisJob[];
}

const port = workerData?.port as MessagePort | undefined;
const claims = new BatchClaims(workerData?.claims as SharedArrayBuffer | undefined);
const ready = Promise.all([loadTokenizer(workerData?.tokenizer), loadRenderer(workerData?.renderer)]);

port?.on('message', (batch: Batch) => {
  ready.then(
    ([count, render]) => {
      if (!claims.claim(batch.slot, CLAIMED_BY_WORKER)) port.postMessage({ id: batch.id, skipped: true });
      else port.postMessage({ id: batch.id, results: batch.jobs.map((j) => analyze(j, count, render)) });
    },
    (error: unknown) => port.postMessage({ id: batch.id, error: error instanceof Error ? error.message : String(error) }),
  );
});
