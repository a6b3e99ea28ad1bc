#!/usr/bin/env bash
# Puts real package metadata from this machine into a root filesystem, so an image built from it
# contains packages an SBOM generator finds: two Debian packages (their dpkg status stanzas,
# copyright files and os-release) and two Python distributions (their dist-info).
set -euo pipefail
rootfs=$1
mkdir -p "$rootfs/var/lib/dpkg" "$rootfs/etc" "$rootfs/usr/share/doc"
cp /etc/os-release "$rootfs/etc/os-release"
: > "$rootfs/var/lib/dpkg/status"
for pkg in libssl3 zlib1g; do
  dpkg-query -s "$pkg" >> "$rootfs/var/lib/dpkg/status"
  echo >> "$rootfs/var/lib/dpkg/status"
  mkdir -p "$rootfs/usr/share/doc/$pkg"
  cp "/usr/share/doc/$pkg/copyright" "$rootfs/usr/share/doc/$pkg/copyright"
done
site="$rootfs/usr/lib/python3/dist-packages"
mkdir -p "$site"
for dist in cryptography packageurl-python; do
  info=$(python3 -c "import importlib.metadata as m, sys; print(m.distribution(sys.argv[1])._path)" "$dist")
  mkdir -p "$site/$(basename "$info")"
  cp "$info/METADATA" "$site/$(basename "$info")/METADATA"
done
