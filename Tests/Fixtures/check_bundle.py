#!/usr/bin/env python3
"""Checks a Bulla bundle with peers nobody here wrote.

usage: check_bundle.py BUNDLE PUBLIC_KEY_PEM

1. sigstore-models parses it strictly (unknown fields and wrong types are errors).
2. For a DSSE bundle, securesystemslib verifies the envelope with the public key.
Prints one line per check and exits non-zero on the first failure.
"""
import base64, json, sys

from cryptography.hazmat.primitives.serialization import load_pem_public_key
from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey
from sigstore_models.bundle.v1 import Bundle

bundle_path, key_path = sys.argv[1], sys.argv[2]
text = open(bundle_path).read()
Bundle.from_json(text)
print("sigstore-models: parsed", bundle_path)

bundle = json.loads(text)
envelope = bundle.get("dsseEnvelope")
if envelope is not None:
    public = SSlibKey.from_crypto(load_pem_public_key(open(key_path, "rb").read()))
    # Bundles carry no keyid; securesystemslib only tries keys whose keyid matches.
    signatures = [{"keyid": public.keyid, "sig": s["sig"]} for s in envelope["signatures"]]
    parsed = Envelope.from_dict({"payload": envelope["payload"], "payloadType": envelope["payloadType"], "signatures": signatures})
    parsed.verify([public], 1)
    print("securesystemslib: DSSE envelope verified, payload", len(base64.b64decode(envelope["payload"])), "bytes")
