#!/usr/bin/env bash
# make release: bulla with the Swift runtime and Foundation linked in (it needs libssl3 from the
# system, and libarchive13 to read archives), packed for download with what checks the download.
#
#   scripts/release.sh            → dist/bulla-VERSION-linux-ARCH.tar.gz, its SPDX SBOM,
#                                   SHA256SUMS, and a Bulla bundle (.sigstore.json) per file
#   scripts/release.sh --build    → only the binary, .build-static/release/bulla (make static)
#
# The bundles are signed with BULLA_RELEASE_KEY (a key file or env://VAR; its passphrase from
# BULLA_PASSWORD). Without it a throwaway key is made in dist/, good only for trying this out.
# The archive is reproducible: same binary, same bytes (sorted names, fixed owner and times).
set -euo pipefail
cd "$(dirname "$0")/.."
# The tarball's modes must not depend on the caller's umask.
umask 022
scratch=.build-static
started=$(date +%s)
# Start-up (a verify is a whole process, measured against openssl dgst -verify):
# --static-swift-stdlib links with -export-dynamic (static-stdlib-args.lnk), which puts ~36,000
# Swift symbols in .dynsym; the runtime's backtracer set-up calls dladdr() on the binary at every
# start, a linear walk of that table (~0.6 ms), and every symbol the C libraries bind looks in it
# first. Nothing in bulla dlopens a Swift module, so export nothing. --disable-local-rpath drops
# RUNPATH=$ORIGIN, whose directories the loader searches for each C library before ld.so.cache.
# lld (the toolchain's) instead of gold: the same binary starts about 1.5 ms sooner (measured with
# scripts/bench_verify.py, the two builds alternating), and links in seconds.
# libstdc++ (which the Swift runtime is written in) and the unwinder are linked in too: loading
# libstdc++.so and libgcc_s.so binds thousands of symbols at every start (about 1 ms of a
# 14 ms verify, measured with hyperfine). The runtime's link line names -lstdc++ and clang adds
# -lgcc_s, so a directory searched first answers those names with the static archives.
# No DWARF (-gnone): the shipped binary is stripped, so it was only compile and link time.
mkdir -p "$scratch/link"
echo "INPUT($(cc -print-file-name=libstdc++.a))" > "$scratch/link/libstdc++.so"
echo "INPUT($(cc -print-file-name=libgcc_eh.a))" > "$scratch/link/libgcc_s.so"
swift build -c release --product bulla --static-swift-stdlib --scratch-path "$scratch" \
  --disable-local-rpath -Xswiftc -gnone -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld -Xlinker --no-export-dynamic \
  -Xlinker -L"$PWD/$scratch/link"
# Check what start-up depends on: the .dynsym stays small.
exported=$(readelf --dyn-syms --wide "$scratch/release/bulla" | awk '$7 != "UND" && $1 ~ /:$/' | wc -l)
if [ "$exported" -gt 1000 ]; then
  echo "release: $scratch/release/bulla exports $exported dynamic symbols; was -Xlinker --no-export-dynamic dropped?" >&2
  exit 1
fi
binary="$scratch/release/bulla"
[ "${1:-}" != --build ] || exit 0
version=$("$binary" --version)
arch=$(uname -m)
name="bulla-$version-linux-$arch"
# Only the C libraries a stock Debian 12 or Ubuntu 22.04 has, plus libssl3; libarchive13 is
# opened when an archive is read, not linked (Sources/CArchive/shim.h).
unexpected=$(ldd "$binary" | awk '{print $1}' | grep -vE '^(linux-vdso\.so\.1|/lib64/ld-linux-x86-64\.so\.2|/lib/ld-linux-aarch64\.so\.1|lib(c|m|dl|pthread|rt|util|z|crypto|ssl)\.so[.0-9]*)$' || true)
if [ -n "$unexpected" ]; then
  echo "release: $binary links libraries it should not: $unexpected" >&2
  exit 1
fi
rm -rf "dist/$name" && mkdir -p "dist/$name/completions" "dist/$name/man"
cp "$binary" "dist/$name/bulla"
strip "dist/$name/bulla"
"$binary" --generate-completion-script bash > "dist/$name/completions/bulla.bash"
"$binary" --generate-completion-script zsh > "dist/$name/completions/_bulla"
"$binary" --generate-completion-script fish > "dist/$name/completions/bulla.fish"
python3 scripts/manpages.py "$binary" "dist/$name/man"
cp LICENSE README.md "dist/$name/"
# The Swift packages compiled into bulla, as SwiftPM resolved them (an SBOM generator reads the
# file): every pin but the documentation plugins, which run at build time and link nothing.
python3 - "dist/$name/Package.resolved" <<'PY'
import json, sys
resolved = json.load(open("Package.resolved"))
resolved["pins"] = [pin for pin in resolved["pins"] if pin["identity"] not in ("swift-docc-plugin", "swift-docc-symbolkit")]
resolved.pop("originHash", None)
json.dump(resolved, open(sys.argv[1], "w"), indent=2, sort_keys=True)
PY
epoch=$(git log -1 --format=%ct 2>/dev/null || echo 0)
tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner -C dist -cf - "$name" | gzip -n -9 > "dist/$name.tar.gz"
# The SBOM describes what the tarball holds: its directory, with the Swift packages above.
syft scan "dir:dist/$name" -o "spdx-json=dist/$name.spdx.json" -q
(cd dist && sha256sum "$name.tar.gz" "$name.spdx.json" > SHA256SUMS)
key=${BULLA_RELEASE_KEY:-}
if [ -z "$key" ]; then
  key="dist/throwaway-release.key"
  [ -f "$key" ] || BULLA_PASSWORD=${BULLA_PASSWORD:-throwaway} "$binary" key generate --output-prefix dist/throwaway-release >/dev/null
  export BULLA_PASSWORD=${BULLA_PASSWORD:-throwaway}
  echo "release: signed with a throwaway key (dist/throwaway-release.pub); set BULLA_RELEASE_KEY for a real release" >&2
fi
"$binary" key public --key "$key" > dist/release.pub
for file in "$name.tar.gz" "$name.spdx.json" SHA256SUMS; do
  "$binary" sign-blob "dist/$file" --key "$key" --output-bundle "dist/$file.sigstore.json" >/dev/null
done
echo "release: dist/$name.tar.gz ($(stat -c %s "dist/$name.tar.gz") bytes; binary $(stat -c %s "dist/$name/bulla") bytes) in $(( $(date +%s) - started )) s"
