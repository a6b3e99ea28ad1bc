#!/usr/bin/env python3
"""Whole-process keyless verification: `bulla verify-blob` of a real Fulcio/Rekor bundle (chain,
SCT, signed entry timestamp, inclusion proof and checkpoint) beside sigstore-python verifying the
same bundle offline with the same trusted root, and `openssl verify` of the same chain at the
same time, all measured by hyperfine in one run.

usage: bench_keyless.py BULLA [RUNS] [BULLA_SPEED]

With BULLA_SPEED (Benchmarks' bulla-speed), also the library's throughput: keyless verifications
per second on one thread (BundleVerifier over the same bundle, parsed each time), beside
`openssl speed ecdsap256 ecdsap384` in the same run: a keyless check of this bundle makes two
P-384 verifications (the Fulcio chain) and four P-256 ones (signature, SCT, signed entry
timestamp, checkpoint), and the script says what share of the time they are.

The bundle is the Sigstore conformance suite's happy-path-v0.3 (../shared/sigstore-conformance).
Prints each median and the ratios; the goal is bulla at most 30 ms and faster than sigstore-python.
"""
import base64
import json
import os
import subprocess
import sys
import tempfile

BULLA = os.path.abspath(sys.argv[1])
RUNS = sys.argv[2] if len(sys.argv) > 2 else "30"
SPEED = os.path.abspath(sys.argv[3]) if len(sys.argv) > 3 else None
HERE = os.path.dirname(os.path.abspath(__file__))
SUITE = os.path.join(HERE, "..", "..", "shared", "sigstore-conformance")
ASSETS = os.path.join(SUITE, "test", "assets", "bundle-verify")
VECTOR = os.path.join(ASSETS, "happy-path-v0.3")
ROOT = os.path.join(SUITE, "trust-roots", "production", "trusted_root.json")
IDENTITY = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
ISSUER = "https://token.actions.githubusercontent.com"


def pem(der):
    body = base64.encodebytes(der).decode().replace("\n", "")
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(body[i:i + 64] for i in range(0, len(body), 64)) + "\n-----END CERTIFICATE-----\n"


def main():
    work = tempfile.mkdtemp(prefix="bench-keyless-")
    bundle_path = os.path.join(VECTOR, "bundle.sigstore.json")
    artifact = os.path.join(ASSETS, "a.txt")
    bundle = json.load(open(bundle_path))
    root = json.load(open(ROOT))
    leaf = base64.b64decode(bundle["verificationMaterial"]["certificate"]["rawBytes"])
    time = int(bundle["verificationMaterial"]["tlogEntries"][0]["integratedTime"])
    # The Fulcio CA valid at the entry's time: its chain, intermediate first, root last.
    chain = None
    for ca in root["certificateAuthorities"]:
        certs = [base64.b64decode(c["rawBytes"]) for c in ca["certChain"]["certificates"]]
        chain = certs
        if "end" not in ca.get("validFor", {}):
            break
    open(os.path.join(work, "leaf.pem"), "w").write(pem(leaf))
    open(os.path.join(work, "root.pem"), "w").write(pem(chain[-1]))
    open(os.path.join(work, "intermediates.pem"), "w").write("".join(pem(c) for c in chain[:-1]))
    # sigstore-python takes a client trust configuration: the same trusted root, no services.
    config = {
        "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
        "trustedRoot": root,
        "signingConfig": {
            "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
            "caUrls": [], "oidcUrls": [], "rekorTlogUrls": [], "tsaUrls": [],
            "rekorTlogConfig": {"selector": "ANY"}, "tsaConfig": {"selector": "ANY"},
        },
    }
    json.dump(config, open(os.path.join(work, "trust-config.json"), "w"))
    commands = {
        "bulla verify-blob": f"{BULLA} verify-blob {artifact} --bundle {bundle_path} --certificate-identity {IDENTITY} --certificate-oidc-issuer {ISSUER}",
        "sigstore-python verify": f"{sys.executable} -m sigstore --trust-config {work}/trust-config.json verify identity --offline --bundle {bundle_path} --cert-identity {IDENTITY} --cert-oidc-issuer {ISSUER} {artifact}",
        "openssl verify (chain only)": f"openssl verify -attime {time} -CAfile {work}/root.pem -untrusted {work}/intermediates.pem {work}/leaf.pem",
    }
    for name, command in commands.items():
        check = subprocess.run(command, shell=True, capture_output=True, text=True)
        if check.returncode != 0:
            sys.exit(f"{name} does not verify: {check.stdout}{check.stderr}")
    out = os.path.join(work, "hyperfine.json")
    subprocess.run(["hyperfine", "-N", "-w", "3", "-r", RUNS, "--export-json", out, *commands.values()], check=True, capture_output=True)
    results = json.load(open(out))["results"]
    medians = {name: result["median"] * 1000 for name, result in zip(commands, results)}
    for name, median in medians.items():
        print(f"{name:30} median {median:7.2f} ms")
    bulla = medians["bulla verify-blob"]
    print(f"bulla / sigstore-python = {bulla / medians['sigstore-python verify']:.3f}; bulla / openssl verify = {bulla / medians['openssl verify (chain only)']:.2f}")
    print(f"goal: <= 30 ms and faster than sigstore-python: {'met' if bulla <= 30 and bulla < medians['sigstore-python verify'] else 'NOT met'}")
    if SPEED:
        import hashlib
        digest = "sha256:" + hashlib.sha256(open(artifact, "rb").read()).hexdigest()
        line = subprocess.run(["taskset", "-c", "0", SPEED, "keyless", bundle_path, ROOT, IDENTITY, ISSUER, digest, "5"],
                              check=True, capture_output=True, text=True).stdout.strip()
        keyless = float(line.split()[1])
        speed = subprocess.run(["taskset", "-c", "0", "openssl", "speed", "-seconds", "5", "ecdsap256", "ecdsap384"], check=True, capture_output=True, text=True).stdout
        rates = {curve: float([l for l in speed.splitlines() if curve in l and "ecdsa" in l][-1].split()[-1]) for curve in ("nistp256", "nistp384")}
        # Fulcio's root and intermediate are P-384: the chain costs two P-384 verifications; the
        # signature, SCT, signed entry timestamp and checkpoint four P-256 ones.
        floor = 2 / rates["nistp384"] + 4 / rates["nistp256"]
        print(f"library: {keyless:.0f} keyless verifications/s on one core ({1000 / keyless:.2f} ms each); openssl speed on the same core: "
              f"{rates['nistp256']:.0f} P-256 and {rates['nistp384']:.0f} P-384 verify/s, so the six signature checks alone take "
              f"{floor * 1000:.2f} ms ({floor * keyless:.0%} of a keyless verification)")


if __name__ == "__main__":
    main()
