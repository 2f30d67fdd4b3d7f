#!/usr/bin/env bash
# The store-postgres tests start their own throwaway PostgreSQL cluster from Debian's server programs; install the
# 'postgresql' package when they are missing (root only), without starting the system's own cluster.
set -euo pipefail

has_server() {
  local dir
  for dir in "$(pg_config --bindir 2>/dev/null || true)" /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/initdb" ] && [ -x "$dir/postgres" ]; then return 0; fi
  done
  command -v initdb >/dev/null 2>&1 && command -v postgres >/dev/null 2>&1
}

# As root the tests run PostgreSQL as the 'postgres' system user, which the package creates.
if has_server && { [ "$(id -u)" != "0" ] || id postgres >/dev/null 2>&1; }; then exit 0; fi
if [ "$(id -u)" != "0" ]; then
  echo "PostgreSQL's server programs are missing: install Debian's 'postgresql' package (apt-get install postgresql)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# invoke-rc.d asks policy-rc.d before starting a service: 101 means "not now". Only ours is removed afterwards.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends postgresql >/dev/null
