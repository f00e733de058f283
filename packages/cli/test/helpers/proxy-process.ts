/**
 * `mcp-conservation proxy --http` as a child process, as a user runs it: on a
 * free loopback port, in front of `upstream`. Resolves once it says where it
 * listens (or fails with its stderr when it exits first). A proxy still
 * running when its test file ends (a test failed before stopping it) is
 * killed then: its open pipes would otherwise keep the file, and the run,
 * from ending.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after } from 'node:test';
import { BIN } from './cli.ts';
import { until } from './otlp-receiver.ts';

export interface HttpProxyOptions {
  /** Added to this process's environment (an OTLP receiver's); without it the proxy exports nothing. */
  readonly env?: NodeJS.ProcessEnv;
  /** Proxy flags after `--listen`. */
  readonly args?: readonly string[];
  /** Node flags before the binary (`--expose-gc` for the state report's heap figures). */
  readonly node?: readonly string[];
}

export interface RunningHttpProxy {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  stderr(): string;
  alive(): boolean;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

const LISTENING = /listening on (\S+), relaying/;

const running = new Set<ChildProcess>();
after(() => {
  for (const child of running) child.kill('SIGKILL');
});

export async function startHttpProxy(upstream: string, o: HttpProxyOptions = {}): Promise<RunningHttpProxy> {
  const child = spawn(process.execPath, [...(o.node ?? []), BIN, 'proxy', '--http', upstream, '--listen', '127.0.0.1:0', ...(o.args ?? [])], {
    env: { ...process.env, ...(o.env ?? { OTEL_SDK_DISABLED: 'true' }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((r) =>
    child.on('close', (code) => {
      running.delete(child);
      r(code);
    }),
  );
  await until('the proxy to listen', () => LISTENING.test(stderr) || child.exitCode !== null);
  const url = LISTENING.exec(stderr)?.[1];
  assert.ok(url, stderr);
  return {
    url,
    port: Number(new URL(url).port),
    child,
    stderr: () => stderr,
    alive: () => child.exitCode === null,
    stop: () => (child.kill('SIGTERM'), exited),
  };
}
