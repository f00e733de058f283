/**
 * A host that speaks raw JSON-RPC lines to a stdio command (the proxy, or
 * the server directly), for what the SDK cannot send or cannot read fast
 * enough: every line the command writes is kept as bytes, and a request's
 * answer is awaited by id.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { until } from './otlp-receiver.ts';

export class RawStdioHost {
  readonly child: ChildProcess;
  /** Lines the command wrote, without their newline, as bytes. */
  readonly lines: Buffer[] = [];
  private parts: Buffer[] = [];
  private err = '';
  readonly exited: Promise<number | null>;

  constructor(command: string, args: readonly string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(command, [...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.err += d));
    this.child.stdout!.on('data', (chunk: Buffer) => {
      let start = 0;
      for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
        this.parts.push(chunk.subarray(start, nl));
        this.lines.push(Buffer.concat(this.parts));
        this.parts = [];
        start = nl + 1;
      }
      if (start < chunk.length) this.parts.push(chunk.subarray(start));
    });
    this.exited = new Promise((r) => this.child.on('close', (code) => r(code)));
  }

  stderr(): string {
    return this.err;
  }

  /** Sends one line (a string or bytes), with its newline. */
  send(line: string | Buffer): void {
    this.child.stdin!.write(Buffer.concat([Buffer.isBuffer(line) ? line : Buffer.from(line, 'utf8'), Buffer.from('\n')]));
  }

  /** The line answering request `id`: one ending with its `"id":` member (how the v2 SDK writes a result), or a short line naming it. */
  async answer(id: number | string, deadlineMs = 60_000): Promise<Buffer> {
    const tail = Buffer.from(`"id":${JSON.stringify(id)}}`);
    const names = (l: Buffer) => {
      if (l.subarray(l.length - tail.length).equals(tail)) return true;
      if (l.length > 1_000_000) return false;
      try {
        const m = JSON.parse(l.toString('utf8')) as { id?: unknown; method?: unknown };
        return m.id === id && m.method === undefined;
      } catch {
        return false;
      }
    };
    let found: Buffer | undefined;
    await until(`the answer to ${String(id)}`, () => (found = this.lines.find(names)) !== undefined, deadlineMs);
    return found!;
  }

  /** Ends the command's stdin and waits for it to exit. */
  async close(): Promise<number | null> {
    this.child.stdin!.end();
    return this.exited;
  }
}
