# The two commands a new user runs: `make demo` and `make test`.
SWIFT ?= swift
BULLA_RELEASE = .build/release/bulla
# What make release ships: the Swift runtime and Foundation linked in.
BULLA_STATIC = .build-static/release/bulla
# The shared material beside the repository: third-party vectors and the Sigstore conformance suite.
SHARED ?= $(CURDIR)/../shared

.PHONY: all deps build static release release-check image image-check ci-example conformance test load asan-build asan docs demo bench fuzz clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release --product bulla

static: deps
	bash scripts/release.sh --build

# The download: bulla with the Swift runtime linked in (needs only libssl3 and libarchive13),
# completions, man pages, LICENSE and README in dist/bulla-VERSION-linux-ARCH.tar.gz, with its
# SBOM, SHA256SUMS and a Bulla bundle over each (BULLA_RELEASE_KEY signs; README "Install").
release: deps
	bash scripts/release.sh

# The release binary on a fresh Debian 12 root file system (debootstrap --variant=minbase) with
# only libssl3 and libarchive13 added: --version, digest, verify and verify-blob.
release-check: release
	bash scripts/release-check.sh

# Bulla's own image in dist/image (an OCI layout): the release binary, the Debian packages it
# needs (with their dpkg status), CA certificates and user 65532 in one reproducible layer, signed
# and SBOM-attested with the release key, then verified and judged by deploy/image-policy.yaml.
image: release
	bash scripts/image.sh

# The image run as a cluster runs it (podman, else chroot): --version, verify of a mounted layout,
# and bulla serve with the StatefulSet's arguments answering AdmissionReviews over TLS.
image-check: image
	bash scripts/image-check.sh

# docs/ci.md's GitHub workflow run from the page's text against a local TLS registry, a log
# server and the release served from dist/: a clean image passes, a log4j one fails on the policy.
ci-example: release
	python3 scripts/ci-example.py

# A seeded fuzz run of every parser first, then the suite, the docs, the release and Bulla's own
# image run as a cluster runs it, the webhook's load test on the release binary, then the suite
# under ASan (whose closing line is the run's last).
# Each phase's start time is printed, so a slow CI run shows where its time went.
test: deps
	@date +'== %T fuzz build'
	bash scripts/fuzz.sh --build
	@# The fuzzer runs on one core; the suite's build takes the other (the run's log in
	@# .build/fuzz.log, its end shown).
	@date +'== %T build, beside the fuzz run'
	@mkdir -p .build; FUZZ_RUNS=20000 bash scripts/fuzz.sh --run > .build/fuzz.log 2>&1 & fuzz=$$!; \
	  $(SWIFT) build --build-tests; built=$$?; \
	  wait $$fuzz; fuzzed=$$?; tail -n 3 .build/fuzz.log; \
	  if [ $$fuzzed -ne 0 ]; then cat .build/fuzz.log; exit $$fuzzed; fi; exit $$built
	@date +'== %T suite'
	$(SWIFT) test --disable-xctest
	@date +'== %T docs'
	$(MAKE) docs
	@date +'== %T release'
	$(MAKE) release
	@# The image, its checks and the CI example wait on the network, podman and peers more than
	@# on the processor: the ASan build runs beside them (its log in .build-asan/build.log).
	@date +'== %T image, CI example and conformance, beside the ASan build'
	@mkdir -p .build-asan; $(MAKE) asan-build > .build-asan/build.log 2>&1 & build=$$!; \
	  bash scripts/image.sh && bash scripts/image-check.sh && python3 scripts/ci-example.py && $(MAKE) conformance; status=$$?; \
	  wait $$build; built=$$?; \
	  if [ $$built -ne 0 ]; then cat .build-asan/build.log; exit $$built; fi; \
	  tail -n 1 .build-asan/build.log; exit $$status
	@date +'== %T load'
	$(MAKE) load
	@date +'== %T asan'
	$(MAKE) asan

# The Sigstore client conformance suite's 140 verification tests, against the release binary
# through scripts/conformance-client, each call in a network namespace with no interfaces.
conformance: static
	BULLA=$(CURDIR)/$(BULLA_STATIC) BULLA_CONFORMANCE_OFFLINE=1 bash $(SHARED)/sigstore-conformance/run.sh $(CURDIR)/scripts/conformance-client

# The admission webhook under wrk, alone on the machine, with the binary a release ships.
load: static
	BULLA_LOAD=1 BULLA_BIN=$(CURDIR)/$(BULLA_STATIC) $(SWIFT) test --skip-build --disable-xctest --filter AdmissionLoadTests

# The DocC archives of the three library modules, in .build/plugins/Swift-DocC/outputs/; a
# broken symbol link or a malformed comment fails the build.
docs:
	$(SWIFT) package --disable-sandbox generate-documentation --target BullaCrypto --target Bulla --target BullaRegistry --warnings-as-errors

# The same suite with bulla and the tests built under AddressSanitizer. Leak detection is off:
# Foundation's file reading in the test harness reports leaks of its own. Line tables are all
# the debug information a sanitizer report needs.
ASAN_BUILD = BULLA_SANITIZED=1 $(SWIFT)
ASAN_FLAGS = --sanitize=address --scratch-path .build-asan -Xswiftc -gline-tables-only
asan-build:
	$(ASAN_BUILD) build --build-tests $(ASAN_FLAGS)

asan:
	ASAN_OPTIONS=detect_leaks=0 $(ASAN_BUILD) test --disable-xctest $(ASAN_FLAGS)

demo: build
	@bash scripts/demo.sh $(BULLA_RELEASE)

bench: build
	@bash scripts/bench.sh $(BULLA_RELEASE)

clean:
	rm -rf .build .build-*

fuzz:
	@bash scripts/fuzz.sh
