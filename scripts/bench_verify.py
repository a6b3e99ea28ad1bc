#!/usr/bin/env python3
"""`bulla verify` as a whole process beside `openssl dgst -verify`, in the same run.

Usage: bench_verify.py BULLA [RUNS] [EARLIER_BULLA]

Makes a small signed OCI layout (two 1 MiB layers, one cosign v3 bundle signature by a P-256
key) and times, as whole processes, the median of RUNS runs of:
  - `openssl dgst -sha256 -verify KEY.pub -signature SIG FILE`: a process that loads a key and
    checks one ECDSA signature over a file, the floor any verifying CLI stands on;
  - `bulla --version` (process start);
  - `bulla verify oci:LAYOUT:bench --key KEY.pub`.
With EARLIER_BULLA (an earlier build), its `bulla verify` is timed too, the two alternating
run by run so that a busy moment of the machine falls on both alike. The ratio to openssl is
what stays comparable across machines and runs. Then, with hyperfine installed, BENCH_ROUNDS
(default 5) rounds of hyperfine's RUNS runs of openssl, `bulla --version` and `bulla verify`,
and the median of the rounds' ratios.
"""
import hashlib, json, os, subprocess, sys, tempfile, time

bulla = os.path.abspath(sys.argv[1])
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 60
earlier = os.path.abspath(sys.argv[3]) if len(sys.argv) > 3 else None
work = tempfile.mkdtemp(prefix="bulla-bench-verify-")
layout = os.path.join(work, "layout")


def blob(data):
    digest = hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(layout, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}


layers = [dict(blob(os.urandom(1 << 20)), mediaType="application/vnd.oci.image.layer.v1.tar") for _ in range(2)]
config = dict(blob(json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": [l["digest"] for l in layers]}}).encode()),
              mediaType="application/vnd.oci.image.config.v1+json")
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": config, "layers": layers}).encode()
top = dict(blob(manifest), mediaType="application/vnd.oci.image.manifest.v1+json", annotations={"org.opencontainers.image.ref.name": "bench"})
with open(os.path.join(layout, "oci-layout"), "w") as f:
    f.write('{"imageLayoutVersion":"1.0.0"}')
with open(os.path.join(layout, "index.json"), "w") as f:
    json.dump({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [top]}, f)

env = dict(os.environ, BULLA_PASSWORD="bench")
key = os.path.join(work, "key")
subprocess.run([bulla, "key", "generate", "--output-prefix", key], check=True, env=env, stdout=subprocess.DEVNULL)
subprocess.run([bulla, "sign", f"oci:{layout}:bench", "--key", key + ".key"], check=True, env=env, stdout=subprocess.DEVNULL)
# The same kind of check by openssl: a P-256 key of its own signing the manifest's bytes.
plain = os.path.join(work, "openssl")
manifest_file = os.path.join(layout, "blobs", "sha256", top["digest"].split(":")[1])
subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", plain + ".key"], check=True)
subprocess.run(["openssl", "ec", "-in", plain + ".key", "-pubout", "-out", plain + ".pub"], check=True, stderr=subprocess.DEVNULL)
subprocess.run(["openssl", "dgst", "-sha256", "-sign", plain + ".key", "-out", plain + ".sig", manifest_file], check=True)


def medians(*commands):
    """The median wall time of each command, in ms, the commands alternating run by run."""
    times = [[] for _ in commands]
    for _ in range(runs):
        for command, kept in zip(commands, times):
            start = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            kept.append(time.perf_counter() - start)
    return [sorted(kept)[len(kept) // 2] * 1000 for kept in times]


verify = [bulla, "verify", f"oci:{layout}:bench", "--key", key + ".pub"]
openssl = ["openssl", "dgst", "-sha256", "-verify", plain + ".pub", "-signature", plain + ".sig", manifest_file]
openssl_ms, start_ms, verify_ms, *before = medians(openssl, [bulla, "--version"], verify, *([[earlier] + verify[1:]] if earlier else []))
print(f"openssl dgst -sha256 -verify        median {openssl_ms:6.2f} ms")
print(f"bulla --version (process start)     median {start_ms:6.2f} ms")
print(f"bulla verify (whole process)        median {verify_ms:6.2f} ms  ratio to openssl {verify_ms / openssl_ms:.2f}")
for ms in before:
    print(f"earlier bulla verify                median {ms:6.2f} ms  ratio to openssl {ms / openssl_ms:.2f}")


def hyperfine_medians(commands):
    """hyperfine's median of RUNS runs of each command (in turn, not alternating), in ms."""
    report = os.path.join(work, "hyperfine.json")
    subprocess.run(["hyperfine", "-N", "-w", "5", "-r", str(runs), "--export-json", report] + [" ".join(c) for c in commands],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(report) as f:
        return [result["median"] * 1000 for result in json.load(f)["results"]]


# hyperfine runs each command's runs back to back, so a busy moment of the machine falls on one
# command only; several rounds, and the median of their ratios, say what a single one cannot.
rounds = int(os.environ.get("BENCH_ROUNDS", "5"))
if subprocess.run(["sh", "-c", "command -v hyperfine"], stdout=subprocess.DEVNULL).returncode == 0 and rounds > 0:
    ratios = []
    for round_number in range(1, rounds + 1):
        openssl_ms, start_ms, verify_ms = hyperfine_medians([openssl, [bulla, "--version"], verify])
        ratios.append(verify_ms / openssl_ms)
        print(f"hyperfine round {round_number}: openssl {openssl_ms:5.2f} ms, bulla --version {start_ms:5.2f} ms, "
              f"bulla verify {verify_ms:5.2f} ms, ratio {ratios[-1]:.2f}")
    print(f"hyperfine median ratio of bulla verify to openssl over {rounds} rounds of {runs} runs: {sorted(ratios)[len(ratios) // 2]:.2f}")
subprocess.run(["rm", "-rf", work])
