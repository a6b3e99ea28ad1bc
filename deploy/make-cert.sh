#!/usr/bin/env bash
# Makes the webhook's serving certificate with openssl: a private CA and a server certificate
# for the Service's DNS names, signed by it.
#
#   deploy/make-cert.sh OUTDIR [SERVICE [NAMESPACE]]
#
# Writes OUTDIR/ca.crt, OUTDIR/ca.key, OUTDIR/tls.crt and OUTDIR/tls.key (keys 0600), and prints
# the CA bundle base64-encoded: the caBundle of the webhook configurations. EXTRA_SANS adds
# subject alternative names (e.g. "IP:127.0.0.1,DNS:localhost" for a test on this machine).
set -euo pipefail
out=${1:?usage: make-cert.sh OUTDIR [SERVICE [NAMESPACE]]}
service=${2:-bulla-webhook}
namespace=${3:-bulla-system}
days=${DAYS:-365}
mkdir -p "$out"
umask 077
sans="DNS:$service,DNS:$service.$namespace,DNS:$service.$namespace.svc,DNS:$service.$namespace.svc.cluster.local"
[ -n "${EXTRA_SANS:-}" ] && sans="$sans,$EXTRA_SANS"

openssl ecparam -name prime256v1 -genkey -noout -out "$out/ca.key"
openssl req -x509 -new -key "$out/ca.key" -sha256 -days "$days" -subj "/CN=bulla admission CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out "$out/ca.crt" 2>/dev/null

openssl ecparam -name prime256v1 -genkey -noout -out "$out/tls.key.sec1"
# PKCS#8, the form every TLS stack reads.
openssl pkcs8 -topk8 -nocrypt -in "$out/tls.key.sec1" -out "$out/tls.key"
rm -f "$out/tls.key.sec1"
openssl req -new -key "$out/tls.key" -subj "/CN=$service.$namespace.svc" -out "$out/tls.csr" 2>/dev/null
ext=$(mktemp)
trap 'rm -f "$ext" "$out/tls.csr" "$out/ca.srl"' EXIT
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "$sans" > "$ext"
openssl x509 -req -in "$out/tls.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" -CAcreateserial -sha256 -days "$days" \
  -extfile "$ext" -out "$out/tls.crt" 2>/dev/null
chmod 0644 "$out/ca.crt" "$out/tls.crt"
openssl verify -CAfile "$out/ca.crt" "$out/tls.crt" >/dev/null
base64 -w0 < "$out/ca.crt"
echo
