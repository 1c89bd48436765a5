#!/bin/bash
# kill -9 of the worker at many moments, then the promises of
# docs/RELIABILITY.md checked on what is left: no job lost, exactly one
# file per finished job and none half-written (or a stray temp), every job
# finished or failed within max_attempts, one archive_generated event per
# finished job.
#
# The real worker (2 threads), SQLite, lighttpd and fixtures. Two kinds of
# kill, KILLS_AT of each point plus KILLS_RANDOM, in a shuffled order:
# - at a named point: tests/e2e/faultpoint.c, preloaded, kills the worker
#   (SIGKILL) the N-th time it reaches claim, claimed, write (mid-remux),
#   fsync, rename, renamed (the file has its final name, the row is not
#   active yet), complete (the row's UPDATE done, not committed) or
#   completed;
# - at a random moment, by the test (kill -9 after 0-500 ms), the points
#   the threads had reached recorded by faultpoint.c's trace.
# tests/e2e/slowio.c slows the middle segment and faultpoint.c adds a few
# ms at each point, so that a random moment falls in each window. Jobs are
# created before and between the kills; after the last, one worker runs
# undisturbed until the queue is empty (as systemd restarts it).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures.sh"

KILLS_AT=${KILLS_AT:-3}
KILLS_RANDOM=${KILLS_RANDOM:-50}
MAX_ATTEMPTS=3
POINTS="claim claimed write fsync rename renamed complete completed"

make_fixtures
setup "$(big_licence)" "workers = 2;" "poll_interval_ms = 50;" "lease_seconds = 3;" \
	"max_attempts = $MAX_ATTEMPTS;" "max_pending = 100000;" "shutdown_grace = 1;"
start_lighttpd

cc -shared -fPIC -o "$T/slowio.so" "$top_srcdir/tests/e2e/slowio.c" -ldl
cc -shared -fPIC $(pkg-config --cflags libpq) -o "$T/faultpoint.so" \
	"$top_srcdir/tests/e2e/faultpoint.c" -ldl

# The recording: h264_aac_ts, its middle segment on the slow disk.
slow_stream
CSTREAM=$SLOW_STREAM

CREATED=""
create() {
	local i
	for i in $(seq 1 "$1"); do
		api POST /api/admin/v1/downloads "{\"stream_id\": $CSTREAM,
			\"from\": \"$(local_time "$BASE_US")\", \"to\": \"$(local_time $((BASE_US + 12000000)))\"}"
		if [ "$STATUS" = 200 ]; then
			CREATED="$CREATED $(jbody .id)"
		else
			echo "# create answered $STATUS"
		fi
	done
}

# start_worker [FAULT_KILL]: the worker with both shims, tracing.
start_worker() {
	rm -f "$T/trace"
	LD_PRELOAD="$T/slowio.so:$T/faultpoint.so" \
	ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0" \
	SLOWIO_DELAY_MS=3 SLOWIO_CHUNK=16384 \
	FAULT_DELAY="claim:15,claimed:10,fsync:25,rename:15,renamed:25,complete:15,completed:10" \
	FAULT_TRACE="$T/trace" FAULT_KILL="${1:-}" \
		"$top_builddir/daemon/worker/archived" --config "$CONF" 2>>"$T/archived.log" &
	WORKER_PID=$!
}

# Where the worker threads were: the last point each reached ("none":
# starting, or idle), the main thread's "watch" left out.
where() {
	local w
	w=$(tr '\0' '\n' < "$T/trace" 2>/dev/null | grep -v '^$' | grep -v '^watch$' |
		sort | tr '\n' ',' | sed 's/,$//')
	echo "${w:-none}"
}

alive() { kill -0 "$WORKER_PID" 2>/dev/null; }

# The schedule: each point KILLS_AT times (at its 1st to 3rd passage) and
# the random kills, shuffled.
{
	for p in $POINTS; do
		for _ in $(seq 1 "$KILLS_AT"); do echo "$p:$(shuf -i 1-3 -n 1)"; done
	done
	for _ in $(seq 1 "$KILLS_RANDOM"); do echo "random"; done
} | shuf > "$T/schedule"

create 8
t0=$(date +%s%N)
KILLS=0
: > "$T/kills"
exec 3>&2 2>/dev/null	# no "Killed" notices from the shell
# Keep work queued, so that every point is reached soon after a start.
top_up() {
	local n
	n=$(sql "SELECT count(*) FROM downloads WHERE condition IN ('pending', 'processing')")
	[ "$n" -ge 4 ] || create $((4 - n))
}
while read -r what; do
	top_up
	if [ "$what" = random ]; then
		start_worker
		sleep "0.$(printf '%03d' "$(shuf -i 0-500 -n 1)")"
		if alive; then
			echo "random $(where)" >> "$T/kills"
			kill -9 "$WORKER_PID"
		fi
	else
		start_worker "$what"
		for _ in $(seq 1 40); do alive || break; sleep 0.05; done
		if alive; then
			# Not reached in 2 s: a random kill after all.
			echo "random $(where)" >> "$T/kills"
			kill -9 "$WORKER_PID"
		else
			echo "at ${what%%:*}" >> "$T/kills"
		fi
	fi
	wait "$WORKER_PID" || true
done < "$T/schedule"
exec 2>&3 3>&-
KILLS=$(grep -c . "$T/kills")
ms=$((($(date +%s%N) - t0) / 1000000))
echo "# $KILLS kills in ${ms} ms; at a point: $(grep '^at ' "$T/kills" | cut -d' ' -f2 | sort | uniq -c | awk '{printf "%s %s, ", $2, $1}')"
echo "# random, where the threads were: $(grep '^random ' "$T/kills" | cut -d' ' -f2 | tr ',' '\n' | sort | uniq -c | awk '{printf "%s %s, ", $2, $1}')"
RANDOM_KILLS=$(grep -c '^random ' "$T/kills" || true)
check "at least 50 kills at random moments ($RANDOM_KILLS of $KILLS)" test "$RANDOM_KILLS" -ge 50
for p in $POINTS; do
	n=$(grep -c "^at $p\$" "$T/kills" || true)
	check "killed at $p ($n times)" test "$n" -ge 1
done

# The last start: nothing kills it; the queue drains.
start_worker
PIDS="$PIDS $WORKER_PID"
NJOBS=$(wc -w <<<"$CREATED")
settled() {
	[ "$(sql "SELECT count(*) FROM downloads WHERE condition IN ('pending', 'processing')")" = 0 ]
}
for _ in $(seq 1 600); do
	settled && break
	sleep 0.1
done
check "every job settled" settled
kill -TERM "$WORKER_PID"
wait "$WORKER_PID" && rc=0 || rc=$?
expect_eq "the last worker exits 0 on SIGTERM" 0 "$rc"
PIDS=""

# --- the invariants
ids_db=$(sql "SELECT id FROM downloads WHERE stream_id=$CSTREAM ORDER BY id" | tr '\n' ' ' | sed 's/ $//')
expect_eq "0 jobs lost: every created job ($NJOBS) is in the database" \
	"$(tr ' ' '\n' <<<"$CREATED" | grep . | sort -n | tr '\n' ' ' | sed 's/ $//')" "$ids_db"
expect_eq "every job finished or failed" "" \
	"$(sql "SELECT id || ':' || condition FROM downloads WHERE condition NOT IN ('active', 'failed')")"
expect_eq "every job within max_attempts ($MAX_ATTEMPTS)" "" \
	"$(sql "SELECT id || ':' || attempts FROM downloads WHERE attempts > $MAX_ATTEMPTS OR attempts < 1")"
expect_eq "a failed job failed for its lost worker, after max_attempts" "" \
	"$(sql "SELECT id || ':' || error_code || ':' || attempts FROM downloads WHERE condition='failed'
		AND (error_code IS NULL OR error_code <> 'worker_lost' OR attempts <> $MAX_ATTEMPTS)")"
expect_eq "one archive_generated event per finished job, ok for active, error for failed" "" \
	"$(sql "SELECT d.id || ':' || d.condition || ':' || count(e.id) || ':' || count(e.ok)
		FROM downloads d LEFT JOIN (SELECT id, download_id,
			CASE WHEN $EV_STATUS = 'ok' THEN 1 END AS ok FROM events
			WHERE type='archive_generated') e ON e.download_id=d.id
		GROUP BY d.id, d.condition HAVING count(e.id) <> 1
		OR count(e.ok) <> CASE d.condition WHEN 'active' THEN 1 ELSE 0 END")"

# Files: exactly those of the active rows, each whole.
expect_eq "no temp file left" "" "$(ls -A "$DL_DIR" | grep -v '\.mp4$' || true)"
ls "$DL_DIR" | sort > "$T/files"
sql "SELECT path FROM downloads WHERE condition='active'" | sort > "$T/owned"
expect_eq "exactly one file per finished job: no file without its row" "" \
	"$(comm -23 "$T/files" "$T/owned" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "and no active job without its file" "" \
	"$(comm -13 "$T/files" "$T/owned" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "one active row per file" "" \
	"$(sql "SELECT path FROM downloads WHERE condition='active' GROUP BY path HAVING count(*) > 1")"
bad_size=""
while IFS='|' read -r id path size; do
	[ "$(stat -c %s "$DL_DIR/$path" 2>/dev/null)" = "$size" ] || bad_size="$bad_size $id"
done < <(sql "SELECT id, path, size FROM downloads WHERE condition='active'")
expect_eq "each file has the size its row records" "" "$bad_size"
# The same range of the same recording: every archive is the same bytes,
# and a complete MP4 (moov and mdat, its video track with every sample).
nsums=$(cd "$DL_DIR" && sha256sum -- *.mp4 | cut -d' ' -f1 | sort -u | wc -l)
expect_eq "every archive identical (none half-written)" 1 "$nsums"
first=$(ls "$DL_DIR" | head -1)
python3 "$top_srcdir/tests/e2e/mp4info.py" "$DL_DIR/$first" >"$T/mp4info.json" && rc=0 || rc=$?
expect_eq "and a whole MP4 (mp4info reads it)" 0 "$rc"
expect_eq "ftyp, moov, mdat" '["ftyp","moov","mdat"]' "$(jq -c '.boxes | map(select(. != "free"))' "$T/mp4info.json" 2>/dev/null || echo '?')"

echo "# $NJOBS jobs: $(sql_list ', ' "SELECT count(*) || ' ' || condition FROM downloads GROUP BY condition");" \
	"attempts: $(sql_list ', ' "SELECT attempts || 'x' || count(*) FROM downloads GROUP BY attempts");" \
	"orphans removed at start: $(grep -c 'left by a previous run' "$T/archived.log" || true);" \
	"jobs given back at start: $(grep -oE 'gave back [0-9]+' "$T/archived.log" | awk '{s += $3} END {print s + 0}')"
finish
