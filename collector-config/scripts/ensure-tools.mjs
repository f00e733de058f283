// Installs the Debian packages the tests need when their binaries are
// missing (idempotent): `apt-get update` then `apt-get install -y`.
// Shared by the collector-config tests and the end-to-end harness.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Binary that proves each package is installed. */
export const TOOL_PACKAGES = {
  '/usr/bin/prometheus': 'prometheus',
  '/usr/bin/promtool': 'prometheus',
  '/usr/bin/prometheus-alertmanager': 'prometheus-alertmanager',
};

function sh(cmd, args) {
  const asRoot = process.getuid?.() === 0;
  const r = spawnSync(asRoot ? cmd : 'sudo', asRoot ? args : ['-n', cmd, ...args], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.status ?? r.signal}`);
}

/**
 * Makes sure the given binaries exist, installing their packages when not.
 * Returns the seconds spent (0 when nothing was missing).
 */
export function ensureTools(binaries = Object.keys(TOOL_PACKAGES), log = (l) => console.error(l)) {
  const started = Date.now();
  const missing = [...new Set(binaries.filter((b) => !existsSync(b)).map((b) => TOOL_PACKAGES[b] ?? b))];
  if (missing.length === 0) return 0;
  log(`install: apt-get install -y ${missing.join(' ')}`);
  // Another process may hold the dpkg lock (unattended runs, a parallel
  // install): wait for it rather than fail.
  const lock = ['-o', 'DPkg::Lock::Timeout=600'];
  sh('apt-get', [...lock, 'update']);
  sh('apt-get', [...lock, 'install', '-y', '--no-install-recommends', ...missing]);
  const still = binaries.filter((b) => !existsSync(b));
  if (still.length) throw new Error(`still missing after apt-get install: ${still.join(', ')}`);
  const seconds = (Date.now() - started) / 1000;
  log(`install: done in ${seconds.toFixed(1)} s`);
  return seconds;
}
