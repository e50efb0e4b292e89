#!/bin/sh
# Debian package hook: a dedicated, unprivileged kiosk user owns the ledger.
set -e
id kiosk >/dev/null 2>&1 || useradd --system --create-home --shell /usr/sbin/nologin kiosk
install -d -o kiosk -g kiosk -m 0700 /var/lib/consent-kiosk
