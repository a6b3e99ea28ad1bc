#!/usr/bin/env python3
"""The SBOM attestation benchmark, measured side by side in one run.

A generated SPDX 2.3 SBOM of about 50 MB (BENCH_SBOM_MIB) is attested into an OCI layout. Then,
each as a whole process, best of BENCH_RUNS with the files in the page cache:

- bulla verify-attestation IMAGE --key --type spdxjson --policy P: find the attestation, verify
  the signature and subject, read every package and apply a policy with denied packages,
  denied licences and a required field;
- openssl dgst -sha256 over the DSSE envelope (the physical floor: reading and hashing it once);
- Python: securesystemslib verifies the same envelope, then json.loads parses its payload.

Peak RSS of the bulla process is what GNU time reports for it (wait4 from this Python process
would report this process's own size: a child's maximum includes its parent's before exec).
"""
import hashlib, json, os, subprocess, sys, time

bulla = os.path.abspath(sys.argv[1])
work = os.environ.get("BENCH_DIR", "/tmp/bulla-bench") + "/sbom"
target = int(os.environ.get("BENCH_SBOM_MB", "50")) * 1000 * 1000
runs = int(os.environ.get("BENCH_RUNS", "5"))
os.makedirs(work, exist_ok=True)
os.chdir(work)
env = dict(os.environ, BULLA_PASSWORD="bench")


def make_sbom():
    """Packages like syft writes them, until the document reaches the target size."""
    licenses = ["MIT", "Apache-2.0", "BSD-3-Clause", "MIT OR Apache-2.0", "ISC", "GPL-2.0-only WITH Classpath-exception-2.0"]
    packages, size, n = [], 0, 0
    while size < target:
        name = f"package-{n}"
        version = f"{n % 7}.{n % 13}.{n % 101}"
        purl = f"pkg:maven/org.example.group{n % 97}/{name}@{version}"
        package = {
            "SPDXID": f"SPDXRef-Package-{n}", "name": name, "versionInfo": version,
            "supplier": f"Organization: Example Supplier {n % 50}", "downloadLocation": "NOASSERTION",
            "filesAnalyzed": False, "licenseConcluded": licenses[n % len(licenses)], "licenseDeclared": "NOASSERTION",
            "copyrightText": "NOASSERTION", "description": "A generated package standing in for a real dependency of a large Java service.",
            "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": purl},
                             {"referenceCategory": "SECURITY", "referenceType": "cpe23Type",
                              "referenceLocator": f"cpe:2.3:a:example:{name}:{version}:*:*:*:*:*:*:*"}],
            "checksums": [{"algorithm": "SHA256", "checksumValue": hashlib.sha256(name.encode()).hexdigest()}],
        }
        packages.append(package)
        size += len(json.dumps(package)) + 2
        n += 1
    doc = {"spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT", "name": "bench",
           "documentNamespace": "https://example.com/bench", "packages": packages,
           "creationInfo": {"created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "creators": ["Tool: bench"]}}
    with open("sbom.spdx.json", "w") as f:
        json.dump(doc, f)
    return n


def make_layout():
    blobs = "layout/blobs/sha256"
    os.makedirs(blobs, exist_ok=True)

    def write(data, media_type):
        digest = hashlib.sha256(data).hexdigest()
        open(os.path.join(blobs, digest), "wb").write(data)
        return {"mediaType": media_type, "digest": "sha256:" + digest, "size": len(data)}

    layer = write(os.urandom(1 << 20), "application/vnd.oci.image.layer.v1.tar")
    config = write(b'{"architecture":"amd64","os":"linux"}', "application/vnd.oci.image.config.v1+json")
    manifest = write(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                                 "config": config, "layers": [layer]}).encode(), "application/vnd.oci.image.manifest.v1+json")
    manifest["annotations"] = {"org.opencontainers.image.ref.name": "bench"}
    json.dump({"schemaVersion": 2, "manifests": [manifest]}, open("layout/index.json", "w"))
    open("layout/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')


def run(command, **kw):
    return subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL, **kw)


def timed(command):
    """Best wall time over runs."""
    best = None
    for _ in range(runs):
        start = time.perf_counter()
        code = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        elapsed = time.perf_counter() - start
        if code != 0:
            sys.exit(f"{command[0]} exited {code}")
        best = elapsed if best is None else min(best, elapsed)
    return best


def peak_rss(command):
    """Peak RSS in KiB, as GNU time measures the command."""
    out = subprocess.run(["/usr/bin/time", "-f", "%M"] + command, env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True, check=True).stderr
    return int(out.strip().splitlines()[-1])


for stale in ["layout", "k.key", "k.pub"]:
    subprocess.run(["rm", "-rf", stale])
count = make_sbom()
make_layout()
run([bulla, "key", "generate", "--output-prefix", "k"])
run([bulla, "attest", "oci:layout:bench", "--key", "k.key", "--predicate", "sbom.spdx.json", "--type", "spdxjson"])
# The envelope as a file of its own, for openssl and securesystemslib.
index = json.load(open("layout/index.json"))
referrer = next(m for m in index["manifests"] if m.get("artifactType"))
manifest = json.load(open("layout/blobs/sha256/" + referrer["digest"][7:]))
bundle = json.load(open("layout/blobs/sha256/" + manifest["layers"][0]["digest"][7:]))
json.dump(bundle["dsseEnvelope"], open("envelope.json", "w"))
open("policy.yaml", "w").write("""version: 1
rules:
  - name: bench
    images: ["oci:layout:*"]
    attestations:
      - type: spdxjson
        keys: [k.pub]
        maxAge: 7d
        deniedPackages:
          - purl: pkg:maven/org.apache.logging.log4j/log4j-core
            versions: "< 2.17.1"
          - name: package-3
            versions: "< 0.0.1"
        deniedLicenses: [AGPL-3.0-or-later, GPL-3.0-only]
        requiredFields:
          - pointer: /creationInfo/creators
            exists: true
""")
open("ssl_verify.py", "w").write("""import base64, json, sys
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey
key = SSlibKey.from_crypto(load_pem_public_key(open("k.pub", "rb").read()))
envelope = json.load(open("envelope.json"))
signatures = [{"keyid": key.keyid, "sig": s["sig"]} for s in envelope["signatures"]]
parsed = Envelope.from_dict({"payload": envelope["payload"], "payloadType": envelope["payloadType"], "signatures": signatures})
parsed.verify([key], 1)
statement = json.loads(parsed.payload)
assert len(statement["predicate"]["packages"]) > 0
""")
sbom_bytes = os.path.getsize("sbom.spdx.json")
envelope_bytes = os.path.getsize("envelope.json")
for f in ["sbom.spdx.json", "envelope.json"] + [os.path.join("layout/blobs/sha256", b) for b in os.listdir("layout/blobs/sha256")]:
    open(f, "rb").read()

verify = [bulla, "verify-attestation", "oci:layout:bench", "--key", "k.pub", "--type", "spdxjson", "--policy", "policy.yaml"]
ours = timed(verify)
dgst = timed(["openssl", "dgst", "-sha256", "envelope.json"])
python = timed([sys.executable, "ssl_verify.py"])
rss = peak_rss(verify)
print(f"SBOM: {sbom_bytes / 1e6:.1f} MB SPDX 2.3, {count} packages; DSSE envelope {envelope_bytes / 1e6:.1f} MB")
print(f"bulla verify-attestation --policy  {ours * 1000:8.1f} ms   peak RSS {rss / 1024:.1f} MiB = {rss * 1024 / sbom_bytes:.2f}x the SBOM (target < 4x)")
print(f"openssl dgst -sha256 envelope      {dgst * 1000:8.1f} ms   bulla/openssl = {ours / dgst:.2f}x (target <= 10x)")
print(f"securesystemslib + json.loads      {python * 1000:8.1f} ms   bulla/python  = {ours / python:.2f}x (target < 1x)")
