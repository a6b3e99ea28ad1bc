#!/usr/bin/env python3
"""Signs an in-toto statement into a Sigstore bundle with Python's `cryptography`, independently
of Bulla, so tests can make attestations Bulla's own `attest` refuses to make (another image's
subject, several subjects, another payloadType) and edit signed ones.

  make_attestation.py sign KEY.pem PASSWORD STATEMENT.json OUT.bundle [PAYLOAD_TYPE]
  make_attestation.py edit IN.bundle OUT.bundle FIELD VALUE
      FIELD: predicateType (rewrites the statement, keeps the signature) or payloadType.
"""
import base64, hashlib, json, sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

IN_TOTO = "application/vnd.in-toto+json"


def pae(payload_type: bytes, payload: bytes) -> bytes:
    return b"DSSEv1 %d %s %d %s" % (len(payload_type), payload_type, len(payload), payload)


def sign(key_path, password, statement_path, out_path, payload_type=IN_TOTO):
    key = serialization.load_pem_private_key(open(key_path, "rb").read(), password.encode())
    payload = open(statement_path, "rb").read()
    message = pae(payload_type.encode(), payload)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        signature = key.sign(message)
    else:
        signature = key.sign(message, ec.ECDSA(hashes.SHA256() if key.curve.name == "secp256r1" else hashes.SHA384()))
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    bundle = {
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {"publicKey": {"hint": base64.b64encode(hashlib.sha256(spki).digest()).decode()}, "tlogEntries": []},
        "dsseEnvelope": {"payload": base64.b64encode(payload).decode(), "payloadType": payload_type,
                         "signatures": [{"sig": base64.b64encode(signature).decode()}]},
    }
    json.dump(bundle, open(out_path, "w"))


def edit(in_path, out_path, field, value):
    bundle = json.load(open(in_path))
    envelope = bundle["dsseEnvelope"]
    if field == "payloadType":
        envelope["payloadType"] = value
    elif field == "predicateType":
        statement = json.loads(base64.b64decode(envelope["payload"]))
        statement["predicateType"] = value
        envelope["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    else:
        sys.exit("unknown field " + field)
    json.dump(bundle, open(out_path, "w"))


if __name__ == "__main__":
    if sys.argv[1] == "sign":
        sign(*sys.argv[2:])
    elif sys.argv[1] == "edit":
        edit(*sys.argv[2:])
    else:
        sys.exit(__doc__)
