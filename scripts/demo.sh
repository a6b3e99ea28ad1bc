#!/usr/bin/env bash
# The demo: a real image made by umoci, in the three forms a developer holds (OCI layout,
# oci-archive, docker-archive made by skopeo), digested, inspected and content-checked by Bulla
# with skopeo's own digest beside Bulla's; then fresh keys, signatures in both cosign formats,
# and verification with a threshold and a required annotation; then an SBOM made by syft,
# attested, verified, and judged by two policies: one that admits the image, one that denies a
# package it really contains; then the log served over HTTP, and a real registry on 127.0.0.1
# that the image is pushed to, signed and attested in, and mirrored from to a layout.
set -euo pipefail
bulla=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
scripts=$(cd "$(dirname "$0")" && pwd)
work=${DEMO_DIR:-$(mktemp -d -t bulla-demo.XXXXXX)}
mkdir -p "$work" && cd "$work"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "1. A real image: umoci builds an OCI layout in $work/layout"
rm -rf layout rootfs packages
umoci init --layout layout
umoci new --image layout:demo
umoci config --image layout:demo --os linux --architecture amd64 --config.cmd /app/hello
mkdir -p rootfs/app
printf '#!/bin/sh\necho hello from bulla demo\n' > rootfs/app/hello
head -c 2000000 /dev/urandom > rootfs/app/payload.bin
umoci insert --image layout:demo rootfs/app /app >/dev/null
# Real package metadata from this machine (two Debian packages, two Python distributions), so
# the SBOM below lists what the image really contains.
mkdir -p packages
bash "$scripts/package-rootfs.sh" packages
umoci insert --image layout:demo packages / >/dev/null
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

step "7. Sign the image in the layout: cosign v3 bundle (recorded in a local transparency log), and a legacy .sig from a second key"
rm -rf demo-log
run "$bulla" log init demo-log --origin bulla.example/demo-log
run "$bulla" sign oci:layout:demo --key demo-key.key -a env=demo --log demo-log
run "$bulla" sign oci:layout:demo --key demo-ed.key --format legacy --identity registry.example/demo -a env=demo
run "$bulla" sign oci-archive:demo.tar --key demo-key.key --output-bundle demo.bundle.json

step "8. Verify: both signers required, the annotation checked; the log's inclusion proof checked offline"
run "$bulla" verify oci:layout:demo --key demo-key.pub --key demo-ed.pub --threshold 2 -a env=demo
run "$bulla" verify oci:layout:demo --key demo-key.pub --log-key demo-log/log.pub --require-log
run "$bulla" verify oci-archive:demo.tar --key demo-key.pub --bundle demo.bundle.json
run "$bulla" verify-content oci:layout
set +e
"$bulla" verify oci:layout:demo --key demo-key.pub -a env=prod
status=$?
set -e
echo "exit status $status for a required annotation the signature lacks (1 = verification failed)"
[ "$status" -eq 1 ]

step "9. An SBOM made by syft from the image, attested and verified"
SYFT_CHECK_FOR_APP_UPDATE=false run syft scan -q oci-archive:demo.tar -o spdx-json=demo.spdx.json
run "$bulla" sbom packages demo.spdx.json
run "$bulla" attest oci:layout:demo --key demo-key.key --predicate demo.spdx.json --type spdxjson --log demo-log
"$bulla" verify-attestation oci:layout:demo --key demo-key.pub --type spdxjson --log-key demo-log/log.pub --require-log > verified.spdx.json
echo "verified predicate: $(wc -c < verified.spdx.json) bytes, the same as syft wrote: $(cmp -s verified.spdx.json demo.spdx.json && echo yes || echo no)"
echo "what is attached to the image now, found without a key:"
run "$bulla" tree oci:layout:demo

step "10. Policy: signed, a fresh SBOM, no Log4Shell, no AGPL — the image is admitted"
cat > admit.yaml <<'YAML'
version: 1
rules:
  - name: release
    images: ["oci:layout:*"]
    keys: [demo-key.pub]
    annotations: {env: demo}
    attestations:
      - type: spdxjson
        maxAge: 30d
        deniedPackages:
          - purl: pkg:maven/org.apache.logging.log4j/log4j-core
            versions: "< 2.17.1"
            reason: Log4Shell (CVE-2021-44228)
        deniedLicenses: [AGPL-3.0-or-later]
        requiredFields:
          - pointer: /creationInfo/creators
            exists: true
YAML
run "$bulla" policy check --policy admit.yaml oci:layout:demo

step "11. Policy: the same image under a rule that denies the OpenSSL it really contains"
openssl_version=$(dpkg-query -W -f '${Version}' libssl3)
cat > deny.yaml <<YAML
version: 1
rules:
  - name: openssl-advisory
    images: ["oci:layout:*"]
    keys: [demo-key.pub]
    attestations:
      - type: spdxjson
        deniedPackages:
          - purl: pkg:deb/debian/libssl3
            versions: "<= $openssl_version"
            reason: an example advisory for this machine's libssl3
YAML
set +e
"$bulla" policy check --policy deny.yaml oci:layout:demo
status=$?
set -e
echo "exit status $status (1 = denied)"
[ "$status" -eq 1 ]

step "12. The log served over HTTP: a signature recorded through it, tiles read back, then a full audit"
"$bulla" log serve demo-log --listen 127.0.0.1:0 > serve.out &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q ' at http' serve.out && break; sleep 0.1; done
url=$(sed -n 's/.* at //p' serve.out)
echo "bulla log serve: $url"
run "$bulla" sign oci:layout:demo --key demo-key.key --log "$url" --output-bundle served.bundle.json
run "$bulla" verify oci:layout:demo --key demo-key.pub --bundle served.bundle.json --log-key demo-log/log.pub --require-log
printf '$ curl %s/checkpoint\n' "$url"
curl -fsS "$url/checkpoint"
kill $server && wait $server 2>/dev/null || true
trap - EXIT
run "$bulla" log verify demo-log --log-key demo-log/log.pub

step "13. A registry: Debian's docker-registry on 127.0.0.1; push, sign and attest there, mirror to a layout, verify the mirror offline"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p registry-data
cat > registry.yml <<YAML
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $work/registry-data}}
http: {addr: 127.0.0.1:$port}
YAML
docker-registry serve registry.yml > registry.log 2>&1 &
registry=$!
trap 'kill $registry 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
image=127.0.0.1:$port/demo/app:v1
run skopeo copy -q --dest-tls-verify=false oci:layout:demo "docker://$image"
echo "digest: bulla $("$bulla" digest --insecure "$image")  skopeo $(skopeo inspect --tls-verify=false --raw "docker://$image" | skopeo manifest-digest /dev/stdin)"
run "$bulla" sign --insecure "$image" --key demo-key.key -a env=demo
run "$bulla" sign --insecure "$image" --key demo-ed.key --format legacy -a env=demo
run "$bulla" attest --insecure "$image" --key demo-key.key --predicate demo.spdx.json --type spdxjson
run "$bulla" verify --insecure "$image" --key demo-key.pub --key demo-ed.pub --threshold 2 -a env=demo
run "$bulla" copy --insecure "$image" oci:mirror:v1
kill $registry && wait $registry 2>/dev/null || true
trap - EXIT
echo "registry stopped; the mirror is verified with no network:"
run "$bulla" verify oci:mirror:v1 --key demo-key.pub --key demo-ed.pub --threshold 2 -a env=demo
"$bulla" verify-attestation oci:mirror:v1 --key demo-key.pub --type spdxjson > /dev/null && echo "verify-attestation oci:mirror:v1 --type spdxjson: verified"

step "14. One flipped byte in a layer is caught and named"
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
