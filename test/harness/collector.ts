/**
 * The built otelcol-mcp running the SHIPPED agent.yaml / gateway.yaml,
 * varied only through the environment variables those files read.
 */
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { configDir } from '@mcp-conservation/collector-config';
import { ensureCollector } from '@mcp-conservation/collector-config/build-collector';
import { ManagedProcess } from './process.js';
import { freePort } from './ports.js';
import { waitForHttpOk } from './wait.js';

export class CollectorService {
  readonly role: 'agent' | 'gateway';
  readonly process: ManagedProcess;
  /** The environment the shipped config reads. */
  readonly env: Readonly<Record<string, string>>;
  readonly healthUrl: string;
  /** OTLP/HTTP base URL (`/v1/metrics`, `/v1/logs`, `/v1/traces` below it). */
  readonly otlpHttpUrl: string;
  /** The Collector's own metrics (otelcol_*), Prometheus text format. */
  readonly telemetryUrl: string;

  constructor(role: 'agent' | 'gateway', proc: ManagedProcess, env: Record<string, string>, ports: { health: number; otlpHttp: number; telemetry: number }) {
    this.role = role;
    this.process = proc;
    this.env = env;
    this.healthUrl = `http://127.0.0.1:${ports.health}/`;
    this.otlpHttpUrl = `http://127.0.0.1:${ports.otlpHttp}`;
    this.telemetryUrl = `http://127.0.0.1:${ports.telemetry}/metrics`;
  }

  async start(): Promise<void> {
    this.process.start();
    try {
      await waitForHttpOk(this.healthUrl, `collector ${this.role}`, 60_000, () => (this.process.isRunning ? undefined : 'the process exited'));
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${this.process.log()}`);
    }
  }

  /** SIGTERM (graceful: queues flushed or persisted) or SIGKILL. */
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    return this.process.stop(signal);
  }

  /** Sum of one of the Collector's own counters (e.g. otelcol_exporter_sent_log_records; this Collector exposes them without `_total`). */
  async selfMetric(name: string, labelFilter: (labels: string) => boolean = () => true): Promise<number> {
    const text = await (await fetch(this.telemetryUrl)).text();
    let sum = 0;
    for (const line of text.split('\n')) {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
      if (m && m[1] === name && labelFilter(m[2] ?? '')) sum += Number(m[3]);
    }
    return sum;
  }
}

export interface CollectorOptions {
  readonly role: 'agent' | 'gateway';
  /** Folder for logs and state. */
  readonly dir: string;
  /** Extra files after the main config (e.g. gateway-audit-archive.yaml). */
  readonly overlays?: readonly string[];
  /** Environment for the shipped config (ports are filled in here). */
  readonly env?: Readonly<Record<string, string>>;
}

/** Creates (does not start) a collector with free ports for every listener. */
export async function createCollector(options: CollectorOptions): Promise<CollectorService> {
  const binary = ensureCollector((l) => console.log(`[e2e] ${l}`));
  const [grpc, http, health, telemetry] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const P = options.role === 'agent' ? 'MCPC_AGENT' : 'MCPC_GATEWAY';
  const env: Record<string, string> = {
    [`${P}_OTLP_GRPC_ENDPOINT`]: `127.0.0.1:${grpc}`,
    [`${P}_OTLP_HTTP_ENDPOINT`]: `127.0.0.1:${http}`,
    [`${P}_HEALTH_ENDPOINT`]: `127.0.0.1:${health}`,
    [`${P}_METRICS_HOST`]: '127.0.0.1',
    [`${P}_METRICS_PORT`]: String(telemetry),
    ...options.env,
  };
  mkdirSync(options.dir, { recursive: true });
  const configs = [join(configDir, `${options.role}.yaml`), ...(options.overlays ?? []).map((o) => join(configDir, o))];
  const proc = new ManagedProcess({
    name: `otelcol-mcp ${options.role}`,
    command: binary,
    args: configs.flatMap((c) => ['--config', c]),
    env,
    logFile: join(options.dir, `${options.role}.log`),
  });
  return new CollectorService(options.role, proc, env, { health, otlpHttp: http, telemetry });
}
