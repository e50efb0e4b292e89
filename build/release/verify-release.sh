#!/bin/sh
# Checks a consent kiosk installer before it is installed, with nothing but POSIX sh, sha256sum and OpenSSL 3:
#
#   sh verify-release.sh ARTEFACT MANIFEST PUBLIC_KEY
#
# PUBLIC_KEY is the organisation's published release key (PEM), never one that came with the download. The
# manifest's detached Ed25519 signature is MANIFEST.sig. Exit 0: genuine; 2: refused (one sentence); 1: usage.
# The same checks as `kioskctl verify-release` (electron/cli/release-manifest.ts), in the same order.
set -u

refuse() {
  echo "Refused: $*" >&2
  exit 2
}

if [ "$#" -ne 3 ]; then
  echo "usage: sh verify-release.sh ARTEFACT MANIFEST PUBLIC_KEY" >&2
  exit 1
fi
artefact=$1
manifest=$2
key=$3
name=$(basename "$artefact")

[ -f "$artefact" ] || refuse "$artefact does not exist."
openssl pkey -pubin -in "$key" -noout -text 2>/dev/null | head -n 1 | grep -qx 'ED25519 Public-Key:' ||
  refuse "$key is not an Ed25519 public key (PEM), so nothing can be checked against it."
# The fingerprint: SHA-256 of the raw key, the last 32 bytes of its DER encoding.
given="SHA256:$(openssl pkey -pubin -in "$key" -outform DER | tail -c 32 | sha256sum | cut -c1-64)"
[ -f "$manifest" ] || refuse "$name is unsigned: there is no release manifest $manifest."
[ -f "$manifest.sig" ] || refuse "$name is unsigned: the release manifest has no signature ($manifest.sig is missing)."
[ "$(head -n 1 "$manifest")" = "Consent kiosk release manifest, format 1" ] ||
  refuse "$manifest is not a consent kiosk release manifest."
named=$(sed -n 's/^Key-Fingerprint: //p' "$manifest" | head -n 1)
[ "$named" = "$given" ] ||
  refuse "The release manifest names signing key $named, not the key given ($given), so $name cannot be trusted."
openssl pkeyutl -verify -pubin -inkey "$key" -rawin -in "$manifest" -sigfile "$manifest.sig" >/dev/null 2>&1 ||
  refuse "The release manifest's signature does not verify with key $given: the manifest was changed or signed by another key."
# An artefact line: 64 hex digits, two spaces, the file name (mawk has no {64}, hence substr).
listed=$(awk -v name="$name" 'substr($0, 1, 64) ~ /^[0-9a-f]+$/ && substr($0, 65, 2) == "  " && substr($0, 67) == name {
  print substr($0, 1, 64); exit }' "$manifest")
[ -n "$listed" ] || refuse "$name is not listed in the signed release manifest, so it is unsigned."
actual=$(sha256sum < "$artefact" | cut -c1-64)
[ "$actual" = "$listed" ] ||
  refuse "$name does not match the SHA-256 in the signed release manifest: it was changed after signing."

version=$(sed -n 's/^Version: //p' "$manifest" | head -n 1)
echo "Verified: $name (SHA-256 $(echo "$actual" | cut -c1-16)…) is in the release manifest of consent kiosk $version, signed with key $given."
if grep -qx 'Signing-Key: development' "$manifest"; then
  echo "Warning: this release is signed with a DEVELOPMENT release key; install it on test terminals only."
fi
