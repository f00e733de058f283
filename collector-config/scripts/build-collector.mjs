#!/usr/bin/env node
// Builds otelcol-mcp from builder-config.yaml with ocb and the installed Go,
// caching the binary outside the clone, keyed by a hash of the manifest, so a
// warm machine (or a second CI step) rebuilds nothing.
//
//   node collector-config/scripts/build-collector.mjs   -> prints the binary path last
//
// Cache folder: $MCPC_CACHE_DIR, else $XDG_CACHE_HOME/mcp-conservation, else
// ~/.cache/mcp-conservation.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, copyFileSync, chmodSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const manifestPath = resolve(here, '..', 'builder-config.yaml');

export function cacheDir() {
  if (process.env.MCPC_CACHE_DIR) return resolve(process.env.MCPC_CACHE_DIR);
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'mcp-conservation');
}

/** The release every module of the manifest is on; the builder must match it. */
export function builderVersion(manifest = readFileSync(manifestPath, 'utf8')) {
  const m = /go\.opentelemetry\.io\/collector\/receiver\/otlpreceiver (v\d+\.\d+\.\d+)/.exec(manifest);
  if (!m) throw new Error('builder-config.yaml: cannot find the core release (otlpreceiver line)');
  return m[1];
}

export function manifestHash(manifest = readFileSync(manifestPath, 'utf8')) {
  return createHash('sha256').update(manifest).digest('hex').slice(0, 16);
}

/** Path the binary has (or will have) for the current manifest. */
export function collectorBinaryPath() {
  return join(cacheDir(), `otelcol-mcp-${manifestHash()}`);
}

function run(cmd, args, opts) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.status ?? r.signal}`);
}

/**
 * Returns the path of an otelcol-mcp binary built from the current manifest,
 * building it only when the cache lacks it. `log` receives progress lines.
 */
export function ensureCollector(log = (line) => console.error(line)) {
  const manifest = readFileSync(manifestPath, 'utf8');
  const binary = collectorBinaryPath();
  const started = Date.now();
  if (existsSync(binary)) {
    log(`collector: cached ${binary} (0.0 s)`);
    return binary;
  }
  const dir = cacheDir();
  mkdirSync(dir, { recursive: true });
  const version = builderVersion(manifest);
  const gobin = join(dir, `builder-${version}`);
  const builder = join(gobin, 'builder');
  if (!existsSync(builder)) {
    log(`collector: go install go.opentelemetry.io/collector/cmd/builder@${version}`);
    run('go', ['install', `go.opentelemetry.io/collector/cmd/builder@${version}`], {
      env: { ...process.env, GOBIN: gobin },
    });
  }
  // ocb resolves dist.output_path against its working directory: build in a
  // scratch folder of the cache (one per process, so concurrent cold builds
  // do not clash), then move the binary into place atomically.
  const work = join(dir, `build-${manifestHash(manifest)}-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  log(`collector: building otelcol-mcp in ${work} (minutes when cold)`);
  run(builder, ['--config', manifestPath], { cwd: work, env: { ...process.env, CGO_ENABLED: '0' } });
  const built = join(work, 'otelcol-mcp', 'otelcol-mcp');
  const tmp = `${binary}.tmp-${process.pid}`;
  copyFileSync(built, tmp);
  chmodSync(tmp, 0o755);
  renameSync(tmp, binary);
  rmSync(work, { recursive: true, force: true });
  log(`collector: built ${binary} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return binary;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const binary = ensureCollector();
  console.error(`collector build phase: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(binary);
}
