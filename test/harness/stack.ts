/**
 * The end-to-end stack: agent -> gateway -> Prometheus (scrape of the
 * gateway's exporter, and remote write into a second Prometheus), traces and
 * audit logs to a test-served OTLP backend, alerts to an Alertmanager whose
 * webhook the test serves. Every service on free loopback ports, in a
 * temporary folder; `stop()` takes everything down (call it in `after`).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureCollector } from '@mcp-conservation/collector-config/build-collector';
import { ensureTools } from '@mcp-conservation/collector-config/ensure-tools';
import { createAlertmanager, type AlertmanagerService } from './alertmanager.js';
import { createCollector, type CollectorService } from './collector.js';
import { createOtlpBackend, type OtlpBackend } from './otlp-backend.js';
import { createPrometheus, type PrometheusOptions, type PrometheusService } from './prometheus.js';
import { freePort } from './ports.js';
import { phase } from './timing.js';

export interface StackOptions {
  /** Rule file text loaded into every Prometheus (e.g. renderPrometheusRules with a short window). */
  readonly rules?: string;
  /** Start an Alertmanager with a webhook receiver (default true when rules are given). */
  readonly alertmanager?: boolean;
  /** Run the gateway with gateway-audit-archive.yaml (file archive of audit records). Default true. */
  readonly auditArchive?: boolean;
  /** Scrape and evaluation interval of the Prometheus servers. Default 1s. */
  readonly interval?: string;
  /** Extra environment for the agent's and the gateway's shipped configs. */
  readonly agentEnv?: Readonly<Record<string, string>>;
  readonly gatewayEnv?: Readonly<Record<string, string>>;
  /** Keep the temporary folder after stop (logs, archive). Default: only when MCPC_E2E_KEEP is set. */
  readonly keep?: boolean;
}

export interface Stack {
  readonly dir: string;
  readonly agent: CollectorService;
  readonly gateway: CollectorService;
  /** Scrapes the gateway's prometheus exporter (`job` from service.name, honor_labels). */
  readonly promScrape: PrometheusService;
  /** Receives the gateway's remote write. */
  readonly promRemoteWrite: PrometheusService;
  readonly alertmanager: AlertmanagerService | undefined;
  /** Where the gateway sends traces and audit logs (OTLP/JSON). */
  readonly backend: OtlpBackend;
  /** The gateway's audit archive (OTLP/JSON lines), when enabled. */
  readonly auditArchivePath: string | undefined;
  /** OTLP/HTTP base URL to point SDK exporters at (the agent). */
  readonly otlpUrl: string;
  /** Starts one more Prometheus wired to the stack's Alertmanager and rules (e.g. scraping an in-process exporter). */
  addPrometheus(options: Omit<PrometheusOptions, 'dir'>): Promise<PrometheusService>;
  /** Stops everything, newest first. */
  stop(): Promise<void>;
}

/**
 * Installs what is missing (Debian packages, the otelcol-mcp binary) and
 * prints the time of each. Idempotent and cheap when all is there.
 */
export async function prepare(): Promise<void> {
  await phase('install (apt: prometheus, prometheus-alertmanager)', () => ensureTools());
  await phase('build (otelcol-mcp, cached by manifest hash)', () => ensureCollector((l) => console.log(`[e2e] ${l}`)));
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  await prepare();
  const dir = mkdtempSync(join(tmpdir(), 'mcpc-e2e-'));
  const stoppers: (() => Promise<void>)[] = [];
  const keep = options.keep ?? process.env.MCPC_E2E_KEEP !== undefined;
  const stop = async () => {
    while (stoppers.length) await (stoppers.pop() as () => Promise<void>)().catch((err) => console.error(`[e2e] stop: ${err}`));
    if (keep) console.log(`[e2e] kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  };
  try {
    return await phase('services (start and wait until ready)', async () => {
      const interval = options.interval ?? '1s';
      const withAm = options.alertmanager ?? options.rules !== undefined;
      let alertmanager: AlertmanagerService | undefined;
      if (withAm) {
        alertmanager = await createAlertmanager(dir);
        await alertmanager.start();
        stoppers.push(() => (alertmanager as AlertmanagerService).stop());
      }
      const common = { dir, interval, ...(options.rules !== undefined ? { rules: options.rules } : {}), ...(alertmanager ? { alertmanager: alertmanager.address } : {}) };
      const addPrometheus = async (o: Omit<PrometheusOptions, 'dir'>) => {
        const p = await createPrometheus({ ...common, ...o });
        await p.start();
        stoppers.push(() => p.stop());
        return p;
      };

      const exporterPort = await freePort();
      const promScrape = await addPrometheus({
        name: 'scrape',
        scrapeTargets: [{ job: 'otelcol-gateway', target: `127.0.0.1:${exporterPort}`, honorLabels: true }],
        externalLabels: { export_path: 'collector_prometheus_exporter' },
      });
      const promRemoteWrite = await addPrometheus({ name: 'remote-write', remoteWriteReceiver: true, externalLabels: { export_path: 'remote_write' } });

      const backend = await createOtlpBackend();
      await backend.start();
      stoppers.push(() => backend.stop());

      const archive = options.auditArchive ?? true;
      const auditArchivePath = archive ? join(dir, 'audit', 'audit.jsonl') : undefined;
      // The file exporter writes into an existing folder only.
      if (archive) mkdirSync(join(dir, 'audit'), { recursive: true });
      const gateway = await createCollector({
        role: 'gateway',
        dir,
        overlays: archive ? ['gateway-audit-archive.yaml'] : [],
        env: {
          MCPC_GATEWAY_PROMETHEUS_ENDPOINT: `127.0.0.1:${exporterPort}`,
          MCPC_REMOTE_WRITE_ENDPOINT: `${promRemoteWrite.url}/api/v1/write`,
          MCPC_OTLP_BACKEND_ENDPOINT: backend.url,
          MCPC_OTLP_BACKEND_ENCODING: 'json',
          MCPC_GATEWAY_STORAGE_DIR: join(dir, 'gateway-queue'),
          MCPC_GATEWAY_BATCH_TIMEOUT: '200ms',
          ...(auditArchivePath ? { MCPC_AUDIT_ARCHIVE_PATH: auditArchivePath, MCPC_AUDIT_ARCHIVE_FLUSH: '100ms' } : {}),
          ...options.gatewayEnv,
        },
      });
      await gateway.start();
      stoppers.push(() => gateway.stop());

      const agent = await createCollector({
        role: 'agent',
        dir,
        env: { MCPC_AGENT_EXPORT_ENDPOINT: gateway.otlpHttpUrl, MCPC_AGENT_BATCH_TIMEOUT: '200ms', ...options.agentEnv },
      });
      await agent.start();
      stoppers.push(() => agent.stop());

      return { dir, agent, gateway, promScrape, promRemoteWrite, alertmanager, backend, auditArchivePath, otlpUrl: agent.otlpHttpUrl, addPrometheus, stop };
    });
  } catch (err) {
    await stop();
    throw err;
  }
}
