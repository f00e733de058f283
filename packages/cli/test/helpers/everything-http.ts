/**
 * @modelcontextprotocol/server-everything (SDK v1, the 2025 protocol) over
 * Streamable HTTP, as its README starts it (`streamableHttp`, `PORT`), on a
 * free loopback port. Resolves once it says on stderr that it listens; its
 * stdout (a line per request) is not read.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { freePort } from './prometheus-server.ts';
import { until } from './otlp-receiver.ts';

const EVERYTHING = createRequire(import.meta.url).resolve('@modelcontextprotocol/server-everything/dist/index.js');

export interface RunningEverything {
  /** Its MCP endpoint, http://127.0.0.1:<port>/mcp. */
  readonly url: string;
  stop(): Promise<void>;
}

export async function startEverythingHttp(): Promise<RunningEverything> {
  const port = await freePort();
  const child = spawn(process.execPath, [EVERYTHING, 'streamableHttp'], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (log += d));
  const exited = new Promise<void>((r) => child.on('close', () => r()));
  await until('server-everything to listen', () => log.includes(`listening on port ${port}`) || child.exitCode !== null);
  if (child.exitCode !== null) throw new Error(`server-everything exited (${child.exitCode}): ${log}`);
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    stop: () => (child.kill('SIGTERM'), exited),
  };
}
