#!/usr/bin/env bash
# Dependency check from the lock file, offline.
#   1. Pinning: package.json names each direct dependency at its exact locked version; every package in package-lock.json has an exact version and a sha512 integrity
#      hash (npm refuses a tarball that does not match it), and node_modules holds exactly the
#      locked production tree (`npm ls --omit=dev --all`).
#   2. Advisories: osv-scanner (pinned, scripts/install-audit-tools.sh) matches the lock file
#      against a local OSV database: $OSV_SCANNER_LOCAL_DB_CACHE_DIRECTORY/osv-scalibr/npm/all.zip
#      (the npm export of osv.dev, i.e. the GitHub Advisory Database; how to fetch it on a
#      connected machine: docs/security.md). Without a local database it tries `npm audit`
#      online; when neither is possible it says so and exits 3 (--allow-no-advisories: 0).
#   --self-test: proves step 2 on test/fixtures/audit (a real advisory, GHSA-3h5v-q93c-6h6q in
#      ws < 8.17.1, against a lock that pins ws 8.17.0: must be reported; the fixed 8.17.1: clean).
# Last line: "audit-deps: ..." with what was checked.
set -euo pipefail
cd "$(dirname "$0")/.."
allow_no_db=0
self_test=0
for a in "$@"; do
  case "$a" in
    --allow-no-advisories) allow_no_db=1 ;;
    --self-test) self_test=1 ;;
    *) echo "audit-deps: unknown option $a" >&2; exit 2 ;;
  esac
done

pins=$(node -e '
  const lock = require("./package-lock.json");
  const bad = [];
  let n = 0;
  const fs = require("fs");
  const placeholder = (p) => p.optional && p.os && !p.resolved && !p.integrity;
  let unpublished = 0;
  for (const [path, p] of Object.entries(lock.packages)) {
    if (!path || p.link) continue;
    // An optional per-platform package the registry does not publish (chdb lists darwin and
    // arm64 libraries): locked by version and platform only, so `npm ci` accepts the lock,
    // and never installed here (its platform is not this one); nothing to fetch or verify.
    if (placeholder(p)) {
      unpublished++;
      if (fs.existsSync(path)) bad.push(`${path}: installed, but locked without integrity`);
      continue;
    }
    n++;
    if (!/^\d+\.\d+\.\d+/.test(p.version ?? "")) bad.push(`${path}: version ${p.version}`);
    if (!/^sha512-/.test(p.integrity ?? "")) bad.push(`${path}: no sha512 integrity`);
  }
  // What `npm ci` checks: every optional dependency of a locked package is in the lock
  // (`npm install` drops those it cannot fetch, which breaks `npm ci`: put them back, docs/dependencies.md).
  for (const [path, p] of Object.entries(lock.packages))
    for (const dep of Object.keys(p.optionalDependencies ?? {}))
      if (path && !lock.packages[`node_modules/${dep}`]) bad.push(`${path}: optional dependency ${dep} missing from the lock (npm ci would refuse it)`);
  const pkg = require("./package.json");
  for (const sec of ["dependencies", "devDependencies", "optionalDependencies"])
    for (const [name, range] of Object.entries(pkg[sec] ?? {}))
      if (range !== lock.packages[`node_modules/${name}`]?.version) bad.push(`package.json ${sec}.${name}: ${range} is not the locked version exactly`);
  if (bad.length) { console.error(bad.join("\n")); process.exit(1); }
  const prod = Object.entries(lock.packages).filter(([k, p]) => k && !p.dev && !p.link && !placeholder(p)).length;
  console.log(`${n} packages pinned with sha512 (${prod} in production; ${unpublished} unpublished platform packages locked by version)`);
') || { echo "audit-deps: package-lock.json or package.json: unpinned (above)" >&2; exit 1; }
npm ls --omit=dev --all >/dev/null 2>.cache-audit-ls.txt || { cat .cache-audit-ls.txt >&2; rm -f .cache-audit-ls.txt; echo "audit-deps: node_modules does not match package-lock.json" >&2; exit 1; }
rm -f .cache-audit-ls.txt

./scripts/install-audit-tools.sh >&2
OSV="$PWD/.tools/bin/osv-scanner"

# osv-scanner exits 1 when it finds vulnerabilities, 0 when clean, other codes on errors.
scan() { # db-dir lockfile
  OSV_SCANNER_LOCAL_DB_CACHE_DIRECTORY="$1" "$OSV" scan source --offline -L "$2" 2>&1
}

if [ "$self_test" = 1 ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/db/osv-scalibr/npm" "$tmp/vulnerable" "$tmp/fixed"
  (cd test/fixtures/audit/advisories && python3 -c 'import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for f in sys.argv[2:]: z.write(f)' "$tmp/db/osv-scalibr/npm/all.zip" *.json)
  cp test/fixtures/audit/ws-8.17.0.lock.json "$tmp/vulnerable/package-lock.json"
  sed 's/8\.17\.0/8.17.1/g' test/fixtures/audit/ws-8.17.0.lock.json >"$tmp/fixed/package-lock.json"
  rc=0; out=$(scan "$tmp/db" "$tmp/vulnerable/package-lock.json") || rc=$?
  [ "$rc" = 1 ] && grep -q GHSA-3h5v-q93c-6h6q <<<"$out" || { echo "$out" >&2; echo "audit-deps: self-test: ws 8.17.0 not reported (exit $rc)" >&2; exit 1; }
  rc=0; out=$(scan "$tmp/db" "$tmp/fixed/package-lock.json") || rc=$?
  [ "$rc" = 0 ] || { echo "$out" >&2; echo "audit-deps: self-test: ws 8.17.1 reported (exit $rc)" >&2; exit 1; }
  echo "audit-deps: $pins; self-test passed (offline osv-scanner reports GHSA-3h5v-q93c-6h6q in ws 8.17.0, not in 8.17.1)"
  exit 0
fi

db="${OSV_SCANNER_LOCAL_DB_CACHE_DIRECTORY:-}"
if [ -n "$db" ] && [ -f "$db/osv-scalibr/npm/all.zip" ]; then
  rc=0; out=$(scan "$db" package-lock.json) || rc=$?
  echo "$out"
  case "$rc" in
    0) echo "audit-deps: $pins; no advisories in $db/osv-scalibr/npm/all.zip ($(date -r "$db/osv-scalibr/npm/all.zip" -u +%F))"; exit 0 ;;
    1) echo "audit-deps: advisories found (above)" >&2; exit 1 ;;
    *) echo "audit-deps: osv-scanner failed (exit $rc)" >&2; exit "$rc" ;;
  esac
fi
# npm audit exits 1 both on findings and on a refused endpoint; its JSON tells them apart.
npm audit --omit=dev --json >.cache-audit.json 2>/dev/null || true
found=$(node -e 'try { const m = require("./.cache-audit.json").metadata; console.log(m ? Object.values(m.vulnerabilities).reduce((a, b) => a + b, 0) : "") } catch { console.log("") }')
if [ -n "$found" ]; then
  rm -f .cache-audit.json
  if [ "$found" = 0 ]; then echo "audit-deps: $pins; npm audit (online) found nothing"; exit 0; fi
  npm audit --omit=dev || true
  echo "audit-deps: npm audit found $found advisories (above)" >&2
  exit 1
fi
rm -f .cache-audit.json
echo "audit-deps: $pins; advisories NOT checked: no local OSV database (OSV_SCANNER_LOCAL_DB_CACHE_DIRECTORY) and the registry's audit endpoint is unreachable"
[ "$allow_no_db" = 1 ] && exit 0 || exit 3
