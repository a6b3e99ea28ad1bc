#!/usr/bin/env bash
# Installs the webhook with kubectl: the serving certificate and the secrets, then the overlay
# (namespace, policy, StatefulSet, services), then the two webhook configurations with the CA
# filled in.
#
#   deploy/install.sh LOG_PASSPHRASE_FILE [REGISTRY_CONFIG_JSON]
#
# The decision log's key is made once, in deploy/.keys (kept out of git), encrypted with the
# passphrase in LOG_PASSPHRASE_FILE; each replica makes its log with it on first start. Give
# auditors deploy/.keys/decision-log.pub. OVERLAY (default deploy/overlays/example) picks the
# site. BULLA_IMAGE=NAME@sha256:… (the image make image built, as pushed) replaces the overlay's
# image. The certificate is made by deploy/make-cert.sh in deploy/.certs (kept out of git).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
passphrase=${1:?usage: install.sh LOG_PASSPHRASE_FILE [REGISTRY_CONFIG_JSON]}
registry=${2:-}
overlay=${OVERLAY:-$here/overlays/example}
bulla=${BULLA:-bulla}
kubectl apply -f "$here/base/namespace.yaml"
ca_bundle=$("$here/make-cert.sh" "$here/.certs" bulla-webhook bulla-system)
kubectl -n bulla-system create secret tls bulla-webhook-tls --cert "$here/.certs/tls.crt" --key "$here/.certs/tls.key" \
  --dry-run=client -o yaml | kubectl apply -f -
if [ ! -f "$here/.keys/decision-log.key" ]; then
  mkdir -p "$here/.keys"
  BULLA_PASSWORD=$(cat "$passphrase") "$bulla" key generate --algorithm ed25519 --output-prefix "$here/.keys/decision-log"
fi
kubectl -n bulla-system create secret generic bulla-decision-log --from-file=passphrase="$passphrase" \
  --from-file=log.key="$here/.keys/decision-log.key" --dry-run=client -o yaml | kubectl apply -f -
if [ -n "$registry" ]; then
  kubectl -n bulla-system create secret generic bulla-registry-credentials --from-file=config.json="$registry" \
    --dry-run=client -o yaml | kubectl apply -f -
fi
if [ -n "${BULLA_IMAGE:-}" ]; then
  # A one-off overlay on the chosen one (kustomize takes only relative paths), in deploy/.install.
  case "$BULLA_IMAGE" in *@sha256:*) ;; *) echo "install.sh: BULLA_IMAGE must name a digest (NAME@sha256:…)" >&2; exit 2;; esac
  # The image as the overlay names it, which the one-off overlay replaces.
  rendered=$(kubectl kustomize "$overlay")
  named=$(printf '%s\n' "$rendered" | sed -n 's/^ *image: *\([^@:]*\([:][0-9]*\)\?[^@:]*\)\([:@].*\)\?$/\1/p' | head -1)
  site="$here/.install"
  mkdir -p "$site"
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nbases:\n  - %s\nimages:\n  - name: %s\n    newName: %s\n    digest: %s\n' \
    "$(realpath --relative-to="$site" "$overlay")" "$named" "${BULLA_IMAGE%@*}" "${BULLA_IMAGE#*@}" > "$site/kustomization.yaml"
  # Refuse to go on unless the StatefulSet now runs exactly that image.
  kubectl kustomize "$site" | grep -qF "image: $BULLA_IMAGE" \
    || { echo "install.sh: the overlay's image ($named) could not be replaced by $BULLA_IMAGE" >&2; exit 1; }
  overlay=$site
fi
kubectl apply -k "$overlay"
kubectl -n bulla-system rollout status statefulset/bulla-webhook --timeout=180s
sed "s|CA_BUNDLE|$ca_bundle|" "$here/webhooks.yaml" | kubectl apply -f -
echo "installed; opt a namespace in with: kubectl label namespace NAME bulla.dev/admission=enabled"
