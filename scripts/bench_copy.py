#!/usr/bin/env python3
"""bulla copy beside skopeo copy, in one run: an image of at least 512 MiB (four incompressible
128 MiB layers) is pushed to Debian's docker-registry on 127.0.0.1, then copied from it to a
fresh OCI layout by each tool in turn, alternating, several times. Also measured in the same
run: `openssl dgst -sha256` over the same bytes, the rate at which one core can check what a
copy receives (the physical limit a verifying copy meets on this machine).

Usage: bench_copy.py BULLA [WORK_DIR] [ROUNDS]"""

import hashlib
import io
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request

LAYERS = 4
LAYER_BYTES = 128 << 20


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_blob(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(layout, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}


def make_layout(layout):
    """An OCI layout with LAYERS uncompressed tar layers of random bytes."""
    os.makedirs(os.path.join(layout, "blobs", "sha256"))
    layers, diff_ids = [], []
    for n in range(LAYERS):
        payload = os.urandom(LAYER_BYTES)
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
            info = tarfile.TarInfo(f"data/layer-{n}.bin")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
        data = buffer.getvalue()
        descriptor = write_blob(layout, data)
        descriptor["mediaType"] = "application/vnd.oci.image.layer.v1.tar"
        layers.append(descriptor)
        diff_ids.append(descriptor["digest"])
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    config_descriptor = write_blob(layout, config)
    config_descriptor["mediaType"] = "application/vnd.oci.image.config.v1+json"
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": config_descriptor, "layers": layers}).encode()
    manifest_descriptor = write_blob(layout, manifest)
    manifest_descriptor["mediaType"] = "application/vnd.oci.image.manifest.v1+json"
    manifest_descriptor["annotations"] = {"org.opencontainers.image.ref.name": "big"}
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [manifest_descriptor]}, f)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    return sum(l["size"] for l in layers) + len(config) + len(manifest)


def timed(command):
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    bulla = os.path.abspath(sys.argv[1])
    work = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="bulla-bench-copy-")
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    os.makedirs(work, exist_ok=True)
    layout = os.path.join(work, "source")
    shutil.rmtree(layout, ignore_errors=True)
    total = make_layout(layout)

    port = free_port()
    with open(os.path.join(work, "registry.yml"), "w") as f:
        f.write(f"version: 0.1\nlog: {{level: error}}\nstorage: {{filesystem: {{rootdirectory: {work}/registry-data}}}}\n"
                f"http: {{addr: 127.0.0.1:{port}}}\n")
    registry = subprocess.Popen(["docker-registry", "serve", os.path.join(work, "registry.yml")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/")
                break
            except OSError:
                time.sleep(0.1)
        image = f"127.0.0.1:{port}/bench/big:1"
        subprocess.run(["skopeo", "copy", "-q", "--dest-tls-verify=false", f"oci:{layout}:big", f"docker://{image}"], check=True)

        # The physical limit for a verifying copy on one core: SHA-256 over the same bytes.
        blobs = os.path.join(layout, "blobs", "sha256")
        openssl = timed(["openssl", "dgst", "-sha256"] + [os.path.join(blobs, name) for name in os.listdir(blobs)])

        times = {"bulla": [], "skopeo": []}
        for n in range(rounds):
            for tool in ("skopeo", "bulla") if n % 2 == 0 else ("bulla", "skopeo"):
                out = os.path.join(work, f"out-{tool}")
                shutil.rmtree(out, ignore_errors=True)
                if tool == "bulla":
                    command = [bulla, "copy", "--insecure", image, f"oci:{out}:big"]
                else:
                    command = ["skopeo", "copy", "-q", "--src-tls-verify=false", f"docker://{image}", f"oci:{out}:big"]
                subprocess.run(["sync"], check=True)
                times[tool].append(timed(command))
        digests = {tool: subprocess.run(["skopeo", "inspect", "--raw", f"oci:{os.path.join(work, 'out-' + tool)}:big"],
                                        check=True, capture_output=True).stdout for tool in times}
        assert digests["bulla"] == digests["skopeo"], "the two copies hold different manifests"
    finally:
        registry.terminate()
        registry.wait()

    mib = total / (1 << 20)
    bulla_median, skopeo_median = statistics.median(times["bulla"]), statistics.median(times["skopeo"])
    print(f"copy registry -> layout, {mib:.0f} MiB image, {rounds} alternating rounds")
    print(f"  skopeo copy: median {skopeo_median:.2f} s ({mib / skopeo_median:.0f} MiB/s)  runs {', '.join(f'{t:.2f}' for t in times['skopeo'])}")
    print(f"  bulla copy:  median {bulla_median:.2f} s ({mib / bulla_median:.0f} MiB/s)  runs {', '.join(f'{t:.2f}' for t in times['bulla'])}")
    print(f"  bulla / skopeo time: {bulla_median / skopeo_median:.2f} (target <= 1.00)")
    print(f"  openssl dgst -sha256 over the same blobs: {openssl:.2f} s ({mib / openssl:.0f} MiB/s); bulla copy at {openssl / bulla_median:.2f}x that rate")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
