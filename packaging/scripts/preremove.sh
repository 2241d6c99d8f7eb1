#!/bin/sh
# marketprism-@MODULE@ pre-remove: deb remove / rpm 0 (erase) stop the units; an upgrade
# (deb upgrade, rpm 1) leaves them running, the new package's post-install restarts them.
set -e
UNITS="@UNITS@ @OPTIONAL_UNITS@"
case "$1" in
  remove|0) ;;
  *) exit 0 ;;
esac
[ -d /run/systemd/system ] || exit 0
if [ "$1" = 0 ]; then
  # rpm has no purge: erase also disables (rpm's %systemd_preun does the same).
  systemctl disable --now $UNITS || true
else
  # deb keeps the enablement until purge, so a reinstall comes back as it was.
  systemctl stop $UNITS || true
fi
