# The two commands a new user runs: `make demo` and `make test`.
SWIFT ?= swift
BULLA_RELEASE = .build/release/bulla

.PHONY: all deps build test demo bench clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release --product bulla

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --disable-xctest

demo: build
	@bash scripts/demo.sh $(BULLA_RELEASE)

bench: build
	@bash scripts/bench.sh $(BULLA_RELEASE)

clean:
	rm -rf .build .build-*
