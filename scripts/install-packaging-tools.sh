#!/usr/bin/env bash
# Installs what `npm run package` and scripts/e2e-systemd.sh need, pinned:
#   - nfpm and nats-server, built with `go install` from the Go module proxy into ./.tools/bin
#   - Debian tools: lintian, rpmlint, rpm, chrpath, debootstrap, systemd-container (nspawn), and
#     libsystemd-dev with a compiler (npm builds the sd-notify addon against libsystemd).
# Safe to run twice: each step is skipped when the pinned version is already there.
set -euo pipefail

NFPM_VERSION=v2.44.1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/pins.sh"
NATS_SERVER_VERSION=$PINNED_NATS_SERVER_VERSION
BIN="$ROOT/.tools/bin"
mkdir -p "$BIN"

missing=()
for pkg in lintian rpmlint rpm debootstrap systemd-container libsystemd-dev build-essential python3 chrpath; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

command -v go >/dev/null || { echo "install-packaging-tools: go is required to build nfpm and nats-server" >&2; exit 1; }

# `go version -m` reads the module version stamped into a binary (nfpm --version says "dev").
pinned() { go version -m "$BIN/$1" 2>/dev/null | grep -q "mod[[:space:]]$2[[:space:]]$3[[:space:]]"; }
pinned nfpm github.com/goreleaser/nfpm/v2 "$NFPM_VERSION" ||
  GOBIN="$BIN" go install "github.com/goreleaser/nfpm/v2/cmd/nfpm@$NFPM_VERSION"
# CGO off: a static nats-server runs on any host the broker package lands on.
pinned nats-server github.com/nats-io/nats-server/v2 "$NATS_SERVER_VERSION" ||
  CGO_ENABLED=0 GOBIN="$BIN" go install -trimpath -ldflags='-s -w' \
    "github.com/nats-io/nats-server/v2@$NATS_SERVER_VERSION"
echo "install-packaging-tools: nfpm $NFPM_VERSION, $("$BIN/nats-server" --version) in $BIN"
