#!/usr/bin/env python3
"""Checks an in-toto Statement v1 with a peer nobody here wrote.

usage: check_statement.py STATEMENT.json

1. protobuf's json_format reads the JSON into in-toto-attestation's Statement
   message (wrong field types are errors; unknown fields are ignored, as the
   in-toto parsing rules require of consumers).
2. in-toto-attestation's Statement.validate(): _type is
   "https://in-toto.io/Statement/v1", at least one subject, each subject has a
   name, uri or digest and at least one digest, predicateType and a
   non-empty predicate are set.
3. The Python binding (0.9.x) does not check digest values; the project's Go
   binding does, so its rule is repeated here: for the fixed-size algorithms
   below the value must be hex of exactly that many bytes (hex of either
   case, as Go's hex.DecodeString accepts); other algorithms pass.
Exit 0 when valid; 1 with the reason on stderr; 2 on usage.
"""
import re, sys

from google.protobuf import json_format
from in_toto_attestation.v1 import statement_pb2
from in_toto_attestation.v1.statement import Statement

# Digest sizes in bytes, as in in-toto/attestation go/v1/resource_descriptor.go.
DIGEST_BYTES = {
    "md5": 16, "sha1": 20, "gitCommit": 20, "sha224": 28, "sha512_224": 28,
    "sha3_224": 28, "sha256": 32, "sha512_256": 32, "sha3_256": 32,
    "dirHash": 32, "sha384": 48, "sha3_384": 48, "sha512": 64, "sha3_512": 64,
}


def check_digests(statement):
    for i, subject in enumerate(statement.pb.subject):
        for algorithm, value in subject.digest.items():
            size = DIGEST_BYTES.get(algorithm)
            if size is None:
                continue
            if not re.fullmatch(r"(?:[0-9a-fA-F]{2})*", value):
                raise ValueError(f"subject {i}: digest {algorithm} is not hex")
            if len(value) != 2 * size:
                raise ValueError(f"subject {i}: digest {algorithm} has {len(value) // 2} bytes, want {size}")


def main(argv):
    if len(argv) != 1:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        message = json_format.Parse(open(argv[0], encoding="utf-8").read(), statement_pb2.Statement(),
                                    ignore_unknown_fields=True)
        statement = Statement.copy_from_pb(message)
        statement.validate()
        check_digests(statement)
    except (json_format.ParseError, ValueError) as e:
        print(f"check_statement: invalid: {e}", file=sys.stderr)
        return 1
    print(f"in-toto-attestation: valid Statement v1, {len(statement.pb.subject)} subject(s), "
          f"predicateType {statement.pb.predicate_type}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
