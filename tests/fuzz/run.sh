#!/bin/bash
# run.sh [SECONDS]: build the fuzz targets (build.sh), then run each for
# SECONDS (default 60), two at a time, from the seed corpus in
# tests/fuzz/corpus/<target> (read only: what a run finds goes to a temp
# directory). Prints per target the executions, their rate, coverage (cov:
# edges, ft: features), the corpus it ended with and its crashes, and
# ends with "N passed, N failed". Exit status 1 if any target found a
# crash, a leak, a timeout or ran out of memory; 2 if the build failed.
#
#   FUZZ_JOBS     targets at once (default 2, one per core of the CI host)
#   FUZZ_TARGETS  the targets to run (default all)
#   FUZZ_CRASHES  where crash files go (default a new temp dir, kept and
#                 named if anything was found, removed otherwise)
# Reproduce a crash: FUZZ_BUILD's bin/<target> <crash file>.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SECS=${1:-60}
JOBS=${FUZZ_JOBS:-2}
ALL="fuzz_ts fuzz_mp4 fuzz_fmp4 fuzz_router fuzz_json_form fuzz_time fuzz_pusher fuzz_layout"
TARGETS=${FUZZ_TARGETS:-$ALL}

case $SECS in
'' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac

START=$(date +%s)
if ! BIN=$(bash "$HERE/build.sh" $TARGETS | tail -n 1) || [ ! -d "$BIN" ]; then
	echo "run.sh: the build failed" >&2
	exit 2
fi

# Scratch space: a tmpfs if there is one (the media targets write each
# input to a file), removed at the end. Crash files outlive it.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	WORK=$(mktemp -d /dev/shm/archived-fuzz-run.XXXXXX)
else
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/archived-fuzz-run.XXXXXX")
fi
CRASHES=${FUZZ_CRASHES:-$(mktemp -d "${TMPDIR:-/tmp}/archived-fuzz-crashes.XXXXXX")}
mkdir -p "$CRASHES"
cleanup() {
	local f
	# Fuzzers still running (an interrupted run): stop them, by pid.
	for f in "$WORK"/*.pid; do
		[ -f "$f" ] && [ ! -f "${f%.pid}.rc" ] && kill "$(cat "$f")" 2>/dev/null
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Options per target: the media readers must never hang on a segment
# (-timeout=5); inputs as large as a few pictures.
options() {
	case $1 in
	fuzz_ts | fuzz_mp4 | fuzz_fmp4) echo "-max_len=65536 -timeout=5" ;;
	fuzz_router) echo "-max_len=8192 -timeout=10" ;;
	fuzz_pusher) echo "-max_len=8192 -timeout=10" ;;
	fuzz_json_form) echo "-max_len=4096 -timeout=10" ;;
	fuzz_time) echo "-max_len=128 -timeout=10" ;;
	fuzz_layout) echo "-max_len=512 -timeout=10" ;;
	esac
}

# The dictionary of each target: tokens of its input format.
dict() {
	case $1 in
	fuzz_mp4 | fuzz_fmp4) echo "$HERE/mp4.dict" ;;
	fuzz_ts) echo "$HERE/ts.dict" ;;
	fuzz_router | fuzz_json_form) echo "$HERE/http.dict" ;;
	fuzz_pusher) echo "$HERE/pusher.dict" ;;
	esac
}

run_one() {
	local t=$1 d pid rc
	mkdir -p "$WORK/corpus/$t" "$WORK/tmp/$t"
	d=$(dict "$t")
	# shellcheck disable=SC2046
	TMPDIR=$WORK/tmp/$t "$BIN/$t" $(options "$t") ${d:+-dict="$d"} \
		-max_total_time="$SECS" -print_final_stats=1 -rss_limit_mb=2048 \
		-artifact_prefix="$CRASHES/$t-" \
		"$WORK/corpus/$t" "$HERE/corpus/$t" >"$WORK/$t.log" 2>&1 &
	pid=$!
	echo "$pid" >"$WORK/$t.pid"
	wait "$pid"
	rc=$?
	echo "$rc" >"$WORK/$t.rc"
}

for t in $TARGETS; do
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
		wait -n
	done
	run_one "$t" &
done
wait

passed=0
failed=0
printf '%-15s %10s %8s %6s %7s %14s %8s  %s\n' target execs exec/s cov ft corpus crashes result
for t in $TARGETS; do
	log=$WORK/$t.log
	rc=$(cat "$WORK/$t.rc" 2>/dev/null || echo 1)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	# The last status line: "#N DONE cov: X ft: Y corp: A/Bb ..."
	last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
	corp=$(sed -n 's/.* corp: \([^ ]*\).*/\1/p' <<<"$last")
	ncrash=$(find "$CRASHES" -maxdepth 1 -name "$t-*" -type f | wc -l)
	if [ "$rc" = 0 ] && [ "$ncrash" = 0 ]; then
		result=ok
		passed=$((passed + 1))
	else
		result="FAILED (exit $rc)"
		failed=$((failed + 1))
	fi
	printf '%-15s %10s %8s %6s %7s %14s %8s  %s\n' "$t" "${execs:-?}" "${rate:-?}" \
		"${cov:-?}" "${ft:-?}" "${corp:-?}" "$ncrash" "$result"
	if [ "$result" != ok ]; then
		# What the sanitizer or libFuzzer said, and where the input is.
		grep -E 'ERROR: |SUMMARY: |invariant failed|^artifact_prefix|Test unit written|==[0-9]+== ?(ERROR|WARNING)' \
			"$log" | head -n 8 | sed 's/^/    /'
	fi
done
if [ "$failed" -gt 0 ]; then
	echo "crash files: $CRASHES (run FUZZ_BUILD's bin/<target> FILE to reproduce)"
elif [ -z "${FUZZ_CRASHES:-}" ]; then
	rmdir "$CRASHES" 2>/dev/null
fi
echo "took $(($(date +%s) - START)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
