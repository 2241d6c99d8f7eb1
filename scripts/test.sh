#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs what it needs, builds, type-checks, lints,
# runs every test against real nats-server and ClickHouse (chDB) on loopback,
# the benchmark smoke run, the fault suite's short form, the dependency check and (when present)
# the packaging end-to-end in a booted Debian and the three-host run in network namespaces.
# Ends with one line: "tests: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
export PATH="$PWD/.tools/bin:$PATH"
npm run --silent build
npm run --silent typecheck

# ESLint and the Prettier check count as one test each. MARKETPRISM_LINT=0 leaves them out
# (for staging: the tree is formatted once, later, in a commit of its own).
lint_passed=0
lint_failed=0
if [ "${MARKETPRISM_LINT:-1}" = 1 ]; then
  if npm run --silent lint; then lint_passed=$((lint_passed + 1)); else lint_failed=$((lint_failed + 1)); fi
  if npm run --silent format:check; then lint_passed=$((lint_passed + 1)); else lint_failed=$((lint_failed + 1)); fi
fi

mkdir -p .cache
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=.cache/vitest.json || status=$?

passed=$(node -p "require('./.cache/vitest.json').numPassedTests" 2>/dev/null || echo 0)
failed=$(node -p "require('./.cache/vitest.json').numFailedTests" 2>/dev/null || echo 0)
if [ "$status" -ne 0 ] && [ "$failed" = 0 ]; then failed=1; fi
passed=$((passed + lint_passed))
failed=$((failed + lint_failed))
if [ "$lint_failed" -ne 0 ]; then status=1; fi

if [ -x scripts/bench.sh ]; then
  if ./scripts/bench.sh --smoke; then passed=$((passed + 1)); else failed=$((failed + 1)); status=1; fi
fi

# The fault suite's short form (docs/fault-suite.md): one test, as the bench smoke run.
if [ -x scripts/fault-suite.sh ]; then
  if ./scripts/fault-suite.sh --short; then passed=$((passed + 1)); else failed=$((failed + 1)); status=1; fi
fi

# The dependency check (docs/dependencies.md): the lock file's pinning, and the offline advisory
# matcher proved on a real advisory. One test.
if [ -x scripts/audit-deps.sh ]; then
  if ./scripts/audit-deps.sh --self-test; then passed=$((passed + 1)); else failed=$((failed + 1)); status=1; fi
fi

# The alert rules (prometheus/alerts.yml): promtool's own check and its rule unit tests. One test.
if promtool check rules prometheus/alerts.yml && promtool test rules prometheus/alerts.test.yml; then passed=$((passed + 1)); else failed=$((failed + 1)); status=1; fi

if [ -x scripts/e2e-systemd.sh ] && [ "${MARKETPRISM_E2E:-1}" = 1 ]; then
  if ./scripts/e2e-systemd.sh; then passed=$((passed + 1)); else failed=$((failed + 1)); status=1; fi
fi

# Three hosts in network namespaces (docs/cluster.md): one test, about 8 minutes.
if [ -x scripts/e2e-multihost.sh ] && [ "${MARKETPRISM_MULTIHOST:-1}" = 1 ]; then
  if ./scripts/e2e-multihost.sh; then passed=$((passed + 1)); else failed=$((failed + 1)); status=1; fi
fi

echo "tests: ${passed} passed, ${failed} failed"
exit "$status"
