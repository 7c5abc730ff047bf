# safekrb5: `make demo` runs the library end to end against a throwaway MIT
# realm; `make test` runs the whole suite. Both install the Debian packages
# they need first (scripts/deps.sh, with sudo when not root).

export PATH := /usr/local/go/bin:$(PATH)
GO ?= go

.PHONY: all deps build vet test demo demo-ad bench

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

# Benchmarks in interleaved rounds; prints the ratios BENCHMARKS.md quotes.
bench:
	./scripts/bench.sh
