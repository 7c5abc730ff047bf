#!/bin/sh
# fuzz.sh runs every fuzz target of the project (every FuzzXxx function
# of every package) for FUZZTIME each (default 10s; any value go test's
# -fuzztime takes, such as 2m or 100000x), one after the other.
#
# Seeds come from each target's f.Add calls and from testdata/fuzz/FuzzXxx
# in its package; an input that fails is written there by go test, so that
# it stays as a regression case, and the script stops with the failure.
# With KEEP_CORPUS=1 the inputs the fuzzer found interesting are copied
# from the build cache into testdata/fuzz as well. PKGS limits the run to
# some packages (default ./...).
set -eu
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-10s}
pkgs=${PKGS:-./...}
cache=$(go env GOCACHE)/fuzz

failed=""
for pkg in $(go list $pkgs); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	targets=$(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true)
	for t in $targets; do
		echo "fuzz: $pkg $t for $fuzztime" >&2
		if ! go test -run '^$' -fuzz "^$t\$" -fuzztime "$fuzztime" "$pkg"; then
			failed="$failed $pkg.$t"
			continue
		fi
		if [ "${KEEP_CORPUS:-}" = 1 ] && [ -d "$cache/$pkg/$t" ]; then
			mkdir -p "$dir/testdata/fuzz/$t"
			cp -n "$cache/$pkg/$t"/* "$dir/testdata/fuzz/$t/" 2>/dev/null || true
		fi
	done
done
if [ -n "$failed" ]; then
	echo "fuzz: failures in$failed; the failing inputs are in testdata/fuzz" >&2
	exit 1
fi
echo "fuzz: every target ran for $fuzztime without a failure" >&2
