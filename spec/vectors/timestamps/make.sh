#!/bin/sh
# Makes the RFC 3161 vectors of spec/vectors/timestamps/ with the openssl CLI alone, writes each
# token's genTime into expected.json, then checks every token and case of expected.json that
# OpenSSL itself can judge with `openssl ts -verify`.
#
#   sh spec/vectors/timestamps/make.sh          # rewrite certificates, messages and tokens, then check
#   sh spec/vectors/timestamps/make.sh --check  # only check the committed files
#
# The keys are fresh on every run and thrown away, so the files change but what expected.json says
# of them does not, but for the genTime of the tokens `openssl ts -reply` signs: it has no option to
# set the time, so their genTime is the moment make.sh ran, and make.sh writes it into the
# "generationTime" of expected.json's "tokens" (--check reads it back from each token). Names,
# serials, validity, extensions and the two hand-made tokens' genTime are fixed here.
#
# Certificates (P-256, made with `openssl ca`; serials 2000 to 2006 in this order):
#   tsa-root.pem         self-signed CA of our time-stamping authority, 2020-01-01 to 2040-01-01
#   tsa.pem              its TSA certificate: critical extendedKeyUsage timeStamping, 2020 to 2039
#   tsa-sibling.pem      a second TSA certificate of the same root (not the authority's own)
#   tsa-no-eku.pem       a certificate of the same root without extendedKeyUsage at all
#   tsa-expired.pem      a TSA certificate of the same root living 2020-01-01 to 2021-01-01 only
#   other-tsa-root.pem   an unrelated authority's root ("Somebody Else")
#   other-tsa.pem        its TSA certificate
# Messages (what a Sigstore bundle's signature field holds):
#   message.bin          a fixed 70-byte DER ECDSA signature shape: 30 44 02 20 01..20 02 20 21..40
#   other-message.bin    the same with its last byte 0x41: a one-byte change
# Tokens, DER TimeStampResp (status granted) unless said; all over message.bin; TSTInfo serials
# 1 to 8 in this order (token.tst is token.tsr's); policy 1.2.3.4.1; no nonce; ESS
# signingCertificateV2 (SHA-256 of the signer); signatures ECDSA with SHA-256:
#   token.tsr            `openssl ts -reply` by tsa.pem, SHA-256 imprint, TSA certificate embedded
#   token.tst            the same token bare: its TimeStampToken (CMS ContentInfo) alone
#   token-no-cert.tsr    by tsa.pem, the query without -cert: no certificate embedded
#   token-sha384.tsr     by tsa.pem, SHA-384 imprint
#   token-other.tsr      by other-tsa.pem, embedded
#   token-sibling.tsr    by tsa-sibling.pem, embedded
#   token-expired.tsr    by tsa-expired.pem, embedded, genTime now: after the certificate expired
#   token-no-eku.tsr     by tsa-no-eku.pem, genTime 2025-01-01T00:00:00Z. `openssl ts -reply`
#                        refuses a signer without the timeStamping usage ("invalid signer
#                        certificate purpose"), so this TSTInfo is written with `openssl asn1parse
#                        -genconf` as ts -reply writes one, signed with `openssl cms -sign -cades`
#                        (contentType id-ct-TSTInfo, signingCertificateV2) and wrapped in a
#                        response by `openssl ts -reply -token_in`. Its CMS signingTime is the
#                        moment make.sh ran; nothing reads it.
#   token-expired-in-time.tsr  by tsa-expired.pem, made the same way, genTime 2020-07-01T00:00:00Z,
#                        inside the certificate's year: ts -reply cannot backdate.
#   token-truncated.tsr  token.tsr without its last byte
#   token-trailing.tsr   token.tsr and one zero byte after it
#   garbage.tsr          a line of text
#
# Each case of expected.json names a token, a message and a chain (PEM files, TSA certificate
# first, root last: what verify(over:chain:) is given, as DER). A case marked "peer": "openssl" must
# get the same verdict from
#   openssl ts -verify -data MESSAGE -in TOKEN [-token_in] -CAfile LAST -untrusted OTHERS
#       -attime GENTIME -partial_chain
# (-attime and -partial_chain as Bulla checks: at genTime, the chain's last certificate the
# anchor), and for a refusal print the case's "openssl" text. A case marked "bulla" is one only
# Bulla's rules refuse; its "openssl" text, when given, is what OpenSSL says instead, also checked.
set -eu
cd "$(dirname "$0")"
command -v openssl >/dev/null || { echo "make.sh needs the openssl CLI" >&2; exit 1; }
command -v jq >/dev/null || { echo "make.sh needs jq to read and write expected.json" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Fixed times (UTC) of the hand-made tokens.
NO_EKU_GENTIME=20250101000000Z EXPIRED_IN_TIME_GENTIME=20200701000000Z

# run LOG COMMAND...: runs an openssl command whose chatter goes to LOG, shown only on failure.
run() {
    log=$1
    shift
    "$@" 2>"$work/$log.log" || { cat "$work/$log.log" >&2; echo "make.sh: failed: $*" >&2; exit 1; }
}

# unhex HEX: the bytes the hex string spells.
unhex() {
    for byte in $(printf %s "$1" | sed 's/../& /g'); do
        # shellcheck disable=SC2059
        printf "\\$(printf %03o "0x$byte")"
    done
}

make_all() {
    mkdir "$work/new"
    : >"$work/index.txt"
    echo 2000 >"$work/serial"
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
[ tsa ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ no_eku ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
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
    issue tsa-root "/O=Bulla Test/CN=Bulla Test TSA Root CA" root 20200101000000Z 20400101000000Z
    issue tsa "/O=Bulla Test/CN=Bulla Test TSA" tsa 20200101000000Z 20390101000000Z tsa-root
    issue tsa-sibling "/O=Bulla Test/CN=Bulla Test TSA 2" tsa 20200101000000Z 20390101000000Z tsa-root
    issue tsa-no-eku "/O=Bulla Test/CN=Bulla Test TSA without timeStamping" no_eku 20200101000000Z 20390101000000Z tsa-root
    issue tsa-expired "/O=Bulla Test/CN=Bulla Test TSA 2020" tsa 20200101000000Z 20210101000000Z tsa-root
    issue other-tsa-root "/O=Somebody Else/CN=Other TSA Root CA" root 20200101000000Z 20400101000000Z
    issue other-tsa "/O=Somebody Else/CN=Other TSA" tsa 20200101000000Z 20390101000000Z other-tsa-root

    signature=30440220
    signature=${signature}0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20
    signature=${signature}0220
    signature=${signature}2122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f
    unhex "${signature}40" >message.bin
    unhex "${signature}41" >other-message.bin

    # The TSA's configuration: TSTInfo serials from 1 (ts -reply adds one to the file, then signs).
    echo 00 >"$work/tst-serial"
    cat >"$work/tsa.cnf" <<EOF
[ tsa ]
default_tsa = bulla_tsa
[ bulla_tsa ]
serial = $work/tst-serial
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
ess_cert_id_alg = sha256
ess_cert_id_chain = no
EOF
    # stamp NAME SIGNER DIGEST EMBED: NAME.tsr over message.bin by `openssl ts -reply`.
    stamp() {
        cert=
        [ "$4" = embed ] && cert=-cert
        # shellcheck disable=SC2086
        run query openssl ts -query -data message.bin "-$3" $cert -no_nonce -out "$work/$1.tsq"
        run reply openssl ts -reply -config "$work/tsa.cnf" -section bulla_tsa -queryfile "$work/$1.tsq" \
            -signer "$2.pem" -inkey "$work/$2.key" -out "$1.tsr"
    }
    stamp token tsa sha256 embed
    stamp token-no-cert tsa sha256 no
    stamp token-sha384 tsa sha384 embed
    stamp token-other other-tsa sha256 embed
    stamp token-sibling tsa-sibling sha256 embed
    stamp token-expired tsa-expired sha256 embed
    run token openssl ts -reply -in token.tsr -token_out -out token.tst

    # craft NAME SIGNER SERIAL GENTIME: NAME.tsr, a TSTInfo over message.bin as ts -reply writes it,
    # signed by SIGNER with `openssl cms -sign -cades` (for what ts -reply refuses to sign).
    craft() {
        imprint=$(openssl dgst -sha256 -r message.bin | cut -d' ' -f1)
        cat >"$work/$1.asn1" <<EOF
asn1 = SEQUENCE:tst_info
[ tst_info ]
version = INTEGER:1
policy = OID:1.2.3.4.1
messageImprint = SEQUENCE:message_imprint
serialNumber = INTEGER:$3
genTime = GENTIME:$4
[ message_imprint ]
hashAlgorithm = SEQUENCE:sha256
hashedMessage = FORMAT:HEX,OCTETSTRING:$imprint
[ sha256 ]
algorithm = OID:sha256
parameters = NULL
EOF
        run genconf openssl asn1parse -genconf "$work/$1.asn1" -noout -out "$work/$1.tstinfo"
        run cms openssl cms -sign -binary -nodetach -cades -nosmimecap -md sha256 \
            -econtent_type id-smime-ct-TSTInfo -in "$work/$1.tstinfo" -signer "$2.pem" -inkey "$work/$2.key" \
            -outform DER -out "$work/$1.p7"
        run wrap openssl ts -reply -in "$work/$1.p7" -token_in -out "$1.tsr"
    }
    craft token-no-eku tsa-no-eku 7 "$NO_EKU_GENTIME"
    craft token-expired-in-time tsa-expired 8 "$EXPIRED_IN_TIME_GENTIME"

    size=$(wc -c <token.tsr)
    dd if=token.tsr of=token-truncated.tsr bs=1 count=$((size - 1)) 2>/dev/null
    { cat token.tsr; unhex 00; } >token-trailing.tsr
    printf 'this is not an RFC 3161 timestamp\n' >garbage.tsr

    # Each token's genTime into expected.json, on the token's own line (one entry a line, as
    # written by hand; jq would reformat the whole file), then read back with jq.
    for f in $(jq -r '.tokens[].token' expected.json); do
        time=$(gentime "$f")
        pattern=$(printf %s "\"token\": \"$f\"" | sed 's/[.]/[.]/g')
        sed "/$pattern/s/\"generationTime\": [0-9a-z]*/\"generationTime\": $time/" expected.json >"$work/expected.json"
        cat "$work/expected.json" >expected.json
        jq -e --arg f "$f" --argjson time "$time" '[.tokens[] | select(.token == $f)] | length == 1 and .[0].generationTime == $time' \
            expected.json >/dev/null || { echo "make.sh: could not write the genTime of $f into expected.json" >&2; exit 1; }
    done
}

# tokenflag FILE: -token_in for a bare token (.tst), nothing for a response.
tokenflag() { case "$1" in *.tst) echo -token_in ;; esac; }

# gentime FILE: the token's genTime in Unix seconds, as `openssl ts -reply -text` prints it.
gentime() {
    # shellcheck disable=SC2046
    openssl ts -reply -in "$1" $(tokenflag "$1") -text 2>/dev/null | sed -n 's/^Time stamp: //p' |
        jq -R 'strptime("%b %d %H:%M:%S %Y GMT") | mktime'
}

check() {
    failed=0
    fail() { echo "FAIL $*" >&2; failed=1; }
    # The tokens' fields, as openssl reads them.
    count=$(jq '.tokens | length' expected.json)
    i=0
    while [ "$i" -lt "$count" ]; do
        entry=$(jq -c ".tokens[$i]" expected.json)
        i=$((i + 1))
        field() { printf %s "$entry" | jq -r ".$1"; }
        f=$(field token)
        # shellcheck disable=SC2046
        text=$(openssl ts -reply -in "$f" $(tokenflag "$f") -text 2>/dev/null) || { fail "$f: openssl cannot read it"; continue; }
        [ "$(gentime "$f")" = "$(field generationTime)" ] || fail "$f: genTime $(gentime "$f"), expected.json says $(field generationTime)"
        algorithm=$(printf %s "$text" | sed -n 's/^Hash Algorithm: //p')
        [ "$algorithm" = "$(field hashAlgorithm)" ] || fail "$f: imprint algorithm $algorithm, expected.json says $(field hashAlgorithm)"
        imprint=$(printf '%s\n' "$text" | sed -n '/^Message data:/,/^Serial number:/p' | sed -n 's/^ *[0-9a-f]\{4\} - //p' |
            sed 's/   .*//; s/[- ]//g' | tr -d '\n')
        [ "$imprint" = "$(field messageImprint)" ] || fail "$f: imprint $imprint, expected.json says $(field messageImprint)"
        want=$(openssl dgst "-$algorithm" -r "$(field message)" | cut -d' ' -f1)
        [ "$imprint" = "$want" ] || fail "$f: imprint $imprint is not the $algorithm of $(field message)"
        serial=$(printf %s "$text" | sed -n 's/^Serial number: //p')
        [ "$serial" = "$(field serialNumber)" ] || fail "$f: TSTInfo serial $serial, expected.json says $(field serialNumber)"
        # shellcheck disable=SC2046
        openssl ts -reply -in "$f" $(tokenflag "$f") -token_out -out "$work/bare.p7" 2>/dev/null
        embedded=$(openssl pkcs7 -inform DER -in "$work/bare.p7" -print_certs -noout 2>/dev/null | sed -n 's/^subject=//p')
        want=$(openssl x509 -in "$(field signer)" -noout -subject | sed 's/^subject=//')
        if [ "$(field embedsCertificate)" = true ]; then
            [ "$embedded" = "$want" ] || fail "$f: embeds \"$embedded\", not $(field signer) alone"
        else
            [ -z "$embedded" ] || fail "$f: embeds \"$embedded\", expected.json says none"
        fi
    done

    # The cases OpenSSL can judge, and what it says of those it judges otherwise.
    count=$(jq '.cases | length' expected.json)
    i=0
    while [ "$i" -lt "$count" ]; do
        case_json=$(jq -c ".cases[$i]" expected.json)
        i=$((i + 1))
        field() { printf %s "$case_json" | jq -r ".$1 // \"\""; }
        name=$(field name) token=$(field token) expect=$(field expect) said=$(field openssl)
        [ "$(field peer)" = openssl ] || [ -n "$said" ] || continue
        links=$(printf %s "$case_json" | jq '.chain | length')
        [ "$links" -gt 0 ] || { fail "$name: no chain for openssl"; continue; }
        # shellcheck disable=SC2046
        set -- -data "$(field message)" -in "$token" $(tokenflag "$token") -partial_chain
        set -- "$@" -CAfile "$(printf %s "$case_json" | jq -r '.chain[-1]')"
        if [ "$links" -gt 1 ]; then
            for f in $(printf %s "$case_json" | jq -r '.chain[:-1][]'); do cat "$f"; done >"$work/untrusted.pem"
            set -- "$@" -untrusted "$work/untrusted.pem"
        fi
        time=$(jq -r --arg f "$token" '.tokens[] | select(.token == $f) | .generationTime' expected.json)
        [ -z "$time" ] || set -- "$@" -attime "$time"
        if got=$(openssl ts -verify "$@" 2>&1); then verdict=ok; else verdict=refused; fi
        got=$(printf %s "$got" | grep -v -e '^Using configuration from' -e '^Warning: certificate from' || true)
        if [ "$(field peer)" = openssl ]; then
            if [ "$expect" = ok ]; then
                [ "$verdict" = ok ] || fail "$name: openssl refuses it: $got"
            else
                [ "$verdict" = refused ] || fail "$name: openssl accepts it; expected.json says $expect"
            fi
        fi
        if [ -n "$said" ]; then
            case "$got" in
            *"$said"*) ;;
            *) fail "$name: openssl says: $got; expected.json says it says: $said" ;;
            esac
        fi
    done
    [ "$failed" = 0 ] && echo "make.sh: openssl agrees with expected.json"
    return "$failed"
}

[ "${1:-}" = --check ] || make_all
check
