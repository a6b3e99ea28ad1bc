#!/usr/bin/env bash
# The demo: a real image made by umoci, in the three forms a developer holds (OCI layout,
# oci-archive, docker-archive made by skopeo), digested, inspected and verified by Bulla, with
# skopeo's own digest printed beside Bulla's.
set -euo pipefail
bulla=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
work=${DEMO_DIR:-$(mktemp -d -t bulla-demo.XXXXXX)}
mkdir -p "$work" && cd "$work"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "1. A real image: umoci builds an OCI layout in $work/layout"
rm -rf layout rootfs
umoci init --layout layout
umoci new --image layout:demo
umoci config --image layout:demo --os linux --architecture amd64 --config.cmd /app/hello
mkdir -p rootfs/app
printf '#!/bin/sh\necho hello from bulla demo\n' > rootfs/app/hello
head -c 2000000 /dev/urandom > rootfs/app/payload.bin
umoci insert --image layout:demo rootfs/app /app >/dev/null
echo "layout ready: $(ls layout/blobs/sha256 | wc -l) blobs"

step "2. The same image as an oci-archive and a docker-archive (skopeo)"
rm -f demo.tar demo.tar.gz demo-docker.tar
skopeo copy -q oci:layout:demo oci-archive:demo.tar:demo
gzip -kf demo.tar
skopeo copy -q oci:layout:demo docker-archive:demo-docker.tar:example/demo:v1
ls -l demo.tar demo.tar.gz demo-docker.tar

step "3. Digests: Bulla beside skopeo"
for ref in oci:layout:demo oci-archive:demo.tar oci-archive:demo.tar.gz docker-archive:demo-docker.tar; do
  ours=$("$bulla" digest "$ref")
  theirs=$(skopeo inspect --raw "$ref" | skopeo manifest-digest /dev/stdin)
  [ "$ours" = "$theirs" ] && verdict=same || verdict=DIFFERENT
  printf '%-34s bulla %s  skopeo %s  %s\n' "$ref" "${ours:0:19}…" "${theirs:0:19}…" "$verdict"
  [ "$verdict" = same ]
done

step "4. The tree of the image"
run "$bulla" inspect oci:layout:demo

step "5. Every blob re-hashed"
run "$bulla" verify-content oci:layout:demo
run "$bulla" verify-content oci-archive:demo.tar.gz
run "$bulla" verify-content docker-archive:demo-docker.tar

step "6. One flipped byte in a layer is caught and named"
rm -rf damaged && cp -r layout damaged
layer=$("$bulla" inspect --output json oci:damaged:demo | python3 -c 'import json,sys; print(json.load(sys.stdin)["root"]["children"][1]["digest"][7:])')
printf 'X' | dd of="damaged/blobs/sha256/$layer" bs=1 seek=1000 conv=notrunc status=none
set +e
"$bulla" verify-content oci:damaged:demo
status=$?
set -e
echo "exit status $status (1 = verification failed)"
[ "$status" -eq 1 ]

printf '\nDemo finished. Files are in %s\n' "$work"
