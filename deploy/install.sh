#!/usr/bin/env bash
# Installs the webhook with kubectl: namespace, serving certificate, secrets, policy,
# Deployment and Service, then the two webhook configurations with the CA filled in.
#
#   deploy/install.sh LOG_PASSPHRASE_FILE [REGISTRY_CONFIG_JSON]
#
# The certificate is made by deploy/make-cert.sh in deploy/.certs (kept out of git).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
passphrase=${1:?usage: install.sh LOG_PASSPHRASE_FILE [REGISTRY_CONFIG_JSON]}
registry=${2:-}
kubectl apply -f "$here/namespace.yaml"
ca_bundle=$("$here/make-cert.sh" "$here/.certs" bulla-webhook bulla-system)
kubectl -n bulla-system create secret tls bulla-webhook-tls --cert "$here/.certs/tls.crt" --key "$here/.certs/tls.key" \
  --dry-run=client -o yaml | kubectl apply -f -
kubectl -n bulla-system create secret generic bulla-decision-log --from-file=passphrase="$passphrase" \
  --dry-run=client -o yaml | kubectl apply -f -
if [ -n "$registry" ]; then
  kubectl -n bulla-system create secret generic bulla-registry-credentials --from-file=config.json="$registry" \
    --dry-run=client -o yaml | kubectl apply -f -
fi
kubectl apply -f "$here/policy-configmap.yaml" -f "$here/deployment.yaml"
kubectl -n bulla-system rollout status deployment/bulla-webhook --timeout=120s
sed "s|CA_BUNDLE|$ca_bundle|" "$here/webhooks.yaml" | kubectl apply -f -
echo "installed; opt a namespace in with: kubectl label namespace NAME bulla.dev/admission=enabled"
