#!/bin/sh
# marketprism-@MODULE@ post-install, shared by deb (configure [old-version]) and rpm (1 install, 2 upgrade).
# Install: enable and start the units. Upgrade: restart the units that are enabled or running.
# Provisioning (JetStream streams, ClickHouse schema) is tried, never fails the install: the
# daemon applies the same at start and retries.
set -e
MODULE=@MODULE@
UNITS="@UNITS@"                 # enabled and started on install
OPTIONAL_UNITS="@OPTIONAL_UNITS@"  # shipped disabled
LIB=/usr/lib/marketprism/$MODULE

case "$1" in
  configure) if [ -z "$2" ]; then action=install; else action=upgrade; fi ;;
  1) action=install ;;
  2) action=upgrade ;;
  *) exit 0 ;;
esac

# The CLI; the deb's script has its man page and bash completion as slaves (package.sh fills in
# @ALT_SLAVES@: empty in the rpm's, whose packages ship those two files in place).
update-alternatives --quiet --install /usr/bin/marketprism marketprism "$LIB/bin/marketprism" @ALT_PRIORITY@@ALT_SLAVES@

# NATS passwords for a single host: each package creates the role files that are missing
# (random, 0640 root:marketprism, in a 0750 directory), so any install order works; existing
# files are kept (upgrades, or files copied from the broker host on a multi-host setup).
if out=$("$LIB/bin/marketprism" credentials ensure --dir /etc/marketprism/nats --group marketprism 2>&1); then
  created=$(printf '%s\n' "$out" | grep -c '^created ' || true)
  echo "marketprism-$MODULE: NATS credentials in /etc/marketprism/nats: $created created, $(printf '%s\n' "$out" | grep -c '^kept ' || true) kept"
else
  echo "marketprism-$MODULE: NATS credentials: $(printf '%s\n' "$out" | tail -n 1)" >&2
  exit 1
fi

# Runs a `marketprism` provisioning command as the service user, bounded in time.
provision() {
  what=$1; shift
  if out=$(timeout 60 runuser -u marketprism -- "$LIB/bin/marketprism" "$@" 2>&1); then
    echo "marketprism-$MODULE: $what: done"
    printf '%s\n' "$out" | sed 's/^/  /'
  else
    echo "marketprism-$MODULE: $what: not done now ($(printf '%s\n' "${out:-no answer within 60 s}" | tail -n 1))." >&2
    echo "marketprism-$MODULE: the daemon applies it when it starts and retries; nothing is lost." >&2
  fi
}
case "$MODULE" in
  broker) provision "JetStream streams" streams ensure --config /etc/marketprism/broker.yaml ;;
  storage) provision "ClickHouse schema" schema migrate --config /etc/marketprism/storage.yaml ;;
esac

# Touch systemd only when it runs (not in a chroot or an image build).
[ -d /run/systemd/system ] || exit 0
systemctl daemon-reload
if [ "$action" = install ]; then
  systemctl enable $UNITS
  systemctl start --no-block $UNITS
  echo "marketprism-$MODULE: started $UNITS (systemctl status $UNITS)"
else
  for unit in $UNITS $OPTIONAL_UNITS; do
    if systemctl --quiet is-enabled "$unit" || systemctl --quiet is-active "$unit"; then
      systemctl restart --no-block "$unit"
      echo "marketprism-$MODULE: restarted $unit"
    fi
  done
fi
