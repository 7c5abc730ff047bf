#!/bin/sh
# bench.sh runs the lifecycle benchmarks in interleaved rounds and prints
# the ratios BENCHMARKS.md quotes. ROUNDS (default 7) sets the rounds.
set -eu
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-7}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
i=0
while [ "$i" -lt "$rounds" ]; do
	go test -run '^$' -bench 'Call|ObjectCreateClose|ModuleEnterLeave' -benchmem -benchtime 200ms \
		./internal/lifecycle/ | grep '^Benchmark' >>"$out"
	i=$((i + 1))
done
go run ./internal/benchratio \
	CallGuarded/CallAtomicAdd CallGuarded/CallRWMutex CallGuarded/CallUnguarded \
	CallParallelGuardedShared/CallParallelRWMutex \
	CallParallelGuardedShared/CallParallelAtomicAdd \
	CallParallelGuardedOwn/CallGuarded <"$out"
echo
go test -run '^$' -bench 'ShutdownMillionIdle' -benchtime 1x \
	./internal/lifecycle/ | grep '^Benchmark'
