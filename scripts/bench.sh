#!/bin/sh
# bench.sh runs every benchmark of the project in interleaved rounds and
# writes BENCHMARKS.md and BENCHMARKS.svg from them (internal/benchratio,
# with the layout and prose of internal/benchratio/report.md.tmpl).
#
# It builds internal/mitbench (MIT krb5's side, a C program) first. Each
# round runs the lifecycle benchmarks, then the peer benchmarks (safekrb5,
# gokrb5 and MIT side by side on one throwaway realm) in three groups,
# then the live reload benchmarks of package gssapi, so that every ratio
# is taken between figures of the same round.
#
# Settings: ROUNDS (default 7), PEER_N (operations per fast peer
# benchmark, default 1000), SLOW_N (per login and string-to-key
# benchmark, default 100), RELOAD_N (per live reload benchmark, default
# 50000: enough for the accepts with ten reloads a second to see several
# reloads), OUT (default BENCHMARKS.md; the chart goes beside it with the
# .svg suffix).
set -eu
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-7}
peer_n=${PEER_N:-1000}
slow_n=${SLOW_N:-100}
reload_n=${RELOAD_N:-50000}
out=${OUT:-BENCHMARKS.md}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# shellcheck disable=SC2046 # krb5-config prints several flags
cc -O2 -o "$tmp/mitbench" internal/mitbench/mitbench.c \
	$(krb5-config --cflags --libs krb5 gssapi)
export SAFEKRB5_MITBENCH="$tmp/mitbench"

life="go test -run '^\$' -bench 'Call|ObjectCreateClose|ModuleEnterLeave' -benchmem -benchtime 200ms ./internal/lifecycle/"
fast="go test -run '^\$' -bench 'Accept|Initiate|Wrap|TGS|HTTP' -benchtime ${peer_n}x ./internal/peerbench/"
slow="go test -run '^\$' -bench 'Login|StringToKey' -benchtime ${slow_n}x ./internal/peerbench/"
mem="go test -run '^\$' -bench 'Mem' -benchtime 1x ./internal/peerbench/"
reload="go test -run '^\$' -bench '^BenchmarkKeyring' -benchmem -benchtime ${reload_n}x ./gssapi/"
once="go test -run '^\$' -bench 'ShutdownMillionIdle' -benchtime 1x ./internal/lifecycle/"

# run GROUP COMMAND runs COMMAND, records it once and appends its
# benchmark lines to the results.
run() {
	if [ ! -e "$tmp/cmd.$1" ]; then
		echo "# command $1: $2" >>"$tmp/results"
		: >"$tmp/cmd.$1"
	fi
	if ! sh -c "$2" >"$tmp/last" 2>&1; then
		cat "$tmp/last" >&2
		echo "bench: $1 failed" >&2
		exit 1
	fi
	grep -E '^(Benchmark|cpu:)' "$tmp/last" >>"$tmp/results"
}

i=1
while [ "$i" -le "$rounds" ]; do
	echo "bench: round $i of $rounds" >&2
	run lifecycle "$life"
	run peer "$fast"
	run slow "$slow"
	run mem "$mem"
	run reload "$reload"
	i=$((i + 1))
done
run once "$once"

go run ./internal/benchratio -in "$tmp/results" \
	-template internal/benchratio/report.md.tmpl \
	-o "$out" -svg "${out%.md}.svg"
echo "bench: wrote $out and ${out%.md}.svg" >&2
