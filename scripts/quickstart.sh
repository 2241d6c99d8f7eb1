#!/usr/bin/env bash
# MarketPrism on one machine, in the foreground: broker (nats-server + JetStream),
# storage (embedded ClickHouse via chDB) and collector, with the default config.
#
#   ./scripts/quickstart.sh                      live exchanges
#   ./scripts/quickstart.sh --replay FILE...     a recorded session (e.g. ../shared/captures/cryptofeed/BINANCE.*)
#                                                served by the exchange simulator, for machines without internet
# Ctrl-C stops everything. State lives in ./.quickstart (delete it to start over).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
RUN="$ROOT/.quickstart"

replay=()
if [ "${1:-}" = "--replay" ]; then
  shift
  [ $# -gt 0 ] || { echo "quickstart: --replay needs capture files" >&2; exit 2; }
  for f in "$@"; do [ -r "$f" ] || { echo "quickstart: cannot read capture $f" >&2; exit 2; }; replay+=("$(realpath "$f")"); done
elif [ $# -gt 0 ]; then
  echo "usage: $0 [--replay CAPTURE_FILE...]" >&2; exit 2
fi

./scripts/install-deps.sh
export PATH="$ROOT/.tools/bin:$PATH"
npm run --silent build
command -v nats-server >/dev/null || { echo "quickstart: nats-server not found" >&2; exit 1; }

for port in 4222 8222 8085 8087 9093; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "quickstart: port $port is in use (is MarketPrism already running?)" >&2; exit 1
  fi
done

mkdir -p "$RUN"
# NATS with a user per role, as the packages install it: the passwords in $RUN/nats (kept across runs).
node bin/marketprism.js credentials ensure --dir "$RUN/nats" --group "$(id -gn)" >/dev/null
cp config/streams.yaml "$RUN/streams.yaml"
sed -e "s#binary: nats-server .*#binary: $(command -v nats-server)#" \
    -e "s#store_dir: .*#store_dir: $RUN/broker/jetstream#" \
    -e "s#host: 0.0.0.0#host: 127.0.0.1#" config/broker.yaml > "$RUN/broker.yaml"
sed -e "s#embedded_path: .*#embedded_path: $RUN/storage/chdb#" \
    -e "s#host: 0.0.0.0#host: 127.0.0.1#" config/storage.yaml > "$RUN/storage.yaml"
cp config/collector.yaml "$RUN/collector.yaml"
sed -i -e "s#host: 0.0.0.0#host: 127.0.0.1#" "$RUN/collector.yaml"

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo; echo "quickstart: stopping"
  for ((i=${#pids[@]}-1; i>=0; i--)); do kill -TERM "${pids[$i]}" 2>/dev/null || true; wait "${pids[$i]}" 2>/dev/null || true; done
}
trap cleanup INT TERM EXIT

wait_http() { # url what
  for _ in $(seq 1 120); do curl -fs -o /dev/null "$1" && return 0; sleep 0.5; done
  echo "quickstart: $2 did not come up ($1)" >&2; exit 1
}

if [ ${#replay[@]} -gt 0 ]; then
  node bin/marketprism-sim.js --captures "${replay[@]}" --port 0 > "$RUN/sim.json" 2> "$RUN/sim.log" &
  pids+=($!)
  for _ in $(seq 1 60); do [ -s "$RUN/sim.json" ] && break; sleep 0.5; done
  [ -s "$RUN/sim.json" ] || { echo "quickstart: simulator did not start; see $RUN/sim.log" >&2; exit 1; }
  node build/src/sim/collector-config.js "$RUN/sim.json" "$RUN/collector.yaml"
  # Recorded sessions are old; keep their rows in the hot tier instead of expiring them on insert.
  sed -i -e "s#hot_ttl_days: .*#hot_ttl_days: 3650#" "$RUN/storage.yaml"
  echo "quickstart: replaying ${replay[*]}"
fi

node bin/marketprism-broker.js --config "$RUN/broker.yaml" & pids+=($!)
wait_http "http://127.0.0.1:8222/healthz?js-enabled-only=true" "the broker"
node bin/marketprism-storage.js --config "$RUN/storage.yaml" & pids+=($!)
wait_http "http://127.0.0.1:8085/health" "storage"
node bin/marketprism-collector.js --config "$RUN/collector.yaml" & pids+=($!)
wait_http "http://127.0.0.1:8087/health" "the collector"

cat <<MSG

  MarketPrism is running (Ctrl-C to stop).
    broker     nats://127.0.0.1:4222   monitoring http://127.0.0.1:8222/jsz   users admin, collector, storage: passwords in $RUN/nats
    storage    http://127.0.0.1:8085/health   data: $RUN/storage/chdb (databases marketprism_hot)
    collector  http://127.0.0.1:8087/health   metrics http://127.0.0.1:9093/metrics

  Try, in another terminal:
    node bin/marketprism.js query --config $RUN/storage.yaml \\
      "SELECT exchange, symbol, count() AS trades, max(price) FROM marketprism_hot.trades GROUP BY exchange, symbol"

MSG
wait -n "${pids[@]}" || true
echo "quickstart: a daemon exited; stopping the others" >&2
