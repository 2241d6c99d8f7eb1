#!/usr/bin/env bash
# Three hosts and more on one machine (issue 10, docs/cluster.md "Three hosts"): network
# namespaces on a private bridge, a 3-node NATS cluster of marketprism-broker with auth,
# marketprism-storage (embedded chDB) and marketprism-collector fed by the exchange
# simulator, each on its own "host", each knowing the others only from its config. The
# driver (src/testing/multihost/) runs the checks and prints `ok - ...` / `not ok - ...`,
# then: "multihost: N checks passed, published P, acknowledged A, stored S, lost L, duplicated U".
#
#   sudo ./scripts/e2e-multihost.sh           # the full form (CI): 60 s link cut, storage down 300 s (about 9 min)
#   sudo ./scripts/e2e-multihost.sh --keep    # keep the run directory (configs, logs, stores) even when it passes
#   sudo ./scripts/e2e-multihost.sh --clean   # only remove what an interrupted run left (namespaces, processes in them)
# Shorter outages for development: MARKETPRISM_MH_CUT_S (default 60), MARKETPRISM_MH_STORAGE_DOWN_S (default 300).
#
# Needs root (namespaces, links), iproute2 (`ip`), curl, and the build (npm run build).
# The daemons run as root, straight from build/ (not packages), nats-server from .tools/bin.
# Nothing is configured outside the namespaces it creates: the bridge lives in a namespace
# of its own ($PREFIX-sw), every address (10.213.0.0/24) is inside a namespace.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/bin:$PATH"

PREFIX="${MARKETPRISM_MH_PREFIX:-mpmh}"
NET="${MARKETPRISM_MH_NET:-10.213.0}"
SW="$PREFIX-sw"
# name:last octet. ops runs the driver (an operator's host); b1..b3 the brokers; st storage;
# co the collector with the simulator beside it (the venue on its loopback, so cutting the
# host's link to the brokers leaves the venue feeding it). co2, co3: the collector fleet's other members.
HOSTS=(ops:10 b1:11 b2:12 b3:13 st:21 co:31 co2:32 co3:33)

keep=0
clean_only=0
for a in "$@"; do
  case "$a" in
    --keep) keep=1 ;;
    --clean) clean_only=1 ;;
    -h | --help)
      sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "e2e-multihost: unknown option $a (see --help)" >&2
      exit 2
      ;;
  esac
done

missing=()
[ "$(id -u)" = 0 ] || missing+=("root (network namespaces and links need it: run with sudo)")
command -v ip >/dev/null && ip netns list >/dev/null 2>&1 || missing+=("ip with netns support (apt install iproute2)")
command -v curl >/dev/null || missing+=("curl (apt install curl)")
command -v node >/dev/null || missing+=("node (Node.js 20, scripts/install-deps.sh)")
command -v nats-server >/dev/null || missing+=("nats-server (scripts/install-deps.sh builds it into .tools/bin)")
command -v setpriv >/dev/null || missing+=("setpriv (util-linux; the broker runs nats-server through it)")
if [ ${#missing[@]} -gt 0 ]; then
  printf 'e2e-multihost: missing: %s\n' "${missing[@]}" >&2
  exit 2
fi

# One run at a time: a second one would tear down the first one's namespaces.
mkdir -p /run/lock
exec 9>"/run/lock/$PREFIX-e2e-multihost.lock"
if ! flock -n 9; then
  echo "e2e-multihost: another run holds /run/lock/$PREFIX-e2e-multihost.lock; not starting" >&2
  exit 2
fi

ours() { ip netns list | awk '{print $1}' | grep -E "^$PREFIX-" || true; }

# Stops the processes inside our namespaces (nothing else), then deletes the namespaces.
teardown() {
  local ns pids
  for sig in TERM KILL; do
    pids=""
    for ns in $(ours); do pids+=" $(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')"; done
    pids="$(echo "$pids" | xargs)"
    [ -n "$pids" ] || break
    # shellcheck disable=SC2086
    kill -s "$sig" $pids 2>/dev/null || true
    [ "$sig" = TERM ] && for _ in $(seq 1 50); do
      sleep 0.2
      alive=""
      for p in $pids; do [ -d "/proc/$p" ] && alive=1; done
      [ -z "$alive" ] && break
    done
  done
  for ns in $(ours); do ip netns del "$ns" 2>/dev/null || true; done
}

left="$(ours | xargs)"
if [ -n "$left" ]; then
  echo "e2e-multihost: leftovers of an earlier run: $left; removing them" >&2
  teardown
  left="$(ours | xargs)"
  if [ -n "$left" ]; then
    echo "e2e-multihost: could not remove $left; not starting" >&2
    exit 2
  fi
fi
[ "$clean_only" = 1 ] && exit 0

[ -f build/src/testing/multihost/main.js ] || npm run --silent build

RUN="$(mktemp -d /tmp/mp-multihost-XXXXXX)"
status=1
finish() {
  teardown
  if [ "$status" = 0 ] && [ "$keep" = 0 ]; then rm -rf "$RUN"; else echo "e2e-multihost: run directory kept: $RUN" >&2; fi
}
trap finish EXIT
trap 'exit 130' INT TERM

# The switch: a bridge in its own namespace; each host a namespace with eth0, its veth peer on the bridge.
ip netns add "$SW"
ip -n "$SW" link set lo up
ip -n "$SW" link add br0 type bridge
ip -n "$SW" link set br0 up
hosts_json=""
for h in "${HOSTS[@]}"; do
  name="${h%%:*}"
  ns="$PREFIX-$name"
  addr="$NET.${h##*:}"
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip link add eth0 netns "$ns" type veth peer name "v-$name" netns "$SW"
  ip -n "$SW" link set "v-$name" master br0 up
  ip -n "$ns" addr add "$addr/24" dev eth0
  ip -n "$ns" link set eth0 up
  hosts_json+="${hosts_json:+,}\"$name\":{\"ns\":\"$ns\",\"addr\":\"$addr\",\"link\":\"v-$name\"}"
done
cat >"$RUN/topology.json" <<EOF
{"dir":"$RUN","switch":"$SW","hosts":{$hosts_json}}
EOF
set +e
ip netns exec "$PREFIX-ops" node build/src/testing/multihost/main.js --topology "$RUN/topology.json"
status=$?
set -e
exit "$status"
