/**
 * Alertmanager (/usr/bin/prometheus-alertmanager) routing every alert, one
 * group per label set, to a webhook this process serves.
 */
import { createServer, type Server } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ManagedProcess } from './process.js';
import { freePort } from './ports.js';
import { waitFor, waitForHttpOk } from './wait.js';

export interface ReceivedAlert {
  readonly status: 'firing' | 'resolved';
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
  /** When the webhook got it. */
  readonly receivedAt: Date;
}

export class AlertmanagerService {
  readonly url: string;
  /** host:port, for Prometheus' alerting config. */
  readonly address: string;
  readonly process: ManagedProcess;
  /** Every alert notification received, in order. */
  readonly received: ReceivedAlert[];
  private readonly webhook: Server;

  constructor(port: number, proc: ManagedProcess, webhook: Server, received: ReceivedAlert[]) {
    this.received = received;
    this.address = `127.0.0.1:${port}`;
    this.url = `http://${this.address}`;
    this.process = proc;
    this.webhook = webhook;
  }

  async start(): Promise<void> {
    this.process.start();
    try {
      await waitForHttpOk(`${this.url}/-/ready`, 'alertmanager', 60_000, () => (this.process.isRunning ? undefined : 'the process exited'));
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${this.process.log()}`);
    }
  }

  async stop(): Promise<void> {
    await this.process.stop();
    await new Promise<void>((r) => this.webhook.close(() => r()));
  }

  /** Firing notifications received so far matching the labels. */
  firing(labels: Readonly<Record<string, string>>): ReceivedAlert[] {
    return this.received.filter((a) => a.status === 'firing' && Object.entries(labels).every(([k, v]) => a.labels[k] === v));
  }

  /** Waits until a firing notification with these labels reached the webhook. */
  waitForFiring(labels: Readonly<Record<string, string>>, timeoutMs = 120_000): Promise<ReceivedAlert> {
    return waitFor(() => this.firing(labels)[0], { what: `alert ${JSON.stringify(labels)} at the Alertmanager webhook`, timeoutMs, intervalMs: 500 });
  }
}

export async function createAlertmanager(dir: string): Promise<AlertmanagerService> {
  const [port, hookPort] = [await freePort(), await freePort()];
  const amDir = join(dir, 'alertmanager');
  mkdirSync(join(amDir, 'data'), { recursive: true });
  const received: ReceivedAlert[] = [];
  const webhook = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { alerts: Omit<ReceivedAlert, 'receivedAt'>[] };
        for (const a of body.alerts) received.push({ ...a, receivedAt: new Date() });
      } catch {
        // A malformed notification is simply not counted; the test waits on what it expects.
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => webhook.listen(hookPort, '127.0.0.1', () => r()));
  const config = {
    route: { receiver: 'test', group_by: ['...'], group_wait: '1s', group_interval: '1s', repeat_interval: '1h' },
    receivers: [{ name: 'test', webhook_configs: [{ url: `http://127.0.0.1:${hookPort}/alerts`, send_resolved: true }] }],
  };
  writeFileSync(join(amDir, 'alertmanager.yml'), stringify(config));
  const proc = new ManagedProcess({
    name: 'alertmanager',
    command: '/usr/bin/prometheus-alertmanager',
    args: [
      `--config.file=${join(amDir, 'alertmanager.yml')}`,
      `--storage.path=${join(amDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // No gossip cluster: it would bind 0.0.0.0:9094.
      '--cluster.listen-address=',
    ],
    logFile: join(amDir, 'alertmanager.log'),
  });
  return new AlertmanagerService(port, proc, webhook, received);
}
