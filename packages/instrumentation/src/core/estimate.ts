/**
 * The analysis of a response that is not counted: its blocks' tokens are
 * estimated from their UTF-8 bytes at the calibrated ratio (estimator.ts).
 * It runs on the host's thread, so it costs what reading the bytes costs:
 * no tokenizer, no trip to the worker. Blocks are still digested, so that
 * repeats stay redundant, except past MAX_DIGESTED_BLOCKS blocks or
 * MAX_DIGESTED_LENGTH characters, whose tokens are summed per source into
 * one block that is never taken for a repeat.
 */
import type { Analysis, AnalysisJob, AnalyzedBlock, Render } from './analysis.js';
import { digestOf } from './analysis.js';
import { TokenEstimator } from './estimator.js';
import { jsonSize, stringSize } from './json-size.js';

/** Blocks of an estimated response digested one by one; the rest are summed. */
export const MAX_DIGESTED_BLOCKS = 1024;
/** Longer texts are not digested on the host's thread (hashing 100 MB there would stall it). */
export const MAX_DIGESTED_LENGTH = 1024 * 1024;

interface Text {
  readonly text: string;
  readonly source: string;
  readonly key?: string;
  readonly secondRepresentation?: boolean;
}

/** Estimates `job`'s tokens; `ratioOf` gives the tokens per byte of a source. Never throws. */
export function estimateAnalysis(job: AnalysisJob, render: Render, ratioOf: (source: string) => number): Analysis {
  try {
    let wireBytes: number;
    let binaryBytes = 0;
    let texts: readonly Text[] | readonly string[];
    let source = '';
    if ('texts' in job) {
      wireBytes = job.wireBytes ?? job.envelopeBytes;
      if (job.wireBytes === undefined) for (const s of job.longStrings) wireBytes += stringSize(s);
      texts = job.texts;
      source = job.source;
    } else {
      wireBytes = job.wireBytes ?? jsonSize(job.message) ?? 0;
      const rendering = render(job.method, (job.message as { result?: unknown } | null)?.result);
      binaryBytes = rendering.binaryBytes;
      texts = rendering.blocks;
    }
    const blocks: AnalyzedBlock[] = [];
    /** The summed tail, per source. */
    const tail = new Map<string, { tokens: number; bytes: number }>();
    const ratios = new Map<string, number>();
    let renderBytes = binaryBytes;
    for (let i = 0; i < texts.length; i++) {
      const t = texts[i] as Text | string;
      const text = typeof t === 'string' ? t : t.text;
      const src = typeof t === 'string' ? source : t.source;
      let ratio = ratios.get(src);
      if (ratio === undefined) ratios.set(src, (ratio = ratioOf(src)));
      const bytes = Buffer.byteLength(text);
      renderBytes += bytes;
      const tokens = TokenEstimator.tokensOf(bytes, ratio);
      // Definitions keep their digest and key whatever their number: a listing's decisions need them.
      const keyed = typeof t !== 'string' && t.key !== undefined;
      if (keyed || (i < MAX_DIGESTED_BLOCKS && text.length <= MAX_DIGESTED_LENGTH)) {
        const s = t as Text;
        blocks.push({
          source: src,
          ...(typeof t !== 'string' && t.key !== undefined ? { key: t.key } : {}),
          ...(typeof t !== 'string' && s.secondRepresentation ? { secondRepresentation: true } : {}),
          digest: digestOf(text),
          tokens,
          bytes,
        });
        continue;
      }
      const sum = tail.get(src);
      if (sum) {
        sum.tokens += tokens;
        sum.bytes += bytes;
      } else tail.set(src, { tokens, bytes });
    }
    for (const [src, sum] of tail) blocks.push({ source: src, tokens: sum.tokens, bytes: sum.bytes });
    return { wireBytes, renderBytes, binaryBytes, blocks, estimated: true };
  } catch (error) {
    return { wireBytes: 0, renderBytes: 0, binaryBytes: 0, blocks: [], error: error instanceof Error ? error.message : String(error) };
  }
}
