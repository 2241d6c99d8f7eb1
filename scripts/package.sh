#!/usr/bin/env bash
# `npm run package`: builds dist/marketprism-{broker,storage,collector}_<version>_<arch>.deb and
# dist/marketprism-{broker,storage,collector}-<version>-<release>.<arch>.rpm with nfpm.
# Each package carries its own Node.js runtime (the node running this script), the production
# node_modules its daemon needs, and (broker) the pinned nats-server; the nfpm configs and units
# are written from one description, packaging/packages.yaml (packaging/render-packaging.mjs).
# Env: MP_VERSION_METADATA (e.g. "e2e1": 0.1.0+e2e1, a newer build for upgrade tests),
#      SOURCE_DATE_EPOCH (file times; default: the last commit's time), MODULES (default all three),
#      DIST_DIR (default dist).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
read -r -a MODULES <<<"${MODULES:-broker storage collector}"
STAGE="$ROOT/.cache/package"
DIST=$(mkdir -p "${DIST_DIR:-dist}" && cd "${DIST_DIR:-dist}" && pwd)
NODE=$(command -v node)

./scripts/install-packaging-tools.sh >/dev/null
export MP_VERSION
MP_VERSION=$(node -p 'require("./package.json").version')${MP_VERSION_METADATA:+"+$MP_VERSION_METADATA"}
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}"

[ -d node_modules ] || ./scripts/install-deps.sh # npm ci and the build tools, as the tests do
npm run --silent build

# One production tree shared by the three packages: the checkout's node_modules (installed by
# npm ci from the lock file, addons built here) pruned to the runtime dependencies.
rm -rf "$STAGE" && mkdir -p "$STAGE/app/build"
cp -r bin package.json package-lock.json "$STAGE/app/"
# The default configs only: never a checkout's config/nats (test or quickstart passwords) or other local files.
mkdir -p "$STAGE/app/config" && cp config/*.yaml "$STAGE/app/config/"
cp -r build/src "$STAGE/app/build/src"
# Test tooling (exchange simulator, ClickHouse-over-chDB fixture) and the dashboards' generator
# (its output, grafana/, is packaged) stay out of the packages.
rm -rf "$STAGE/app/bin/marketprism-sim.js" "$STAGE/app/build/src/sim" "$STAGE/app/build/src/testing" "$STAGE"/app/build/src/collector/venues/*/sim "$STAGE/app/build/src/ops"
find "$STAGE/app/build" -name '*.map' -delete
cp -a node_modules "$STAGE/app/node_modules"
(cd "$STAGE/app" && npm prune --omit=dev --no-audit --no-fund --loglevel=error)
# `marketprism-<module> --version` reads package.json: make it say the package's version.
(cd "$STAGE/app" && node -e 'const f="package.json",p=JSON.parse(require("fs").readFileSync(f));p.version=process.argv[1];require("fs").writeFileSync(f,JSON.stringify(p,null,2)+"\n")' "$MP_VERSION")
# Nothing a running daemon needs: build leftovers, other platforms' prebuilt addons, npm metadata.
find "$STAGE/app/node_modules" \( -name obj.target -o -name .deps -o -name .husky -o -name .github \
  -o -path '*/prebuilds/*' ! -path '*/prebuilds/linux-x64*' \) -prune -exec rm -rf {} +
find "$STAGE/app/node_modules" \( -name '.npmignore' -o -name '.eslintrc*' -o -name .travis.yml -o -name .gitattributes -o -name .gitignore -o -name .package-lock.json \) -delete
find "$STAGE/app/node_modules" -type f \( -name '*.node' -o -name '*.so' \) -exec strip --strip-unneeded {} + -exec chmod 0644 {} +
# libchdb.so comes with a RUNPATH into its CI's build tree: a directory that must never be searched here.
find "$STAGE/app/node_modules" -type f -name '*.so' | while read -r so; do
  if readelf -d "$so" | grep -q '(RUNPATH)\|(RPATH)'; then chrpath -d "$so" >/dev/null; fi
done
install -D -m 0755 "$NODE" "$STAGE/node/bin/node" && strip --strip-unneeded "$STAGE/node/bin/node"

for module in "${MODULES[@]}"; do
  dir="$STAGE/$module"
  lib="/usr/lib/marketprism/$module"
  mkdir -p "$dir"/{bin,lib-bin,etc,scripts,doc}
  # Hard links: the per-module trees share the staged files, nfpm reads them as plain files.
  cp -al "$STAGE/app" "$dir/app" && cp -al "$STAGE/node" "$dir/node"
  # What differs per package: packaging/packages.yaml.
  desc() { node packaging/render-packaging.mjs get "$module" "$1"; }
  drop=$(desc drop_modules) units=$(desc units) optional=$(desc optional_units) priority=$(desc alternative_priority) state_dirs=$(desc state_dirs)
  for d in $drop; do rm -rf "$dir/app/node_modules/$d"; done
  # Scripts run by the bundled node, never by a system one: "#!/usr/bin/env node" becomes its path
  # (sed -i writes a new file, so the hard link to the shared tree is replaced, not edited).
  grep -rlIZ -m1 '^#! */usr/bin/env node' "$dir/app" | xargs -0 -r sed -i -e "1s|^#! */usr/bin/env node.*|#!$lib/node/bin/node|"
  grep -rlIZ -m1 "^#!$lib/node/bin/node\$" "$dir/app" | xargs -0 -r chmod 0755

  printf '#!/bin/sh\n# %s: the bundled Node.js; exec keeps the PID, so systemd notify and watchdog reach node.\nexec %s/node/bin/node %s/app/bin/%s.js "$@"\n' \
    "marketprism-$module" "$lib" "$lib" "marketprism-$module" >"$dir/bin/marketprism-$module"
  printf '#!/bin/sh\n# marketprism (CLI) from the marketprism-%s package; /usr/bin/marketprism is an alternative.\nexec %s/node/bin/node %s/app/bin/marketprism.js "$@"\n' \
    "$module" "$lib" "$lib" >"$dir/lib-bin/marketprism"
  chmod 0755 "$dir/bin/"* "$dir/lib-bin/"*

  # /etc/marketprism: the defaults, with the package's paths.
  case "$module" in
    broker)
      cp .tools/bin/nats-server "$dir/lib-bin/nats-server"
      node packaging/render-config.mjs config/broker.yaml "$dir/etc/broker.yaml" "nats_server.binary=$lib/bin/nats-server"
      cp config/streams.yaml "$dir/etc/streams.yaml" ;;
    storage)
      cp config/storage.yaml "$dir/etc/storage.yaml"
      node packaging/render-config.mjs config/storage.yaml "$dir/etc/storage-cold.yaml" \
        tier=cold health.port=8086 clickhouse.embedded_path=/var/lib/marketprism/storage-cold/chdb ;;
    collector)
      cp config/collector.yaml "$dir/etc/collector.yaml" ;;
  esac
  cp systemd/marketprism.default "$dir/etc/default"
  cp systemd/marketprism.sysusers "$dir/sysusers.conf"
  for unit in $units $optional; do node packaging/render-packaging.mjs unit "${unit%.service}" "$dir/$unit"; done
  # /usr/share/marketprism (marketprism-broker): dashboards, provisioning, alert rules.
  for f in $(desc share_files); do install -D -m 0644 "$f" "$dir/share/$f"; done
  # The daemon's man page (its own path), and the CLI's page and bash completion, which every package
  # carries under its own lib/ and offers as slaves of the /usr/bin/marketprism alternative.
  mkdir -p "$dir/man" "$dir/lib-share"
  gzip -9n <"packaging/man/marketprism-$module.1" >"$dir/man/marketprism-$module.1.gz"
  gzip -9n <packaging/man/marketprism.1 >"$dir/lib-share/marketprism.1.gz"
  cp packaging/completion/marketprism.bash "$dir/lib-share/marketprism.bash"
  chmod 0644 "$dir/man/"* "$dir/lib-share/"*

  # deb: marketprism(1) and the completion are slaves of the CLI's alternative; rpm: none (rpmlint
  # wants an alternative's every name in the package; the rpms ship the two files in place).
  slaves=" --slave /usr/share/man/man1/marketprism.1.gz marketprism.1.gz $lib/share/marketprism.1.gz --slave /usr/share/bash-completion/completions/marketprism marketprism.bash-completion $lib/share/marketprism.bash"
  render_script() { # render_script NAME SLAVES OUT
    sed -e "s|@MODULE@|$module|g" -e "s|@UNITS@|$units|g" -e "s|@OPTIONAL_UNITS@|$optional|g" \
        -e "s|@ALT_PRIORITY@|$priority|g" -e "s|@ALT_SLAVES@|$2|g" -e "s|@STATE_DIRS@|$state_dirs|g" \
        -e "/@SYSUSERS@/{r systemd/marketprism.sysusers" -e "d}" \
        "packaging/scripts/$1.sh" >"$3"
  }
  for script in preinstall postinstall preremove postremove; do render_script "$script" "$slaves" "$dir/scripts/$script.sh"; done
  render_script postinstall "" "$dir/scripts/postinstall-rpm.sh"

  cp debian/copyright docs/operations.md "$dir/doc/"
  cp packaging/changelog.yaml "$dir/"
  node packaging/render-packaging.mjs nfpm "$module" "$dir/nfpm.yaml"
  sed "s/@PACKAGE@/marketprism-$module/g" debian/lintian-overrides >"$dir/lintian-overrides"
  [ ! -f "debian/lintian-overrides.$module" ] || cat "debian/lintian-overrides.$module" >>"$dir/lintian-overrides"

  # Smoke test of the staged tree with the bundled runtime: the daemon and CLI start and answer.
  "$dir/node/bin/node" "$dir/app/bin/marketprism-$module.js" --version
  # check-config reads the NATS password files the config names: throwaway ones, never packaged
  # (the post-install generates the real ones on the target host).
  "$dir/node/bin/node" "$dir/app/bin/marketprism.js" credentials ensure --dir "$dir/etc/nats" --group "$(id -gn)" >/dev/null
  "$dir/node/bin/node" "$dir/app/bin/marketprism-$module.js" check-config --config "$dir/etc/$module.yaml"
  rm -rf "$dir/etc/nats"
  "$dir/node/bin/node" "$dir/app/bin/marketprism.js" --version

  for packager in deb rpm; do
    (cd "$dir" && "$ROOT/.tools/bin/nfpm" package --config "$dir/nfpm.yaml" --packager "$packager" --target "$DIST/")
  done
done
ls -l "$DIST"
