# Versions more than one script installs (sourced by scripts/install-deps.sh and
# scripts/install-packaging-tools.sh): one place to move a pin. docs/dependencies.md.
# nats-server: the tests, the benchmarks and the broker package run this release.
PINNED_NATS_SERVER_VERSION=v2.15.2
