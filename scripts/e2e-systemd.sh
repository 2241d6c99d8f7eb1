#!/usr/bin/env bash
# End-to-end proof of the packages (issue 4) in a booted Debian 12: systemd is PID 1 in
# systemd-nspawn on a cached debootstrap root (a fresh overlay per run) with its own network
# namespace, so the daemons' ports (4222, 8222, 8085, 8087, 9093) never meet the host's.
# The exchange simulator (src/sim) and ClickHouse's HTTP interface over chDB (src/testing)
# run from this checkout inside that namespace: collector -> broker -> storage -> ClickHouse. Steps, for the .deb files (apt) and then the .rpm files (rpm):
#   install -> units running with a status line; data reaches ClickHouse; journald priorities;
#   watchdog restart after SIGSTOP; nats-server killed and restarted by the broker; upgrade
#   keeps an edited config and the data; remove keeps data; purge (deb) removes it.
# lintian (host) and rpmlint (inside the machine, on the installed rpms).
# Env: E2E_CACHE (debootstrap cache, default /var/cache/marketprism-e2e), DEBIAN_MIRROR,
#      E2E_DIST (use packages already built there: version V and V+e2e1), E2E_KEEP=1 (on failure,
#      leave the machine running for a look).
# Ends with one line: "e2e-systemd: PASS ..." or "e2e-systemd: FAIL ...".
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
CACHE=${E2E_CACHE:-/var/cache/marketprism-e2e}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# The machine's packages beyond minbase (apt resolves them; debootstrap --include cannot do virtuals).
EXTRA="systemd systemd-sysv dbus rpm rpmlint curl procps iproute2"
MODULES=(broker storage collector)
UNITS=(marketprism-broker marketprism-storage marketprism-collector)
T0=$(date +%s)
RUN=$(mktemp -d /var/tmp/marketprism-e2e.XXXXXX)
NSPAWN="" PID1="" CHDB="" SIM="" LINTIAN="" STEP="setup" DONE=()

log() { printf '[e2e %4ss] %s\n' "$(($(date +%s) - T0))" "$*"; }
die() { log "FAIL: $*"; exit 1; }
pass() { DONE+=("$1"); log "ok: $1"; }
# Runs a command inside the machine (all its namespaces, its root), with a clean environment.
inside() { nsenter -t "$PID1" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
# Runs a host command (this checkout, host node) in the machine's network namespace only.
in_net() { nsenter -t "$PID1" -n "$@"; }
# wait_for SECONDS WHAT COMMAND...: polls once a second; the only way this script waits.
wait_for() {
  local limit=$1 what=$2; shift 2
  local end=$(($(date +%s) + limit))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$end" ] || die "$what: not within ${limit}s"
    sleep 1
  done
}

cleanup() {
  local rc=$?
  set +e
  [ -n "$LINTIAN" ] && kill -- -"$LINTIAN" 2>/dev/null && wait "$LINTIAN" 2>/dev/null
  if [ "${E2E_KEEP:-0}" = 1 ] && [ "$rc" != 0 ] && [ -n "$PID1" ]; then
    log "E2E_KEEP=1: machine left running: nsenter -t $PID1 -a bash"
    log "to end it: kill $NSPAWN $CHDB $SIM; umount $RUN/root; rm -rf $RUN"
    exit "$rc"
  fi
  for p in $CHDB $SIM; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  if [ -n "$NSPAWN" ] && kill -0 "$NSPAWN" 2>/dev/null; then
    kill -TERM "$NSPAWN" # nspawn asks the machine's systemd to power off
    for _ in $(seq 30); do kill -0 "$NSPAWN" 2>/dev/null || break; sleep 1; done
    kill -KILL "$NSPAWN" 2>/dev/null
    wait "$NSPAWN" 2>/dev/null
  fi
  mountpoint -q "$RUN/root" && { umount "$RUN/root" || umount -l "$RUN/root"; }
  rm -rf "$RUN"
  local took=$(($(date +%s) - T0))
  if [ "$rc" = 0 ]; then
    echo "e2e-systemd: PASS ${#DONE[@]} checks in ${took}s: $(IFS=';'; echo "${DONE[*]}")"
  else
    echo "e2e-systemd: FAIL during '$STEP' after ${took}s; passed before it: $(IFS=';'; echo "${DONE[*]:-none}")"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- packages: the current build and a newer one (same code, version +e2e1) for the upgrade ---
STEP="build packages"
./scripts/install-packaging-tools.sh >/dev/null
VERSION=$(node -p 'require("./package.json").version')
npm run --silent build # the helpers below run from this checkout
if [ -n "${E2E_DIST:-}" ]; then
  cp -l "$E2E_DIST"/marketprism-* "$RUN/" 2>/dev/null || cp "$E2E_DIST"/marketprism-* "$RUN/"
else
  DIST_DIR="$RUN" ./scripts/package.sh >"$RUN/package.log" 2>&1 || { tail -30 "$RUN/package.log"; die "npm run package"; }
  DIST_DIR="$RUN" MP_VERSION_METADATA=e2e1 ./scripts/package.sh >>"$RUN/package.log" 2>&1 ||
    { tail -30 "$RUN/package.log"; die "package.sh (newer build)"; }
fi
mkdir -p "$RUN/dist" && mv "$RUN"/marketprism-* "$RUN/dist/" && cp packaging/rpmlintrc "$RUN/dist/"
deb() { echo "/mnt/dist/marketprism-$1_$2-1_amd64.deb"; }
rpmf() { echo "/mnt/dist/marketprism-$1-$2-1.x86_64.rpm"; }
pkgs() { for m in "${MODULES[@]}"; do "$1" "$m" "$2"; done; } # pkgs deb|rpmf VERSION
for m in "${MODULES[@]}"; do
  for v in "$VERSION" "$VERSION+e2e1"; do
    for f in "$(deb "$m" "$v")" "$(rpmf "$m" "$v")"; do
      [ -f "$RUN/dist/$(basename "$f")" ] || die "missing package $(basename "$f")"
    done
  done
done
pass "packages built"
# lintian reads 700 MB; it runs beside the machine and is collected at the end.
setsid lintian --no-tag-display-limit $(pkgs deb "$VERSION" | sed "s|/mnt/dist|$RUN/dist|g") >"$RUN/lintian.log" 2>&1 &
LINTIAN=$!

# --- the machine: a cached Debian 12 root, a fresh overlay on it, booted ---
STEP="boot Debian 12"
BASE="$CACHE/bookworm-$(printf '%s\n' "$MIRROR" "$EXTRA" | sha256sum | cut -c1-12)"
if [ ! -f "$BASE/.complete" ]; then
  log "debootstrap bookworm into $BASE (cached for later runs)"
  rm -rf "$BASE.tmp" && mkdir -p "$CACHE"
  { timeout 1200 debootstrap --variant=minbase --include=systemd,systemd-sysv bookworm "$BASE.tmp" "$MIRROR" &&
    timeout 600 systemd-nspawn --quiet --directory="$BASE.tmp" --register=no --keep-unit \
      env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $EXTRA &&
    rm -rf "$BASE.tmp"/var/cache/apt/archives/*.deb; } >"$RUN/debootstrap.log" 2>&1 ||
    { tail -20 "$RUN/debootstrap.log"; die "debootstrap"; }
  rm -rf "$BASE" && mv "$BASE.tmp" "$BASE" && touch "$BASE/.complete"
fi
mkdir -p "$RUN"/{upper,work,root}
mount -t overlay overlay -o "lowerdir=$BASE,upperdir=$RUN/upper,workdir=$RUN/work" "$RUN/root"
systemd-nspawn --quiet --boot --register=no --keep-unit --private-network --directory="$RUN/root" \
  --machine="mp-e2e-$$" --bind-ro="$RUN/dist:/mnt/dist" >"$RUN/nspawn.log" 2>&1 </dev/null &
NSPAWN=$!
find_init() { PID1=$(pgrep -P "$NSPAWN" -x systemd); }
wait_for 30 "systemd in the machine" find_init
booted() { inside systemctl is-system-running | grep -Eq '^(running|degraded)$'; }
wait_for 90 "machine boot" booted
inside ip link set lo up 2>/dev/null || true
pass "booted ($(inside systemctl --version | head -1))"

# The ClickHouse engine the storage unit uses: ClickHouse's HTTP interface served by chDB
# (src/testing/chdb-http), from this checkout, on the machine's loopback.
start_clickhouse() {
  [ -z "$CHDB" ] || { kill "$CHDB"; wait "$CHDB" 2>/dev/null || true; }
  # nsenter execs node, so $! is the server's own PID (a function here would leave it orphaned).
  rm -f "$RUN/chdb-$1.log" # a restart must not find the last run's "url" line
  nsenter -t "$PID1" -n node build/src/testing/chdb-http-main.js --path "$RUN/chdb-$1" --port 8123 >"$RUN/chdb-$1.log" 2>&1 &
  CHDB=$!
  wait_for 60 "ClickHouse HTTP on :8123" grep -q '"url"' "$RUN/chdb-$1.log"
}
query() { inside marketprism query "$1" --config /etc/marketprism/storage.yaml; }
trade_rows() { query "SELECT count() AS n FROM marketprism_hot.trades" | grep -o '[0-9]\+' | head -1; }
rows_above() { [ "$(trade_rows)" -gt "$1" ]; }
# The exchanges: the simulator generating all four venues on the machine's loopback; the
# collector's config is pointed at it (src/sim/collector-config.js, as quickstart does).
# A fixed base port (venue i on SIM_PORT+i, in the machine's own network namespace), so a
# simulator started again comes back where the collector's config points.
SIM_PORT=18100
start_sim() {
  nsenter -t "$PID1" -n node bin/marketprism-sim.js generate --host 127.0.0.1 --port "$SIM_PORT" --log-level warn \
    >"$RUN/sim.json" 2>"$RUN/sim.log" &
  SIM=$!
  wait_for 60 "exchange simulator" test -s "$RUN/sim.json"
}
point_collector_at_sim() {
  inside cat /etc/marketprism/collector.yaml >"$RUN/collector.yaml"
  node build/src/sim/collector-config.js "$RUN/sim.json" "$RUN/collector.yaml"
  inside sh -c 'cat > /etc/marketprism/collector.yaml' <"$RUN/collector.yaml" # keeps 0640 root:marketprism
  inside systemctl restart --no-block marketprism-collector
}
prop() { inside systemctl show -p "$2" --value "$1.service"; }
all_active() { for u in "${UNITS[@]}"; do inside systemctl --quiet is-active "$u" || return 1; done; }
set_yaml() { # set_yaml FILE KEY VALUE: replaces "  KEY: ..." in the machine's config file, keeping the rest
  inside sed -i -E "s|^([[:space:]]*$2:)[[:space:]]*[^#]*|\1 $3 |" "$1"
}
stream_msgs() { inside curl -sf 'http://127.0.0.1:8222/jsz?streams=true' |
  node -e 'const j=JSON.parse(require("fs").readFileSync(0));const s=(j.account_details||[]).flatMap(a=>a.stream_detail||[]).find(s=>s.name==="MARKET_DATA");console.log(s?s.state.messages:-1)'; }

check_installed() { # check_installed VERSION
  wait_for 150 "all units active" all_active
  for i in "${!UNITS[@]}"; do
    local u=${UNITS[$i]} m=${MODULES[$i]}
    [ -n "$(prop "$u" StatusText)" ] || die "$u has no STATUS= line"
    grep -q 'Status: "' <<<"$(inside systemctl status "$u" --no-pager --lines=0)" || die "systemctl status $u shows no status line"
    inside "/usr/bin/$u" --version | grep -qx "$u $1" || die "$u --version is not $1"
    [ "$(inside stat -c '%a %U:%G' "/etc/marketprism/$m.yaml")" = "640 root:marketprism" ] || die "/etc/marketprism/$m.yaml mode"
  done
  inside getent passwd marketprism >/dev/null || die "no marketprism user"
  ! inside sh -c 'command -v node' >/dev/null || die "the machine has a system node; the packages must not need one"
  inside marketprism --version >/dev/null || die "/usr/bin/marketprism (alternative) missing"
  # Dashboards, provisioning and alert rules (marketprism-broker) under /usr/share/marketprism, as in this checkout.
  local f
  for f in $(git -C "$REPO" ls-files grafana prometheus); do
    inside cat "/usr/share/marketprism/$f" | cmp -s - "$REPO/$f" || die "/usr/share/marketprism/$f missing or not the checkout's"
  done
  # Man pages: each daemon's from its package; marketprism(1) and the bash completion as slaves of the alternative.
  for f in broker collector storage; do
    inside zcat "/usr/share/man/man1/marketprism-$f.1.gz" | cmp -s - "$REPO/packaging/man/marketprism-$f.1" || die "marketprism-$f(1) missing or not the checkout's"
  done
  inside zcat /usr/share/man/man1/marketprism.1.gz | cmp -s - "$REPO/packaging/man/marketprism.1" || die "marketprism(1) (a slave of the alternative) missing"
  inside cat /usr/share/bash-completion/completions/marketprism | cmp -s - "$REPO/packaging/completion/marketprism.bash" || die "the bash completion (a slave of the alternative) missing"
}

data_flows() { # data_flows LABEL: storage -> the provided ClickHouse, records in, rows out
  set_yaml /etc/marketprism/storage.yaml engine clickhouse
  set_yaml /etc/marketprism/storage.yaml url http://127.0.0.1:8123
  inside timeout 150 systemctl restart marketprism-storage || die "restart storage on the clickhouse engine"
  wait_for 90 "storage active on the clickhouse engine" inside systemctl --quiet is-active marketprism-storage
  local before; before=$(trade_rows || echo 0)
  wait_for 90 "collector trades in ClickHouse ($1)" rows_above "$((before + 50))"
}

# The operator's commands on a systemd host (docs/operations.md): status through systemctl,
# logs through journalctl, check-config seeing a `systemctl edit` drop-in as the daemon does,
# integrity of a range against what JetStream acknowledged. $FLOW_FROM: a time after storage
# moved to the ClickHouse server (what the embedded engine stored before is not there).
operator_cli() {
  local out code dropin=/etc/systemd/system/marketprism-collector.service.d/e2e-metrics.conf to
  out=$(inside marketprism status --json) || true
  node -e '
    const s = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const bad = ["broker", "collector", "storage"].filter((m) => {
      const u = s.units.find((x) => x.module === m);
      return !u || !u.systemd || u.active !== "active" || !(u.uptime_s >= 0);
    });
    if (bad.length) { console.error("units not active with an uptime in marketprism status: " + bad + " " + JSON.stringify(s.units)); process.exit(1); }
    if (!s.jetstream || !s.jetstream.streams.some((x) => x.name === "MARKET_DATA")) { console.error("no MARKET_DATA in status"); process.exit(1); }
  ' <<<"$out" || die "marketprism status --json"
  out=$(inside marketprism logs collector -n 5 --no-pager -o cat) || die "marketprism logs collector"
  grep -q '"level":' <<<"$out" || die "marketprism logs collector shows no journal line: $out"
  inside sh -c "mkdir -p ${dropin%/*} && printf '[Service]\nEnvironment=METRICS_PORT=9393\n' > $dropin && systemctl daemon-reload"
  out=$(inside marketprism check-config collector) || { echo "$out"; die "check-config collector with a drop-in"; }
  grep -Eq "^ +metrics\.port +9393 +env METRICS_PORT \(.*e2e-metrics\.conf" <<<"$out" || { echo "$out"; die "check-config does not show the drop-in's METRICS_PORT"; }
  inside timeout 60 systemctl restart marketprism-collector || die "restart the collector with the drop-in"
  wait_for 30 "the collector's metrics on the drop-in's port 9393" inside curl -sf -o /dev/null http://127.0.0.1:9393/metrics
  inside sh -c "rm $dropin && systemctl daemon-reload && timeout 60 systemctl restart marketprism-collector" || die "remove the drop-in"
  wait_for 30 "the collector's metrics back on 9093" inside curl -sf -o /dev/null http://127.0.0.1:9093/metrics
  sleep 15
  to=$(date -u -d '-8 seconds' +%Y-%m-%dT%H:%M:%SZ)
  code=0; out=$(inside marketprism integrity --from "$FLOW_FROM" --to "$to" --json) || code=$?
  node -e '
    const r = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const a = r.acknowledged;
    if (!a || a.records === 0) { console.error("integrity read nothing JetStream acknowledged: " + JSON.stringify(r.errors)); process.exit(1); }
    const missing = a.tables.filter((t) => t.missing > 0);
    if (missing.length) { console.error("integrity: acknowledged records missing: " + JSON.stringify(missing)); process.exit(1); }
    console.log(`integrity ${r.from} .. ${r.to}: ${a.records} records acknowledged in ${a.messages} messages, ` + a.tables.map((t) => `${t.table} ${t.venue} ${t.stored}/${t.acknowledged}`).join(", ") + `; problems: ${r.problems.map((p) => p.kind).join(", ") || "none"}`);
  ' <<<"$out" || { echo "$out" | head -c 3000; die "marketprism integrity (exit $code)"; }
}

journal_priorities() {
  local u=marketprism-collector conf=/etc/marketprism/collector.yaml run warn info
  run=_SYSTEMD_INVOCATION_ID=$(prop "$u" InvocationID) # this run of the unit only
  grep -q "\"SYSLOG_IDENTIFIER\":\"$u\"" <<<"$(inside journalctl "$run" -o json --no-pager)" || die "no $u lines in the journal"
  # An error on purpose: HUP with an unparseable config makes the daemon log "reload failed" (pino 50 -> <3>).
  inside cp -p "$conf" "$conf.e2e"
  inside sh -c "echo 'log_level: [' >> $conf"
  inside systemctl kill --kill-whom=main --signal=SIGHUP "$u"
  # ExecReload= validates first: a broken config is refused and the daemon keeps running.
  ! inside systemctl reload "$u" 2>/dev/null || die "systemctl reload accepted a broken config"
  sleep 2
  inside mv "$conf.e2e" "$conf"
  inside systemctl reload "$u" || die "systemctl reload $u"
  inside systemctl --quiet is-active "$u" || die "$u stopped by a reload"
  reloaded() { grep -q 'reloaded config' <<<"$(inside journalctl "$run" -o cat --no-pager)"; }
  wait_for 10 "the daemon's 'reloaded config' line" reloaded
  warn=$(inside journalctl "$run" -p warning --no-pager -o cat)
  info=$(inside journalctl "$run" -p info --no-pager -o cat)
  grep -q '"level":50.*reload failed' <<<"$warn" || die "journalctl -p warning misses the error line"
  ! grep -q '"level":30' <<<"$warn" || die "journalctl -p warning shows info lines"
  grep -q '"level":30' <<<"$info" || die "journalctl -p info has no info lines"
  # Structured fields survive: the message is the pino JSON object, parseable, with its fields.
  inside journalctl "$run" -p err -o cat --no-pager | grep '"level":50' | tail -1 |
    node -e 'const o=JSON.parse(require("fs").readFileSync(0));if(!o.msg||!o.pid||!o.name)process.exit(1)' ||
    die "journal lines are not the structured pino JSON"
  [ "$(inside journalctl "$run" -p err -o json --no-pager | grep -c '"PRIORITY":"3"')" -gt 0 ] || die "no PRIORITY=3 entry"
}

watchdog_restarts() {
  local u=marketprism-collector pid n0 limit
  pid=$(prop $u MainPID) n0=$(prop $u NRestarts) limit=$(($(prop $u WatchdogUSec | sed 's/s$//') + 45))
  inside kill -STOP "$pid"
  restarted() { [ "$(prop $u NRestarts)" -gt "$n0" ] && [ "$(prop $u MainPID)" != "$pid" ] && inside systemctl --quiet is-active $u; }
  wait_for "$limit" "watchdog restart of a stopped $u" restarted
  grep -q 'Watchdog timeout' <<<"$(inside journalctl -u $u --no-pager)" || die "the journal does not name the watchdog"
  local before; before=$(trade_rows)
  wait_for 90 "data after the watchdog restart" rows_above "$((before + 50))"
}

nats_server_restart() {
  local pid n0 msgs
  pid=$(inside pgrep -x nats-server) n0=$(prop marketprism-broker NRestarts) msgs=$(stream_msgs)
  [ "$msgs" -gt 0 ] || die "MARKET_DATA is empty before the nats-server kill"
  inside kill -KILL "$pid"
  back() { local p; p=$(inside pgrep -x nats-server) && [ "$p" != "$pid" ] && [ "$(stream_msgs)" -ge "$msgs" ]; }
  wait_for 60 "nats-server restarted by the broker with MARKET_DATA intact" back
  [ "$(prop marketprism-broker NRestarts)" = "$n0" ] || die "the broker unit restarted instead of its supervisor"
  inside systemctl --quiet is-active marketprism-broker || die "broker unit not active after the nats-server kill"
}

before_upgrade() { # the admin edits collector.yaml; rows, stream messages and main PIDs are noted
  inside sh -c "echo '# e2e: edited by the admin' >> /etc/marketprism/collector.yaml"
  ROWS=$(trade_rows) MSGS=$(stream_msgs) PIDS=$(for u in "${UNITS[@]}"; do prop "$u" MainPID; done)
  [ -n "$ROWS" ] && [ -n "$MSGS" ] || die "no row or message count before the upgrade"
}
upgrade() { # upgrade INSTALL-COMMAND...: the package manager's output is in $OUT
  OUT=$(inside "$@" 2>&1) || { echo "$OUT"; die "upgrade: $*"; }
  grep -q 'marketprism-broker: JetStream streams: done' <<<"$OUT" || { echo "$OUT"; die "post-install streams ensure did not run against the running broker"; }
}
upgraded_keeps() {
  local rows=$ROWS msgs=$MSGS
  restarted_all() {
    all_active && [ -z "$(comm -12 <(sort <<<"$PIDS") <(for u in "${UNITS[@]}"; do prop "$u" MainPID; done | sort))" ]
  }
  wait_for 150 "every unit restarted (new main PID) and active after the upgrade" restarted_all
  for u in "${UNITS[@]}"; do inside "/usr/bin/$u" --version | grep -qx "$u $VERSION+e2e1" || die "$u not upgraded"; done
  inside grep -q '^# e2e: edited by the admin' "/etc/marketprism/collector.yaml" || die "upgrade lost the edited collector.yaml"
  [ "$(trade_rows)" -ge "$rows" ] || die "rows lost in the upgrade"
  wait_for 30 "JetStream data kept by the upgrade" test "$(stream_msgs)" -ge "$msgs"
}

removed_keeps() {
  for u in "${UNITS[@]}"; do ! inside systemctl --quiet is-active "$u" || die "$u still running after remove"; done
  [ -n "$(inside ls -A /var/lib/marketprism/broker/jetstream)" ] || die "remove deleted the JetStream data"
  inside test -d /var/lib/marketprism/storage || die "remove deleted the storage state"
  inside getent passwd marketprism >/dev/null || die "remove deleted the user"
}

# --- degraded start (issue 8): a peer that is down is a degraded state, not a failed start ---
# With TimeoutStartSec=15 (a drop-in, removed after), the collector and storage are restarted
# while (a) the venues (simulator), (b) the broker and (c) the engine are all down, and stay so
# for longer than that timeout: each unit must be READY (restart returns), stay active with
# NRestarts and MainPID unchanged, and say what is degraded in its status line; then each peer
# returns, the status lines follow, and data flows again without a restart.
DEGRADED_UNITS=(marketprism-collector marketprism-storage)
START_TIMEOUT=15
status_has() { prop "$1" StatusText | grep -Eq "$2"; } # status_has UNIT REGEX
# health_says PORT STATUS: /health's status. The body is read whole first: `curl | grep -q` under
# pipefail fails when grep stops reading before curl has written a long body (curl: EPIPE).
health_says() {
  local body i
  for i in 1 2 3; do
    body=$(inside curl -s -m 10 "http://127.0.0.1:$1/health") || body=""
    grep -q "\"status\": \"$2\"" <<<"$body" && return 0
    sleep 1
  done
  return 1
}
# hold_for SECONDS: every second, both units active with the same main PID and restart count.
hold_for() {
  local end=$(($(date +%s) + $1)) u
  while [ "$(date +%s)" -lt "$end" ]; do
    for u in "${DEGRADED_UNITS[@]}"; do
      [ "$(prop "$u" ActiveState)" = active ] || die "$u is $(prop "$u" ActiveState) with a peer down ($(prop "$u" StatusText))"
      [ "$(prop "$u" NRestarts)" = "${N0[$u]}" ] && [ "$(prop "$u" MainPID)" = "${PID0[$u]}" ] || die "$u restarted with a peer down"
    done
    sleep 1
  done
}
degraded_start() {
  local u before
  declare -gA N0 PID0
  before=$(trade_rows)
  for u in "${DEGRADED_UNITS[@]}"; do
    inside mkdir -p "/etc/systemd/system/$u.service.d"
    printf '[Service]\nTimeoutStartSec=%s\n' "$START_TIMEOUT" | inside sh -c "cat > /etc/systemd/system/$u.service.d/e2e-timeout.conf"
  done
  inside systemctl daemon-reload
  [ "$(prop marketprism-collector TimeoutStartUSec)" = "${START_TIMEOUT}s" ] || die "the TimeoutStartSec drop-in is not in effect"
  # Down: the exchanges, the broker, the engine.
  kill "$SIM" && wait "$SIM" 2>/dev/null || true
  SIM=""
  inside systemctl stop marketprism-broker
  kill "$CHDB" && wait "$CHDB" 2>/dev/null || true
  CHDB=""
  for u in "${DEGRADED_UNITS[@]}"; do
    inside systemctl stop "$u"
    # Type=notify: start returns once READY=1 came, well before the start timeout.
    inside timeout $((START_TIMEOUT - 5)) systemctl start "$u" || die "$u not READY with its peers down (start blocked)"
    N0[$u]=$(prop "$u" NRestarts) PID0[$u]=$(prop "$u" MainPID)
  done
  hold_for $((START_TIMEOUT + 5))
  status_has marketprism-collector '^degraded: 0/[0-9]+ feeds connected, NATS unreachable, retrying' ||
    die "collector status line: $(prop marketprism-collector StatusText)"
  status_has marketprism-storage '^degraded: ClickHouse unreachable .*NATS unreachable.*retrying' ||
    die "storage status line: $(prop marketprism-storage StatusText)"
  for u in "${DEGRADED_UNITS[@]}"; do log "$u: $(prop "$u" StatusText)"; done
  health_says 8085 degraded || die "storage /health does not say degraded: $(inside curl -s -m 10 http://127.0.0.1:8085/health | head -c 600)"
  health_says 8087 degraded || die "collector /health does not say degraded: $(inside curl -s -m 10 http://127.0.0.1:8087/health | head -c 600)"
  pass "degraded start: collector and storage active ${START_TIMEOUT}+5s with venues, broker and engine down, NRestarts unchanged"
  # (c) the engine returns: storage says so (only NATS left).
  start_clickhouse deb
  wait_for 60 "storage status without 'ClickHouse unreachable'" eval '! status_has marketprism-storage "ClickHouse unreachable" && status_has marketprism-storage "NATS unreachable"'
  # (b) the broker returns: both attach.
  inside systemctl start marketprism-broker
  wait_for 60 "storage storing after the broker returned" status_has marketprism-storage '^storing: '
  wait_for 60 "collector connected to NATS after the broker returned" status_has marketprism-collector 'NATS connected'
  # (a) the exchanges return (same ports): data flows, no restart.
  start_sim
  wait_for 150 "collector trades in ClickHouse after every peer returned" rows_above "$((before + 50))"
  wait_for 30 "collector collecting" status_has marketprism-collector '^(collecting|degraded): [1-9][0-9]*/[0-9]+ feeds connected, NATS connected'
  hold_for 1
  for u in "${DEGRADED_UNITS[@]}"; do log "$u: $(prop "$u" StatusText)"; done
  for u in "${DEGRADED_UNITS[@]}"; do inside rm -r "/etc/systemd/system/$u.service.d"; done
  inside systemctl daemon-reload
  pass "degraded start: data flows once venues, broker and engine return (no restart)"
}
# --- security (issue 8): NATS credentials from files, refused without them, never shown ---
# The packages generate one password per role at install; nats-server refuses a client without
# them; the collector user cannot touch the streams; no password in `ps` or the journal.
security_checks() {
  local f role out
  [ "$(inside stat -c '%a %U:%G' /etc/marketprism/nats)" = "750 root:marketprism" ] || die "/etc/marketprism/nats mode/owner"
  for role in admin collector storage; do
    f=/etc/marketprism/nats/$role.password
    [ "$(inside stat -c '%a %U:%G' "$f")" = "640 root:marketprism" ] || die "$f is not 0640 root:marketprism"
    inside cat "$f" >>"$RUN/passwords"
  done
  [ "$(inside stat -c '%a %U' /var/lib/marketprism/broker/nats-server.conf)" = "600 marketprism" ] || die "nats-server.conf is not 0600 marketprism"
  [ -z "$(inside find /usr/lib/marketprism -name '*.password')" ] || die "a package ships a password file: $(inside find /usr/lib/marketprism -name '*.password' | head -3)"
  # node from this checkout, in the machine's network namespace; passwords on stdin, never in argv.
  out=$(in_net node --input-type=module -e '
    import { connect } from "@nats-io/transport-node";
    import { readFileSync } from "node:fs";
    const [admin, collector] = readFileSync(0, "utf8").trim().split("\n");
    const url = "nats://127.0.0.1:4222";
    const refused = (p) => p.then(() => "accepted", (e) => (/authorization violation|permissions violation/i.test(String(e)) ? "refused" : `error ${e}`));
    const anon = await refused(connect({ servers: url, reconnect: false, timeout: 5000 }));
    const wrong = await refused(connect({ servers: url, reconnect: false, timeout: 5000, user: "collector", pass: admin }));
    const nc = await connect({ servers: url, reconnect: false, timeout: 5000, user: "collector", pass: collector });
    const del = await refused(nc.request("$JS.API.STREAM.DELETE.MARKET_DATA", "", { timeout: 5000 }));
    await nc.close();
    console.log(`anonymous ${anon}, wrong password ${wrong}, collector deleting MARKET_DATA ${del}`);
  ' <"$RUN/passwords" 2>&1) || { echo "$out"; die "NATS client check"; }
  [ "$out" = "anonymous refused, wrong password refused, collector deleting MARKET_DATA refused" ] || die "NATS auth: $out"
  log "nats: $out"
  [ "$(stream_msgs)" -gt 0 ] || die "MARKET_DATA gone after the collector's delete attempt"
  # grep reads the output whole (not a pipe: under pipefail, `cmd | grep -q` fails when grep stops early).
  ! grep -qF -f "$RUN/passwords" < <(inside ps -eo args) || die "a NATS password appears in ps output"
  ! grep -qF -f "$RUN/passwords" < <(inside journalctl --no-pager -o cat) || die "a NATS password appears in the journal"
  : >"$RUN/passwords"
}
# --- end security ---

# --- TLS (issue 8): the broker with a certificate, every client verifying it ---
# A CA and a server certificate for 127.0.0.1 made here with openssl, installed as the admin
# would (0640 root:marketprism); broker.yaml gets nats_server.tls, collector.yaml and
# storage.yaml nats.tls.ca_file. Then: data flows over TLS, a client without the CA is refused
# (nats-server requires TLS; the client tries it and cannot verify the broker's certificate).
# The rest of the rpm pass (journald, watchdog, nats-server kill, upgrade) runs on TLS.
tls_switch() {
  local t="$RUN/tls" before out f
  mkdir -p "$t"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=e2e-ca -keyout "$t/ca.key" -out "$t/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout "$t/server.key" -out "$t/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$t/ext"
  openssl x509 -req -in "$t/server.csr" -CA "$t/ca.pem" -CAkey "$t/ca.key" -CAcreateserial -days 2 -extfile "$t/ext" -out "$t/server.pem" 2>/dev/null
  inside install -d -m 0750 -o root -g marketprism /etc/marketprism/tls
  for f in ca.pem server.pem server.key; do
    inside sh -c "cat > /etc/marketprism/tls/$f && chown root:marketprism /etc/marketprism/tls/$f && chmod 0640 /etc/marketprism/tls/$f" <"$t/$f"
  done
  inside sed -i '/^nats_server:/a\  tls: { cert_file: tls/server.pem, key_file: tls/server.key, ca_file: tls/ca.pem }' /etc/marketprism/broker.yaml
  for f in collector storage; do inside sed -i '/^nats:/a\  tls: { ca_file: tls/ca.pem }' "/etc/marketprism/$f.yaml"; done
  for f in broker collector storage; do inside "/usr/bin/marketprism-$f" check-config --config "/etc/marketprism/$f.yaml" >/dev/null || die "check-config $f with TLS"; done
  before=$(trade_rows)
  inside timeout 120 systemctl restart marketprism-broker || die "broker restart with TLS"
  inside systemctl restart --no-block marketprism-collector marketprism-storage
  wait_for 90 "all units active on TLS" all_active
  wait_for 120 "collector trades in ClickHouse over TLS" rows_above "$((before + 50))"
  grep -q '"tls":true' < <(inside journalctl -u marketprism-collector --no-pager -o cat -n 200) || die "the collector's NATS connection is not TLS"
  out=$(in_net node --input-type=module -e '
    import { connect } from "@nats-io/transport-node";
    const r = await connect({ servers: "nats://127.0.0.1:4222", reconnect: false, timeout: 5000 }).then(
      async (nc) => { await nc.close(); return "accepted"; },
      (e) => (/tls|certificate/i.test(String(e)) ? "refused" : `error ${e}`),
    );
    console.log(`client without the CA ${r}`);
  ' 2>&1) || { echo "$out"; die "plaintext NATS client check"; }
  [ "$out" = "client without the CA refused" ] || die "TLS: $out"
  log "nats: $out"
}
# --- end TLS ---

start_sim

# --- .deb ---
STEP="deb: install"
out=$(inside env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
  $(pkgs deb "$VERSION") 2>&1) || { echo "$out"; die "apt install"; }
grep -q 'marketprism-storage: ClickHouse schema: done' <<<"$out" || { echo "$out"; die "post-install schema migrate"; }
# The broker is not running yet when its post-install runs: a message, not a failed install.
grep -q 'marketprism-broker: JetStream streams: not done now' <<<"$out" || { echo "$out"; die "post-install with NATS down"; }
point_collector_at_sim
check_installed "$VERSION"
pass "deb install: units active with status lines"
STEP="deb: data flow"; start_clickhouse deb; data_flows deb; FLOW_FROM=$(date -u +%Y-%m-%dT%H:%M:%SZ); pass "deb data in ClickHouse"
STEP="deb: operator CLI"; operator_cli; pass "marketprism status, logs, check-config (a drop-in), integrity on systemd"
STEP="deb: security"; security_checks; pass "NATS credentials 0640 root:marketprism, auth enforced, no password in ps or journal"
STEP="deb: degraded start"; degraded_start
STEP="deb: journald"; journal_priorities; pass "journald priorities"
STEP="deb: watchdog"; watchdog_restarts; pass "watchdog restart"
STEP="deb: nats-server kill"; nats_server_restart; pass "nats-server restart"
STEP="deb: upgrade"
before_upgrade
upgrade env DEBIAN_FRONTEND=noninteractive apt-get install -y -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
  $(pkgs deb "$VERSION+e2e1")
grep -q 'marketprism-storage: ClickHouse schema: done' <<<"$OUT" || { echo "$OUT"; die "post-install schema migrate on upgrade"; }
upgraded_keeps
pass "deb upgrade keeps config and data"
STEP="deb: remove"
inside env DEBIAN_FRONTEND=noninteractive apt-get remove -y "${UNITS[@]}" >/dev/null
removed_keeps
inside grep -q '^# e2e: edited by the admin' "/etc/marketprism/collector.yaml" || die "remove deleted the edited conffile"
pass "deb remove keeps data"
STEP="deb: purge"
inside env DEBIAN_FRONTEND=noninteractive apt-get purge -y "${UNITS[@]}" >/dev/null
! inside test -e /var/lib/marketprism || die "purge left /var/lib/marketprism"
! inside test -e /etc/marketprism || die "purge left /etc/marketprism"
! inside getent passwd marketprism >/dev/null || die "purge left the marketprism user"
[ -z "$(inside find /etc/systemd/system -name 'marketprism-*')" ] || die "purge left unit enablement links"
pass "deb purge removes state and user"

# --- .rpm, in the same booted system (--nodeps: Debian's libraries are not in the rpm database) ---
STEP="rpm: install"
out=$(inside rpm -i --nodeps $(pkgs rpmf "$VERSION") 2>&1) || { echo "$out"; die "rpm -i"; }
grep -q 'marketprism-storage: ClickHouse schema: done' <<<"$out" || { echo "$out"; die "rpm post-install schema migrate"; }
point_collector_at_sim
check_installed "$VERSION"
pass "rpm install: units active with status lines"
# rpmlint on the installed packages: it reads their files where rpm put them (unpacking an nfpm
# rpm itself, rpmlint's cpio would write the absolute paths onto the root it runs on).
STEP="rpmlint"
inside rpmlint -r /mnt/dist/rpmlintrc -i "${UNITS[@]}" >"$RUN/rpmlint.log" 2>&1 || true
grep -q ' 0 errors' "$RUN/rpmlint.log" || { grep -E ' E: |errors' "$RUN/rpmlint.log"; die "rpmlint reports errors"; }
pass "rpmlint: $(grep -o '[0-9]* errors, [0-9]* warnings' "$RUN/rpmlint.log")"
STEP="rpm: data flow"; start_clickhouse rpm; data_flows rpm; pass "rpm data in ClickHouse"
STEP="rpm: security"; security_checks; pass "rpm: NATS credentials and auth"
STEP="rpm: TLS"; tls_switch; pass "rpm: NATS over TLS (certificate verified by every client), a client without the CA refused"
STEP="rpm: journald"; journal_priorities; pass "rpm journald priorities"
STEP="rpm: watchdog"; watchdog_restarts; pass "rpm watchdog restart"
STEP="rpm: nats-server kill"; nats_server_restart; pass "rpm nats-server restart"
STEP="rpm: upgrade with ClickHouse down"
before_upgrade
kill "$CHDB" && wait "$CHDB" 2>/dev/null || true
CHDB=""
upgrade rpm -U --nodeps $(pkgs rpmf "$VERSION+e2e1")
grep -q 'marketprism-storage: ClickHouse schema: not done now' <<<"$OUT" || { echo "$OUT"; die "post-install with ClickHouse down"; }
start_clickhouse rpm # the same data directory: storage, waiting for it, becomes ready
upgraded_keeps
pass "rpm upgrade (ClickHouse down meanwhile) keeps config and data"
STEP="rpm: erase"
inside rpm -e "${UNITS[@]}"
removed_keeps
inside test -f "/etc/marketprism/collector.yaml.rpmsave" || die "rpm -e did not keep the edited config as .rpmsave"
[ -z "$(inside find /etc/systemd/system -name 'marketprism-*')" ] || die "rpm -e left unit enablement links"
pass "rpm erase keeps data"

STEP="lintian"
wait "$LINTIAN" || true
! grep -q '^E: ' "$RUN/lintian.log" || { grep '^E: ' "$RUN/lintian.log"; die "lintian reports errors"; }
pass "lintian: 0 errors, $(grep -c '^W: ' "$RUN/lintian.log") warnings"
