#!/bin/sh
# marketprism-@MODULE@ post-remove. Remove keeps config and data. Purge (deb only) deletes this
# package's state (@STATE_DIRS@), its unit enablement, and the marketprism user and group
# once no other MarketPrism package is installed. Conffiles are deleted by dpkg itself.
set -e
case "$1" in
  remove|0|purge)
    update-alternatives --quiet --remove marketprism /usr/lib/marketprism/@MODULE@/bin/marketprism || true ;;
esac
case "$1" in
  purge)
    rm -rf @STATE_DIRS@
    for unit in @UNITS@ @OPTIONAL_UNITS@; do
      rm -f /etc/systemd/system/*.wants/"$unit"
    done
    if ! ls -d /usr/lib/marketprism/*/ >/dev/null 2>&1; then
      # The NATS passwords `marketprism credentials ensure` generated: the last package purged takes them.
      rm -rf /etc/marketprism/nats
    fi
    rmdir --ignore-fail-on-non-empty /var/lib/marketprism /etc/marketprism 2>/dev/null || true
    if ! ls -d /usr/lib/marketprism/*/ >/dev/null 2>&1; then
      if getent passwd marketprism >/dev/null; then userdel marketprism; fi
      if getent group marketprism >/dev/null; then groupdel marketprism; fi
    fi
    ;;
esac
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload || true
fi
