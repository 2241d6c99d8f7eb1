#!/usr/bin/env bash
# Installs osv-scanner (Google's OSV scanner, pinned) into ./.tools/bin with `go install` from the
# Go module proxy. v2.6 needs Go 1.27: GOTOOLCHAIN takes the approved go1.27.3 from the proxy.
# Skipped when the pinned version is already there.
set -euo pipefail
OSV_SCANNER_VERSION=v2.6.0
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/.tools/bin"
mkdir -p "$BIN"
command -v go >/dev/null || { echo "install-audit-tools: go is required to build osv-scanner" >&2; exit 1; }
if ! go version -m "$BIN/osv-scanner" 2>/dev/null | grep -q "mod[[:space:]]github.com/google/osv-scanner/v2[[:space:]]$OSV_SCANNER_VERSION[[:space:]]"; then
  echo "install-audit-tools: go install osv-scanner $OSV_SCANNER_VERSION (a few minutes on a fresh machine)"
  GOTOOLCHAIN=go1.27.3 CGO_ENABLED=0 GOBIN="$BIN" go install -trimpath -ldflags='-s -w' \
    "github.com/google/osv-scanner/v2/cmd/osv-scanner@$OSV_SCANNER_VERSION"
fi
