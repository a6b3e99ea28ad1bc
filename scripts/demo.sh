#!/usr/bin/env bash
# The demo: a real image made by umoci, in the three forms a developer holds (OCI layout,
# oci-archive, docker-archive made by skopeo), digested, inspected and content-checked by Bulla
# with skopeo's own digest beside Bulla's; then fresh keys, signatures in both cosign formats,
# and verification with a threshold and a required annotation.
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

step "6. Keys: a fresh P-256 pair (passphrase from BULLA_PASSWORD; the key file is 0600)"
export BULLA_PASSWORD=demo-passphrase
rm -f demo-key.key demo-key.pub demo-ed.key demo-ed.pub
run "$bulla" key generate --output-prefix demo-key
run "$bulla" key generate --output-prefix demo-ed --algorithm ed25519
ls -l demo-key.key demo-key.pub

step "7. Sign the image in the layout: cosign v3 bundle, and a legacy .sig from a second key"
run "$bulla" sign oci:layout:demo --key demo-key.key -a env=demo
run "$bulla" sign oci:layout:demo --key demo-ed.key --format legacy --identity registry.example/demo -a env=demo
run "$bulla" sign oci-archive:demo.tar --key demo-key.key --output-bundle demo.bundle.json

step "8. Verify: both signers required, the annotation checked"
run "$bulla" verify oci:layout:demo --key demo-key.pub --key demo-ed.pub --threshold 2 -a env=demo
run "$bulla" verify oci-archive:demo.tar --key demo-key.pub --bundle demo.bundle.json
run "$bulla" verify-content oci:layout
set +e
"$bulla" verify oci:layout:demo --key demo-key.pub -a env=prod
status=$?
set -e
echo "exit status $status for a required annotation the signature lacks (1 = verification failed)"
[ "$status" -eq 1 ]

step "9. An SBOM attestation (a small SPDX document listing what the demo put in the image)"
cat > demo.spdx.json <<'JSON'
{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"bulla-demo",
 "documentNamespace":"https://example.invalid/bulla-demo","creationInfo":{"created":"2026-01-01T00:00:00Z","creators":["Tool: bulla-demo"]},
 "packages":[{"SPDXID":"SPDXRef-Package-hello","name":"hello","versionInfo":"1.0","downloadLocation":"NOASSERTION"}]}
JSON
run "$bulla" attest oci:layout:demo --key demo-key.key --predicate demo.spdx.json --type spdxjson
run "$bulla" verify-attestation oci:layout:demo --key demo-key.pub --type spdxjson

step "10. One flipped byte in a layer is caught and named"
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
