#!/bin/sh
# Copies real Fulcio certificates, the CA chains and CT log keys that verify them, and the time
# each was proven at, from the sigstore-conformance suite into sigstore.json (licence and
# provenance: README.md beside this script). Needs jq, base64, date and the openssl CLI.
#
#   sh spec/vectors/certificates/sigstore/extract.sh [PATH-TO-sigstore-conformance]
#
# For each case: `leaf` is the bundle's signing certificate (base64 DER); `caChains` the
# certificateAuthorities[].certChain of the trusted root the conformance case uses (each chain
# intermediate first, root last); `ctLogs` its ctlogs whose key is ECDSA or Ed25519 (an RSA log
# key is left out: Bulla does not verify with RSA), validity as Unix seconds; `time` the time the
# evidence proves (the log entry's integratedTime, or the RFC 3161 token's genTime as
# `openssl ts -reply -text` prints it); `chain` and `sct` the expected outcome ("ok" or the
# reason); `identity` what FulcioIdentity reads.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=${1:-$here/../../../../../shared/sigstore-conformance}
assets=$src/test/assets/bundle-verify
production=$src/trust-roots/production/trusted_root.json
default_identity='https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main'
github='https://token.actions.githubusercontent.com'

integrated_time() { jq -r '.verificationMaterial.tlogEntries[0].integratedTime' "$assets/$1/bundle.sigstore.json"; }

rfc3161_time() {
    token=$(mktemp)
    jq -r '.verificationMaterial.timestampVerificationData.rfc3161Timestamps[0].signedTimestamp' \
        "$assets/$1/bundle.sigstore.json" | base64 -d >"$token"
    when=$(openssl ts -reply -in "$token" -text 2>/dev/null | sed -n 's/^Time stamp: //p')
    rm -f "$token"
    date -u -d "$when" +%s
}

# entry NAME TRUSTED-ROOT TIME TIME-SOURCE CHAIN SCT IDENTITY-JSON
entry() {
    jq -n --arg name "$1" --arg rootName "$(printf %s "$2" | sed "s|^$src/||")" \
        --slurpfile bundle "$assets/$1/bundle.sigstore.json" --slurpfile root "$2" \
        --argjson time "$3" --arg timeSource "$4" --arg chain "$5" --arg sct "$6" --argjson identity "$7" '
        def secs: if . == null then null else sub("\\.[0-9]+Z$"; "Z") | fromdate end;
        $bundle[0].verificationMaterial as $vm
        | {
            name: $name,
            bundle: "test/assets/bundle-verify/\($name)/bundle.sigstore.json",
            trustedRoot: $rootName,
            leaf: ($vm.certificate.rawBytes // $vm.x509CertificateChain.certificates[0].rawBytes),
            caChains: [$root[0].certificateAuthorities[] | [.certChain.certificates[].rawBytes]],
            ctLogs: [$root[0].ctlogs[]
                | select(.publicKey.keyDetails | startswith("PKIX_ECDSA") or . == "PKIX_ED25519")
                | {key: .publicKey.rawBytes, validFrom: (.publicKey.validFor.start | secs), validUntil: (.publicKey.validFor.end | secs)}],
            time: $time,
            timeSource: $timeSource,
            chain: $chain,
            sct: $sct,
            identity: $identity
        }'
}

github_identity=$(jq -n --arg issuer "$github" --arg subject "$default_identity" '{issuer: $issuer, subject: $subject}')
{
    entry happy-path-v0.3 "$production" "$(integrated_time happy-path-v0.3)" "tlogEntries[0].integratedTime" ok ok "$github_identity"
    entry happy-path-v0.1 "$production" "$(integrated_time happy-path-v0.1)" "tlogEntries[0].integratedTime" ok ok "$github_identity"
    entry bundle-with-sct-with-extensions "$assets/bundle-with-sct-with-extensions/trusted_root.json" \
        "$(rfc3161_time bundle-with-sct-with-extensions)" "rfc3161Timestamps[0] genTime (signature not checked here)" ok ok "$github_identity"
    entry invalid-ct-key_fail "$assets/invalid-ct-key_fail/trusted_root.json" "$(integrated_time invalid-ct-key_fail)" \
        "tlogEntries[0].integratedTime" ok "SCT from unknown log" "$github_identity"
    entry intoto-set-outside-signing-cert-validity_fail "$assets/intoto-set-outside-signing-cert-validity_fail/trusted_root.json" \
        "$(integrated_time intoto-set-outside-signing-cert-validity_fail)" "tlogEntries[0].integratedTime" "certificate has expired" skip null
    entry intoto-expired-certificate_fail "$assets/intoto-expired-certificate_fail/trusted_root.json" \
        "$(integrated_time intoto-expired-certificate_fail)" "tlogEntries[0].integratedTime" "certificate is not yet valid" skip null
} | jq -s '{
    description: "Real Fulcio certificates from sigstore-conformance (Apache-2.0, see README.md), with the trusted root material that verifies them and the time their log entry or timestamp proves. Made by extract.sh.",
    cases: .
}' >"$here/sigstore.json"
echo "wrote $here/sigstore.json"
