/**
 * An incremental reader of text/event-stream, per the HTML spec's parsing
 * rules, used only to observe events: the bytes themselves are relayed
 * untouched by the caller. An event larger than `maxBytes` is skipped and
 * reported.
 */
export class SseReader {
  /** The current line so far, in pieces: appending to one string and searching it again made a long line quadratic. */
  private parts: string[] = [];
  private partSize = 0;
  /** The last text ended with \r: a \n starting the next one belongs to it. */
  private skipLF = false;
  /** The current line was dropped (longer than any event we read): its tail is not a line of its own. */
  private inDroppedLine = false;
  private data: string[] = [];
  private dataSize = 0;
  private event = '';
  /** The last event ID buffer (the spec's): it persists across events until a new `id` field. */
  private lastEventId = '';
  private resumableSeen = false;
  private skipping = false;
  private readonly decoder = new TextDecoder();

  private readonly maxBytes: number;
  private readonly onEvent: (data: string, event: string) => void;
  private readonly onOversized: (bytes: number) => void;

  constructor(maxBytes: number, onEvent: (data: string, event: string) => void, onOversized: (bytes: number) => void) {
    this.maxBytes = maxBytes;
    this.onEvent = onEvent;
    this.onOversized = onOversized;
  }

  /**
   * An event was dispatched with a last event ID: a client can resume the
   * stream by GET with `Last-Event-ID` (the SDK clients do when it breaks).
   */
  get resumable(): boolean {
    return this.resumableSeen;
  }

  push(chunk: Uint8Array): void {
    this.feed(this.decoder.decode(chunk, { stream: true }));
  }

  end(): void {
    this.feed(this.decoder.decode());
    // An unterminated last line is discarded, as the spec says.
    this.parts = [];
    this.partSize = 0;
    this.inDroppedLine = false;
  }

  /** Scans only the new text: each character is looked at once. */
  private feed(text: string): void {
    let start = 0;
    if (this.skipLF && text.length > 0) {
      if (text.charCodeAt(0) === 10) start = 1;
      this.skipLF = false;
    }
    const terminator = /[\r\n]/g;
    terminator.lastIndex = start;
    for (let m = terminator.exec(text); m; m = terminator.exec(text)) {
      const i = m.index;
      const piece = text.slice(start, i);
      const line = this.parts.length ? this.parts.join('') + piece : piece;
      this.parts = [];
      this.partSize = 0;
      start = i + 1;
      if (text.charCodeAt(i) === 13) {
        if (i + 1 === text.length) this.skipLF = true;
        else if (text.charCodeAt(i + 1) === 10) start = i + 2;
      }
      terminator.lastIndex = start;
      if (this.inDroppedLine) this.inDroppedLine = false;
      else this.line(line);
    }
    if (start < text.length) {
      this.parts.push(text.slice(start));
      this.partSize += text.length - start;
    }
    if (this.partSize > this.maxBytes) {
      // One line longer than any event we read: drop it, and the event it belongs to.
      this.dataSize += this.partSize;
      this.parts = [];
      this.partSize = 0;
      this.skipping = true;
      this.inDroppedLine = true;
    }
  }

  private line(line: string): void {
    if (line === '') {
      // An event with no data (a priming event) still sets the stream's last event ID.
      if (this.lastEventId !== '') this.resumableSeen = true;
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
    else if (field === 'id' && !value.includes('\0')) this.lastEventId = value;
  }
}
