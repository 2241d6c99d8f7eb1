#!/usr/bin/env bash
# Benchmarks (see docs/benchmarks.md). --smoke: tiny sizes, as CI runs them; --quick: shorter windows
# (a few minutes); neither: full sizes (memory-soak, 1 hour, only by name).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/bin:$PATH"
[ -f build/bench/run.js ] || npm run --silent build
exec node --expose-gc build/bench/run.js "$@"
