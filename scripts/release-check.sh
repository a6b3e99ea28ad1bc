#!/usr/bin/env bash
# make release-check: the release binary on a fresh Debian 12 root file system, made from
# Debian's packages with debootstrap (--variant=minbase: no libssl, no libarchive, no Swift),
# with only libssl3 and libarchive13 added. In it, as a user would: bulla --version, digest,
# verify and verify-blob, on a layout and a file signed outside it. Needs root (chroot).
#
#   scripts/release-check.sh [TARBALL]     (default: the one make release wrote in dist/)
set -euo pipefail
cd "$(dirname "$0")/.."
tarball=${1:-$(ls -t dist/bulla-*-linux-*.tar.gz | head -1)}
# A pristine minbase is kept (RELEASE_CHECK_BASE) and copied for each check.
base=${RELEASE_CHECK_BASE:-/tmp/bulla-debootstrap-bookworm}
command -v debootstrap >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
if [ ! -x "$base/usr/bin/apt-get" ]; then
  rm -rf "$base"
  debootstrap --variant=minbase bookworm "$base" http://deb.debian.org/debian >/dev/null
fi
root=$(mktemp -d /tmp/bulla-release-check-XXXXXX)
cp -a "$base/." "$root/"
# The base has neither library: the check would prove nothing if it did.
for lib in libssl.so.3 libarchive.so.13; do
  if chroot "$root" ldconfig -p | grep -q "$lib"; then echo "release-check: $root already has $lib" >&2; exit 1; fi
done
# As in any container: a statically linked Swift program reads its arguments from /proc.
mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
trap 'umount "$root/proc" 2>/dev/null || true; rm -rf "$root"' EXIT
cp /etc/resolv.conf "$root/etc/resolv.conf"
chroot "$root" apt-get install -y -qq --no-install-recommends libssl3 libarchive13 >/dev/null 2>&1
rm -rf "$root/opt/bulla" "$root/work" && mkdir -p "$root/opt/bulla" "$root/work"
tar -xzf "$tarball" -C "$root/opt/bulla" --strip-components=1
# What is verified in there is made out here, with the same binary: a layout, signed; a file,
# signed as a blob.
bulla="$root/opt/bulla/bulla"
work="$root/work"
python3 - "$work/layout" <<'PY'
import hashlib, json, os, sys
root = sys.argv[1]
os.makedirs(f"{root}/blobs/sha256")
def blob(data):
    digest = hashlib.sha256(data).hexdigest()
    open(f"{root}/blobs/sha256/{digest}", "wb").write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}
layer = dict(blob(b"layer"), mediaType="application/vnd.oci.image.layer.v1.tar")
config = dict(blob(b'{"architecture":"amd64","os":"linux"}'), mediaType="application/vnd.oci.image.config.v1+json")
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": config, "layers": [layer]}).encode()
top = dict(blob(manifest), mediaType="application/vnd.oci.image.manifest.v1+json", annotations={"org.opencontainers.image.ref.name": "1"})
open(f"{root}/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
json.dump({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [top]}, open(f"{root}/index.json", "w"))
PY
export BULLA_PASSWORD=release-check
"$bulla" key generate --output-prefix "$work/key" >/dev/null
"$bulla" sign "oci:$work/layout:1" --key "$work/key.key" >/dev/null
echo "a file to sign" > "$work/file"
"$bulla" sign-blob "$work/file" --key "$work/key.key" --output-bundle "$work/file.sigstore.json" >/dev/null
expected=$("$bulla" digest "oci:$work/layout:1")
run() { chroot "$root" env -i PATH=/usr/bin:/bin /opt/bulla/bulla "$@"; }
echo "release-check: $(run --version) in $root (debootstrap minbase + libssl3 + libarchive13)"
[ "$(run digest oci:/work/layout:1)" = "$expected" ] || { echo "release-check: digest differs" >&2; exit 1; }
run verify oci:/work/layout:1 --key /work/key.pub >/dev/null
run verify-blob /work/file --key /work/key.pub --bundle /work/file.sigstore.json >/dev/null
echo "release-check: digest, verify and verify-blob pass"
