#!/bin/bash
# The worker when things go wrong: kill -9 mid-remux, DELETE of a running
# job, SIGTERM with a job in hand, a lease left by a dead worker, a job
# that keeps dying (its lease running out elsewhere, or killing the worker
# at every restart), SIGHUP, and a second worker on the same data.
#
# A slow disk (tests/e2e/slowio.c, preloaded into the worker) makes a job
# reliably be in the middle of its remux: its middle segment is read 4 KiB
# at a time, 20 ms apart. Its "killdisk" kills the worker (SIGKILL) on
# the first read of a segment kept there: a poison recording.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures.sh"

make_fixtures
setup "$(big_licence)" "workers = 1;" "poll_interval_ms = 200;" "shutdown_grace = 1;" \
	"lease_seconds = 3;" "max_attempts = 3;"
start_lighttpd

cc -shared -fPIC -o "$T/slowio.so" "$top_srcdir/tests/e2e/slowio.c" -ldl
start_worker() {
	LD_PRELOAD="$T/slowio.so" ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0" \
		"$top_builddir/daemon/worker/archived" --config "$CONF" 2>>"$T/archived.log" &
	WORKER_PID=$!
	PIDS="$PIDS $WORKER_PID"
}

# unslow N: move stream N's slow segment to an ordinary disk (same path:
# a link), so that a restarted worker finishes quickly.
unslow() {
	local dir="$T/rec$1"
	mv "$dir/slowdisk" "$dir/fastdisk"
	ln -s fastdisk "$dir/slowdisk"
}

post_slow() {
	api POST /api/admin/v1/downloads "{\"stream_id\": $SLOW_STREAM,
		\"from\": \"$(local_time "$BASE_US")\", \"to\": \"$(local_time $((BASE_US + 12000000)))\"}"
	jbody .id
}

# Wait until the job is processing and its temp file exists.
wait_running() {
	local id=$1 i
	for i in $(seq 1 100); do
		if [ "$(sql "SELECT condition FROM downloads WHERE id=$id")" = processing ] &&
			ls -A "$DL_DIR" | grep -q '^\.tmp-'; then
			sleep 0.3
			return 0
		fi
		sleep 0.1
	done
	return 1
}

temps() { ls -A "$DL_DIR" | grep -c '^\.tmp-' || true; }

# --- kill -9 in the middle of a remux, then start again
slow_stream
start_worker
ID=$(post_slow)
check "job is mid-remux" wait_running "$ID"
kill -9 "$WORKER_PID"
wait "$WORKER_PID" 2>/dev/null || true
expect_eq "after kill -9 the row is still processing" processing "$(sql "SELECT condition FROM downloads WHERE id=$ID")"
expect_eq "after kill -9 a temp file is left" 1 "$(temps)"
unslow 1
start_worker
check "restarted worker completes the job" wait_download "$ID" 30
expect_eq "the job is active" active "$COND"
expect_eq "it took a second attempt" 2 "$(sql "SELECT attempts FROM downloads WHERE id=$ID")"
expect_eq "no temp file left" 0 "$(temps)"
expect_eq "exactly one archive" 1 "$(ls "$DL_DIR" | wc -l)"
check "the restart gave the job back at once" grep -q "gave back 1 job" "$T/archived.log"
expect_eq "one archive_generated event" 1 \
	"$(sql "SELECT count(*) FROM events WHERE download_id=$ID AND type='archive_generated'")"

# --- DELETE of a processing job stops it within a second, no temp file
slow_stream
ID=$(post_slow)
check "second job is mid-remux" wait_running "$ID"
api DELETE "/api/admin/v1/downloads/$ID"
t0=$(date +%s%N)
for _ in $(seq 1 40); do
	[ "$(temps)" = 0 ] && break
	sleep 0.05
done
ms=$((($(date +%s%N) - t0) / 1000000))
echo "# cancel took ${ms} ms"
check "DELETE stopped the remux within a second (${ms} ms)" test "$ms" -le 1000
expect_eq "the row stays cancelled" cancelled "$(sql "SELECT condition FROM downloads WHERE id=$ID")"
expect_eq "no archive for it" 1 "$(ls "$DL_DIR" | wc -l)"

# --- SIGTERM with a job in hand: handed back within the grace, exit 0
slow_stream
ID=$(post_slow)
check "third job is mid-remux" wait_running "$ID"
t0=$(date +%s%N)
kill -TERM "$WORKER_PID"
wait "$WORKER_PID" && rc=0 || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
expect_eq "SIGTERM: exit status 0" 0 "$rc"
check "SIGTERM: stopped within the grace period and a second (${ms} ms)" test "$ms" -le 2500
expect_eq "SIGTERM: job handed back" pending "$(sql "SELECT condition FROM downloads WHERE id=$ID")"
expect_eq "SIGTERM: the attempt is not counted" 0 "$(sql "SELECT attempts FROM downloads WHERE id=$ID")"
expect_eq "SIGTERM: no temp file" 0 "$(temps)"
unslow 3
start_worker
check "the handed-back job completes after a restart" wait_download "$ID" 30
expect_eq "handed-back job active" active "$COND"

# --- a lease left by a dead worker elsewhere is taken over when it expires
STREAM2=$(index_case h264_mp4)
api POST /api/admin/v1/downloads "{\"stream_id\": $STREAM2,
	\"from\": \"$(local_time "$BASE_US")\", \"to\": \"$(local_time $((BASE_US + 4000000)))\"}"
ID=$(jbody .id)
wait_download "$ID" 30
sql "UPDATE downloads SET condition='processing', lease_owner='elsewhere/1/0',
	lease_until=$(( ($(date +%s) + 2) * 1000000 )), attempts=1, path=NULL,
	is_file_exists=0 WHERE id=$ID"
sleep 0.5
expect_eq "a live lease is respected" elsewhere/1/0 "$(sql "SELECT lease_owner FROM downloads WHERE id=$ID")"
check "the expired lease is taken over" wait_download "$ID" 30
expect_eq "taken-over job active" active "$COND"
expect_eq "taken over as a second attempt" 2 "$(sql "SELECT attempts FROM downloads WHERE id=$ID")"

# --- a job whose worker died max_attempts times ends failed, with its event
sql "UPDATE downloads SET condition='processing', lease_owner='elsewhere/1/0',
	lease_until=1, attempts=3 WHERE id=$ID"
check "the exhausted job is failed" wait_download "$ID" 10
expect_eq "exhausted: failed" failed "$COND"
api GET "/api/admin/v1/downloads/$ID"
expect_eq "exhausted: error.code" worker_lost "$(jbody .error.code)"
check "exhausted: the message says what happened" grep -q "interrupted 3 times" <<<"$(jbody .error.message)"
expect_eq "exhausted: an error event" error \
	"$(sql "SELECT payload FROM events WHERE download_id=$ID ORDER BY id DESC LIMIT 1" | jq -r .status)"

# --- SIGHUP reloads the configuration (a new download_ttl applies)
sed -i 's/^data_dir/download_ttl = 60;\ndata_dir/' "$CONF"
kill -HUP "$WORKER_PID"
sleep 0.5
api POST "/api/admin/v1/downloads/$ID/repeat"
check "repeat after reload completes" wait_download "$ID" 30
expect_eq "the reloaded download_ttl is used" 60 \
	"$(sql "SELECT (expires_at - updated_at) / 1000000 FROM downloads WHERE id=$ID")"
check "reload logged" grep -q "configuration reloaded" "$T/archived.log"

# --- a second worker on the same data directory is refused
out=$("$top_builddir/daemon/worker/archived" --config "$CONF" 2>&1) && rc=0 || rc=$?
check "a second worker exits non-zero" test "$rc" -ne 0
check "and says why" grep -q "another archived is running" <<<"$out"

# --- a read-only run directory is named as such, not as another worker
if [ "$(id -u)" -eq 0 ] && mkdir -p "$T/rorun" &&
	mount -t tmpfs -o ro archived-test "$T/rorun" 2>/dev/null; then
	sed "s|^data_dir = .*|&\nrun_dir = \"$T/rorun\";|" "$CONF" > "$T/ro.conf"
	out=$("$top_builddir/daemon/worker/archived" --config "$T/ro.conf" 2>&1) && rc=0 || rc=$?
	umount "$T/rorun"
	check "a read-only run directory: the worker exits non-zero" test "$rc" -ne 0
	check "and names the real error" grep -q "Read-only file system" <<<"$out"
	expect_eq "not another worker" 0 "$(grep -c 'another archived' <<<"$out")"
else
	echo "# not root or no tmpfs mounts: read-only run directory not checked"
fi

# --- a job that kills its worker every time (a poison recording), with the
# worker restarted after each death as systemd's Restart=on-failure does:
# each crash counts as an attempt, and the start after the max_attempts-th
# (3) fails the job, worker_lost, with its error event, in one transaction;
# that worker lives on.
slow_stream killdisk
ID=$(post_slow)
deaths=0
exec 3>&2 2>/dev/null	# no "Killed" notices from the shell
for _ in $(seq 1 8); do
	# Wait for this worker to die, or the job to end.
	for _ in $(seq 1 100); do
		kill -0 "$WORKER_PID" 2>/dev/null || break
		case $(sql "SELECT condition FROM downloads WHERE id=$ID") in
		pending|processing) sleep 0.1 ;;
		*) break ;;
		esac
	done
	kill -0 "$WORKER_PID" 2>/dev/null && break
	wait "$WORKER_PID" 2>/dev/null || true
	deaths=$((deaths + 1))
	sleep 0.2	# RestartSec
	start_worker
done
exec 2>&3 3>&-
echo "# the poison job killed the worker $deaths times"
wait_download "$ID" 10 || true
expect_eq "poison: the job ends failed" failed "$COND"
expect_eq "poison: after max_attempts (3) deaths" 3 "$deaths"
expect_eq "poison: 3 attempts counted" 3 "$(sql "SELECT attempts FROM downloads WHERE id=$ID")"
api GET "/api/admin/v1/downloads/$ID"
expect_eq "poison: error.code" worker_lost "$(jbody .error.code)"
check "poison: the message says what happened" grep -q "interrupted 3 times" <<<"$(jbody .error.message)"
expect_eq "poison: one archive_generated event, an error" error \
	"$(sql_list , "SELECT $EV_STATUS FROM events
		WHERE download_id=$ID AND type='archive_generated'")"
sleep 0.5
check "poison: the worker that failed it lives on" kill -0 "$WORKER_PID"
check "poison: and says so" grep -q "download=$ID: failed: its worker was lost" "$T/archived.log"
expect_eq "poison: no temp file" 0 "$(temps)"

kill -TERM "$WORKER_PID"
wait "$WORKER_PID" && rc=0 || rc=$?
expect_eq "idle worker exits 0 on SIGTERM" 0 "$rc"
PIDS=""
finish
