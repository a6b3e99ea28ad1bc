#!/usr/bin/env python3
"""Checks the inclusion proof of a bundle's first transparency-log entry with sigstore-python's
own Merkle code (sigstore._internal.merkle.verify_merkle_inclusion), independently of Bulla.

  check_inclusion.py BUNDLE   → exit 0 and "sigstore-python: inclusion verified", or exit 1
"""
import json, sys
import sigstore.models as models
from sigstore._internal.merkle import verify_merkle_inclusion

entry = json.load(open(sys.argv[1]))["verificationMaterial"]["tlogEntries"][0]
try:
    verify_merkle_inclusion(models.TransparencyLogEntry(models._TransparencyLogEntry.from_dict(entry)))
except Exception as error:
    print("sigstore-python: rejected:", error, file=sys.stderr)
    sys.exit(1)
print("sigstore-python: inclusion verified")
