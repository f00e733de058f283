/** Worker-thread entry: analyzes batches of responses off the main event loop. */
import { parentPort, workerData } from 'node:worker_threads';
import { analyze, loadRenderer, loadTokenizer, type AnalysisJob } from './analysis.js';

interface Batch {
  readonly id: number;
  readonly jobs: readonly AnalysisJob[];
}

const ready = Promise.all([loadTokenizer(workerData?.tokenizer), loadRenderer(workerData?.renderer)]);

parentPort?.on('message', (batch: Batch) => {
  ready.then(
    ([count, render]) => parentPort?.postMessage({ id: batch.id, results: batch.jobs.map((j) => analyze(j, count, render)) }),
    (error: unknown) => parentPort?.postMessage({ id: batch.id, error: error instanceof Error ? error.message : String(error) }),
  );
});
