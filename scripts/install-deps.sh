#!/usr/bin/env bash
# Installs what building and testing MarketPrism needs on Debian/Ubuntu:
# system packages (apt), the pinned nats-server (go install, into .tools/bin) and npm packages.
# Safe to run again: each step is skipped when already satisfied.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/pins.sh
NATS_SERVER_VERSION="${NATS_SERVER_VERSION:-$PINNED_NATS_SERVER_VERSION}"
TOOLS="$PWD/.tools/bin"
mkdir -p "$TOOLS"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

need_apt=()
command -v g++ >/dev/null || need_apt+=(build-essential)
command -v python3 >/dev/null || need_apt+=(python3)
[ -f /usr/include/systemd/sd-daemon.h ] || need_apt+=(libsystemd-dev pkg-config)
command -v curl >/dev/null || need_apt+=(curl)
command -v ip >/dev/null || need_apt+=(iproute2) # ip netns: scripts/e2e-multihost.sh
command -v promtool >/dev/null || need_apt+=(prometheus) # promtool: the alert rules' tests
command -v groff >/dev/null || need_apt+=(groff-base) # the man page test (test/cli/commands.test.ts)
[ -x /lib/systemd/systemd ] || need_apt+=(systemd) # systemd --test: the unit reading oracle (test/cli/unit-env-systemd.test.ts)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "install-deps: apt-get install ${need_apt[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "install-deps: Node.js 20 or newer is required (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

# nats-server: the pinned release built from the Go module proxy, so every machine runs the same server.
if ! "$TOOLS/nats-server" --version 2>/dev/null | grep -q "${NATS_SERVER_VERSION}"; then
  if command -v go >/dev/null; then
    echo "install-deps: go install nats-server ${NATS_SERVER_VERSION}"
    # Static (CGO off), the same build the broker package ships (scripts/install-packaging-tools.sh).
    CGO_ENABLED=0 GOBIN="$TOOLS" GOFLAGS=-mod=mod go install -trimpath -ldflags='-s -w' "github.com/nats-io/nats-server/v2@${NATS_SERVER_VERSION}"
  elif ! command -v nats-server >/dev/null; then
    echo "install-deps: no Go toolchain; installing Debian's nats-server instead"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server >/dev/null
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # The lock holds every package, the unpublished per-platform chdb libraries included
  # (by version and platform: docs/dependencies.md), so a clean install from it works.
  echo "install-deps: npm ci (the locked versions)"
  npm ci --no-audit --no-fund
fi
