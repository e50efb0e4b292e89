#!/bin/sh
# electron-builder's deb (afterInstall, in place of its default script): the same kiosk user, data directory,
# settings and cage unit as the Chromium shell's package. electron-builder installs nothing outside the app, so
# these files come in the app's linux/ directory (extraFiles in electron-builder.yml) and are put in place here;
# settings a technician has made are never overwritten. (No dollar-brace macros here: electron-builder expands them.)
set -e
from='/opt/Consent Kiosk/linux'
install -D -m 0644 "$from/consent-kiosk.sysusers" /usr/lib/sysusers.d/consent-kiosk.conf
install -D -m 0644 "$from/consent-kiosk.tmpfiles" /usr/lib/tmpfiles.d/consent-kiosk.conf
install -D -m 0644 "$from/consent-kiosk.service" /lib/systemd/system/consent-kiosk.service
install -D -m 0755 "$from/with-enrolment-token" /usr/lib/consent-kiosk/bin/with-enrolment-token
for settings in kiosk.env profile.json provisioning-key.pem; do
  [ -e "/etc/consent-kiosk/$settings" ] || install -D -m 0644 "$from/$settings" "/etc/consent-kiosk/$settings"
done
[ -e /etc/pam.d/consent-kiosk ] || install -D -m 0644 "$from/consent-kiosk.pam" /etc/pam.d/consent-kiosk
systemd-sysusers consent-kiosk.conf
systemd-tmpfiles --create consent-kiosk.conf
# The unit runs with NoNewPrivileges, under which a setuid sandbox cannot work: Chromium's user-namespace sandbox
# is the one used.
chmod 0755 '/opt/Consent Kiosk/chrome-sandbox' || true
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload || true
  systemctl enable consent-kiosk.service || true
fi
