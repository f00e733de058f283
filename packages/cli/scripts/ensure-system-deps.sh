#!/usr/bin/env bash
# Installs the Debian packages the CLI's tests drive, when missing:
# Prometheus (with promtool) for the report tests, Chromium for rendering the
# report and its PNGs. Idempotent; a no-op when both are present.
set -euo pipefail
need=()
command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || need+=(prometheus)
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "ensure-system-deps: missing ${need[*]}; install them with: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "ensure-system-deps: installing ${need[*]}" >&2
# Other suites may run apt at the same time: wait for the lock rather than fail.
apt-get -o DPkg::Lock::Timeout=600 update -qq
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${need[@]}" >/dev/null
