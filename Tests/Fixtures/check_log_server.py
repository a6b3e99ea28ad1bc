#!/usr/bin/env python3
"""Drives `bulla log serve` over HTTP as an outside client would, independently of Bulla:

  check_log_server.py URL LOG.PUB N

Posts N entries from 8 threads at once, then checks, with Python `cryptography`, hashlib and
sigstore-python's Merkle code only:
- every receipt's checkpoint carries a valid Ed25519 signature under the C2SP key ID;
- every receipt's inclusion proof passes sigstore._internal.merkle.verify_merkle_inclusion;
- the tlog-tiles read paths serve each entry at its index, leaf tiles holding SHA-256(0x00||entry),
  and the RFC 6962 root of those leaves is the one /checkpoint signs;
- a tile past the signed size and a path outside the tiles are 404.
Prints one summary line; exits 1 on the first failure.
"""
import base64, hashlib, json, sys, urllib.error, urllib.request
from concurrent.futures import ThreadPoolExecutor

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key
import sigstore.models as models
from sigstore._internal.merkle import verify_merkle_inclusion

base, pub_path, count = sys.argv[1].rstrip("/"), sys.argv[2], int(sys.argv[3])
key = load_pem_public_key(open(pub_path, "rb").read())
raw_pub = key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def get(path):
    with urllib.request.urlopen(base + path, timeout=30) as response:
        return response.read()


def status(path):
    try:
        urllib.request.urlopen(base + path, timeout=30)
        return 200
    except urllib.error.HTTPError as error:
        return error.code


def checkpoint(note):
    text, signatures = note.split(b"\n\n", 1)
    text += b"\n"
    origin, size, root = text.decode().split("\n")[:3]
    for line in signatures.decode().splitlines():
        name, blob = line.split(" ")[1:3]
        sig = base64.b64decode(blob)
        if name == origin and sig[:4] == hashlib.sha256(origin.encode() + b"\n\x01" + raw_pub).digest()[:4]:
            key.verify(sig[4:], text)
            return origin, int(size), base64.b64decode(root)
    raise SystemExit("no signature by the log key on:\n" + note.decode())


def add(i):
    entry = f"entry {i} from a client\n".encode()
    request = urllib.request.Request(base + "/add", data=entry, method="POST")
    with urllib.request.urlopen(request, timeout=60) as response:
        return entry, json.loads(response.read())


with ThreadPoolExecutor(8) as pool:
    receipts = list(pool.map(add, range(count)))

for entry, receipt in receipts:
    _, size, root = checkpoint(receipt["checkpoint"].encode())
    assert size == int(receipt["treeSize"]), receipt
    tlog = {
        "logIndex": receipt["index"],
        "logId": {"keyId": receipt["logId"]},
        "kindVersion": {"kind": "dsse", "version": "0.0.1"},
        "integratedTime": "0",
        "inclusionProof": {
            "logIndex": receipt["index"], "rootHash": base64.b64encode(root).decode(),
            "treeSize": receipt["treeSize"], "hashes": receipt["hashes"],
            "checkpoint": {"envelope": receipt["checkpoint"]},
        },
        "canonicalizedBody": base64.b64encode(entry).decode(),
    }
    verify_merkle_inclusion(models.TransparencyLogEntry(models._TransparencyLogEntry.from_dict(tlog)))

origin, size, root = checkpoint(get("/checkpoint"))
indices = sorted(int(r["index"]) for _, r in receipts)
assert len(set(indices)) == count, "two receipts share an index"


def encode(n):
    parts = [f"{n % 1000:03d}"]
    n //= 1000
    while n:
        parts.insert(0, f"x{n % 1000:03d}")
        n //= 1000
    return "/".join(parts)


def tile(kind, n, width):
    return f"/tile/{kind}/{encode(n)}" + ("" if width == 256 else f".p/{width}")


entries, leaves = [], []
for n in range((size + 255) // 256):
    width = min(256, size - 256 * n)
    bundle = get(tile("entries", n, width))
    at = 0
    while at < len(bundle):
        length = int.from_bytes(bundle[at:at + 2], "big")
        entries.append(bundle[at + 2:at + 2 + length])
        at += 2 + length
    hashes = get(tile("0", n, width))
    leaves += [hashes[i:i + 32] for i in range(0, len(hashes), 32)]
assert len(entries) == size == len(leaves), (len(entries), size, len(leaves))
for entry, receipt in receipts:
    assert entries[int(receipt["index"])] == entry, f"index {receipt['index']} serves another entry"
for entry, leaf in zip(entries, leaves):
    assert hashlib.sha256(b"\x00" + entry).digest() == leaf, "a leaf tile hash is not SHA-256(0x00 || entry)"


def mth(hashes):
    if len(hashes) == 1:
        return hashes[0]
    k = 1 << ((len(hashes) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + mth(hashes[:k]) + mth(hashes[k:])).digest()


assert mth(leaves) == root, "the served tiles do not give the signed root"
assert status(tile("entries", size // 256, size % 256 + 1)) == 404, "a bundle past the signed size was served"
assert status("/tile/../state") == 404 and status("/state") == 404, "a file outside the tiles was served"
print(f"client: {count} receipts verified (signature, sigstore inclusion); {size} entries and root of {origin} match the tiles")
