#!/usr/bin/env bash
# Builds the speed probe and runs the side-by-side comparison (scripts/bench.py), then the
# package-benchmark suite when BENCH_SUITE=1.
set -euo pipefail
cd "$(dirname "$0")/.."
bulla=$(pwd)/${1:-.build/release/bulla}
swift build -c release --package-path Benchmarks --product bulla-speed
speed=$(swift build -c release --package-path Benchmarks --show-bin-path)/bulla-speed
python3 scripts/bench.py "$bulla" "$speed"
python3 scripts/bench_sbom.py "$bulla"
# bulla verify as a whole process beside openssl dgst -verify.
python3 scripts/bench_verify.py "$bulla"
# Keyless verify-blob beside sigstore-python and openssl verify; the library's keyless verifications/s.
python3 scripts/bench_keyless.py "$bulla" 30 "$speed"
# The transparency log: appends beside the fsync rate, proofs, memory, audit (BENCH_LOG_ENTRIES).
swift build -c release --package-path Benchmarks --product bulla-logbench
"$(swift build -c release --package-path Benchmarks --show-bin-path)/bulla-logbench" "${BENCH_DIR:-/tmp/bulla-bench}/log" "${BENCH_LOG_ENTRIES:-1000000}" 10000
# bulla copy beside skopeo copy of a 512 MiB image from a local docker-registry to a layout.
python3 scripts/bench_copy.py "$bulla" "${BENCH_DIR:-/tmp/bulla-bench}/copy" "${BENCH_COPY_ROUNDS:-3}"
for size in 64 256 1024; do openssl speed -evp sha256 -bytes "$size" -seconds 1 2>/dev/null | tail -1 | sed "s/^/openssl $size-byte blocks: /"; done
if [ "${BENCH_SUITE:-0}" = 1 ]; then
  (cd Benchmarks && swift package --allow-writing-to-package-directory benchmark)
fi
