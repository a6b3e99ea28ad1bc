#!/usr/bin/env bash
# Builds the libFuzzer harness (Fuzz/) with AddressSanitizer and runs it over a corpus seeded
# from spec/vectors: FUZZ_RUNS inputs with a fixed seed, or for FUZZ_SECONDS (default 60).
#   fuzz.sh --build   only builds the harness;
#   fuzz.sh --run     only runs the harness built before (no Swift build: make test runs it
#                     beside the suite's build).
set -euo pipefail
cd "$(dirname "$0")/.."
flags=(--package-path Fuzz -c debug --sanitize=fuzzer --sanitize=address)
if [ "${1:-}" != --run ]; then
  swift build "${flags[@]}" --product fuzz-parsers
fi
[ "${1:-}" != --build ] || exit 0
bin=Fuzz/.build/debug/fuzz-parsers
[ -x "$bin" ] || { echo "fuzz: $bin is not built (scripts/fuzz.sh --build)" >&2; exit 1; }
corpus=${FUZZ_CORPUS:-.build-fuzz-corpus}
mkdir -p "$corpus"
# Seeds: each vector once per parser selector byte.
python3 - "$corpus" <<'PY'
import hashlib, os, sys
out = sys.argv[1]
for root, _, names in os.walk("spec/vectors"):
    for name in names:
        data = open(os.path.join(root, name), "rb").read()[:65536]
        for selector in range(22):
            blob = bytes([selector]) + data
            open(os.path.join(out, hashlib.sha1(blob).hexdigest()), "wb").write(blob)
PY
# FUZZ_RUNS gives a fixed, seeded run (what `make test` does); otherwise run for FUZZ_SECONDS.
if [ -n "${FUZZ_RUNS:-}" ]; then
  limit=(-runs="$FUZZ_RUNS" -seed=1)
else
  limit=(-max_total_time="${FUZZ_SECONDS:-60}")
fi
"$bin" "${limit[@]}" -max_len=65536 -rss_limit_mb=1024 -timeout=10 "$corpus"
