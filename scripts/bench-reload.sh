#!/bin/sh
# bench-reload.sh runs the live reload benchmarks of package gssapi in
# interleaved rounds (the three accept benchmarks in a rotating order,
# then a reload benchmark, every round) and prints the ratios
# BENCHMARKS.md quotes, of CPU time per operation and of wall-clock time. ROUNDS (default 11) sets the rounds, N (default
# 20000) the operations per benchmark.
set -eu
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-11}
n=${N:-20000}
bin=$(mktemp)
out=$(mktemp)
trap 'rm -f "$bin" "$out"' EXIT
go test -c -o "$bin" ./gssapi/
set -- KeyringAcceptSteady KeyringAcceptReload10PerSec KeyringAcceptReloadNonstop
i=0
while [ "$i" -lt "$rounds" ]; do
	for b in "$@" KeyringReload; do
		(cd gssapi && "$bin" -test.run '^$' -test.bench "^Benchmark$b\$" \
			-test.benchmem -test.benchtime "${n}x") | grep '^Benchmark' >>"$out"
	done
	set -- "$2" "$3" "$1"
	i=$((i + 1))
done
cat "$out"
for unit in cpu-ns/op ns/op; do
	echo
	go run ./internal/benchratio -unit "$unit" \
		KeyringAcceptReload10PerSec/KeyringAcceptSteady \
		KeyringAcceptReloadNonstop/KeyringAcceptSteady \
		KeyringReload/KeyringAcceptSteady <"$out"
done
