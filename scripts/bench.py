#!/usr/bin/env python3
"""Side-by-side throughput of Bulla and OpenSSL on this machine, in one run.

1. verify-content on a generated OCI layout of at least 1 GiB, against `openssl dgst -sha256`
   over the same blob files (one core), with --jobs 1 and --jobs 2.
2. The digest primitive at 16 KiB blocks (bulla-speed), against `openssl speed -evp sha256`.

Every figure is the best of several runs with the files in the page cache; the ratios are what
count, since the machine is shared and absolute speeds drift.
"""
import hashlib, json, os, re, subprocess, sys, time

bulla, speed = sys.argv[1], sys.argv[2]
work = os.environ.get("BENCH_DIR", "/tmp/bulla-bench")
layers, layer_bytes = int(os.environ.get("BENCH_LAYERS", "8")), int(os.environ.get("BENCH_LAYER_MIB", "136")) << 20
runs = int(os.environ.get("BENCH_RUNS", "5"))
layout = os.path.join(work, f"layout-{layers}x{layer_bytes >> 20}")


def make_layout():
    blobs = os.path.join(layout, "blobs", "sha256")
    if os.path.exists(os.path.join(layout, "index.json")):
        return
    os.makedirs(blobs, exist_ok=True)

    def write(data, media_type):
        digest = hashlib.sha256(data).hexdigest()
        with open(os.path.join(blobs, digest), "wb") as f:
            f.write(data)
        return {"mediaType": media_type, "digest": "sha256:" + digest, "size": len(data)}

    descriptors = [write(os.urandom(layer_bytes), "application/vnd.oci.image.layer.v1.tar+gzip") for _ in range(layers)]
    config = write(b'{"architecture":"amd64","os":"linux"}', "application/vnd.oci.image.config.v1+json")
    manifest = write(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                                 "config": config, "layers": descriptors}).encode(), "application/vnd.oci.image.manifest.v1+json")
    manifest["annotations"] = {"org.opencontainers.image.ref.name": "bench"}
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [manifest]}, f)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')


def best(command):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return min(times)


make_layout()
blob_dir = os.path.join(layout, "blobs", "sha256")
files = sorted(os.path.join(blob_dir, name) for name in os.listdir(blob_dir))
total = sum(os.path.getsize(f) for f in files)
for f in files:  # into the page cache
    with open(f, "rb") as h:
        while h.read(1 << 24):
            pass

print(f"layout: {layout}, {len(files)} blobs, {total / 2**30:.2f} GiB, best of {runs}")
openssl_s = best(["openssl", "dgst", "-sha256"] + files)
one_s = best([bulla, "verify-content", "--jobs", "1", f"oci:{layout}:bench"])
two_s = best([bulla, "verify-content", "--jobs", "2", f"oci:{layout}:bench"])
mb = lambda s: total / s / 1e6
print(f"openssl dgst -sha256 (1 core)      {openssl_s:7.3f} s  {mb(openssl_s):8.1f} MB/s")
print(f"bulla verify-content --jobs 1      {one_s:7.3f} s  {mb(one_s):8.1f} MB/s  ratio {openssl_s / one_s:.3f} (target >= 0.9)")
print(f"bulla verify-content --jobs 2      {two_s:7.3f} s  {mb(two_s):8.1f} MB/s  ratio {openssl_s / two_s:.3f} (target >= 1.6)")

out = subprocess.run(["openssl", "speed", "-evp", "sha256", "-bytes", "16384", "-seconds", "3"],
                     check=True, capture_output=True, text=True).stdout
match = re.search(r"^sha256\s+([\d.]+)k", out, re.M)
openssl_speed = float(match.group(1)) * 1000
ours = max(float(re.search(r"(\d+) bytes/s", subprocess.run([speed, "16384", "3"], check=True, capture_output=True, text=True).stdout).group(1))
           for _ in range(2))
print(f"openssl speed -evp sha256 16 KiB   {openssl_speed / 1e6:8.1f} MB/s")
print(f"bulla-speed sha256 16 KiB          {ours / 1e6:8.1f} MB/s  ratio {ours / openssl_speed:.3f} (target >= 0.95)")
