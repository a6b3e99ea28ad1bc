#!/usr/bin/env bash
# make image: Bulla's own container image, built without a container engine, signed and attested
# with Bulla, and checked by its own policy.
#
#   scripts/image.sh            → dist/image (an OCI image layout, tagged VERSION), its SPDX SBOM
#                                 in dist/image.spdx.json, the digest in dist/image.digest
#   scripts/image.sh --unsigned DIR
#                               → the same image in DIR, its digest printed; nothing signed
#                                 (make image-check rebuilds it so to compare digests)
#
# The image is one layer: the release binary (make release), the Debian packages it needs at run
# time — libssl3 and libarchive13 and what they depend on, fetched with apt-get download and
# unpacked with dpkg-deb, with their dpkg status so an SBOM generator finds them — Debian's CA
# certificates, base-files (os-release), and a non-root user (65532). umoci assembles it. Every
# file's owner and time is fixed, so the same binary and packages give the same digest.
#
# Signing uses BULLA_RELEASE_KEY like make release (else the same throwaway key); the image is
# then verified by digest with bulla verify and bulla verify-attestation, and judged by
# deploy/image-policy.yaml with bulla policy check.
set -euo pipefail
cd "$(dirname "$0")/.."
# Same modes and the same apt output whoever builds: the digest must not depend on the caller.
umask 022
export LC_ALL=C
started=$(date +%s)
[ "$(id -u)" -eq 0 ] || { echo "image: run as root (the layer's files are owned by root and by 65532)" >&2; exit 1; }
. /etc/os-release
[ "${ID:-}" = debian ] && [ "${VERSION_CODENAME:-}" = bookworm ] \
  || { echo "image: the image is made from Debian 12's packages; this host is ${PRETTY_NAME:-unknown}" >&2; exit 1; }
for tool in umoci syft dpkg-deb apt-get; do
  command -v "$tool" >/dev/null || { echo "image: $tool is missing (make deps installs it)" >&2; exit 1; }
done
version=$(.build-static/release/bulla --version)
release="dist/bulla-$version-linux-$(uname -m)"
[ -x "$release/bulla" ] || { echo "image: $release/bulla is missing: run make release first" >&2; exit 1; }
bulla="$release/bulla"
arch=$(dpkg --print-architecture)
# The same instant as the release tarball: the last commit's time, or SOURCE_DATE_EPOCH
# (make image-check rebuilds with the one dist/image was made with).
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)

# The packages: the run-time closure of the two libraries, plus base-files and ca-certificates
# for their files alone (their own dependencies — dpkg, debconf, openssl — are tools a running
# bulla never calls).
work=.build-image
[ "${1:-}" != --unsigned ] || work=.build-image-again
debs=.build-image/debs
mkdir -p "$debs"
closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
  --no-replaces --no-enhances libssl3 libarchive13 | grep -v '^[ <]' | sort -u)
packages="$closure base-files ca-certificates"
# A cached .deb is used only when its SHA256 is the one apt's (signed) package lists give.
(cd "$debs" && for pkg in $packages; do
  candidate=$(apt-cache policy "$pkg" | awk '/Candidate:/ {print $2}')
  [ -n "$candidate" ] && [ "$candidate" != "(none)" ] \
    || { echo "image: apt knows no candidate for $pkg (run apt-get update)" >&2; exit 1; }
  expected=$(apt-cache show "$pkg=$candidate" | awk '/^SHA256:/ {print $2; exit}')
  file=$(ls "${pkg}_${candidate//:/%3a}_"*.deb 2>/dev/null | head -1 || true)
  if [ -z "$file" ] || [ "$(sha256sum "$file" | cut -d' ' -f1)" != "$expected" ]; then
    rm -f "${pkg}_"*.deb
    apt-get download -qq "$pkg=$candidate" || { echo "image: apt-get download $pkg=$candidate failed" >&2; exit 1; }
    file=$(ls "${pkg}_${candidate//:/%3a}_"*.deb)
    [ "$(sha256sum "$file" | cut -d' ' -f1)" = "$expected" ] || { echo "image: $file is not the package apt lists" >&2; exit 1; }
  fi
done)

rootfs="$work/rootfs"
rm -rf "$rootfs" && mkdir -p "$rootfs/var/lib/dpkg/info"
: > "$rootfs/var/lib/dpkg/status"
for pkg in $packages; do
  candidate=$(apt-cache policy "$pkg" | awk '/Candidate:/ {print $2}')
  deb=$(ls "$debs/${pkg}_${candidate//:/%3a}_"*.deb)
  dpkg-deb -x "$deb" "$rootfs"
  # dpkg's own record: the control stanza marked installed, the file list and the checksums.
  name=$pkg
  [ "$(dpkg-deb -f "$deb" Multi-Arch)" = same ] && name="$pkg:$arch"
  control=$(mktemp -d)
  dpkg-deb -e "$deb" "$control"
  awk -v status="Status: install ok installed" '/^Package:/ {print; print status; next} {print}' "$control/control" \
    >> "$rootfs/var/lib/dpkg/status"
  echo >> "$rootfs/var/lib/dpkg/status"
  [ -f "$control/md5sums" ] && cp "$control/md5sums" "$rootfs/var/lib/dpkg/info/$name.md5sums"
  dpkg-deb --fsys-tarfile "$deb" | tar -t | sed -e 's|^\./|/|' -e 's|/$||' -e 's|^$|/.|' > "$rootfs/var/lib/dpkg/info/$name.list"
  rm -rf "$control"
done
# What ca-certificates' postinst would make: the bundle of every certificate it ships.
mkdir -p "$rootfs/etc/ssl/certs"
find "$rootfs/usr/share/ca-certificates" -name '*.crt' | LC_ALL=C sort | xargs cat > "$rootfs/etc/ssl/certs/ca-certificates.crt"
install -m 0755 "$bulla" "$rootfs/usr/bin/bulla"
install -D -m 0644 "$release/Package.resolved" "$rootfs/usr/share/doc/bulla/Package.resolved"
install -m 0644 LICENSE "$rootfs/usr/share/doc/bulla/copyright"
cat > "$rootfs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/usr/sbin/nologin
bulla:x:65532:65532:bulla:/home/bulla:/usr/sbin/nologin
EOF
cat > "$rootfs/etc/group" <<'EOF'
root:x:0:
bulla:x:65532:
EOF
echo "hosts: files dns" > "$rootfs/etc/nsswitch.conf"
mkdir -p "$rootfs/tmp" "$rootfs/home/bulla" "$rootfs/var/lib/bulla/decisions" "$rootfs/proc" "$rootfs/etc/bulla"
chmod 1777 "$rootfs/tmp"
chown -R 0:0 "$rootfs"
chown 65532:65532 "$rootfs/home/bulla" "$rootfs/var/lib/bulla" "$rootfs/var/lib/bulla/decisions"
# Documentation is the packages' copyright files only (what an SBOM reads licences from).
find "$rootfs/usr/share/doc" -type f ! -name copyright ! -path '*/doc/bulla/*' -delete
rm -rf "$rootfs/usr/share/man" "$rootfs/usr/share/info" "$rootfs/usr/share/lintian"

layer="$work/layer.tar"
tar --sort=name --format=gnu --numeric-owner --mtime="@$epoch" -C "$rootfs" -cf "$layer" .
layout=dist/image
[ "${1:-}" != --unsigned ] || layout=${2:?usage: image.sh [--unsigned DIR]}
rm -rf "$layout"
umoci init --layout "$layout"
umoci new --image "$layout:$version"
umoci raw add-layer --image "$layout:$version" --history.created="$created" \
  --history.created_by="make image (bulla $version, $(echo $packages | wc -w) Debian packages)" "$layer"
umoci config --image "$layout:$version" --no-history --created="$created" --author="Bulla" \
  --config.user=65532:65532 --config.entrypoint=/usr/bin/bulla --config.cmd=--help \
  --config.env=PATH=/usr/bin:/bin --config.env=HOME=/home/bulla \
  --config.workingdir=/home/bulla \
  --config.volume=/var/lib/bulla --config.exposedports=8443/tcp \
  --config.label=org.opencontainers.image.title=bulla \
  --config.label=org.opencontainers.image.version="$version" \
  --config.label=org.opencontainers.image.licenses=Apache-2.0 \
  --manifest.annotation=org.opencontainers.image.version="$version"
umoci gc --layout "$layout"
# umoci writes its blobs 0600; an image layout is public data.
chmod -R a+rX "$layout"
image="oci:$layout:$version"
digest=$("$bulla" digest "$image")
if [ "${1:-}" = --unsigned ]; then echo "$digest"; exit 0; fi
echo "$digest" > dist/image.digest
echo "$epoch" > dist/image.epoch

# Signed and attested with the release key, as make release signs the tarball.
key=${BULLA_RELEASE_KEY:-dist/throwaway-release.key}
[ -n "${BULLA_RELEASE_KEY:-}" ] || export BULLA_PASSWORD=${BULLA_PASSWORD:-throwaway}
[ -f "$key" ] || [ "${key#env://}" != "$key" ] || { echo "image: $key is missing: run make release first" >&2; exit 1; }
# syft reads SwiftPM lock files only when asked to, in an image.
syft scan "oci-dir:$layout" --select-catalogers +swift-package-manager-cataloger -o "spdx-json=dist/image.spdx.json" -q
"$bulla" sign "$image" --key "$key" >/dev/null
"$bulla" attest "$image" --key "$key" --type spdxjson --predicate dist/image.spdx.json >/dev/null

# Checked as a user of the image would: with the public key, and by the policy. Quiet unless
# one fails.
quiet() { local out; out=$("$@" 2>&1) || { echo "$out" >&2; echo "image: $* failed" >&2; exit 1; }; }
quiet "$bulla" verify "$image" --key dist/release.pub
quiet "$bulla" verify-attestation "$image" --key dist/release.pub --type spdxjson
quiet "$bulla" policy check --policy deploy/image-policy.yaml "$image"
packages_found=$("$bulla" sbom packages dist/image.spdx.json --output json 2>/dev/null \
  | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["packages"]))')
echo "image: $image $digest ($(du -sb "$layout" | cut -f1) bytes, $packages_found packages in its SBOM), signed, attested and allowed by deploy/image-policy.yaml in $(( $(date +%s) - started )) s"
