#!/bin/sh
# Creates the marketprism system user and group before files owned by them are unpacked
# (the config files are root:marketprism 0640). Same content as /usr/lib/sysusers.d/marketprism-*.conf.
set -e
if command -v systemd-sysusers >/dev/null 2>&1; then
  systemd-sysusers --replace=/usr/lib/sysusers.d/marketprism-@MODULE@.conf - <<'SYSUSERS'
@SYSUSERS@
SYSUSERS
elif ! getent passwd marketprism >/dev/null; then
  getent group marketprism >/dev/null || groupadd --system marketprism
  useradd --system --gid marketprism --home-dir /var/lib/marketprism --no-create-home \
    --shell /usr/sbin/nologin --comment "MarketPrism daemons" marketprism
fi
