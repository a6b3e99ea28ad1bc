#!/bin/sh
# Makes the X.509 vectors of spec/vectors/certificates/ with the openssl CLI alone, then checks
# every chain case of expected.json that OpenSSL itself can judge with `openssl verify -attime`.
#
#   sh spec/vectors/certificates/make.sh          # rewrite the certificates, then check
#   sh spec/vectors/certificates/make.sh --check  # only check the committed certificates
#
# The keys are fresh on every run and thrown away, so the certificates change but what
# expected.json says of them does not: names, serials, validity and extensions are fixed here.
# A test CA on P-256 (like Fulcio's leaves), a code-signing intermediate (like Fulcio's) and
# ten-minute leaves (like Fulcio's), one per case:
#
#   leaf.pem                   email SAN, Fulcio issuer as .1.8 (UTF8String) and .1.1 (raw), claims
#   leaf-username.pem          Fulcio's username otherName SAN (1.3.6.1.4.1.57264.1.7) only
#   leaf-expired.pem           valid a year before the others
#   leaf-wrong-eku.pem         serverAuth instead of codeSigning
#   leaf-ca.pem                basicConstraints CA:TRUE
#   leaf-issuers-disagree.pem  .1.1 and .1.8 name different issuers
#   leaf-untrusted.pem         issued by other-root.pem, a root nobody trusts
set -eu
cd "$(dirname "$0")"
command -v openssl >/dev/null || { echo "make.sh needs the openssl CLI" >&2; exit 1; }
command -v jq >/dev/null || { echo "make.sh needs jq to read expected.json" >&2; exit 1; }

# Times (UTC): the leaves live 2025-01-01T00:00:00Z to 00:10:00Z, the expired one a year earlier.
LEAF_START=20250101000000Z LEAF_END=20250101001000Z
OLD_START=20240101000000Z OLD_END=20240101001000Z

make_all() {
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    mkdir "$work/new"
    : >"$work/index.txt"
    echo 1000 >"$work/serial"
    hex() { printf %s "$1" | od -An -tx1 | tr -d ' \n'; }
    cat >"$work/ca.cnf" <<EOF
[ ca ]
default_ca = test_ca
[ test_ca ]
database = $work/index.txt
new_certs_dir = $work/new
serial = $work/serial
default_md = sha256
policy = anything
unique_subject = no
email_in_dn = no
copy_extensions = none
[ anything ]
organizationName = optional
commonName = optional
[ root ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ intermediate ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
extendedKeyUsage = codeSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ leaf ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = codeSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = critical, email:signer@example.com
1.3.6.1.4.1.57264.1.1 = DER:$(hex https://accounts.example.com)
1.3.6.1.4.1.57264.1.2 = DER:$(hex push)
1.3.6.1.4.1.57264.1.8 = ASN1:UTF8String:https://accounts.example.com
1.3.6.1.4.1.57264.1.9 = ASN1:UTF8String:https://git.example.com/team/app/.ci/release.yml@refs/heads/main
1.3.6.1.4.1.57264.1.12 = ASN1:UTF8String:https://git.example.com/team/app
1.3.6.1.4.1.57264.1.14 = ASN1:UTF8String:refs/heads/main
[ leaf_username ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = codeSigning
subjectAltName = critical, otherName:1.3.6.1.4.1.57264.1.7;UTF8:octocat
1.3.6.1.4.1.57264.1.8 = ASN1:UTF8String:https://accounts.example.com
[ leaf_plain ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = codeSigning
subjectAltName = critical, email:signer@example.com
1.3.6.1.4.1.57264.1.8 = ASN1:UTF8String:https://accounts.example.com
[ leaf_wrong_eku ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = critical, email:signer@example.com
[ leaf_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, digitalSignature, keyCertSign
extendedKeyUsage = codeSigning
subjectAltName = critical, email:signer@example.com
[ leaf_disagree ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = codeSigning
subjectAltName = critical, email:signer@example.com
1.3.6.1.4.1.57264.1.1 = DER:$(hex https://accounts.example.com)
1.3.6.1.4.1.57264.1.8 = ASN1:UTF8String:https://evil.example.com
EOF
    key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/$1.key" 2>/dev/null; }
    # issue NAME SUBJECT SECTION START END [ISSUER]: a certificate NAME.pem; no ISSUER = self-signed.
    issue() {
        key "$1"
        openssl req -new -key "$work/$1.key" -subj "$2" -out "$work/$1.csr"
        if [ -z "${6:-}" ]; then
            signer="-selfsign -keyfile $work/$1.key"
        else
            signer="-cert $6.pem -keyfile $work/$6.key"
        fi
        # shellcheck disable=SC2086
        openssl ca -batch -notext -config "$work/ca.cnf" -extensions "$3" -startdate "$4" -enddate "$5" \
            $signer -in "$work/$1.csr" -out "$1.pem" 2>/dev/null
    }
    issue root "/O=Bulla Test/CN=Bulla Test Root CA" root 20200101000000Z 20400101000000Z
    issue intermediate "/O=Bulla Test/CN=Bulla Test Intermediate CA" intermediate 20200101000000Z 20390101000000Z root
    issue leaf "/" leaf "$LEAF_START" "$LEAF_END" intermediate
    issue leaf-username "/" leaf_username "$LEAF_START" "$LEAF_END" intermediate
    issue leaf-expired "/" leaf_plain "$OLD_START" "$OLD_END" intermediate
    issue leaf-wrong-eku "/" leaf_wrong_eku "$LEAF_START" "$LEAF_END" intermediate
    issue leaf-ca "/" leaf_ca "$LEAF_START" "$LEAF_END" intermediate
    issue leaf-issuers-disagree "/" leaf_disagree "$LEAF_START" "$LEAF_END" intermediate
    issue other-root "/O=Somebody Else/CN=Untrusted Root CA" root 20200101000000Z 20400101000000Z
    issue leaf-untrusted "/" leaf_plain "$LEAF_START" "$LEAF_END" other-root
}

# Every chain case marked "peer": "openssl" must get the same answer from `openssl verify`.
check() {
    failed=0
    count=$(jq '.chains | length' expected.json)
    i=0
    while [ "$i" -lt "$count" ]; do
        case_json=$(jq -c ".chains[$i]" expected.json)
        i=$((i + 1))
        [ "$(printf %s "$case_json" | jq -r '.peer // ""')" = openssl ] || continue
        name=$(printf %s "$case_json" | jq -r .name)
        set -- -attime "$(printf %s "$case_json" | jq -r .time)"
        for f in $(printf %s "$case_json" | jq -r '.roots[]'); do set -- "$@" -trusted "$f"; done
        if [ "$(printf %s "$case_json" | jq -r '.intermediatesAreAnchors')" = true ]; then
            for f in $(printf %s "$case_json" | jq -r '.intermediates[]'); do set -- "$@" -trusted "$f"; done
            set -- "$@" -partial_chain
        else
            for f in $(printf %s "$case_json" | jq -r '.intermediates[]'); do set -- "$@" -untrusted "$f"; done
        fi
        leaf=$(printf %s "$case_json" | jq -r .leaf)
        got=$(openssl verify "$@" "$leaf" 2>&1 || true)
        if [ "$(printf %s "$case_json" | jq -r .expect)" = ok ]; then
            want="$leaf: OK"
            [ "$got" = "$want" ] || { echo "FAIL $name: openssl says: $got" >&2; failed=1; }
        else
            reason=$(printf %s "$case_json" | jq -r .reason)
            case "$got" in
            *"$reason"*) ;;
            *) echo "FAIL $name: openssl says: $got; expected.json says: $reason" >&2; failed=1 ;;
            esac
        fi
    done
    # The fields expected.json states, as openssl prints them (names as RFC 2253 text).
    for f in $(jq -r '.fields[].certificate' expected.json); do
        for field in serial subject issuer; do
            got=$(openssl x509 -in "$f" -noout "-$field" -nameopt RFC2253 | sed "s/^$field=//")
            key=$field
            if [ "$field" = serial ]; then got=$(printf %s "$got" | tr 'A-F' 'a-f'); key=serialNumber; fi
            want=$(jq -r --arg f "$f" --arg key "$key" '.fields[] | select(.certificate == $f) | .[$key]' expected.json)
            [ "$got" = "$want" ] || { echo "FAIL $f: $field $got, expected.json says $want" >&2; failed=1; }
        done
    done
    [ "$failed" = 0 ] && echo "make.sh: openssl agrees with expected.json"
    return "$failed"
}

[ "${1:-}" = --check ] || make_all
check
