#!/usr/bin/env python3
"""A private key in cosign's encrypted format, made from the format's definition, for
`bulla key import-cosign` (spec/keys.md, "Importing a cosign key").

Usage: python3 make_cosign_key.py OUTDIR PASSPHRASE [--name NAME] [--type sigstore|cosign]
           [--algorithm p256|p384|ed25519] [--seed TEXT]
           [--tamper tag|ciphertext] [--kdf-n N|huge] [--wrong-cipher]

Writes OUTDIR/NAME.key (default NAME: cosign) and OUTDIR/NAME.pub, and prints the key ID (lower-case
hex SHA-256 of the public key's SubjectPublicKeyInfo DER) on stdout.

The format, as cosign (pkg/cosign/keys.go) writes it through go-securesystemslib's `encrypted`
package: a PEM block labelled `ENCRYPTED SIGSTORE PRIVATE KEY` (cosign before 2.0:
`ENCRYPTED COSIGN PRIVATE KEY`; --type cosign) whose body is the JSON

  {"kdf":{"name":"scrypt","params":{"N":32768,"r":8,"p":1},"salt":"<base64, 32 bytes>"},
   "cipher":{"name":"nacl/secretbox","nonce":"<base64, 24 bytes>"},
   "ciphertext":"<base64>"}

(Go's encoding/json: no spaces, standard padded base64 for byte strings), where the key is
scrypt(passphrase, salt, N, r, p) of 32 bytes and the ciphertext is NaCl's secretbox
(XSalsa20-Poly1305: the 16-byte Poly1305 tag, then the encrypted bytes) of the DER PKCS#8
PrivateKeyInfo. Here scrypt is hashlib's (OpenSSL) and secretbox is PyNaCl's (libsodium), so
the file does not come from the code that reads it.

The key is fresh (the `cryptography` package), or with --seed derived from TEXT, as are the
salt and nonce: the same arguments then write the same bytes (how spec/vectors/keys/cosign-p256.key
was made).

Hostile variants, for refusal tests (each written as a well-formed file otherwise):
  --tamper tag         the first byte of the Poly1305 tag is flipped;
  --tamper ciphertext  the last byte of the encrypted key is flipped;
  --kdf-n N            kdf.params.N says N ("huge": 2^31). When N is not a power of two from 2
                       to 2^20 the box is sealed with N = 32768's key all the same, so only the
                       parameter is wrong;
  --wrong-cipher       cipher.name is "nacl/secretbox-xchacha20" (nothing of the kind exists).
"""

import argparse
import base64
import hashlib
import json
import os
import sys

import nacl.secret
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

LABELS = {"sigstore": "ENCRYPTED SIGSTORE PRIVATE KEY", "cosign": "ENCRYPTED COSIGN PRIVATE KEY"}
CURVES = {"p256": ec.SECP256R1(), "p384": ec.SECP384R1()}
# go-securesystemslib's defaults ("Legacy"), which cosign uses.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 32768, 8, 1


def seeded(seed, what, length):
    """`length` bytes derived from the seed for one purpose (SHAKE-256 over seed and purpose)."""
    return hashlib.shake_256(f"{seed}\0{what}".encode()).digest(length)


def private_key(algorithm, seed):
    if algorithm == "ed25519":
        if seed is None:
            return ed25519.Ed25519PrivateKey.generate()
        return ed25519.Ed25519PrivateKey.from_private_bytes(seeded(seed, "key", 32))
    curve = CURVES[algorithm]
    if seed is None:
        return ec.generate_private_key(curve)
    # A scalar from 64 seeded bytes, reduced into [1, order - 1].
    order = {"p256": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
             "p384": int("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF"
                         "581A0DB248B0A77AECEC196ACCC52973", 16)}[algorithm]
    scalar = int.from_bytes(seeded(seed, "key", 64), "big") % (order - 1) + 1
    return ec.derive_private_key(scalar, curve)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir")
    parser.add_argument("passphrase")
    parser.add_argument("--name", default="cosign")
    parser.add_argument("--type", choices=sorted(LABELS), default="sigstore")
    parser.add_argument("--algorithm", choices=["p256", "p384", "ed25519"], default="p256")
    parser.add_argument("--seed")
    parser.add_argument("--tamper", choices=["tag", "ciphertext"])
    parser.add_argument("--kdf-n")
    parser.add_argument("--wrong-cipher", action="store_true")
    args = parser.parse_args()

    key = private_key(args.algorithm, args.seed)
    pkcs8 = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
    spki = key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)

    salt = os.urandom(32) if args.seed is None else seeded(args.seed, "salt", 32)
    nonce = os.urandom(24) if args.seed is None else seeded(args.seed, "nonce", 24)
    n = SCRYPT_N
    if args.kdf_n is not None:
        n = 2 ** 31 if args.kdf_n == "huge" else int(args.kdf_n)
    usable = 2 <= n <= 2 ** 20 and n & (n - 1) == 0
    box_key = hashlib.scrypt(args.passphrase.encode(), salt=salt, n=n if usable else SCRYPT_N,
                             r=SCRYPT_R, p=SCRYPT_P, maxmem=2 ** 31 - 1, dklen=32)
    # PyNaCl's encrypt returns nonce || tag || encrypted bytes; the file holds tag || encrypted.
    sealed = bytearray(nacl.secret.SecretBox(box_key).encrypt(pkcs8, nonce).ciphertext)
    assert len(sealed) == len(pkcs8) + nacl.secret.SecretBox.MACBYTES
    if args.tamper == "tag":
        sealed[0] ^= 0x01
    elif args.tamper == "ciphertext":
        sealed[-1] ^= 0x01

    document = {
        "kdf": {"name": "scrypt", "params": {"N": n, "r": SCRYPT_R, "p": SCRYPT_P},
                "salt": base64.b64encode(salt).decode()},
        "cipher": {"name": "nacl/secretbox-xchacha20" if args.wrong_cipher else "nacl/secretbox",
                   "nonce": base64.b64encode(nonce).decode()},
        "ciphertext": base64.b64encode(bytes(sealed)).decode(),
    }
    body = base64.b64encode(json.dumps(document, separators=(",", ":")).encode()).decode()
    label = LABELS[args.type]
    lines = [f"-----BEGIN {label}-----"] + [body[i:i + 64] for i in range(0, len(body), 64)]
    lines.append(f"-----END {label}-----")

    os.makedirs(args.outdir, exist_ok=True)
    base = os.path.join(args.outdir, args.name)
    with open(base + ".key", "w") as out:
        out.write("\n".join(lines) + "\n")
    os.chmod(base + ".key", 0o600)
    with open(base + ".pub", "wb") as out:
        out.write(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                serialization.PublicFormat.SubjectPublicKeyInfo))
    print(hashlib.sha256(spki).hexdigest())


if __name__ == "__main__":
    sys.exit(main())
