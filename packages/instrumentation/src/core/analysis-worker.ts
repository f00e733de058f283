/** Worker-thread entry: analyzes batches of responses off the main event loop. */
import { workerData, type MessagePort } from 'node:worker_threads';
import { analyze, loadRenderer, loadTokenizer, type AnalysisJob } from './analysis.js';

interface Batch {
  readonly id: number;
  readonly jobs: readonly AnalysisJob[];
}

const port = workerData?.port as MessagePort | undefined;
const ready = Promise.all([loadTokenizer(workerData?.tokenizer), loadRenderer(workerData?.renderer)]);

port?.on('message', (batch: Batch) => {
  ready.then(
    ([count, render]) => port.postMessage({ id: batch.id, results: batch.jobs.map((j) => analyze(j, count, render)) }),
    (error: unknown) => port.postMessage({ id: batch.id, error: error instanceof Error ? error.message : String(error) }),
  );
});
