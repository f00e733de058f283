/**
 * A Prometheus for `demo --report`: the installed binary (Debian's
 * `prometheus` package, the one the tests use, or $MCPC_PROMETHEUS_BINARY)
 * scraping the demo's /metrics every second into a temporary folder, on a
 * free loopback port. Nothing is downloaded: without a binary, --report says
 * how to get one.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const SCRAPE_INTERVAL_S = 1;

export interface EmbeddedPrometheus {
  readonly url: string;
  readonly job: string;
  /** Unix seconds of the newest scrape of the demo, or undefined before the first. */
  lastScrape(): Promise<number | undefined>;
  stop(): Promise<void>;
}

/** The binary to run, or undefined when none is installed. */
export function findPrometheus(): string | undefined {
  const candidates = [process.env.MCPC_PROMETHEUS_BINARY, '/usr/bin/prometheus', '/usr/local/bin/prometheus'].filter((c): c is string => !!c);
  const found = candidates.find((c) => existsSync(c));
  if (found) return found;
  return spawnSync('prometheus', ['--version'], { stdio: 'ignore' }).status === 0 ? 'prometheus' : undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function until<T>(what: string, deadlineMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startEmbeddedPrometheus(binary: string, dir: string, target: string, job: string): Promise<EmbeddedPrometheus> {
  mkdirSync(join(dir, 'data'), { recursive: true });
  const interval = `${SCRAPE_INTERVAL_S}s`;
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: ${interval}\n  evaluation_interval: ${interval}\nscrape_configs:\n  - job_name: ${JSON.stringify(job)}\n    static_configs:\n      - targets: [${JSON.stringify(target)}]\n`,
  );
  const port = await freePort();
  const logPath = join(dir, 'prometheus.log');
  const child: ChildProcess = spawn(
    binary,
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
    { stdio: ['ignore', openSync(logPath, 'w'), openSync(logPath, 'a')] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  };
  const lastScrape = async (): Promise<number | undefined> => {
    // timestamp() of the selector itself: of any other expression it gives the evaluation time.
    const body = new URLSearchParams({ query: `max(timestamp(up{job=${JSON.stringify(job)}}))` });
    const answer = (await (await fetch(`${url}/api/v1/query`, { method: 'POST', body })).json()) as { data?: { result?: { value: [number, string] }[] } };
    const v = answer.data?.result?.[0]?.value[1];
    return v === undefined ? undefined : Number(v);
  };
  try {
    await until('Prometheus to be ready', 60_000, async () => {
      if (child.exitCode !== null) throw new Error('exited');
      return (await fetch(`${url}/-/ready`)).ok || undefined;
    });
    // Traffic starts after the first scrape: every count the demo makes is in a later sample, inside the report's range.
    await until('the first scrape of the demo', 30_000, lastScrape);
  } catch (error) {
    await stop();
    const log = existsSync(logPath) ? readFileSync(logPath, 'utf8').slice(-1500) : '';
    throw new Error(`Prometheus (${binary}) did not start: ${(error as Error).message}\n${log}`);
  }
  return { url, job, lastScrape, stop };
}

/** Waits until Prometheus has scraped the demo after `unixSeconds`: the scrape holds every count made before it. */
export async function waitForScrapeAfter(prometheus: EmbeddedPrometheus, unixSeconds: number): Promise<number> {
  return until('a scrape after the last session', 30_000, async () => {
    const t = await prometheus.lastScrape();
    return t !== undefined && t > unixSeconds ? t : undefined;
  });
}
