/**
 * Splits a byte stream into newline-delimited messages without decoding it,
 * so that bytes the proxy does not change go out exactly as they came. A
 * line longer than `maxBytes` is not held: its bytes pass straight through
 * as they arrive, and only its size is reported.
 */
export interface LineSink {
  /** A whole line, without its `\n` (a `\r` before it stays). */
  line(bytes: Buffer): void;
  /** Bytes of an oversized line, in order, including its final `\n` when it comes. */
  passthrough(bytes: Buffer): void;
  /** An oversized line ended (or the stream did): its total size in bytes, without the `\n`. */
  oversized(totalBytes: number): void;
  /** Bytes after the last newline when the stream ended: passed on, never parsed (no reader would parse them). */
  tail(bytes: Buffer): void;
}

const NL = 0x0a;

export class LineSplitter {
  private parts: Buffer[] = [];
  private held = 0;
  /** Bytes of the current oversized line so far, or -1 when not in one. */
  private passing = -1;

  constructor(
    private readonly maxBytes: number,
    private readonly sink: LineSink,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(NL, start);
      const end = nl === -1 ? chunk.length : nl;
      if (this.passing >= 0) {
        this.passing += end - start;
        this.sink.passthrough(chunk.subarray(start, nl === -1 ? end : nl + 1));
        if (nl === -1) return;
        this.sink.oversized(this.passing);
        this.passing = -1;
        start = nl + 1;
        continue;
      }
      if (nl === -1) {
        this.parts.push(chunk.subarray(start));
        this.held += chunk.length - start;
        if (this.held > this.maxBytes) this.startPassing();
        return;
      }
      const piece = chunk.subarray(start, nl);
      if (this.held + piece.length > this.maxBytes) {
        this.parts.push(piece);
        this.held += piece.length;
        this.startPassing();
        this.sink.passthrough(chunk.subarray(nl, nl + 1));
        this.sink.oversized(this.passing);
        this.passing = -1;
      } else {
        const line = this.parts.length ? Buffer.concat([...this.parts, piece]) : piece;
        this.parts = [];
        this.held = 0;
        this.sink.line(line);
      }
      start = nl + 1;
    }
  }

  /** The stream ended. */
  end(): void {
    if (this.passing >= 0) {
      this.sink.oversized(this.passing);
      this.passing = -1;
    } else if (this.held > 0) {
      this.sink.tail(Buffer.concat(this.parts));
    }
    this.parts = [];
    this.held = 0;
  }

  private startPassing(): void {
    const held = Buffer.concat(this.parts);
    this.parts = [];
    this.passing = held.length;
    this.held = 0;
    this.sink.passthrough(held);
  }
}
