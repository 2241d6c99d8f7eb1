#!/usr/bin/env bash
# The fault suite (docs/fault-suite.md): the real daemons on loopback, faults injected at
# seeded random points, then what JetStream acknowledged compared with the tables and the
# dead-letter stream. --short: the CI form (every fault class once, shorter outages).
# Other options: --seed N (repeat a run), --rounds N, --keep (keep the logs directory).
# Last line: "faults: N injected, published P, acknowledged A, stored S, dead-lettered D, lost L, duplicated U".
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/bin:$PATH"
[ -f build/src/testing/fault-suite/main.js ] || npm run --silent build
exec node build/src/testing/fault-suite/main.js "$@"
