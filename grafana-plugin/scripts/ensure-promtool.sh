#!/usr/bin/env bash
# Installs Debian's prometheus package (for promtool, Prometheus's own PromQL
# parser) when missing. Idempotent; a no-op when promtool is present.
set -euo pipefail
command -v promtool >/dev/null 2>&1 && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "ensure-promtool: promtool missing; install it with: sudo apt-get install -y prometheus" >&2
  exit 1
fi
echo "ensure-promtool: installing prometheus" >&2
# Other suites may run apt at the same time: wait for the lock rather than fail.
apt-get -o DPkg::Lock::Timeout=600 update -qq
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq prometheus >/dev/null
