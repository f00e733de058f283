/**
 * An incremental reader of text/event-stream, per the HTML spec's parsing
 * rules, used only to observe events: the bytes themselves are relayed
 * untouched by the caller. An event larger than `maxBytes` is skipped and
 * reported.
 */
export class SseReader {
  private buf = '';
  private data: string[] = [];
  private dataSize = 0;
  private event = '';
  private skipping = false;
  private readonly decoder = new TextDecoder();

  constructor(
    private readonly maxBytes: number,
    private readonly onEvent: (data: string, event: string) => void,
    private readonly onOversized: (bytes: number) => void,
  ) {}

  push(chunk: Uint8Array): void {
    this.feed(this.decoder.decode(chunk, { stream: true }), false);
  }

  end(): void {
    this.feed(this.decoder.decode(), true);
  }

  private feed(text: string, ended: boolean): void {
    this.buf += text;
    for (;;) {
      const i = this.buf.search(/[\r\n]/);
      if (i === -1) break;
      // A lone \r at the end may be the first half of \r\n.
      if (this.buf[i] === '\r' && i === this.buf.length - 1 && !ended) break;
      const skip = this.buf[i] === '\r' && this.buf[i + 1] === '\n' ? 2 : 1;
      const line = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + skip);
      this.line(line);
    }
    if (this.buf.length > this.maxBytes) {
      // One line longer than any event we read: drop it, and the event it belongs to.
      this.dataSize += this.buf.length;
      this.buf = '';
      this.skipping = true;
    }
  }

  private line(line: string): void {
    if (line === '') {
      if (this.skipping) this.onOversized(this.dataSize);
      else if (this.data.length) this.onEvent(this.data.join('\n'), this.event || 'message');
      this.data = [];
      this.dataSize = 0;
      this.event = '';
      this.skipping = false;
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      this.dataSize += value.length + 1;
      if (this.dataSize > this.maxBytes) this.skipping = true;
      if (!this.skipping) this.data.push(value);
    } else if (field === 'event') this.event = value;
  }
}
