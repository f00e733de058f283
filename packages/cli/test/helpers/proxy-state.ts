/**
 * Reads the proxy's state report: SIGUSR2 makes it say, on stderr, its
 * memory (after a full GC when it runs with --expose-gc) and, over HTTP,
 * what it holds in flight (src/proxy/state-report.ts).
 */
import type { ChildProcess } from 'node:child_process';
import { until } from './otlp-receiver.ts';

export interface ProxyState {
  readonly sessions?: number;
  readonly requests?: number;
  readonly listens?: number;
  readonly exchanges?: number;
  readonly rssMiB: number;
  readonly peakRssMiB: number;
  readonly heapUsedMiB: number;
  readonly externalMiB: number;
  readonly afterGc: boolean;
}

const LINE = /state: (?:sessions (\d+), requests in flight (\d+), listen streams (\d+), exchanges open (\d+); )?rss ([\d.]+) MiB \(peak ([\d.]+) MiB\), heap used ([\d.]+) MiB, external ([\d.]+) MiB( \(after a full GC\))?/g;

export function parseStates(stderr: string): ProxyState[] {
  return [...stderr.matchAll(LINE)].map((m) => ({
    ...(m[1] !== undefined ? { sessions: Number(m[1]), requests: Number(m[2]), listens: Number(m[3]), exchanges: Number(m[4]) } : {}),
    rssMiB: Number(m[5]),
    peakRssMiB: Number(m[6]),
    heapUsedMiB: Number(m[7]),
    externalMiB: Number(m[8]),
    afterGc: m[9] !== undefined,
  }));
}

/** Asks the proxy for its state and waits for the answer on its stderr. */
export async function proxyState(child: ChildProcess, stderr: () => string): Promise<ProxyState> {
  const before = parseStates(stderr()).length;
  child.kill('SIGUSR2');
  await until('the proxy to report its state', () => parseStates(stderr()).length > before);
  return parseStates(stderr())[before]!;
}
