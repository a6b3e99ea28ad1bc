#!/usr/bin/env bash
# make image-check: Bulla's image (make image) rebuilt to show the same digest, then run as a
# cluster would run it, as user 65532 on a read-only root, doing what it ships for:
#   1. bulla --version;
#   2. bulla digest and verify of a layout mounted in — the image's own layout, checked against
#      the release key from inside the image it describes — and verify-blob of the release's
#      SHA256SUMS;
#   3. bulla serve with the StatefulSet's arguments (policy, TLS, a decision log made on first
#      start in an empty volume, the log key from a Secret's file), answering AdmissionReviews
#      over TLS for the image pushed to a local registry (allowed: signed, SBOM clean) and for an
#      image no rule names (denied); the decision log then verifies with two entries.
# The image runs in a container with podman (crun, else runc) when one can run on this machine;
# otherwise its unpacked root file system (umoci unpack) runs the same steps under chroot.
# IMAGE_CHECK_RUNNER=chroot forces the second. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
here=$(pwd)
version=$(.build-static/release/bulla --version)
bulla="$here/dist/bulla-$version-linux-$(uname -m)/bulla"
layout=dist/image
digest=$(cat dist/image.digest)
work=$(mktemp -d /tmp/bulla-image-check-XXXXXX)
pids=()
mounted=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -z "${container:-}" ] || podman rm -f "$container" >/dev/null 2>&1 || true
  [ -z "${id:-}" ] || podman rmi -f "$id" >/dev/null 2>&1 || true
  for (( i=${#mounted[@]}-1; i>=0; i-- )); do umount -l "${mounted[i]}" 2>/dev/null || true; done
  rm -rf "$work"
}
[ -n "${IMAGE_CHECK_KEEP:-}" ] || trap cleanup EXIT
# The same inputs, including the instant dist/image was stamped with, give the same digest.
again=$(SOURCE_DATE_EPOCH=$(cat dist/image.epoch) bash scripts/image.sh --unsigned "$work/rebuilt")
[ "$again" = "$digest" ] || { echo "image-check: a second build gave $again, not $digest" >&2; exit 1; }
rm -rf "$work/rebuilt"
fail() { echo "image-check: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# What a cluster would mount: the policy and the key it names, TLS, the log key and its
# passphrase (the Secret install.sh makes), and an empty volume owned by the image's user.
mkdir -p "$work/policy" "$work/dist" "$work/log-key" "$work/decisions"
cp deploy/image-policy.yaml "$work/policy/policy.yaml"
cp dist/release.pub dist/SHA256SUMS dist/SHA256SUMS.sigstore.json "$work/dist/"
EXTRA_SANS="IP:127.0.0.1" deploy/make-cert.sh "$work/tls" bulla-webhook bulla-system >/dev/null
# As install.sh's Secret holds it (printf '%s', no newline), and handed over as the
# StatefulSet does: in BULLA_LOG_PASSWORD.
printf '%s' "image-check log passphrase" > "$work/log-key/passphrase"
export BULLA_LOG_PASSWORD="$(cat "$work/log-key/passphrase")"
BULLA_PASSWORD="$BULLA_LOG_PASSWORD" "$bulla" key generate --algorithm ed25519 \
  --output-prefix "$work/log-key/log" >/dev/null
chown 65532:65532 "$work/decisions"
chmod -R a+rX "$work/policy" "$work/dist" "$work/tls" "$work/log-key"
mounts=("$here/$layout:/image" "$work/dist:/etc/bulla/dist" "$work/policy:/etc/bulla/policy"
        "$work/tls:/etc/bulla/tls" "$work/log-key:/etc/bulla/log-key" "$work/decisions:/var/lib/bulla/decisions")
writable=/var/lib/bulla/decisions

# podman needs a runtime that works here: crun refuses a host with both cgroup versions mounted,
# runc does not. Limits below the host's hard ones, which podman's defaults exceed.
runner=${IMAGE_CHECK_RUNNER:-}
podman_args=(--network host --read-only --user 65532:65532 --ulimit nofile=4096:4096 --ulimit nproc=4096:4096
             -e BULLA_LOG_PASSWORD)
for mount in "${mounts[@]}"; do
  if [ "${mount#*:}" = "$writable" ]; then podman_args+=(-v "$mount:rw"); else podman_args+=(-v "$mount:ro"); fi
done
if [ -z "$runner" ] && command -v podman >/dev/null; then
  id=$(podman pull -q "oci:$layout:$version" 2>"$work/pull.err") || id=""
  for runtime in ${id:+crun runc}; do
    if podman --runtime "$runtime" --cgroup-manager cgroupfs run --rm "${podman_args[@]}" "$id" --version \
        >/dev/null 2>"$work/$runtime.err"; then
      runner="podman --runtime $runtime"
      break
    fi
  done
fi
if [ -z "$runner" ] || [ "$runner" = chroot ]; then
  [ -z "$runner" ] && echo "image-check: no container runs here ($(cat "$work"/*.err 2>/dev/null | tr '\n' ' ')); running under chroot" >&2
  runner=chroot
  umoci unpack --image "$layout:$version" "$work/bundle" >/dev/null
  root="$work/bundle/rootfs"
  for mount in "${mounts[@]}"; do mkdir -p "$root${mount#*:}"; done
  # The root read-only first (a bind of itself), then /proc and the mounts on top of it.
  mount --bind "$root" "$root" || fail "cannot bind $root"
  mounted+=("$root")
  mount -o remount,bind,ro "$root" || fail "cannot make $root read-only"
  mount -t proc proc "$root/proc" || fail "cannot mount /proc in $root"
  mounted+=("$root/proc")
  for mount in "${mounts[@]}"; do
    target="$root${mount#*:}"
    mount --bind "${mount%%:*}" "$target" || fail "cannot bind ${mount%%:*} at $target"
    mounted+=("$target")
    [ "${mount#*:}" = "$writable" ] || mount -o remount,bind,ro "$target" || fail "cannot make $target read-only"
  done
fi
chrooted=(env -i PATH=/usr/bin:/bin HOME=/home/bulla BULLA_LOG_PASSWORD="$BULLA_LOG_PASSWORD" "$(command -v chroot)" --userspec=65532:65532 "${root:-}" /usr/bin/bulla)
run() {
  if [ "$runner" = chroot ]; then
    "${chrooted[@]}" "$@"
  else
    $runner --cgroup-manager cgroupfs run --rm "${podman_args[@]}" "$id" "$@"
  fi
}

# 1 and 2.
shown=$(run --version) || fail "bulla --version did not run in the image"
[ "$shown" = "$version" ] || fail "the image's bulla says $shown, not $version"
[ "$(run digest "oci:/image:$version")" = "$digest" ] || fail "bulla digest in the image differs from $digest"
run verify "oci:/image:$version" --key /etc/bulla/dist/release.pub > "$work/verify.out" \
  || fail "bulla verify of the mounted layout failed: $(cat "$work/verify.out")"
run verify-blob /etc/bulla/dist/SHA256SUMS --key /etc/bulla/dist/release.pub \
  --bundle /etc/bulla/dist/SHA256SUMS.sigstore.json > "$work/verify-blob.out" \
  || fail "bulla verify-blob of SHA256SUMS failed: $(cat "$work/verify-blob.out")"

# 3. The image in a registry, with its signature and attestation; bulla serve as the StatefulSet
# runs it, answering over TLS.
registry_port=$(free_port)
mkdir -p "$work/registry"
printf 'version: 0.1\nstorage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: "127.0.0.1:%s"}\nlog: {level: error}\n' \
  "$work/registry" "$registry_port" > "$work/registry.yml"
docker-registry serve "$work/registry.yml" > "$work/registry.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$registry_port/v2/" >/dev/null && break; sleep 0.1; done
reference="127.0.0.1:$registry_port/bulla/bulla"
"$bulla" copy "oci:$layout:$version" "docker://$reference:$version" --insecure >/dev/null
port=$(free_port)
serve=(serve --policy=/etc/bulla/policy/policy.yaml --tls-cert=/etc/bulla/tls/tls.crt --tls-key=/etc/bulla/tls/tls.key
  --listen="127.0.0.1:$port" --deadline=8s --decision-log=/var/lib/bulla/decisions
  --log-signing-key=/etc/bulla/log-key/log.key --decision-log-origin=bulla.dev/decisions/bulla-webhook-0 --insecure)
# Started, and later stopped with SIGTERM, as the kubelet does: a detached container, or a
# background process under chroot.
if [ "$runner" = chroot ]; then
  # A simple command in the background: $! is the process that becomes bulla.
  "${chrooted[@]}" "${serve[@]}" > "$work/serve.log" 2>&1 &
  serving=$!
  pids+=("$serving")
  serving() { kill -0 "$serving" 2>/dev/null; }
  stop_serving() { kill -TERM "$serving"; wait "$serving"; }
else
  container=$($runner --cgroup-manager cgroupfs run -d "${podman_args[@]}" "$id" "${serve[@]}")
  serving() { [ "$(podman inspect -f '{{.State.Running}}' "$container")" = true ]; }
  stop_serving() {
    podman stop -t 30 "$container" >/dev/null
    podman logs "$container" > "$work/serve.log" 2>&1
    return "$(podman wait "$container")"
  }
fi
for _ in $(seq 200); do
  curl -sf --cacert "$work/tls/ca.crt" "https://127.0.0.1:$port/readyz" >/dev/null && break
  serving || fail "bulla serve exited: $(cat "$work/serve.log" 2>/dev/null; [ -z "${container:-}" ] || podman logs "$container")"
  sleep 0.1
done
cat > "$work/cases.json" <<EOF
[{"kind": "Deployment", "images": ["$reference@$digest"], "namespace": "payments", "endpoint": "validate"},
 {"kind": "Pod", "images": ["$reference-unknown:1"], "namespace": "payments", "endpoint": "validate"}]
EOF
python3 Tests/Fixtures/admission.py review --url "https://127.0.0.1:$port" --ca "$work/tls/ca.crt" \
  < "$work/cases.json" > "$work/answers.json" || fail "the reviews were not answered"
python3 - "$work/answers.json" <<'PY' || fail "unexpected answers: $(cat "$work/answers.json")"
import json, sys
allowed, unknown = (answer["review"]["response"] for answer in json.load(open(sys.argv[1])))
assert allowed["allowed"] is True, allowed
assert unknown["allowed"] is False and "no rule matches" in unknown["status"]["message"], unknown
print("image-check: allowed its own image; denied another: %s" % unknown["status"]["message"])
PY
# Stopped as the kubelet stops it; it folds what it journaled into the log before it exits.
stop_serving || fail "bulla serve exited with $? on SIGTERM: $(cat "$work/serve.log")"
audit=$("$bulla" log verify "$work/decisions" --log-key "$work/log-key/log.pub") \
  || fail "the decision log does not verify"
entries=$(echo "$audit" | sed -n 's/^verified .*: \([0-9]*\) entries,.*/\1/p')
[ "$entries" -ge 2 ] || fail "the decision log holds $entries decisions, not 2: $(cat "$work/serve.log")"
# The image policy's denials bite on the image's own SBOM: each denied package set back to a
# version in its range is denied (syft spells the SwiftNIO purl with ".git"), the SBOM as built
# is allowed.
python3 - "$bulla" "$work" <<'PY' || fail "deploy/image-policy.yaml does not judge the image's SBOM as it should"
import json, re, subprocess, sys
bulla, work = sys.argv[1:]
sbom = json.load(open("dist/image.spdx.json"))
def judged(document, name):
    path = "%s/%s.spdx.json" % (work, name)
    json.dump(document, open(path, "w"))
    return subprocess.run([bulla, "policy", "test", "--policy", "deploy/image-policy.yaml", "--type", "spdxjson",
                           "--predicate", path, "--image", "oci:dist/image:check"], capture_output=True, text=True)
assert judged(sbom, "as-built").returncode == 0, "the SBOM as built is not allowed"
for package, old in (("libssl3", "3.0.5-1"), ("liblzma5", "5.6.1-1"), ("swift-nio-http2", "1.19.0")):
    document = json.loads(json.dumps(sbom))
    found = [p for p in document["packages"] if p.get("name") == package]
    assert found, "%s is not in the SBOM" % package
    for p in found:
        p["versionInfo"] = old
        for ref in p.get("externalRefs", []):
            if ref.get("referenceType") == "purl":
                ref["referenceLocator"] = re.sub(r"@[^?#]*", "@" + old.replace("+", "%2B"), ref["referenceLocator"], count=1)
    result = judged(document, package)
    assert result.returncode == 1 and "%s %s" % (package, old) in result.stdout, (package, result.stdout, result.stderr)
print("image-check: deploy/image-policy.yaml denies libssl3 3.0.5-1, liblzma5 5.6.1-1 and swift-nio-http2 1.19.0 in the image's SBOM")
PY

# libarchive is opened only to read an archive: without it a layout still verifies, and an
# archive is refused with what to install.
library=$(ldconfig -p | awk '/libarchive\.so\.13 / {print $NF; exit}')
without=$(unshare -m sh -c 'mount --bind /dev/null "$1" && "$2" verify "oci:$3:$4" --key "$5" >/dev/null && "$2" digest "oci-archive:$6"' \
  sh "$library" "$bulla" "$here/$layout" "$version" "$here/dist/release.pub" "$work/registry.yml" 2>&1) && fail "an archive was read without libarchive"
case "$without" in *"needs libarchive"*"apt-get install libarchive13"*) ;; *) fail "without libarchive: $without";; esac
echo "image-check: $layout $digest (rebuilt: same digest) ran under $runner: --version, digest, verify, verify-blob and serve (2 reviews, $entries decisions logged and verified); without libarchive the release binary verifies a layout and refuses an archive by name"
