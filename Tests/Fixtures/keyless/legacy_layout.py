"""Turns a containers/image `dir:` signature fixture (manifest.json + signature-N files, see
../shared/vectors/README.md "cosign-legacy") into an OCI layout as cosign stores it in a
registry: the image manifest tagged TAG, and a `sha256-<hex>.sig` manifest whose layers are the
simple-signing payloads with their signature, certificate, chain and Rekor bundle annotations.
Only manifests and signature layers are written: a verification reads nothing else.

usage: legacy_layout.py FIXTURE_DIR LAYOUT_DIR TAG
"""
import hashlib, json, os, sys

fixture, layout, tag = sys.argv[1:4]
os.makedirs(f"{layout}/blobs/sha256", exist_ok=True)

def put(data):
    digest = hashlib.sha256(data).hexdigest()
    with open(f"{layout}/blobs/sha256/{digest}", "wb") as f:
        f.write(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}

manifest = open(f"{fixture}/manifest.json", "rb").read()
image = put(manifest) | {"mediaType": json.loads(manifest)["mediaType"], "annotations": {"org.opencontainers.image.ref.name": tag}}
layers = []
for name in sorted(n for n in os.listdir(fixture) if n.startswith("signature-")):
    raw = open(f"{fixture}/{name}", "rb").read()
    assert raw.startswith(b"\x00sigstore-json\n"), name
    signature = json.loads(raw[len(b"\x00sigstore-json\n"):])
    import base64
    layers.append(put(base64.b64decode(signature["payload"])) | {"mediaType": signature["mimeType"], "annotations": signature["annotations"]})
config = put(b"{}") | {"mediaType": "application/vnd.oci.image.config.v1+json"}
sig = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": config, "layers": layers}).encode()
sig_tag = image["digest"].replace(":", "-") + ".sig"
signatures = put(sig) | {"mediaType": "application/vnd.oci.image.manifest.v1+json", "annotations": {"org.opencontainers.image.ref.name": sig_tag}}
json.dump({"schemaVersion": 2, "manifests": [image, signatures]}, open(f"{layout}/index.json", "w"))
open(f"{layout}/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
print(image["digest"])
