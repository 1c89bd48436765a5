#!/bin/bash
# The worker's cancellation watcher against its own threads: many short
# jobs created at once, a few of them DELETEd, and nothing else may stop a
# job. The watcher reads a thread's job id, asks the database whether the
# job is still the thread's, and only then tells the thread to stop; if
# the job finished in between and the thread claimed the next one, that
# "stop" must not land on the new claim.
#
# The window is widened, not invented: tests/e2e/faultpoint.c, preloaded
# into the worker, holds the watcher 25 ms before each of its queries (as
# a busy disk or a descheduled main thread would), longer than a short job
# takes (~10 ms). Before the fix 5-10% of the jobs of every run were
# stopped with no DELETE, and finished jobs were logged as "no longer
# ours". Two long jobs (tests/e2e/slowio.c) DELETEd mid-remux during the
# storm show that a real cancellation still stops its job.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures.sh"

NJOBS=${NJOBS:-160}
NDELETE=${NDELETE:-12}

make_fixtures
setup "$(big_licence)" "workers = 4;" "poll_interval_ms = 10;" "lease_seconds = 8;" \
	"max_attempts = 3;" "max_pending = 100000;" "shutdown_grace = 2;"
start_lighttpd

cc -shared -fPIC $(pkg-config --cflags libpq) -o "$T/faultpoint.so" \
	"$top_srcdir/tests/e2e/faultpoint.c" -ldl
cc -shared -fPIC -o "$T/slowio.so" "$top_srcdir/tests/e2e/slowio.c" -ldl
LD_PRELOAD="$T/slowio.so:$T/faultpoint.so" ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0" \
FAULT_DELAY="watch:${WATCH_DELAY_MS:-25}" SLOWIO_DELAY_MS=50 \
	"$top_builddir/daemon/worker/archived" --config "$CONF" 2>>"$T/archived.log" &
WORKER_PID=$!
PIDS="$PIDS $WORKER_PID"

# Two long jobs: h264_aac_ts, its middle segment on the slow disk (~6 s).
slow_stream
SLOW=$SLOW_STREAM
LONG=""
for _ in 1 2; do
	api POST /api/admin/v1/downloads "{\"stream_id\": $SLOW,
		\"from\": \"$(local_time "$BASE_US")\", \"to\": \"$(local_time $((BASE_US + 12000000)))\"}"
	LONG="$LONG $(jbody .id)"
done
long_running() {
	[ "$(sql "SELECT count(*) FROM downloads WHERE stream_id=$SLOW AND condition='processing'")" = 2 ]
}
for _ in $(seq 1 50); do long_running && break; sleep 0.1; done
check "the two long jobs are running" long_running

# Short jobs: 4 s of one MP4 segment each.
STREAM2=$(index_case h264_mp4)
BODY="{\"stream_id\": $STREAM2, \"from\": \"$(local_time "$BASE_US")\", \"to\": \"$(local_time $((BASE_US + 4000000)))\"}"
post_one() {
	curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $TOKEN" \
		-H 'Content-Type: application/json' --data-binary "$BODY" \
		"$BASE/api/admin/v1/downloads"
}
export -f post_one
export BODY BASE TOKEN

t0=$(date +%s%N)
seq 1 "$NJOBS" | xargs -P 16 -I{} bash -c post_one > "$T/codes" &
storm=$!
# Mid-storm, DELETE the long jobs: the watcher stops them.
sleep 0.3
for id in $LONG; do
	api DELETE "/api/admin/v1/downloads/$id"
done
td=$(date +%s%N)
long_stopped() {
	local id
	for id in $LONG; do
		grep -q "download=$id stream=[0-9]*: stopped" "$T/archived.log" || return 1
	done
}
for _ in $(seq 1 100); do long_stopped && break; sleep 0.02; done
ms=$((($(date +%s%N) - td) / 1000000))
check "the DELETEd long jobs were stopped mid-remux (${ms} ms)" long_stopped
wait "$storm"
expect_eq "$NJOBS creates, 16 at a time, all 200" "$NJOBS" "$(grep -c '^200$' "$T/codes")"
IDS=$(sql "SELECT id FROM downloads WHERE stream_id=$STREAM2 ORDER BY id")

# DELETE a few while the queue runs: those, and only those, end cancelled.
DELETED=$(shuf -n "$NDELETE" <<<"$IDS" | sort -n)
for id in $DELETED; do
	api DELETE "/api/admin/v1/downloads/$id"
	[ "$STATUS" = 200 ] || [ "$STATUS" = 204 ] || echo "# DELETE $id: $STATUS"
	sleep 0.02
done

# Every job leaves pending/processing (a falsely stopped one only after its
# lease runs out).
settled() {
	[ "$(sql "SELECT count(*) FROM downloads WHERE condition IN ('pending', 'processing')")" = 0 ]
}
for _ in $(seq 1 300); do
	settled && break
	sleep 0.1
done
ms=$((($(date +%s%N) - t0) / 1000000))
check "every job settled (${ms} ms)" settled

DELETED=$( (tr ' ' '\n' <<<"$LONG"; echo "$DELETED") | grep . | sort -n)
deleted_list=$(tr '\n' ' ' <<<"$DELETED")
in_deleted() { grep -qw -- "$1" <<<"$deleted_list"; }

cancelled=$(sql "SELECT id FROM downloads WHERE condition='cancelled' ORDER BY id")
expect_eq "cancelled are exactly the DELETEd" "$DELETED" "$cancelled"

bad_active=$(sql "SELECT id || ':' || condition || ':' || attempts FROM downloads
	WHERE stream_id=$STREAM2 AND condition<>'cancelled' AND (condition<>'active' OR attempts<>1)")
expect_eq "every other job active at its first attempt" "" "$(tr '\n' ' ' <<<"$bad_active" | sed 's/ $//')"

# The log: "stopped" and "no longer ours" only for DELETEd jobs.
false_stops=""
for id in $(grep -oE 'download=[0-9]+ stream=[0-9]+: stopped' "$T/archived.log" | grep -oE '^download=[0-9]+' | cut -d= -f2); do
	in_deleted "$id" || false_stops="$false_stops $id"
done
expect_eq "no job stopped without a DELETE" "" "$false_stops"
false_lost=""
for id in $(grep -oE 'download=[0-9]+: no longer ours' "$T/archived.log" | grep -oE '[0-9]+'); do
	in_deleted "$id" || false_lost="$false_lost $id"
done
expect_eq "no false \"no longer ours\" (finished jobs)" "" "$false_lost"
echo "# $NJOBS short jobs, $(wc -w <<<"$DELETED") DELETEd;" \
	"stopped without a DELETE: $(wc -w <<<"$false_stops");" \
	"false \"no longer ours\": $(wc -w <<<"$false_lost");" \
	"stops logged: $(grep -c ': stopped$' "$T/archived.log" || true)"

expect_eq "one archive per active job" \
	"$(sql "SELECT count(*) FROM downloads WHERE condition='active'")" \
	"$(ls "$DL_DIR" | grep -c '\.mp4$' || true)"
expect_eq "no temp file left" 0 "$(ls -A "$DL_DIR" | grep -c '^\.tmp-' || true)"

kill -TERM "$WORKER_PID"
wait "$WORKER_PID" && rc=0 || rc=$?
expect_eq "worker exits 0 on SIGTERM" 0 "$rc"
PIDS=""
finish
