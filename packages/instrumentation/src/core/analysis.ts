/**
 * Analysis of one response: render it, then count each block's tokens and
 * digest it. Pure and synchronous; runs in the analysis worker or inline.
 * Keeps no content: only digests and counts leave this function.
 */
import { hash } from 'node:crypto';
import type { Rendering } from '../types.js';
import { CONTEXT_SOURCE_VALUES as SRC } from '@mcp-conservation/semconv';
import { jsonSize, stringSize } from './json-size.js';
import { renderResult } from './render.js';
import { exactCounter } from './tokenizer.js';

/** A response to render and count where the job runs. */
export interface MessageJob {
  readonly method: string;
  /** The JSON-RPC response message as received. */
  readonly message: unknown;
  /** Wire size when the observer saw raw bytes (the proxy); else the compact JSON size. */
  readonly wireBytes?: number;
}

/**
 * A response already rendered on the host's thread: only its strings travel.
 * The wire size is `wireBytes` when known (the proxy), else `envelopeBytes`
 * plus the JSON size of each of `longStrings`, measured in the worker.
 */
export interface RenderedJob {
  readonly texts: readonly string[];
  readonly source: string;
  readonly wireBytes?: number;
  readonly envelopeBytes: number;
  readonly longStrings: readonly string[];
  /**
   * Set for a result of more than MAX_EXACT_BLOCKS blocks: it is estimated
   * from its bytes, never sent to be counted (see renderedJob), and its
   * `envelopeBytes` already include its blocks (an estimate itself).
   */
  readonly huge?: true;
}

export type AnalysisJob = MessageJob | RenderedJob;

export interface AnalyzedBlock {
  readonly source: string;
  readonly key?: string;
  readonly secondRepresentation?: boolean;
  /** Absent for the merged tail of an estimated huge response: those blocks are never recognized as repeats. */
  readonly digest?: string;
  readonly tokens: number;
  /** UTF-8 bytes of the block's text: what the estimator calibrates on. */
  readonly bytes?: number;
}

export interface Analysis {
  readonly wireBytes: number;
  /** UTF-8 bytes of the rendering plus decoded binary bytes. */
  readonly renderBytes: number;
  readonly binaryBytes: number;
  readonly blocks: readonly AnalyzedBlock[];
  /** Set when the job could not be analyzed; counts are then zero. */
  readonly error?: string;
  /** True when the token counts were estimated from bytes (see estimate.ts), not counted. */
  readonly estimated?: boolean;
}

export type CountTokens = (text: string) => number;
export type Render = (method: string, result: unknown) => Rendering;

/**
 * Token counts by digest, one cache per tokenizer, so that repeated content
 * is counted once per process. Holds no content.
 */
const countCaches = new WeakMap<CountTokens, Map<string, number>>();
const COUNT_CACHE_MAX = 8192;

export function digestOf(text: string): string {
  return hash('sha256', text, 'base64url').slice(0, 32);
}

function cachedCount(digest: string, text: string, count: CountTokens): number {
  let countCache = countCaches.get(count);
  if (!countCache) countCaches.set(count, (countCache = new Map()));
  const hit = countCache.get(digest);
  if (hit !== undefined) return hit;
  const n = count(text);
  if (countCache.size >= COUNT_CACHE_MAX) countCache.delete(countCache.keys().next().value as string);
  countCache.set(digest, n);
  return n;
}

/**
 * The common result, a tools/call answered with text blocks only, rendered
 * where it arrives: the default rendering of it is its texts, and sending
 * strings to the worker costs a fraction of cloning the message. Anything
 * else (structured content, binary, other methods) returns undefined and
 * travels whole.
 */
export function renderedJob(method: string, message: unknown, wireBytes: number | undefined): RenderedJob | undefined {
  if (method !== 'tools/call') return undefined;
  const result = (message as { result?: unknown } | null)?.result as { content?: unknown; structuredContent?: unknown } | undefined;
  if (typeof result !== 'object' || result === null || result.structuredContent !== undefined || !Array.isArray(result.content)) return undefined;
  const content = result.content as unknown[];
  if (content.length > MAX_EXACT_BLOCKS) return hugeJob(message, content, wireBytes);
  const texts: string[] = [];
  for (const block of content) {
    const b = block as { type?: unknown; text?: unknown } | null;
    if (typeof b !== 'object' || b === null || b.type !== 'text') return undefined;
    if (typeof b.text === 'string') texts.push(b.text);
  }
  if (wireBytes !== undefined) return { texts, source: SRC.toolResult, wireBytes, envelopeBytes: 0, longStrings: [] };
  const longStrings: string[] = [];
  let envelopeBytes: number | undefined;
  try {
    envelopeBytes = jsonSize(message, longStrings);
  } catch {
    return undefined; // unserializable or too deep: the worker's path reports it
  }
  if (envelopeBytes === undefined) return undefined;
  return { texts, source: SRC.toolResult, envelopeBytes, longStrings };
}

/**
 * Blocks past which one result is not counted exactly but estimated from
 * its bytes: sending a million texts to the worker and a million counts
 * and digests back (the cloning of the results alone took 0.8 s for a
 * million blocks) stalls the host far more than the response itself.
 */
export const MAX_EXACT_BLOCKS = 10_000;
/** `{"type":"text","text":` and `}`: a text block's JSON beyond its text. */
const TEXT_BLOCK_ENVELOPE = 23;

/**
 * A result of more than MAX_EXACT_BLOCKS blocks, text or not: its texts,
 * and its wire size without walking every block's keys (as a text block
 * of `type` and `text` only; a block with more keys is undercounted by
 * them, which the estimate accepts). A non-text block makes it a MessageJob
 * like any other, sized by its bytes.
 */
function hugeJob(message: unknown, content: readonly unknown[], wireBytes: number | undefined): RenderedJob | undefined {
  const texts: string[] = [];
  let blockBytes = 0;
  for (const block of content) {
    const b = block as { type?: unknown; text?: unknown } | null;
    if (typeof b !== 'object' || b === null || b.type !== 'text' || typeof b.text !== 'string') return undefined;
    texts.push(b.text);
    if (wireBytes === undefined) blockBytes += TEXT_BLOCK_ENVELOPE + stringSize(b.text);
  }
  if (wireBytes !== undefined) return { texts, source: SRC.toolResult, wireBytes, envelopeBytes: 0, longStrings: [], huge: true };
  const m = message as { result: Record<string, unknown> };
  let envelopeBytes: number | undefined;
  try {
    envelopeBytes = jsonSize({ ...m, result: { ...m.result, content: [] } });
  } catch {
    return undefined;
  }
  if (envelopeBytes === undefined) return undefined;
  return { texts, source: SRC.toolResult, envelopeBytes: envelopeBytes + blockBytes + Math.max(0, texts.length - 1), longStrings: [], huge: true };
}

function analyzeRendered(job: RenderedJob, count: CountTokens): Analysis {
  try {
    let renderBytes = 0;
    const blocks = job.texts.map((text) => {
      const bytes = Buffer.byteLength(text);
      renderBytes += bytes;
      const digest = digestOf(text);
      return { source: job.source, digest, tokens: cachedCount(digest, text, count), bytes };
    });
    let wireBytes = job.wireBytes ?? job.envelopeBytes;
    if (job.wireBytes === undefined) for (const s of job.longStrings) wireBytes += stringSize(s);
    return { wireBytes, renderBytes, binaryBytes: 0, blocks };
  } catch (error) {
    return { wireBytes: 0, renderBytes: 0, binaryBytes: 0, blocks: [], error: error instanceof Error ? error.message : String(error) };
  }
}

export function analyze(job: AnalysisJob, count: CountTokens, render: Render = renderResult): Analysis {
  if ('texts' in job) return analyzeRendered(job, count);
  try {
    const msg = job.message as { result?: unknown } | null;
    const wireBytes = job.wireBytes ?? Buffer.byteLength(JSON.stringify(job.message) ?? '');
    const rendering = render(job.method, msg?.result);
    let renderBytes = rendering.binaryBytes;
    const blocks = rendering.blocks.map((b) => {
      const bytes = Buffer.byteLength(b.text);
      renderBytes += bytes;
      const digest = digestOf(b.text);
      return {
        source: b.source,
        ...(b.key !== undefined ? { key: b.key } : {}),
        ...(b.secondRepresentation ? { secondRepresentation: true } : {}),
        digest,
        tokens: cachedCount(digest, b.text, count),
        bytes,
      };
    });
    return { wireBytes, renderBytes, binaryBytes: rendering.binaryBytes, blocks };
  } catch (error) {
    return { wireBytes: 0, renderBytes: 0, binaryBytes: 0, blocks: [], error: error instanceof Error ? error.message : String(error) };
  }
}

/** Texts up to this length are counted whole, exactly (unless they hold a run past LONG_RUN). */
export const EXACT_COUNT_LIMIT = 32_768;
const CHUNK = 8_192;
/**
 * Letters in one run beyond which a run is cut. The BPE merge of one
 * pre-tokenized piece costs about its length squared, and the tokenizer
 * caches every piece it merged: a server sending megabytes of text without
 * a space or a digit (one piece) would take seconds per response and leave
 * its pieces in the cache. Words of real text are far shorter.
 */
export const LONG_RUN = 256;
/** Runs the tokenizer's pre-tokenizer keeps as one piece: letters, punctuation, whitespace. */
const LONG_RUN_RE = /[\p{L}\p{M}]{257,}|[^\s\p{L}\p{N}]{257,}|\s{257,}/gu;

const WHITESPACE_RUN = /\s{257}/;

/**
 * Whether a text may hold a run past LONG_RUN. A quick, native test: the
 * Unicode run pattern costs more than counting the text itself (28 µs for
 * 2 KB of prose), so it runs only where spaces are further apart than
 * LONG_RUN, or where a long run of whitespace is found (a pattern without
 * Unicode classes, which costs under a microsecond).
 */
function mayHoldLongRun(text: string): boolean {
  if (WHITESPACE_RUN.test(text)) return true;
  let last = -1;
  for (let at = text.indexOf(' '); at !== -1; at = text.indexOf(' ', at + 1)) {
    if (at - last > LONG_RUN + 1) return true;
    last = at;
  }
  return text.length - last > LONG_RUN + 1;
}

/** Where to cut a text before counting: inside runs past LONG_RUN, and at whitespace every CHUNK past EXACT_COUNT_LIMIT. */
function cutsOf(text: string): number[] {
  const cuts: number[] = [];
  if (mayHoldLongRun(text)) {
    LONG_RUN_RE.lastIndex = 0;
    for (let m = LONG_RUN_RE.exec(text); m; m = LONG_RUN_RE.exec(text)) {
      for (let at = m.index + LONG_RUN; at < m.index + m[0].length; at += LONG_RUN) cuts.push(at);
    }
  }
  if (text.length > EXACT_COUNT_LIMIT) {
    let start = 0;
    while (start + CHUNK < text.length) {
      let end = start + CHUNK;
      const ws = text.lastIndexOf(' ', end);
      if (ws > start + CHUNK / 2) end = ws;
      cuts.push(end);
      start = end;
    }
  }
  return cuts.sort((x, y) => x - y);
}

/**
 * Counts a text, exactly for every text of ordinary words up to
 * EXACT_COUNT_LIMIT. Past it, the text is counted in chunks cut at
 * whitespace; a run of letters, punctuation or whitespace past LONG_RUN is
 * cut every LONG_RUN characters.
 * Each cut can change the count by a token or so: BPE counts are not
 * additive. This bounds the cost of hostile text (see LONG_RUN).
 */
export function boundedCount(count: CountTokens): CountTokens {
  return (text) => {
    const cuts = text.length > LONG_RUN ? cutsOf(text) : [];
    if (cuts.length === 0) return count(text);
    let total = 0;
    let start = 0;
    for (const cut of cuts) {
      if (cut > start) total += count(text.slice(start, cut));
      start = Math.max(start, cut);
    }
    return total + (start < text.length ? count(text.slice(start)) : 0);
  };
}

/**
 * Loads a tokenizer: a built-in encoding (the exact counter tokenizer.ts
 * chooses for it) or a module exporting countTokens. Either way bounded
 * for hostile text (boundedCount).
 */
export async function loadTokenizer(spec: string | { module: string } | undefined): Promise<CountTokens> {
  if (spec && typeof spec === 'object') {
    const mod = (await import(spec.module)) as { countTokens?: CountTokens; default?: { countTokens?: CountTokens } };
    const fn = mod.countTokens ?? mod.default?.countTokens;
    if (typeof fn !== 'function') throw new Error(`tokenizer module ${spec.module} exports no countTokens`);
    return boundedCount(fn);
  }
  return boundedCount(await exactCounter(spec === 'cl100k_base' ? 'cl100k_base' : 'o200k_base'));
}

/** Loads a renderer module exporting `render(method, result)`, or the default. */
export async function loadRenderer(path: string | undefined): Promise<Render> {
  if (!path) return renderResult;
  const mod = (await import(path)) as { render?: Render; default?: { render?: Render } };
  const fn = mod.render ?? mod.default?.render;
  if (typeof fn !== 'function') throw new Error(`renderer module ${path} exports no render`);
  return fn;
}
