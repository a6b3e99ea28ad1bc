#!/usr/bin/env python3
"""Side-by-side throughput of Bulla and OpenSSL on this machine, in one run.

1. verify-content on a generated OCI layout of at least 1 GiB, against `openssl dgst -sha256`
   over the same blob files (one core), with --jobs 1 and --jobs 2.
2. The digest primitive at 16 KiB blocks (bulla-speed), against `openssl speed -evp sha256`.
3. ECDSA P-256 sign and verify primitives (bulla-speed), against `openssl speed ecdsap256`.
4. `bulla verify` as a whole process on a signed local layout: the median of many runs, beside
   the median of `bulla --version` (process start) and `bulla digest` (start plus layout read),
   which show where the time goes.

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

out = subprocess.run(["openssl", "speed", "-seconds", "3", "ecdsap256"], check=True, capture_output=True, text=True).stdout
match = re.search(r"256 bits ecdsa \(nistp256\)\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)", out)
openssl_sign, openssl_verify = float(match.group(1)), float(match.group(2))
line = subprocess.run([speed, "ecdsa-p256", "3"], check=True, capture_output=True, text=True).stdout
ours_sign, ours_verify = (float(x) for x in re.search(r"(\d+) sign/s (\d+) verify/s", line).groups())
print(f"openssl speed ecdsap256            {openssl_sign:8.0f} sign/s {openssl_verify:8.0f} verify/s")
print(f"bulla-speed ecdsa-p256             {ours_sign:8.0f} sign/s {ours_verify:8.0f} verify/s  "
      f"ratios {ours_sign / openssl_sign:.3f} / {ours_verify / openssl_verify:.3f} (target >= 0.9)")

# 4. whole-process verify on a small signed layout
small = os.path.join(work, "signed-layout")
if not os.path.exists(os.path.join(small, "index.json")):
    saved = (layout, layers, layer_bytes)
    layout, layers, layer_bytes = small, 2, 1 << 20
    make_layout()
    layout, layers, layer_bytes = saved
env = dict(os.environ, BULLA_PASSWORD="bench")
key = os.path.join(work, "bench-key")
if not os.path.exists(key + ".pub"):
    subprocess.run([bulla, "key", "generate", "--output-prefix", key], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run([bulla, "sign", f"oci:{small}:bench", "--key", key + ".key"], check=True, env=env, stdout=subprocess.DEVNULL)


def median(command, n=60):
    times = []
    for _ in range(n):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2] * 1000


start_ms = median([bulla, "--version"])
digest_ms = median([bulla, "digest", f"oci:{small}:bench"])
verify_ms = median([bulla, "verify", f"oci:{small}:bench", "--key", key + ".pub"])
print(f"bulla --version (process start)     median {start_ms:6.2f} ms")
print(f"bulla digest (start + layout read)  median {digest_ms:6.2f} ms")
print(f"bulla verify (whole process)        median {verify_ms:6.2f} ms (target <= 30 ms); "
      f"start {start_ms:.1f} + layout {digest_ms - start_ms:.1f} + signatures {verify_ms - digest_ms:.1f}")
