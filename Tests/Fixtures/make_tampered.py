#!/usr/bin/env python3
"""Tampered signatures for Bulla's verification-refusal tests.

Usage: python3 make_tampered.py BULLA_BINARY OUTDIR

Writes into OUTDIR:
  * base/: a small valid OCI image layout with two images, tagged "v1" and "other";
  * keys/: key pairs made by `bulla key generate` (passphrase "pw"): p256 (the signer), p256b
    (a second trusted signer, for thresholds), p384, ed25519, and stranger (a P-256 key that
    trusts nothing and is trusted by nobody);
  * signed/: copies of base signed by `bulla sign` (cosign v3 bundle referrers and legacy
    `.sig` signatures), and bundles/: detached bundles made with `--output-bundle` and
    `sign-blob`;
  * cases/: one copy of a signed layout (or one detached bundle file) per case, each with
    exactly one mutation. Blob digests are kept consistent wherever the point is the signature
    or the signed payload: a changed blob is written under its new digest and every descriptor
    up to index.json is rewritten, so only the check under test can fail;
  * cases.json: a list of {"name", "what", "args", "expect_status", "expect"}. `args` is the
    argv after the binary, with paths relative to OUTDIR; run from OUTDIR, bulla must exit with
    `expect_status` and print `expect` (case-sensitive) on stdout or stderr. Status 1 is
    "verification failed" (each signature's reason on stdout as "no   ORIGIN: REASON"), 3 is
    "input malformed" (a detached bundle that does not parse), 0 marks a control that must
    verify (an untrusted field that lies must not matter);
  * reported.json: cases where Bulla's current answer is questionable (a vague reason, a
    departure from other verifiers), {"name", "what", "args", "problem"}; they are printed with
    Bulla's output, not checked.

Payloads whose *content* is the point (a statement with no subject, a legacy payload of another
critical.type…) are re-signed here with the signer's private key through the `cryptography`
package, exactly as Bulla signs (DSSE PAE; ECDSA P-256 with SHA-256, DER), so the signature
check passes and the payload check under test is what refuses it.

Finally every case is run against BULLA_BINARY and checked; the script exits 1 if any case
does not behave as cases.json says. Keys and signatures differ per run (ECDSA is randomised);
the set of cases, their arguments and expectations do not. Runs in a few seconds.
"""

import base64
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
REF_NAME = "org.opencontainers.image.ref.name"
BUNDLE_V03 = "application/vnd.dev.sigstore.bundle.v0.3+json"
SIMPLESIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
SIG_ANNOTATION = "dev.cosignproject.cosign/signature"
INTOTO = "application/vnd.in-toto+json"
STATEMENT_V1 = "https://in-toto.io/Statement/v1"
COSIGN_SIGN = "https://sigstore.dev/cosign/sign/v1"
LEGACY_TYPE = "cosign container image signature"
IDENTITY = "registry.example/app"
PASSWORD = "pw"


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def compact(value):
    return json.dumps(value, separators=(",", ":")).encode()


def b64(data):
    return base64.b64encode(data).decode()


def unb64(text):
    return base64.b64decode(text, validate=True)


def flip(data, at=None):
    """`data` with one bit flipped, by default in the middle."""
    data = bytearray(data)
    at = len(data) // 2 if at is None else at
    data[at] ^= 0x01
    return bytes(data)


# --- the image layout --------------------------------------------------------------------------


def tar_gz(files):
    """A deterministic gzip'd tar of {name: bytes}, and the uncompressed tar's digest."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 1700000000, 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            tar.addfile(info, io.BytesIO(data))
    plain = raw.getvalue()
    return gzip.compress(plain, mtime=0), "sha256:" + sha256(plain)


class Layout:
    """An OCI image layout directory, read and rewritten blob by blob."""

    def __init__(self, root):
        self.root = root

    def put(self, data):
        hexdigest = sha256(data)
        directory = os.path.join(self.root, "blobs", "sha256")
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, hexdigest), "wb") as f:
            f.write(data)
        return "sha256:" + hexdigest

    def blob_path(self, digest):
        return os.path.join(self.root, "blobs", "sha256", digest.split(":", 1)[1])

    def get(self, digest):
        with open(self.blob_path(digest), "rb") as f:
            return f.read()

    def descriptor(self, media_type, data, **extra):
        return dict(mediaType=media_type, digest=self.put(data), size=len(data), **extra)

    @property
    def index(self):
        with open(os.path.join(self.root, "index.json"), "rb") as f:
            return json.loads(f.read())

    @index.setter
    def index(self, value):
        with open(os.path.join(self.root, "index.json"), "wb") as f:
            f.write(compact(value))

    def tagged(self, tag):
        return next(e for e in self.index["manifests"] if e.get("annotations", {}).get(REF_NAME) == tag)

    def manifest(self, entry):
        return json.loads(self.get(entry["digest"]))

    def referrers(self, subject):
        """Index entries of bundle referrers whose manifest's subject is `subject`."""
        return [e for e in self.index["manifests"]
                if e.get("artifactType") == BUNDLE_V03 and self.manifest(e)["subject"]["digest"] == subject]

    def replace_entry(self, old, new):
        index = self.index
        index["manifests"] = [new if e == old else e for e in index["manifests"]]
        self.index = index

    def rewrite_manifest(self, entry, change):
        """Applies `change` to the manifest `entry` names; writes it under its new digest and
        points the index entry at it."""
        manifest = self.manifest(entry)
        change(manifest)
        data = compact(manifest)
        new = dict(entry, digest=self.put(data), size=len(data))
        self.replace_entry(entry, new)
        return new

    def rewrite_referrer_bundle(self, subject, change):
        """Rewrites the bundle of the (only) referrer of `subject`: change(bytes) -> bytes."""
        (entry,) = self.referrers(subject)

        def edit(manifest):
            layer = manifest["layers"][0]
            data = change(self.get(layer["digest"]))
            layer["digest"], layer["size"] = self.put(data), len(data)
        return self.rewrite_manifest(entry, edit)

    def rewrite_legacy(self, subject, change, layer_number=0):
        """Rewrites layer `layer_number` of the `.sig` manifest of `subject`:
        change(payload, annotations) -> payload, with the annotations edited in place."""
        entry = self.tagged(subject.replace(":", "-") + ".sig")

        def edit(manifest):
            layer = manifest["layers"][layer_number]
            old = layer["digest"]
            payload = change(self.get(old), layer.setdefault("annotations", {}))
            layer["digest"], layer["size"] = self.put(payload), len(payload)
            # cosign's .sig config lists the layers as diff_ids: keep it truthful too.
            config = json.loads(self.get(manifest["config"]["digest"]))
            config["rootfs"]["diff_ids"] = [layer["digest"] if d == old else d for d in config["rootfs"]["diff_ids"]]
            data = compact(config)
            manifest["config"]["digest"], manifest["config"]["size"] = self.put(data), len(data)
        return self.rewrite_manifest(entry, edit)


def make_base(root):
    """Two small images, "v1" and "other"; returns their manifest digests."""
    layout = Layout(root)
    os.makedirs(root)
    with open(os.path.join(root, "oci-layout"), "wb") as f:
        f.write(compact({"imageLayoutVersion": "1.0.0"}))
    entries = []
    for tag, arch, text in (("v1", "amd64", b"hello from v1\n"), ("other", "arm64", b"hello from other\n")):
        layer, diff_id = tar_gz({"hello.txt": text})
        config = compact({"architecture": arch, "os": "linux", "config": {},
                          "rootfs": {"type": "layers", "diff_ids": [diff_id]}})
        manifest = compact({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                            "config": layout.descriptor(OCI_CONFIG, config),
                            "layers": [layout.descriptor(OCI_LAYER_GZIP, layer)]})
        entries.append(layout.descriptor(OCI_MANIFEST, manifest, annotations={REF_NAME: tag}))
    layout.index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}
    return entries[0]["digest"], entries[1]["digest"]


# --- signing as Bulla signs, for payloads whose content is under test --------------------------


class Signer:
    def __init__(self, key_file):
        with open(key_file, "rb") as f:
            self.key = serialization.load_pem_private_key(f.read(), PASSWORD.encode())
        assert isinstance(self.key, ec.EllipticCurvePrivateKey) and self.key.curve.name == "secp256r1"

    def sign(self, message):
        return self.key.sign(message, ec.ECDSA(hashes.SHA256()))

    def dsse(self, payload, payload_type=INTOTO):
        pae = b"DSSEv1 %d %s %d %s" % (len(payload_type.encode()), payload_type.encode(), len(payload), payload)
        return {"payload": b64(payload), "payloadType": payload_type, "signatures": [{"sig": b64(self.sign(pae))}]}


def statement(digest, annotations=None):
    """The statement `bulla sign` writes for `digest`, as a dict to tamper with."""
    return {"_type": STATEMENT_V1,
            "subject": [{"digest": {"sha256": digest.split(":", 1)[1]}, "annotations": annotations or {}}],
            "predicateType": COSIGN_SIGN, "predicate": {}}


def legacy_payload(digest, identity=IDENTITY, optional=None):
    return {"critical": {"identity": {"docker-reference": identity},
                         "image": {"docker-manifest-digest": digest},
                         "type": LEGACY_TYPE},
            "optional": optional}


# --- the generator -----------------------------------------------------------------------------


class Generator:
    def __init__(self, bulla, out):
        self.bulla = os.path.abspath(bulla)
        self.out = os.path.abspath(out)
        self.cases = []
        # Cases where Bulla refuses, but for a reason that is vague or misleading, or where it
        # departs from what other verifiers do: written to reported.json with the problem, not
        # to cases.json, until Bulla's behaviour is settled.
        self.reported = []
        self.env = dict(os.environ, BULLA_PASSWORD=PASSWORD)

    def run(self, *args):
        result = subprocess.run([self.bulla, *args], cwd=self.out, env=self.env, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"bulla {' '.join(args)} failed ({result.returncode}): {result.stdout}{result.stderr}")
        return result.stdout

    def path(self, *parts):
        return os.path.join(self.out, *parts)

    def copy(self, source, name):
        """cases/NAME: a copy of the layout at `source` (relative to OUTDIR)."""
        target = self.path("cases", name)
        shutil.copytree(self.path(source), target)
        return Layout(target)

    def add(self, name, what, args, status, expect):
        assert all(c["name"] != name for c in self.cases + self.reported), name
        self.cases.append({"name": name, "what": what, "args": args, "expect_status": status, "expect": expect})

    def report(self, name, what, args, problem):
        assert all(c["name"] != name for c in self.cases + self.reported), name
        self.reported.append({"name": name, "what": what, "args": args, "problem": problem})

    def verify(self, name, *extra, tag="v1", key="keys/p256.pub"):
        return ["verify", f"oci:cases/{name}:{tag}", "--key", key, *extra]

    def write_bundle(self, name, data):
        path = f"cases/{name}.bundle"
        with open(self.path(path), "wb") as f:
            f.write(data)
        return path

    # -- setup --

    def setup(self):
        if os.path.exists(self.out):
            # Replace only an earlier output of this script, never an unrelated directory.
            if os.listdir(self.out) and not os.path.exists(self.path("cases.json")):
                sys.exit(f"{self.out} exists and is not an earlier output of this script (no cases.json)")
            shutil.rmtree(self.out)
        os.makedirs(self.path("keys"))
        os.makedirs(self.path("bundles"))
        os.makedirs(self.path("cases"))
        self.v1, self.other = make_base(self.path("base"))
        for name, algorithm in (("p256", "ecdsa-p256"), ("p256b", "ecdsa-p256"), ("p384", "ecdsa-p384"),
                                ("ed25519", "ed25519"), ("stranger", "ecdsa-p256")):
            self.run("key", "generate", "--output-prefix", f"keys/{name}", "--algorithm", algorithm)
        self.signer = Signer(self.path("keys/p256.key"))
        os.makedirs(self.path("signed"))

        def signed(name, *signings):
            shutil.copytree(self.path("base"), self.path("signed", name))
            for tag, args in signings:
                self.run("sign", f"oci:signed/{name}:{tag}", *args)
            return f"signed/{name}"

        p256 = ["--key", "keys/p256.key"]
        legacy = ["--format", "legacy", "--identity", IDENTITY]
        self.bundle_layout = signed("bundle", ("v1", p256 + ["-a", "env=prod"]), ("other", p256 + ["-a", "env=prod"]))
        self.legacy_layout = signed("legacy", ("v1", p256 + legacy + ["-a", "env=prod"]),
                                    ("other", p256 + legacy + ["-a", "env=prod"]))
        self.bundle_plain = signed("bundle-plain", ("v1", p256))
        self.bundle_staging = signed("bundle-staging", ("v1", p256 + ["-a", "env=staging"]))
        self.legacy_plain = signed("legacy-plain", ("v1", p256 + legacy))
        self.legacy_staging = signed("legacy-staging", ("v1", p256 + legacy + ["-a", "env=staging"]))
        self.legacy_elsewhere = signed("legacy-elsewhere", ("v1", p256 + ["--format", "legacy", "--identity", "registry.example/other"]))
        # Two signatures by one key (distinct annotations, so two distinct referrers).
        self.bundle_twice = signed("bundle-twice", ("v1", p256 + ["-a", "env=prod"]), ("v1", p256 + ["-a", "env=prod", "-a", "run=2"]))
        self.legacy_twice = signed("legacy-twice", ("v1", p256 + legacy + ["-a", "env=prod"]),
                                   ("v1", p256 + legacy + ["-a", "env=prod", "-a", "run=2"]))
        self.bundle_two_keys = signed("bundle-two-keys", ("v1", p256), ("v1", ["--key", "keys/p256b.key"]))
        self.bundle_ed25519 = signed("bundle-ed25519", ("v1", ["--key", "keys/ed25519.key"]))
        self.legacy_p384 = signed("legacy-p384", ("v1", ["--key", "keys/p384.key"] + legacy))

        self.run("sign", "oci:base:v1", *p256, "-a", "env=prod", "--output-bundle", "bundles/v1.bundle")
        self.run("sign", "oci:base:other", *p256, "-a", "env=prod", "--output-bundle", "bundles/other.bundle")
        self.run("sign", "oci:base:v1", "--key", "keys/p384.key", "--output-bundle", "bundles/v1-p384.bundle")
        with open(self.path("bundles/blob.txt"), "wb") as f:
            f.write(b"a file signed with sign-blob\n")
        self.run("sign-blob", "bundles/blob.txt", *p256, "--output-bundle", "bundles/blob.bundle")
        self.v1_hex12 = self.v1.split(":")[1][:12]
        self.other_hex12 = self.other.split(":")[1][:12]

    def read(self, path):
        with open(self.path(path), "rb") as f:
            return f.read()

    # -- cases: cosign v3 bundle referrers in the layout --

    def referrer_cases(self):
        src, v1, other = self.bundle_layout, self.v1, self.other
        not_verified = "signature does not verify with any trusted key"

        def bundle_case(name, what, change, status, expect, *extra):
            self.copy(src, name).rewrite_referrer_bundle(v1, change)
            self.add(name, what, self.verify(name, *extra), status, expect)

        def envelope_change(edit):
            def change(data):
                bundle = json.loads(data)
                edit(bundle, bundle["dsseEnvelope"])
                return compact(bundle)
            return change

        def resigned(make_envelope):
            """A bundle whose envelope is re-signed with the trusted key."""
            def change(data):
                bundle = json.loads(data)
                bundle["dsseEnvelope"] = make_envelope()
                return compact(bundle)
            return change

        self.copy(src, "control-referrer")
        self.add("control-referrer", "untampered bundle referrer, with the required annotation",
                 self.verify("control-referrer", "-a", "env=prod"), 0, "valid signature by trusted key")

        def flip_payload(b, env):
            env["payload"] = b64(flip(unb64(env["payload"])))
        bundle_case("referrer-payload-byte-flipped", "one bit of the DSSE payload flipped", envelope_change(flip_payload), 1, not_verified)

        def set_type(b, env):
            env["payloadType"] = "application/json"
        bundle_case("referrer-payloadtype-changed", "payloadType changed after signing (PAE covers it)", envelope_change(set_type), 1, "payloadType is application/json, not application/vnd.in-toto+json")

        def annotation_edit(b, env):
            s = json.loads(unb64(env["payload"]))
            s["subject"][0]["annotations"]["env"] = "dev"
            env["payload"] = b64(compact(s))
        bundle_case("referrer-annotation-tampered", "signed annotation env=prod rewritten to dev, not re-signed",
                    envelope_change(annotation_edit), 1, not_verified, "-a", "env=prod")

        def sig_edit(edit):
            def apply(b, env):
                env["signatures"][0]["sig"] = edit(env["signatures"][0]["sig"])
            return envelope_change(apply)
        bundle_case("referrer-sig-byte-flipped", "one bit of the DER signature flipped",
                    sig_edit(lambda s: b64(flip(unb64(s)))), 1, not_verified)
        bundle_case("referrer-sig-der-truncated", "DER signature missing its last 3 bytes",
                    sig_edit(lambda s: b64(unb64(s)[:-3])), 1, not_verified)
        bundle_case("referrer-sig-der-padded", "DER signature followed by 2 zero bytes",
                    sig_edit(lambda s: b64(unb64(s) + b"\0\0")), 1, not_verified)
        bundle_case("referrer-sig-empty", "signature string empty",
                    sig_edit(lambda s: ""), 1, "unreadable: bundle dsseEnvelope signature 0 is missing or not base64")
        bundle_case("referrer-sig-not-base64", "signature not base64",
                    sig_edit(lambda s: "*" + s[1:]), 1, "unreadable: bundle dsseEnvelope signature 0 is missing or not base64")

        def no_sigs(b, env):
            env["signatures"] = []
        bundle_case("referrer-dsse-zero-signatures", "DSSE envelope with an empty signatures list",
                    envelope_change(no_sigs), 1, "unreadable: bundle dsseEnvelope has no signatures")

        def two_sigs(b, env):
            env["signatures"].append(dict(env["signatures"][0]))
        bundle_case("referrer-dsse-two-signatures", "DSSE envelope with two signatures",
                    envelope_change(two_sigs), 1, "bundle dsseEnvelope has 2 signatures; a bundle carries exactly one")

        def payload_not_b64(b, env):
            env["payload"] = "%" + env["payload"][1:]
        bundle_case("referrer-payload-not-base64", "DSSE payload not base64",
                    envelope_change(payload_not_b64), 1, "bundle dsseEnvelope payload is missing or not base64")

        def no_payload_type(b, env):
            del env["payloadType"]
        bundle_case("referrer-payloadtype-missing", "DSSE envelope without payloadType",
                    envelope_change(no_payload_type), 1, "bundle dsseEnvelope has no payloadType string")

        def media_type(b, env):
            b["mediaType"] = "application/vnd.dev.sigstore.bundle.v9.9+json"
        bundle_case("referrer-bundle-mediatype-unknown", "bundle mediaType v9.9",
                    envelope_change(media_type), 1, "bundle media type \"application/vnd.dev.sigstore.bundle.v9.9+json\" is not a Sigstore bundle")

        def both(b, env):
            b["messageSignature"] = {"messageDigest": {"algorithm": "SHA2_256", "digest": b64(bytes.fromhex(v1.split(":")[1]))},
                                     "signature": env["signatures"][0]["sig"]}
        bundle_case("referrer-bundle-both-contents", "bundle with both dsseEnvelope and messageSignature",
                    envelope_change(both), 1, "bundle has both dsseEnvelope and messageSignature")

        def neither(data):
            bundle = json.loads(data)
            del bundle["dsseEnvelope"]
            return compact(bundle)
        bundle_case("referrer-bundle-no-content", "bundle with neither dsseEnvelope nor messageSignature",
                    neither, 1, "bundle has neither dsseEnvelope nor messageSignature")

        def no_material(b, env):
            del b["verificationMaterial"]
        bundle_case("referrer-bundle-no-material", "bundle without verificationMaterial",
                    envelope_change(no_material), 1, "bundle has no verificationMaterial")

        bundle_case("referrer-bundle-not-json", "bundle blob is not JSON",
                    lambda data: b"not json " + data, 1, "bundle is not JSON")

        bundle_case("referrer-message-signature", "a sign-blob (messageSignature) bundle as the referrer's layer",
                    lambda data: self.read("bundles/blob.bundle"), 1,
                    "bundle holds a message signature, not a DSSE image signature")

        # Re-signed statements: the signature verifies, the statement is what is wrong.
        def st(change=None, payload_type=INTOTO, raw=None):
            def make():
                s = statement(v1, {"env": "prod"})
                if change:
                    change(s)
                return self.signer.dsse(raw if raw is not None else compact(s), payload_type)
            return resigned(make)

        self.copy(src, "control-referrer-resigned").rewrite_referrer_bundle(v1, st())
        self.add("control-referrer-resigned", "the statement re-signed here unchanged: proves the re-signing is sound",
                 self.verify("control-referrer-resigned", "-a", "env=prod"), 0, "valid signature by trusted key")

        bundle_case("referrer-payloadtype-wrong-signed", "payloadType application/json, validly signed",
                    st(payload_type="application/json"), 1,
                    "payloadType is application/json, not application/vnd.in-toto+json")
        bundle_case("referrer-subject-other-image", "signed statement naming the other image",
                    st(lambda s: s["subject"][0]["digest"].update(sha256=other.split(":")[1])), 1,
                    f"signs {self.other}, not this image {self.v1}")
        bundle_case("referrer-subject-sha512-only", "signed statement whose only subject digest is sha512",
                    st(lambda s: s["subject"][0].update(digest={"sha512": "ab" * 64})), 1,
                    f"signs sha512:{'ab' * 64}, not this image {self.v1}")
        bundle_case("referrer-subject-uppercase-hex", "signed statement naming this image in upper-case hex",
                    st(lambda s: s["subject"][0]["digest"].update(sha256=v1.split(":")[1].upper())), 1,
                    f"signs sha256:{self.v1.split(':')[1].upper()}, not this image {self.v1}")
        bundle_case("referrer-subject-missing", "signed statement without a subject member",
                    st(lambda s: s.pop("subject")), 1, "in-toto statement has no subject")
        bundle_case("referrer-subject-empty-list", "signed statement with subject []",
                    st(lambda s: s.update(subject=[])), 1, "in-toto statement has no subject")
        bundle_case("referrer-subject-digest-empty", "signed statement whose subject digest is {}",
                    st(lambda s: s["subject"][0].update(digest={})), 1, "in-toto statement subject has no digest")
        bundle_case("referrer-subject-digest-not-string", "signed statement whose sha256 digest is a number",
                    st(lambda s: s["subject"][0].update(digest={"sha256": 1})), 1, "in-toto subject digest sha256 is not a string")
        bundle_case("referrer-predicatetype-attestation", "signed statement with predicate type SLSA provenance",
                    st(lambda s: s.update(predicateType="https://slsa.dev/provenance/v1")), 1,
                    "predicate type is https://slsa.dev/provenance/v1, not an image signature")
        bundle_case("referrer-predicatetype-missing", "signed statement without predicateType",
                    st(lambda s: s.pop("predicateType")), 1, "in-toto statement has no predicateType")
        bundle_case("referrer-type-unknown", "signed statement with _type https://in-toto.io/Statement/v2",
                    st(lambda s: s.update(_type="https://in-toto.io/Statement/v2")), 1,
                    "in-toto statement _type is \"https://in-toto.io/Statement/v2\"")
        bundle_case("referrer-type-missing", "signed statement without _type",
                    st(lambda s: s.pop("_type")), 1, "in-toto statement _type is missing")
        bundle_case("referrer-statement-not-json", "signed payload that is not JSON",
                    st(raw=b"sha256:" + v1.split(":")[1].encode()), 1, "in-toto statement is not JSON")

        # Untrusted places that lie.
        def lying_hint(data):
            bundle = json.loads(data)
            bundle["verificationMaterial"]["publicKey"]["hint"] = self.hint("keys/stranger.pub")
            return compact(bundle)
        self.copy(src, "control-referrer-hint-lies").rewrite_referrer_bundle(v1, lying_hint)
        self.add("control-referrer-hint-lies", "key hint names the stranger key; the right key must still verify",
                 self.verify("control-referrer-hint-lies"), 0, "valid signature by trusted key")
        self.copy(src, "referrer-hint-names-trusted-key").rewrite_referrer_bundle(v1, lying_hint)
        self.add("referrer-hint-names-trusted-key", "key hint names the trusted stranger key, which did not sign",
                 self.verify("referrer-hint-names-trusted-key", key="keys/stranger.pub"), 1, not_verified)

        def lying_keyid(b, env):
            env["signatures"][0]["keyid"] = "stranger"
        self.copy(src, "control-referrer-keyid-lies").rewrite_referrer_bundle(v1, envelope_change(lying_keyid))
        self.add("control-referrer-keyid-lies", "DSSE keyid names another key; the signature is what counts",
                 self.verify("control-referrer-keyid-lies"), 0, "valid signature by trusted key")

        # Annotations.
        self.copy(self.bundle_staging, "referrer-annotation-other-value")
        self.add("referrer-annotation-other-value", "signed with env=staging, env=prod required",
                 self.verify("referrer-annotation-other-value", "-a", "env=prod"), 1,
                 "annotation env is \"staging\", required \"prod\"")
        self.copy(self.bundle_plain, "referrer-annotation-missing")
        self.add("referrer-annotation-missing", "signed without annotations, env=prod required",
                 self.verify("referrer-annotation-missing", "-a", "env=prod"), 1, "annotation env is missing, required \"prod\"")
        layout = self.copy(self.bundle_plain, "referrer-annotation-unsigned-place")
        (entry,) = layout.referrers(v1)
        new = layout.rewrite_manifest(entry, lambda m: m["annotations"].update(env="prod"))
        layout.replace_entry(new, dict(new, annotations=dict(new["annotations"], env="prod")))
        self.add("referrer-annotation-unsigned-place", "env=prod only on the referrer manifest and its index entry, not signed",
                 self.verify("referrer-annotation-unsigned-place", "-a", "env=prod"), 1, "annotation env is missing, required \"prod\"")

        # Keys.
        self.copy(src, "referrer-wrong-key")
        self.add("referrer-wrong-key", "verified with an unrelated P-256 key",
                 self.verify("referrer-wrong-key", key="keys/stranger.pub"), 1, not_verified)
        self.copy(src, "referrer-key-p384")
        self.add("referrer-key-p384", "P-256 signature verified with a P-384 key",
                 self.verify("referrer-key-p384", key="keys/p384.pub"), 1, not_verified)
        self.copy(self.bundle_ed25519, "referrer-ed25519-with-p256-key")
        self.add("referrer-ed25519-with-p256-key", "Ed25519 signature verified with a P-256 key",
                 self.verify("referrer-ed25519-with-p256-key"), 1, not_verified)
        self.copy(self.bundle_ed25519, "referrer-ed25519-sig-flipped").rewrite_referrer_bundle(
            v1, envelope_change(lambda b, env: env["signatures"][0].update(sig=b64(flip(unb64(env["signatures"][0]["sig"]))))))
        self.add("referrer-ed25519-sig-flipped", "one bit of an Ed25519 signature flipped",
                 self.verify("referrer-ed25519-sig-flipped", key="keys/ed25519.pub"), 1, not_verified)

        # Thresholds.
        self.copy(self.bundle_twice, "threshold-one-key-two-referrers")
        self.add("threshold-one-key-two-referrers", "two referrers by one key; threshold 2 of p256, p256b",
                 self.verify("threshold-one-key-two-referrers", "--key", "keys/p256b.pub", "--threshold", "2"), 1,
                 "is already counted")
        self.copy(self.bundle_twice, "threshold-same-key-twice")
        self.add("threshold-same-key-twice", "one key given twice as --key cannot make a threshold of 2",
                 self.verify("threshold-same-key-twice", "--key", "keys/p256.pub", "--threshold", "2"), 2,
                 "threshold 2 cannot be met by 1 distinct key(s)")
        self.copy(self.bundle_two_keys, "control-threshold-two-keys")
        self.add("control-threshold-two-keys", "signed by p256 and p256b; threshold 2 is met",
                 self.verify("control-threshold-two-keys", "--key", "keys/p256b.pub", "--threshold", "2"), 0,
                 "2 of 2 required trusted key(s)")

        # Where the signature is found.
        layout = self.copy(src, "referrer-copied-from-other-image")
        (v1_entry,) = layout.referrers(v1)
        (other_entry,) = layout.referrers(other)
        v1_subject = layout.manifest(v1_entry)["subject"]
        index = layout.index
        index["manifests"].remove(v1_entry)
        layout.index = index
        layout.rewrite_manifest(other_entry, lambda m: m.update(subject=v1_subject))
        self.add("referrer-copied-from-other-image", "the other image's referrer, its subject set to this image",
                 self.verify("referrer-copied-from-other-image"), 1,
                 f"signs {self.other}, not this image {self.v1}")

        layout = self.copy(src, "referrer-subject-is-other-image")
        (entry,) = layout.referrers(v1)
        other_subject = layout.manifest(layout.referrers(other)[0])["subject"]
        layout.rewrite_manifest(entry, lambda m: m.update(subject=other_subject))
        self.add("referrer-subject-is-other-image", "this image's referrer re-pointed at the other image: not a signature of this one",
                 self.verify("referrer-subject-is-other-image"), 1, "0 trusted key(s) signed, 1 required (0 signature(s) found)")

        layout = self.copy(src, "referrer-fallback-tag-other-image")
        (entry,) = layout.referrers(v1)
        (other_entry,) = layout.referrers(other)
        fallback = compact({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [other_entry]})
        index = layout.index
        index["manifests"].remove(entry)
        index["manifests"].append(layout.descriptor(OCI_INDEX, fallback, annotations={REF_NAME: v1.replace(":", "-")}))
        layout.index = index
        self.add("referrer-fallback-tag-other-image", "the sha256-<hex> fallback tag of this image lists the other image's referrer",
                 self.verify("referrer-fallback-tag-other-image"), 1, "0 trusted key(s) signed, 1 required (0 signature(s) found)")

        layout = self.copy(src, "referrer-layer-blob-missing")
        (entry,) = layout.referrers(v1)
        layer = layout.manifest(entry)["layers"][0]["digest"]
        os.remove(layout.blob_path(layer))
        self.add("referrer-layer-blob-missing", "the referrer's bundle blob deleted",
                 self.verify("referrer-layer-blob-missing"), 1, f"unreadable: blob {layer} is missing from")

        layout = self.copy(src, "referrer-manifest-blob-missing")
        (entry,) = layout.referrers(v1)
        os.remove(layout.blob_path(entry["digest"]))
        self.add("referrer-manifest-blob-missing", "the referrer manifest blob deleted",
                 self.verify("referrer-manifest-blob-missing"), 1, f"unreadable: blob {entry['digest']} is missing from")

        layout = self.copy(src, "referrer-layer-edited-in-place")
        (entry,) = layout.referrers(v1)
        layer = layout.manifest(entry)["layers"][0]["digest"]
        path = layout.blob_path(layer)
        with open(path, "rb") as f:
            data = f.read()
        with open(path, "wb") as f:
            f.write(data.replace(b"vnd.dev.sigstore", b"vnd.dev.sigstorE"))
        self.add("referrer-layer-edited-in-place", "bundle blob edited without renaming it: digest mismatch",
                 self.verify("referrer-layer-edited-in-place"), 1, f"unreadable: blob {layer} in")

    def referrer_reports(self):
        src, v1 = self.bundle_layout, self.v1
        layout = self.copy(src, "referrer-layer-not-a-bundle")
        (entry,) = layout.referrers(v1)
        layout.rewrite_manifest(entry, lambda m: m["layers"][0].update(mediaType="application/octet-stream"))
        self.add("referrer-layer-not-a-bundle", "a bundle referrer (artifactType says so) whose only layer has another media type",
                 self.verify("referrer-layer-not-a-bundle"), 1, "no layer is one")

        def duplicate(data):
            bundle = json.loads(data)
            payload = ('{"_type":"%s","subject":[{"digest":{"sha256":"%s"},"annotations":{"env":"dev","env":"prod"}}],'
                       '"predicateType":"%s","predicate":{}}' % (STATEMENT_V1, v1.split(":")[1], COSIGN_SIGN)).encode()
            bundle["dsseEnvelope"] = self.signer.dsse(payload)
            return compact(bundle)
        self.copy(src, "referrer-annotation-duplicate-key").rewrite_referrer_bundle(v1, duplicate)
        # One signed statement must not mean two things to two parsers: refused outright.
        self.add("referrer-annotation-duplicate-key", "signed statement whose subject annotations say env twice: dev, then prod",
                 self.verify("referrer-annotation-duplicate-key", "-a", "env=dev"), 1, "repeats the member \"env\"")

    def image_cases(self):
        layout = self.copy(self.bundle_layout, "image-manifest-swapped")
        v1, other = layout.tagged("v1"), layout.tagged("other")
        shutil.copyfile(layout.blob_path(other["digest"]), layout.blob_path(v1["digest"]))
        self.add("image-manifest-swapped", "the signed image's manifest blob replaced by the other image's manifest (same size)",
                 self.verify("image-manifest-swapped"), 3, f"content hashes to {other['digest']}")

    def hint(self, public_pem):
        spki = serialization.load_pem_public_key(self.read(public_pem)).public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return b64(hashlib.sha256(spki).digest())

    # -- cases: cosign legacy .sig --

    def legacy_cases(self):
        src, v1, other = self.legacy_layout, self.v1, self.other
        not_verified = "signature does not verify with any trusted key"
        ident = ["--identity", IDENTITY]

        def legacy_case(name, what, change, status, expect, *extra, source=src):
            self.copy(source, name).rewrite_legacy(v1, change)
            self.add(name, what, self.verify(name, *ident, *extra), status, expect)

        def legacy_report(name, what, change, problem, *extra, source=src):
            self.copy(source, name).rewrite_legacy(v1, change)
            self.report(name, what, self.verify(name, *extra), problem)

        def sig_edit(edit):
            def change(payload, annotations):
                annotations[SIG_ANNOTATION] = edit(annotations[SIG_ANNOTATION])
                return payload
            return change

        def resigned(make):
            def change(payload, annotations):
                new = make()
                annotations[SIG_ANNOTATION] = b64(self.signer.sign(new))
                return new
            return change

        def lp(change=None):
            def make():
                p = legacy_payload(v1, optional={"env": "prod"})
                if change:
                    change(p)
                return compact(p)
            return resigned(make)

        self.copy(src, "control-legacy")
        self.add("control-legacy", "untampered legacy signature, with identity and annotation",
                 self.verify("control-legacy", *ident, "-a", "env=prod"), 0, "valid signature by trusted key")
        self.copy(src, "control-legacy-resigned").rewrite_legacy(v1, lp())
        self.add("control-legacy-resigned", "the legacy payload re-signed here unchanged: proves the re-signing is sound",
                 self.verify("control-legacy-resigned", *ident, "-a", "env=prod"), 0, "valid signature by trusted key")

        legacy_case("legacy-payload-byte-flipped", "one bit of the payload flipped (blob renamed, descriptors fixed)",
                    lambda p, a: flip(p), 1, not_verified)
        legacy_case("legacy-payload-whitespace", "a space added to the payload: same JSON, other bytes",
                    lambda p, a: p + b" ", 1, not_verified)
        legacy_case("legacy-sig-byte-flipped", "one bit of the DER signature flipped",
                    sig_edit(lambda s: b64(flip(unb64(s)))), 1, not_verified)
        legacy_case("legacy-sig-der-truncated", "DER signature missing its last 3 bytes",
                    sig_edit(lambda s: b64(unb64(s)[:-3])), 1, not_verified)
        legacy_case("legacy-sig-der-padded", "DER signature followed by 2 zero bytes",
                    sig_edit(lambda s: b64(unb64(s) + b"\0\0")), 1, not_verified)
        legacy_case("legacy-sig-empty", "signature annotation empty",
                    sig_edit(lambda s: ""), 1, f"unreadable: no base64 signature in annotation {SIG_ANNOTATION}")
        legacy_case("legacy-sig-not-base64", "signature annotation not base64",
                    sig_edit(lambda s: "*" + s[1:]), 1, f"unreadable: no base64 signature in annotation {SIG_ANNOTATION}")

        def drop_annotation(payload, annotations):
            del annotations[SIG_ANNOTATION]
            return payload
        legacy_case("legacy-sig-annotation-missing", ".sig layer without its signature annotation",
                    drop_annotation, 1, f"unreadable: no base64 signature in annotation {SIG_ANNOTATION}")

        legacy_case("legacy-digest-other-image", "signed payload naming the other image's digest",
                    lp(lambda p: p["critical"]["image"].update({"docker-manifest-digest": other})), 1,
                    f"signs {self.other}, not this image {self.v1}")
        legacy_case("legacy-digest-uppercase", "signed payload naming this image in upper-case hex",
                    lp(lambda p: p["critical"]["image"].update({"docker-manifest-digest": v1.upper().replace("SHA256", "sha256")})), 1,
                    "must be lower-case hex after 'sha256:'")
        legacy_case("legacy-digest-malformed", "signed payload whose docker-manifest-digest is sha256:xyz",
                    lp(lambda p: p["critical"]["image"].update({"docker-manifest-digest": "sha256:xyz"})),
                    1, "critical.image.docker-manifest-digest \"sha256:xyz\"")
        legacy_case("legacy-identity-missing", "signed payload without critical.identity, verified with --identity",
                    lp(lambda p: p["critical"].pop("identity")), 1, "names no repository")
        legacy_case("legacy-digest-missing", "signed payload without critical.image.docker-manifest-digest",
                    lp(lambda p: p["critical"].update(image={})), 1, "payload has no critical.image.docker-manifest-digest")
        legacy_case("legacy-critical-type-changed", "signed payload with critical.type \"atomic container signature\"",
                    lp(lambda p: p["critical"].update(type="atomic container signature")), 1,
                    "payload critical.type is \"atomic container signature\", not \"cosign container image signature\"")
        legacy_case("legacy-critical-type-missing", "signed payload without critical.type",
                    lp(lambda p: p["critical"].pop("type")), 1, "payload critical.type is missing")
        legacy_case("legacy-identity-other-repository", "signed payload naming registry.example/evil",
                    lp(lambda p: p["critical"]["identity"].update({"docker-reference": "registry.example/evil"})), 1,
                    "signs for repository registry.example/evil, not registry.example/app")
        legacy_case("legacy-payload-not-json", "signed payload that is not JSON",
                    resigned(lambda: b"cosign container image signature " + v1.encode()), 1, "simple-signing payload is not JSON")

        def annotate_layer(payload, annotations):
            annotations["env"] = "prod"
            return payload
        legacy_case("legacy-annotation-unsigned-place", "env=prod on the .sig layer descriptor only; payload optional is null",
                    annotate_layer, 1, "annotation env is missing, required \"prod\"", "-a", "env=prod", source=self.legacy_plain)

        def edit_optional(payload, annotations):
            return payload.replace(b'"env":"prod"', b'"env":"dev!"')
        legacy_case("legacy-annotation-tampered", "signed optional env=prod rewritten, not re-signed",
                    edit_optional, 1, not_verified, "-a", "env=prod")

        self.copy(self.legacy_elsewhere, "legacy-identity-signed-elsewhere")
        self.add("legacy-identity-signed-elsewhere", "signed by bulla for registry.example/other",
                 self.verify("legacy-identity-signed-elsewhere", *ident), 1,
                 "signs for repository registry.example/other, not registry.example/app")
        self.copy(self.legacy_staging, "legacy-annotation-other-value")
        self.add("legacy-annotation-other-value", "signed with env=staging, env=prod required",
                 self.verify("legacy-annotation-other-value", *ident, "-a", "env=prod"), 1,
                 "annotation env is \"staging\", required \"prod\"")
        self.copy(self.legacy_plain, "legacy-annotation-missing")
        self.add("legacy-annotation-missing", "signed without annotations, env=prod required",
                 self.verify("legacy-annotation-missing", *ident, "-a", "env=prod"), 1, "annotation env is missing, required \"prod\"")
        self.copy(src, "legacy-wrong-key")
        self.add("legacy-wrong-key", "verified with an unrelated P-256 key",
                 self.verify("legacy-wrong-key", *ident, key="keys/stranger.pub"), 1, not_verified)
        self.copy(self.legacy_p384, "legacy-p384-with-p256-key")
        self.add("legacy-p384-with-p256-key", "P-384 legacy signature verified with a P-256 key",
                 self.verify("legacy-p384-with-p256-key", *ident), 1, not_verified)
        self.copy(src, "legacy-key-ed25519")
        self.add("legacy-key-ed25519", "P-256 legacy signature verified with an Ed25519 key",
                 self.verify("legacy-key-ed25519", *ident, key="keys/ed25519.pub"), 1, not_verified)
        self.copy(self.legacy_twice, "legacy-threshold-one-key-two-layers")
        self.add("legacy-threshold-one-key-two-layers", "two .sig layers by one key; threshold 2 of p256, p256b",
                 self.verify("legacy-threshold-one-key-two-layers", *ident, "--key", "keys/p256b.pub", "--threshold", "2"), 1,
                 "is already counted")

        layout = self.copy(src, "legacy-sig-copied-from-other-image")
        tag = v1.replace(":", "-") + ".sig"
        other_sig = layout.tagged(other.replace(":", "-") + ".sig")
        index = layout.index
        index["manifests"] = [e for e in index["manifests"] if e.get("annotations", {}).get(REF_NAME) != tag]
        index["manifests"].append(dict(other_sig, annotations={REF_NAME: tag}))
        layout.index = index
        self.add("legacy-sig-copied-from-other-image", "the other image's .sig manifest tagged as this image's",
                 self.verify("legacy-sig-copied-from-other-image", *ident), 1,
                 f"signs {self.other}, not this image {self.v1}")

        layout = self.copy(src, "legacy-layer-blob-missing")
        entry = layout.tagged(tag)
        layer = layout.manifest(entry)["layers"][0]["digest"]
        os.remove(layout.blob_path(layer))
        self.add("legacy-layer-blob-missing", "the .sig payload blob deleted",
                 self.verify("legacy-layer-blob-missing", *ident), 1, f"unreadable: blob {layer} is missing from")

        layout = self.copy(src, "legacy-layer-edited-in-place")
        layer = layout.manifest(layout.tagged(tag))["layers"][0]["digest"]
        with open(layout.blob_path(layer), "r+b") as f:
            data = f.read()
            f.seek(0)
            f.write(data.replace(b"registry.example/app", b"registry.example/ap0"))
        self.add("legacy-layer-edited-in-place", "payload blob edited without renaming it: digest mismatch",
                 self.verify("legacy-layer-edited-in-place", *ident), 1, f"blob {layer} in")

        layout = self.copy(src, "legacy-sig-tag-names-index")
        entry = layout.tagged(tag)
        wrapper = compact({"schemaVersion": 2, "mediaType": OCI_INDEX,
                           "manifests": [{k: entry[k] for k in ("mediaType", "digest", "size")}]})
        layout.replace_entry(entry, layout.descriptor(OCI_INDEX, wrapper, annotations={REF_NAME: tag}))
        self.add("legacy-sig-tag-names-index", "the .sig tag names an index wrapping the signature manifest",
                 self.verify("legacy-sig-tag-names-index", *ident), 1, "the .sig tag names an index, not a manifest")

    # -- cases: detached bundles (--bundle) --

    def detached_cases(self):
        v1 = self.v1
        good = json.loads(self.read("bundles/v1.bundle"))
        not_verified = "signature does not verify with any trusted key"

        def case(name, what, bundle, status, expect, *extra, keys=("keys/p256.pub",)):
            path = self.write_bundle(name, bundle if isinstance(bundle, bytes) else compact(bundle))
            args = ["verify", "oci:base:v1"]
            for key in keys:
                args += ["--key", key]
            self.add(name, what, args + ["--bundle", path, *extra], status, expect)

        def edited(edit):
            bundle = json.loads(json.dumps(good))
            edit(bundle, bundle["dsseEnvelope"])
            return bundle

        case("control-detached", "untampered detached bundle", good, 0, "valid signature by trusted key", "-a", "env=prod")
        case("control-detached-hint-lies", "key hint of the stranger key; the right key must still verify",
             edited(lambda b, e: b["verificationMaterial"]["publicKey"].update(hint=self.hint("keys/stranger.pub"))),
             0, "valid signature by trusted key")
        case("detached-bundle-of-other-image", "a valid bundle of the other image",
             self.read("bundles/other.bundle"), 1, f"signs {self.other}, not this image {self.v1}")
        case("detached-payload-byte-flipped", "one bit of the DSSE payload flipped",
             edited(lambda b, e: e.update(payload=b64(flip(unb64(e["payload"]))))), 1, not_verified)
        case("detached-sig-byte-flipped", "one bit of the signature flipped",
             edited(lambda b, e: e["signatures"][0].update(sig=b64(flip(unb64(e["signatures"][0]["sig"]))))), 1, not_verified)
        case("detached-p384-with-p256-key", "a P-384 bundle verified with a P-256 key",
             self.read("bundles/v1-p384.bundle"), 1, not_verified)
        case("detached-message-signature", "a sign-blob (messageSignature) bundle given to verify",
             self.read("bundles/blob.bundle"), 1, "bundle holds a message signature, not a DSSE image signature")
        case("detached-not-json", "bundle file that is not JSON", b"\x00bundle", 3, "bundle is not JSON")
        case("detached-mediatype-unknown", "bundle mediaType of a Sigstore bundle v0.4",
             edited(lambda b, e: b.update(mediaType="application/vnd.dev.sigstore.bundle.v0.4+json")), 3,
             "bundle media type \"application/vnd.dev.sigstore.bundle.v0.4+json\" is not a Sigstore bundle")
        case("detached-mediatype-missing", "bundle without mediaType",
             edited(lambda b, e: b.pop("mediaType")), 3, "bundle media type missing is not a Sigstore bundle")
        case("detached-both-contents", "bundle with both dsseEnvelope and messageSignature",
             edited(lambda b, e: b.update(messageSignature=json.loads(self.read("bundles/blob.bundle"))["messageSignature"])),
             3, "bundle has both dsseEnvelope and messageSignature")
        case("detached-two-signatures", "bundle DSSE envelope with two signatures",
             edited(lambda b, e: e["signatures"].append(dict(e["signatures"][0]))), 3,
             "bundle dsseEnvelope has 2 signatures; a bundle carries exactly one")
        case("detached-zero-signatures", "bundle DSSE envelope with no signatures",
             edited(lambda b, e: e.update(signatures=[])), 3, "bundle dsseEnvelope has no signatures")
        case("detached-sig-not-base64", "bundle signature not base64",
             edited(lambda b, e: e["signatures"][0].update(sig="!" + e["signatures"][0]["sig"][1:])), 3,
             "bundle dsseEnvelope signature 0 is missing or not base64")
        case("detached-sig-missing", "bundle signature object without sig",
             edited(lambda b, e: e["signatures"][0].pop("sig")), 3, "bundle dsseEnvelope signature 0 is missing or not base64")
        case("detached-threshold-same-bundle-twice", "one bundle given twice; threshold 2 of p256, p256b",
             good, 1, "is already counted", "--bundle", "cases/detached-threshold-same-bundle-twice.bundle",
             "--threshold", "2", keys=("keys/p256.pub", "keys/p256b.pub"))

    # -- cases: verify-blob --

    def blob_cases(self):
        good = json.loads(self.read("bundles/blob.bundle"))
        with open(self.path("cases/blob-changed.txt"), "wb") as f:
            f.write(b"a file signed with sign-blob!\n")

        def case(name, what, file, bundle, status, expect, key="keys/p256.pub"):
            path = self.write_bundle(name, bundle if isinstance(bundle, bytes) else compact(bundle))
            self.add(name, what, ["verify-blob", file, "--key", key, "--bundle", path], status, expect)

        def edited(edit):
            bundle = json.loads(json.dumps(good))
            edit(bundle["messageSignature"])
            return bundle

        case("control-blob", "untampered sign-blob bundle", "bundles/blob.txt", good, 0, "verified bundles/blob.txt")
        case("blob-file-changed", "the signed file changed after signing", "cases/blob-changed.txt", good, 1,
             "bundle signs a blob with digest sha256:")
        case("blob-digest-and-file-changed", "file changed and the bundle's digest hint updated to match",
             "cases/blob-changed.txt",
             edited(lambda m: m["messageDigest"].update(digest=b64(hashlib.sha256(self.read("cases/blob-changed.txt")).digest()))),
             1, "the bundle's signature over cases/blob-changed.txt does not verify with the key")
        case("blob-sig-byte-flipped", "one bit of the blob signature flipped", "bundles/blob.txt",
             edited(lambda m: m.update(signature=b64(flip(unb64(m["signature"]))))), 1,
             "the bundle's signature over bundles/blob.txt does not verify with the key")
        case("blob-wrong-key", "verified with an unrelated key", "bundles/blob.txt", good, 1,
             "does not verify with the key", key="keys/stranger.pub")
        case("blob-dsse-bundle", "an image signature bundle given to verify-blob", "bundles/blob.txt",
             self.read("bundles/v1.bundle"), 3, "bundle holds a DSSE envelope, not a blob signature")
        case("blob-digest-algorithm-sha512", "messageDigest algorithm SHA2_512", "bundles/blob.txt",
             edited(lambda m: m["messageDigest"].update(algorithm="SHA2_512")), 3,
             "bundle messageSignature.messageDigest must be a SHA2_256 digest in base64")

    # -- checking --

    def show_reported(self):
        for case in self.reported:
            result = subprocess.run([self.bulla, *case["args"]], cwd=self.out, capture_output=True, text=True)
            print(f"REPORTED {case['name']}: {case['problem']}\n  bulla {' '.join(case['args'])}  # exit {result.returncode}\n"
                  + "".join(f"  | {l}\n" for l in (result.stdout + result.stderr).splitlines()))

    def check(self):
        failures = []
        for case in self.cases:
            result = subprocess.run([self.bulla, *case["args"]], cwd=self.out, capture_output=True, text=True)
            output = result.stdout + result.stderr
            if result.returncode != case["expect_status"] or case["expect"] not in output:
                failures.append((case, result.returncode, output))
        for case, status, output in failures:
            print(f"FAIL {case['name']}: want exit {case['expect_status']} and {case['expect']!r}; "
                  f"got exit {status}:\n  bulla {' '.join(case['args'])}\n" + "".join(f"  | {l}\n" for l in output.splitlines()))
        return failures


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[1])
    generator = Generator(sys.argv[1], sys.argv[2])
    generator.setup()
    generator.referrer_cases()
    generator.referrer_reports()
    generator.image_cases()
    generator.legacy_cases()
    generator.detached_cases()
    generator.blob_cases()
    names = [c["name"] for c in generator.cases]
    assert len(names) == len(set(names))
    with open(generator.path("cases.json"), "w") as f:
        json.dump(generator.cases, f, indent=1)
        f.write("\n")
    with open(generator.path("reported.json"), "w") as f:
        json.dump(generator.reported, f, indent=1)
        f.write("\n")
    failures = generator.check()
    generator.show_reported()
    print(f"{len(generator.cases) - len(failures)} of {len(generator.cases)} cases behave as cases.json says")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
