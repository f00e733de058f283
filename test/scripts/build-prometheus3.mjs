// Builds Prometheus 3 from the Go module proxy (cached outside the clone):
//   go install github.com/prometheus/prometheus/cmd/prometheus@<version>
// The module zip carries no prebuilt web UI, so the binary serves the API
// only, which is all the checks need. Prints the binary path last.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir } from '@mcp-conservation/collector-config/build-collector';

export const PROMETHEUS3_VERSION = process.env.MCPC_PROMETHEUS3_VERSION ?? 'v0.316.0';

export function ensurePrometheus3(version = PROMETHEUS3_VERSION, log = (l) => console.error(l)) {
  const gobin = join(cacheDir(), `prometheus-${version}`);
  const binary = join(gobin, 'prometheus');
  if (existsSync(binary)) {
    log(`prometheus3: cached ${binary}`);
    return binary;
  }
  mkdirSync(gobin, { recursive: true });
  const started = Date.now();
  log(`prometheus3: go install github.com/prometheus/prometheus/cmd/prometheus@${version} (minutes when cold)`);
  const r = spawnSync('go', ['install', `github.com/prometheus/prometheus/cmd/prometheus@${version}`], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, GOBIN: gobin, CGO_ENABLED: '0' },
  });
  if (r.status !== 0) throw new Error(`building Prometheus ${version} failed (exit ${r.status ?? r.signal})`);
  log(`prometheus3: built ${binary} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return binary;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(ensurePrometheus3());
}
