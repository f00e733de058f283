/**
 * Tokens per byte, learned from the responses counted exactly, so that a
 * response the accounting cannot afford to count (the backlog is past its
 * budget, or the response alone is past the exact-count cap) is counted
 * from its bytes instead. One ratio per server, tool and source, with the
 * coarser ratios (server and source; source alone) standing in until a
 * finer one has seen enough bytes. Holds numbers only, never content.
 */

/** Tokens per UTF-8 byte before anything was counted: about 4 bytes a token in English prose (o200k, cl100k). */
export const DEFAULT_TOKENS_PER_BYTE = 0.25;
/** Bytes a ratio must have seen before it is trusted over its coarser one. */
const MIN_CALIBRATION_BYTES = 4096;
/** Past this many bytes a ratio halves its sums: it follows a server whose content changes, weighting the recent. */
const DECAY_BYTES = 4 * 1024 * 1024;
/** Distinct (server, tool, source) ratios kept; past it only the coarser ones learn. */
const MAX_RATIOS = 2048;

interface Ratio {
  tokens: number;
  bytes: number;
}

/** One counted (or to-be-estimated) block: its source and UTF-8 bytes, and its exact tokens when counted. */
export interface CalibrationBlock {
  readonly source: string;
  readonly bytes: number;
  readonly tokens: number;
}

export class TokenEstimator {
  private readonly ratios = new Map<string, Ratio>();

  /** Learns from the exactly counted blocks of one response. */
  observe(server: string | undefined, tool: string | undefined, blocks: readonly CalibrationBlock[]): void {
    // Summed per source first: a response of a million blocks updates three ratios once each.
    const bySource = new Map<string, Ratio>();
    for (const b of blocks) {
      if (!(b.bytes > 0)) continue;
      const r = bySource.get(b.source);
      if (r) {
        r.tokens += b.tokens;
        r.bytes += b.bytes;
      } else bySource.set(b.source, { tokens: b.tokens, bytes: b.bytes });
    }
    for (const [source, sum] of bySource) {
      for (const key of keysOf(server, tool, source)) this.add(key, sum);
    }
  }

  /** Tokens per byte for a block of `source` from `server`'s `tool`: the finest ratio that has seen enough. */
  tokensPerByte(server: string | undefined, tool: string | undefined, source: string): number {
    for (const key of keysOf(server, tool, source)) {
      const r = this.ratios.get(key);
      if (r && r.bytes >= MIN_CALIBRATION_BYTES) return r.tokens / r.bytes;
    }
    return DEFAULT_TOKENS_PER_BYTE;
  }

  /** Estimated tokens of `bytes` at `ratio`: at least one token for any non-empty text, as a tokenizer counts. */
  static tokensOf(bytes: number, ratio: number): number {
    return bytes > 0 ? Math.max(1, Math.round(bytes * ratio)) : 0;
  }

  private add(key: string, sum: Ratio): void {
    let r = this.ratios.get(key);
    if (!r) {
      if (this.ratios.size >= MAX_RATIOS) return;
      this.ratios.set(key, (r = { tokens: 0, bytes: 0 }));
    }
    r.tokens += sum.tokens;
    r.bytes += sum.bytes;
    if (r.bytes > DECAY_BYTES) {
      r.tokens /= 2;
      r.bytes /= 2;
    }
  }
}

/** Finest first. Empty parts are skipped rather than keyed: a server not yet known shares the source's ratio. */
function keysOf(server: string | undefined, tool: string | undefined, source: string): string[] {
  const keys: string[] = [];
  if (server !== undefined && tool !== undefined) keys.push(`${server}\u0000${tool}\u0000${source}`);
  if (server !== undefined) keys.push(`${server}\u0000\u0000${source}`);
  keys.push(`\u0000\u0000${source}`);
  return keys;
}
