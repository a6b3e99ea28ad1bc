#!/usr/bin/env python3
"""Hostile image archives and layouts for Bulla's refusal tests.

Usage: python3 make_hostile.py OUTDIR

Writes into OUTDIR:
  * one hostile archive (or oci: layout directory) per case, each built around a small valid
    OCI image layout (index.json, oci-layout, a manifest, a config and one gzip layer) or a
    small valid docker-archive, so that only the hostile part is wrong;
  * cases.json: a list of {"name", "reference", "expect", "what"}. `reference` is an image
    reference relative to OUTDIR; `bulla digest REF`, run from OUTDIR, must exit with code 3
    and print `expect` (case-sensitive) on stderr;
  * control-oci.tar, control-docker.tar and control-oci/: the valid images the cases are made
    from, which Bulla must accept (they are not in cases.json).

Standard library only, plus the `zstd` command for the zstd cases. Deterministic: fixed
mtimes, owners and compression settings, so two runs write the same bytes. Writes nothing
outside OUTDIR; two oci: cases hold a symlink to /dev/zero and a FIFO, which are created,
never opened. Runs in several seconds and under 100 MB: the 1 GiB bomb is compressed once,
streaming, in 1 MiB chunks.
"""

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zlib

MTIME = 1700000000  # every tar entry's mtime
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"

# Bulla's default limits (Sources/Bulla/Support/Limits.swift) the cases go past.
MAX_ENTRIES = 10_000
MAX_JSON_DEPTH = 64
MAX_MANIFEST_BYTES = 4 << 20


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def canonical(value):
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode()


def pseudorandom(size, seed):
    """Incompressible but deterministic bytes, so truncating a compressed archive cuts data."""
    out = bytearray()
    block = hashlib.sha256(seed).digest()
    while len(out) < size:
        block = hashlib.sha256(block).digest()
        out += block
    return bytes(out[:size])


# --- tar writing -------------------------------------------------------------------------------


def header(name, size=0, kind=tarfile.REGTYPE, linkname="", mode=0o644, encoding="utf-8",
           devmajor=0, devminor=0, fmt=tarfile.GNU_FORMAT):
    """One tar header (GNU format: base-256 sizes and ././@LongLink names when needed)."""
    info = tarfile.TarInfo(name)
    info.size = size
    info.type = kind
    info.linkname = linkname
    info.mode = 0o755 if kind == tarfile.DIRTYPE else mode
    info.mtime = MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    info.devmajor, info.devminor = devmajor, devminor
    return info.tobuf(fmt, encoding, "strict")


def checksum(block):
    """Recomputes a 512-byte header's checksum field (after patching raw bytes)."""
    block = bytearray(block)
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\0 " % sum(block)
    return bytes(block)


def pad(size):
    return b"\0" * (-size % 512)


class Tar:
    """A tar written entry by entry to `sink` (anything with write), never held whole."""

    def __init__(self, sink):
        self.sink = sink
        self.written = 0

    def raw(self, data):
        self.sink.write(data)
        self.written += len(data)

    def file(self, name, data, **options):
        self.raw(header(name, len(data), **options) + data + pad(len(data)))

    def dir(self, name):
        self.raw(header(name.rstrip("/") + "/", kind=tarfile.DIRTYPE))

    def symlink(self, name, target):
        self.raw(header(name, kind=tarfile.SYMTYPE, linkname=target))

    def hardlink(self, name, target):
        self.raw(header(name, kind=tarfile.LNKTYPE, linkname=target))

    def entries(self, pairs):
        """(name, bytes) pairs; a name ending in / is a directory."""
        for name, data in pairs:
            if name.endswith("/"):
                self.dir(name)
            else:
                self.file(name, data)

    def end(self):
        """Two zero blocks, then padding to a whole 10 KiB record, as tar writes."""
        self.raw(b"\0" * 1024)
        self.raw(b"\0" * (-self.written % tarfile.RECORDSIZE))


class Gzip:
    """A streaming gzip sink around a binary file (fixed mtime 0 and level 9)."""

    def __init__(self, out):
        self.out = out
        self.compressor = zlib.compressobj(9, zlib.DEFLATED, 31)

    def write(self, data):
        self.out.write(self.compressor.compress(data))

    def close(self):
        self.out.write(self.compressor.flush())


def tar_bytes(entries):
    """A small tar in memory from (name, bytes) pairs; a name ending in / is a directory."""
    buffer = io.BytesIO()
    tar = Tar(buffer)
    tar.entries(entries)
    tar.end()
    return buffer.getvalue()


def zstd(data):
    return subprocess.run(["zstd", "-q", "-3", "-c"], input=data, stdout=subprocess.PIPE, check=True).stdout


# --- the valid images the cases start from ---------------------------------------------------


class Layout:
    """A valid one-image OCI layout: its blobs and the descriptor index.json gives the manifest."""

    def __init__(self):
        layer_tar = tar_bytes([
            ("etc/", b""),
            ("etc/hello.txt", b"hello from a hostile-input fixture\n"),
            ("data.bin", pseudorandom(48 << 10, b"bulla layer")),
        ])
        self.layer = gzip.compress(layer_tar, 9, mtime=0)
        self.config = canonical({
            "architecture": "amd64",
            "os": "linux",
            "config": {"Cmd": ["/bin/sh"]},
            "rootfs": {"type": "layers", "diff_ids": ["sha256:" + sha256(layer_tar)]},
        })
        self.manifest = canonical({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": "sha256:" + sha256(self.config), "size": len(self.config)},
            "layers": [{"mediaType": OCI_LAYER_GZIP, "digest": "sha256:" + sha256(self.layer), "size": len(self.layer)}],
        })
        self.marker = canonical({"imageLayoutVersion": "1.0.0"})

    def forged_manifest(self):
        """Other bytes of the manifest's exact size (schemaVersion 3 for 2)."""
        forged = self.manifest.replace(b'"schemaVersion":2', b'"schemaVersion":3')
        assert forged != self.manifest and len(forged) == len(self.manifest)
        return forged

    @staticmethod
    def index(manifest, digest=None, size=None, media_type=OCI_MANIFEST):
        """index.json naming `manifest`, with its digest and size unless told otherwise."""
        return canonical({
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [{
                "mediaType": media_type,
                "digest": "sha256:" + (digest or sha256(manifest)),
                "size": len(manifest) if size is None else size,
                "annotations": {"org.opencontainers.image.ref.name": "latest"},
            }],
        })

    def entries(self, manifest=None, index=None, manifest_name=None):
        """(name, bytes) pairs of the layout as a tar holds them; directories end in /.

        `manifest` replaces the manifest blob (stored under its own digest unless
        `manifest_name` says otherwise); `index` replaces index.json.
        """
        manifest = self.manifest if manifest is None else manifest
        index = self.index(manifest) if index is None else index
        return [
            ("oci-layout", self.marker),
            ("index.json", index),
            ("blobs/", b""),
            ("blobs/sha256/", b""),
            ("blobs/sha256/" + sha256(self.config), self.config),
            ("blobs/sha256/" + sha256(self.layer), self.layer),
            ("blobs/sha256/" + (manifest_name or sha256(manifest)), manifest),
        ]


class DockerImage:
    """A valid one-image docker-archive (manifest.json, a config, one uncompressed layer)."""

    def __init__(self):
        self.layer = tar_bytes([("hello.txt", b"hello from a docker-archive fixture\n")])
        self.config = canonical({
            "architecture": "amd64",
            "os": "linux",
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": ["sha256:" + sha256(self.layer)]},
        })
        self.config_name = sha256(self.config) + ".json"
        self.layer_name = sha256(self.layer) + ".tar"

    def manifest(self, config_name=None, layer_name=None):
        return canonical([{
            "Config": config_name or self.config_name,
            "RepoTags": ["x:1"],
            "Layers": [layer_name or self.layer_name],
        }])

    def entries(self, manifest=None, layer=None):
        return [
            (self.config_name, self.config),
            (self.layer_name, self.layer if layer is None else layer),
            ("manifest.json", self.manifest() if manifest is None else manifest),
        ]


# --- the cases ---------------------------------------------------------------------------------


class Cases:
    def __init__(self, outdir):
        self.outdir = outdir
        self.cases = []
        self.layout = Layout()
        self.docker = DockerImage()

    # A blob whose bytes contradict its descriptor is malformed input to `digest` (exit 3) but a
    # failed check to `verify-content` (exit 1, the blob named on stdout).
    CONTENT_LIES = ("expected ", "longer than declared", "content hashes to")

    def add(self, name, reference, expect, what):
        verify_status = 1 if any(lie in expect for lie in self.CONTENT_LIES) else 3
        self.cases.append({"name": name, "reference": reference, "expect": expect, "what": what,
                           "verify_status": verify_status})

    def path(self, filename):
        return os.path.join(self.outdir, filename)

    def tar(self, filename, entries, extra=None, compress=None):
        """Writes entries, then whatever `extra(tar)` adds, as a plain, gzip or zstd tar."""
        buffer = io.BytesIO()
        tar = Tar(buffer)
        tar.entries(entries)
        if extra:
            extra(tar)
        tar.end()
        data = buffer.getvalue()
        if compress == "gzip":
            data = gzip.compress(data, 9, mtime=0)
        elif compress == "zstd":
            data = zstd(data)
        with open(self.path(filename), "wb") as out:
            out.write(data)
        return data

    def oci(self, filename, expect, what, extra=None, entries=None, compress=None):
        """An oci-archive: the valid layout (or `entries`) plus `extra`."""
        self.tar(filename, self.layout.entries() if entries is None else entries, extra, compress)
        self.add(filename.split(".")[0], "oci-archive:" + filename, expect, what)

    def directory(self, name, files):
        """An oci: layout directory from (name, bytes) pairs, replacing one from an earlier run."""
        root = self.path(name)
        if os.path.lexists(root):
            shutil.rmtree(root)
        for relative, data in files:
            target = os.path.join(root, relative)
            if relative.endswith("/"):
                os.makedirs(target, exist_ok=True)
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as out:
                out.write(data)
        return root

    # Controls: the valid images, for checking that each case fails only for its hostile part.
    def controls(self):
        self.tar("control-oci.tar", self.layout.entries())
        self.tar("control-docker.tar", self.docker.entries())
        self.directory("control-oci", self.layout.entries())

    # Entry names and links that reach outside the archive, or lead nowhere.
    def paths_and_links(self):
        manifest_hex = sha256(self.layout.manifest)
        self.oci("traversal.tar", "path traversal", "an entry named ../evil",
                 lambda t: t.file("../evil", b"evil\n"))
        self.oci("traversal-inner.tar", "path traversal", "an entry named blobs/../../evil, climbing out from inside",
                 lambda t: t.file("blobs/../../evil", b"evil\n"))
        self.oci("absolute.tar", "has an absolute path", "an entry named /etc/evil",
                 lambda t: t.file("/etc/evil", b"evil\n"))
        self.oci("symlink-escape.tar", "points outside the archive",
                 "a symlink blobs/sha256/x -> ../../../etc/passwd",
                 lambda t: t.symlink("blobs/sha256/x", "../../../etc/passwd"))
        self.oci("symlink-absolute.tar", "points outside the archive (absolute target)",
                 "a symlink blobs/sha256/x -> /etc/passwd",
                 lambda t: t.symlink("blobs/sha256/x", "/etc/passwd"))
        self.oci("hardlink-escape.tar", "points outside the archive", "a hard link evil -> ../outside",
                 lambda t: t.hardlink("evil", "../outside"))
        self.oci("hardlink-absolute.tar", "points outside the archive (absolute target)",
                 "a hard link evil -> /etc/passwd",
                 lambda t: t.hardlink("evil", "/etc/passwd"))
        # The manifest's blob is a symlink into a loop of two symlinks: no file at the end.
        entries = [e for e in self.layout.entries() if not e[0].endswith(manifest_hex)]
        self.oci("link-loop.tar", "does not end at a file inside the archive",
                 "the manifest blob is a symlink in a loop of two symlinks",
                 lambda t: (t.symlink("blobs/sha256/" + manifest_hex, "loop-a"),
                            t.symlink("blobs/sha256/loop-a", "loop-b"),
                            t.symlink("blobs/sha256/loop-b", "loop-a")),
                 entries=entries)
        self.oci("dangling-link.tar", "does not end at a file inside the archive",
                 "a symlink to a name the archive does not hold",
                 lambda t: t.symlink("blobs/sha256/dangling", "missing"))
        self.oci("link-then-file.tar", "appears twice, once as a link and once as a file",
                 "index.json as a symlink to oci-layout, then as a file",
                 entries=[("oci-layout", self.layout.marker)],
                 extra=lambda t: (t.symlink("index.json", "oci-layout"), t.entries(self.layout.entries()[1:])))

    # Entry kinds an image archive never holds.
    def special_entries(self):
        self.oci("fifo.tar", "is a special file (type 0o10000)", "a FIFO entry",
                 lambda t: t.raw(header("blobs/fifo", kind=tarfile.FIFOTYPE)))
        self.oci("chardev.tar", "is a special file (type 0o20000)", "a character device entry (1,3: /dev/null)",
                 lambda t: t.raw(header("blobs/null", kind=tarfile.CHRTYPE, devmajor=1, devminor=3)))
        self.oci("blockdev.tar", "is a special file (type 0o60000)", "a block device entry (8,0)",
                 lambda t: t.raw(header("blobs/sda", kind=tarfile.BLKTYPE, devmajor=8, devminor=0)))
        self.oci("sparse.tar", "is a sparse file", "an old-GNU sparse entry (type S): 4 KiB with one 512-byte extent",
                 lambda t: t.raw(self.gnu_sparse("blobs/sparse", real_size=4096, offset=2048, data=b"S" * 512)))

    @staticmethod
    def gnu_sparse(name, real_size, offset, data):
        """An old-GNU sparse header (type 'S') with one map entry, then its 512-byte data."""
        assert len(data) == 512
        block = bytearray(header(name, size=len(data)))
        block[156:157] = b"S"
        block[386:398] = b"%011o\0" % offset       # sparse[0].offset
        block[398:410] = b"%011o\0" % len(data)    # sparse[0].numbytes
        block[482] = 0                             # isextended
        block[483:495] = b"%011o\0" % real_size    # realsize
        return checksum(block) + data

    # Sizes and counts past the limits.
    def limits(self):
        # A 1 GiB run of zeros in one entry: about 1 MiB of gzip. Compressed once, streaming.
        bomb = io.BytesIO()
        sink = Gzip(bomb)
        tar = Tar(sink)
        tar.entries(self.layout.entries())
        tar.raw(header("zeros", size=1 << 30))
        chunk = bytes(1 << 20)
        for _ in range(1024):
            tar.raw(chunk)
        tar.end()
        sink.close()
        with open(self.path("bomb.tar.gz"), "wb") as out:
            out.write(bomb.getvalue())
        self.add("bomb", "oci-archive:bomb.tar.gz", "looks like a decompression bomb",
                 "a .tar.gz of ~1 MiB whose entry 'zeros' holds 1 GiB of zeros")

        # 100,000 empty files after the layout, gzip-compressed (~1 MiB on disk).
        with open(self.path("many-entries.tar.gz"), "wb") as out:
            sink = Gzip(out)
            tar = Tar(sink)
            tar.entries(self.layout.entries())
            for i in range(100_000):
                tar.raw(header("many/%06d" % i))
            tar.end()
            sink.close()
        self.add("many-entries", "oci-archive:many-entries.tar.gz", "more than the limit of %d entries" % MAX_ENTRIES,
                 "100,000 empty entries after a valid layout")

        # A header declaring 2**50 bytes (GNU base-256 size) followed by a few bytes only.
        self.oci("huge-size.tar", "declares %d bytes, more than the limit" % (1 << 50),
                 "an entry whose header declares 2**50 bytes, followed by 512 bytes",
                 lambda t: t.raw(header("blobs/huge", size=1 << 50) + b"x" * 512))

    # Compressed or plain streams that end early, or are not tar.
    def truncations(self):
        whole = self.tar("truncated.tar.gz", self.layout.entries(), compress="gzip")
        with open(self.path("truncated.tar.gz"), "wb") as out:
            out.write(whole[: len(whole) // 2])
        self.add("truncated-gzip", "oci-archive:truncated.tar.gz", "the gzip stream is truncated",
                 "a valid .tar.gz cut in half")

        whole = self.tar("truncated.tar.zst", self.layout.entries(), compress="zstd")
        with open(self.path("truncated.tar.zst"), "wb") as out:
            out.write(whole[: len(whole) // 2])
        self.add("truncated-zstd", "oci-archive:truncated.tar.zst", "the zstd stream is truncated",
                 "a valid .tar.zst cut in half")

        # The same with 1 MiB more of blob, so the cut falls past the first read-ahead and the
        # error comes while entry data is read rather than while the archive is opened.
        extra = pseudorandom(1 << 20, b"unreferenced blob")
        entries = self.layout.entries() + [("blobs/sha256/" + sha256(extra), extra)]
        for compress, suffix in (("gzip", "gz"), ("zstd", "zst")):
            filename = "truncated-midway.tar." + suffix
            whole = self.tar(filename, entries, compress=compress)
            with open(self.path(filename), "wb") as out:
                out.write(whole[: len(whole) // 2])
            self.add("truncated-midway-" + compress, "oci-archive:" + filename,
                     "the %s stream is truncated" % compress,
                     "a valid .tar.%s with a 1 MiB extra blob, cut in half" % suffix)

        whole = self.tar("truncated.tar", self.layout.entries())
        layer_at = whole.index(self.layout.layer)
        with open(self.path("truncated.tar"), "wb") as out:
            out.write(whole[: layer_at + len(self.layout.layer) // 2])
        self.add("truncated-tar", "oci-archive:truncated.tar", "the tar stream is truncated",
                 "a plain tar cut in the middle of the layer blob")

        with open(self.path("not-a-tar.tar"), "wb") as out:
            out.write(pseudorandom(4096, b"not a tar"))
        self.add("not-a-tar", "oci-archive:not-a-tar.tar", "not a tar archive",
                 "4 KiB of random bytes named .tar")

        with open(self.path("gzip-not-tar.tar.gz"), "wb") as out:
            out.write(gzip.compress(b"this gzip stream holds text, not a tar archive\n" * 40, 9, mtime=0))
        self.add("gzip-not-tar", "oci-archive:gzip-not-tar.tar.gz", "not a tar archive",
                 "a gzip stream of plain text")

    # Names: duplicates and bytes that are not UTF-8.
    def names(self):
        self.oci("duplicate.tar", "index.json appears twice with different content",
                 "index.json twice, the second time with other bytes",
                 lambda t: t.file("index.json", self.layout.index(self.layout.manifest) + b"\n"))
        self.oci("non-utf8-name.tar", "is not valid UTF-8", "an entry named blobs/\\xff\\xfe",
                 lambda t: t.file("blobs/\xff\xfe", b"x", encoding="latin-1"))

    # Documents that are not what their descriptors say.
    def documents(self):
        layout = self.layout
        manifest_hex = sha256(layout.manifest)

        not_json = b"not json"
        self.oci("manifest-not-json.tar", "is not JSON", "the manifest blob is the text 'not json', digest matching",
                 entries=layout.entries(manifest=not_json))

        broken = layout.manifest[: len(layout.manifest) // 2]
        self.oci("manifest-truncated-json.tar", "not valid JSON",
                 "the manifest blob is half a JSON document, digest matching",
                 entries=layout.entries(manifest=broken))

        deep = b"[" * 10000 + b"]" * 10000
        self.oci("manifest-deep.tar", "nests JSON deeper than the limit of %d levels" % MAX_JSON_DEPTH,
                 "the manifest blob is an array nested 10,000 deep, digest matching",
                 entries=layout.entries(manifest=deep))

        self.oci("index-deep.tar", "index.json nests JSON deeper than the limit",
                 "index.json is an array nested 10,000 deep",
                 entries=layout.entries(index=deep))

        size = len(layout.manifest)
        self.oci("size-lie.tar", "expected %d bytes, read %d" % (size + 1, size),
                 "index.json says the manifest is one byte longer than it is",
                 entries=layout.entries(index=layout.index(layout.manifest, size=size + 1)))

        self.oci("size-lie-short.tar", "longer than declared",
                 "index.json says the manifest is 10 bytes long",
                 entries=layout.entries(index=layout.index(layout.manifest, size=10)))

        self.oci("size-huge.tar", "more than the limit of %d" % MAX_MANIFEST_BYTES,
                 "index.json says the manifest is 2**40 bytes long",
                 entries=layout.entries(index=layout.index(layout.manifest, size=1 << 40)))

        # Another manifest of the same size, stored under the valid manifest's digest.
        forged = layout.forged_manifest()
        self.oci("digest-lie.tar", "content hashes to sha256:" + sha256(forged),
                 "blobs/sha256/<manifest digest> holds other bytes of the same size",
                 entries=layout.entries(manifest=forged, index=layout.index(layout.manifest), manifest_name=manifest_hex))

        self.oci("index-not-json.tar", "index.json is not JSON", "index.json holds plain text",
                 entries=layout.entries(index=b"index.json, but not JSON\n"))

        self.oci("layout-version.tar", "imageLayoutVersion \"2.0.0\"", "oci-layout names version 2.0.0",
                 entries=[("oci-layout", canonical({"imageLayoutVersion": "2.0.0"}))] + layout.entries()[1:])

    # docker-archive: manifest.json in the pre-OCI `docker save` format.
    def docker_archives(self, bomb_gzip):
        docker = self.docker

        def case(filename, expect, what, **changes):
            self.tar(filename, docker.entries(**changes))
            self.add(filename.split(".")[0], "docker-archive:" + filename, expect, what)

        case("docker-manifest-not-json.tar", "manifest.json is not JSON", "manifest.json holds plain text",
             manifest=b"manifest.json, but not JSON\n")
        case("docker-manifest-truncated.tar", "not valid JSON", "manifest.json is cut mid-document",
             manifest=docker.manifest()[:20])
        case("docker-manifest-deep.tar", "manifest.json nests JSON deeper than the limit",
             "manifest.json nested 10,000 deep", manifest=b"[" * 10000 + b"]" * 10000)
        case("docker-config-traversal.tar", "path traversal", "manifest.json names its config ../" + docker.config_name,
             manifest=docker.manifest(config_name="../" + docker.config_name))
        case("docker-layer-absolute.tar", "has an absolute path", "manifest.json names a layer /etc/passwd",
             manifest=docker.manifest(layer_name="/etc/passwd"))
        # A layer that is a gzip stream expanding to over 1 GiB: the nested expansion is bounded too.
        case("docker-layer-bomb.tar", "looks like a decompression bomb",
             "a ~1 MiB gzip layer that expands to over 1 GiB", layer=bomb_gzip)
        truncated_layer = gzip.compress(docker.layer + pseudorandom(64 << 10, b"docker layer"), 9, mtime=0)
        case("docker-layer-truncated.tar", "compressed stream is truncated or corrupt",
             "a gzip layer cut in half", layer=truncated_layer[: len(truncated_layer) // 2])

    # oci: layout directories.
    def directories(self):
        layout = self.layout
        manifest_hex = sha256(layout.manifest)

        index = layout.index(layout.manifest)
        self.directory("oci-index-truncated", layout.entries(index=index[: len(index) // 2]))
        self.add("oci-index-truncated", "oci:oci-index-truncated", "not valid JSON",
                 "an oci: layout whose index.json is cut in half")

        self.directory("oci-no-marker", layout.entries()[1:])
        self.add("oci-no-marker", "oci:oci-no-marker", "is not an OCI image layout: it has no oci-layout",
                 "an oci: layout without its oci-layout file")

        root = self.directory("oci-index-huge", layout.entries())
        with open(os.path.join(root, "index.json"), "r+b") as out:
            out.truncate(MAX_MANIFEST_BYTES + 1)  # sparse on disk: 4 MiB + 1 byte of mostly zeros
        self.add("oci-index-huge", "oci:oci-index-huge", "more than the limit of %d" % MAX_MANIFEST_BYTES,
                 "an oci: layout whose index.json is 4 MiB + 1 byte")

        forged = layout.forged_manifest()
        self.directory("oci-digest-lie", layout.entries(manifest=forged, index=index, manifest_name=manifest_hex))
        self.add("oci-digest-lie", "oci:oci-digest-lie", "content hashes to sha256:" + sha256(forged),
                 "an oci: layout whose manifest blob holds other bytes of the same size")

        self.directory("oci-manifest-deep", layout.entries(manifest=b"[" * 10000 + b"]" * 10000))
        self.add("oci-manifest-deep", "oci:oci-manifest-deep", "nests JSON deeper than the limit",
                 "an oci: layout whose manifest is nested 10,000 deep")

        # The manifest blob is a symlink to /dev/zero: endless bytes if read blindly.
        entries = [e for e in layout.entries() if not e[0].endswith(manifest_hex)]
        root = self.directory("oci-blob-devzero", entries)
        os.symlink("/dev/zero", os.path.join(root, "blobs", "sha256", manifest_hex))
        self.add("oci-blob-devzero", "oci:oci-blob-devzero", "is not a regular file",
                 "an oci: layout whose manifest blob is a symlink to /dev/zero")

        # The manifest blob is a FIFO: opening it for reading must not wait for a writer.
        root = self.directory("oci-blob-fifo", entries)
        os.mkfifo(os.path.join(root, "blobs", "sha256", manifest_hex))
        self.add("oci-blob-fifo", "oci:oci-blob-fifo", "is not a regular file",
                 "an oci: layout whose manifest blob is a FIFO with no writer")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_hostile.py OUTDIR")
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    cases = Cases(outdir)
    cases.controls()
    cases.paths_and_links()
    cases.special_entries()
    cases.limits()
    cases.truncations()
    cases.names()
    cases.documents()
    with open(cases.path("bomb.tar.gz"), "rb") as bomb:
        cases.docker_archives(bomb.read())
    cases.directories()
    names = [c["name"] for c in cases.cases]
    assert len(names) == len(set(names)), "case names must be unique"
    with open(cases.path("cases.json"), "w") as out:
        json.dump(cases.cases, out, indent=2)
        out.write("\n")


if __name__ == "__main__":
    main()
