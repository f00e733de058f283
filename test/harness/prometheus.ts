/**
 * Prometheus (Debian's 2.42, or any binary given) with a config generated
 * into the stack's folder: short scrape and evaluation intervals, optional
 * remote-write receiver, rules, and an Alertmanager.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ManagedProcess } from './process.js';
import { freePort } from './ports.js';
import { waitForHttpOk } from './wait.js';

export interface ScrapeTarget {
  /** Scrape job name; for the in-process exporter, name it after the service (it becomes `job`). */
  readonly job: string;
  /** host:port */
  readonly target: string;
  /** Keep the target's own job/instance labels (the Collector's exporter sets `job` from service.name). */
  readonly honorLabels?: boolean;
}

export interface PrometheusOptions {
  readonly name: string;
  readonly dir: string;
  /** Default: $MCPC_PROMETHEUS_BINARY, else Debian's /usr/bin/prometheus. */
  readonly binary?: string;
  readonly scrapeTargets?: readonly ScrapeTarget[];
  readonly remoteWriteReceiver?: boolean;
  /** Extra flags (e.g. Prometheus 3's `--web.enable-otlp-receiver`). */
  readonly extraArgs?: readonly string[];
  /** Rule file text (e.g. from renderPrometheusRules). */
  readonly rules?: string;
  /** host:port of an Alertmanager. */
  readonly alertmanager?: string;
  /** Labels added to every alert this Prometheus sends (tells paths apart at Alertmanager). */
  readonly externalLabels?: Readonly<Record<string, string>>;
  readonly interval?: string;
}

export interface PromSample {
  readonly metric: Record<string, string>;
  readonly value: number;
}

export interface PromRule {
  readonly name: string;
  readonly state: string;
  readonly health: string;
  readonly lastEvaluation: string;
  readonly lastError?: string;
  readonly alerts: { labels: Record<string, string>; state: string; value: string }[];
}

export class PrometheusService {
  readonly name: string;
  readonly url: string;
  readonly process: ManagedProcess;

  constructor(name: string, url: string, proc: ManagedProcess) {
    this.name = name;
    this.url = url;
    this.process = proc;
  }

  async start(): Promise<void> {
    this.process.start();
    try {
      await waitForHttpOk(`${this.url}/-/ready`, `prometheus ${this.name}`, 60_000, () => (this.process.isRunning ? undefined : 'the process exited'));
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${this.process.log()}`);
    }
  }

  stop(): Promise<void> {
    return this.process.stop();
  }

  private async api<T>(path: string, params: Record<string, string> = {}): Promise<T> {
    const res = await fetch(`${this.url}${path}?${new URLSearchParams(params)}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${this.name} ${path}: ${body.error ?? res.status}`);
    return body.data;
  }

  /** Instant query; every sample of the resulting vector (a scalar becomes one sample). */
  async query(expr: string, time?: Date): Promise<PromSample[]> {
    const data = await this.api<{ resultType: string; result: unknown }>('/api/v1/query', { query: expr, ...(time ? { time: String(time.getTime() / 1000) } : {}) });
    if (data.resultType === 'scalar') return [{ metric: {}, value: Number((data.result as [number, string])[1]) }];
    return (data.result as { metric: Record<string, string>; value: [number, string] }[]).map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }

  /** The single value of an aggregate query, or undefined when the result is empty. */
  async value(expr: string): Promise<number | undefined> {
    const samples = await this.query(expr);
    if (samples.length > 1) throw new Error(`expected at most one sample from ${expr}, got ${samples.length}`);
    return samples[0]?.value;
  }

  /** Alerting rules with their state and last evaluation. */
  async rules(): Promise<PromRule[]> {
    const data = await this.api<{ groups: { rules: PromRule[] }[] }>('/api/v1/rules', { type: 'alert' });
    return data.groups.flatMap((g) => g.rules);
  }

  /** Names of the series Prometheus holds whose name starts with `prefix`. */
  async seriesNames(prefix: string): Promise<string[]> {
    const names = await this.api<string[]>('/api/v1/label/__name__/values');
    return names.filter((n) => n.startsWith(prefix));
  }
}

export async function createPrometheus(options: PrometheusOptions): Promise<PrometheusService> {
  const port = await freePort();
  const dir = join(options.dir, `prometheus-${options.name}`);
  mkdirSync(join(dir, 'data'), { recursive: true });
  const interval = options.interval ?? '1s';
  const config: Record<string, unknown> = {
    global: { scrape_interval: interval, evaluation_interval: interval, ...(options.externalLabels ? { external_labels: options.externalLabels } : {}) },
    scrape_configs: (options.scrapeTargets ?? []).map((t) => ({
      job_name: t.job,
      honor_labels: t.honorLabels ?? false,
      static_configs: [{ targets: [t.target] }],
    })),
  };
  if (options.rules !== undefined) {
    writeFileSync(join(dir, 'rules.yaml'), options.rules);
    config.rule_files = [join(dir, 'rules.yaml')];
  }
  if (options.alertmanager) config.alerting = { alertmanagers: [{ static_configs: [{ targets: [options.alertmanager] }] }] };
  writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
  const proc = new ManagedProcess({
    name: `prometheus ${options.name}`,
    command: options.binary ?? process.env.MCPC_PROMETHEUS_BINARY ?? '/usr/bin/prometheus',
    args: [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      ...(options.remoteWriteReceiver ? ['--web.enable-remote-write-receiver'] : []),
      ...(options.extraArgs ?? []),
    ],
    logFile: join(dir, 'prometheus.log'),
  });
  return new PrometheusService(options.name, `http://127.0.0.1:${port}`, proc);
}
