# safekrb5: `make demo` runs the library end to end against a throwaway MIT
# realm; `make test` runs the whole suite. Both install the Debian packages
# they need first (scripts/deps.sh, with sudo when not root).

export PATH := /usr/local/go/bin:$(PATH)
GO ?= go

.PHONY: all deps build vet test demo demo-ad bench fuzz

all: build

deps:
	./scripts/deps.sh

build:
	$(GO) build ./...

vet:
	$(GO) vet ./...

test: deps vet
	$(GO) test -race -timeout 18m ./...

demo: deps
	$(GO) run ./cmd/safekrb5 demo

# The same against a Samba Active Directory domain controller, showing the
# PAC; provisioning the domain needs root.
demo-ad: deps
	$(GO) run ./cmd/safekrb5 demo -kdc ad

# Every benchmark in interleaved rounds against gokrb5 and MIT krb5; writes
# BENCHMARKS.md and BENCHMARKS.svg. ROUNDS, PEER_N, SLOW_N and RELOAD_N tune it (see
# scripts/bench.sh).
bench: deps
	./scripts/bench.sh

# Every fuzz target for FUZZTIME each (default 10s): scripts/fuzz.sh.
fuzz:
	./scripts/fuzz.sh
