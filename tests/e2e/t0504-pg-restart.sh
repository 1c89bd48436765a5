#!/bin/bash
# The PostgreSQL server restarts (an upgrade, a failover to the same
# address) under running daemons: each connection the old server closed is
# noticed before its next statement and opened again. The API answers at
# once, the worker claims and finishes new jobs, archive-pushd delivers
# their events (its wake-up relay listens again), and nothing is lost.
# It runs in the suite's PostgreSQL pass (ARCHIVED_TEST_DB=postgresql).
. "$(dirname "$0")/lib.sh"
pg_pass_only "a PostgreSQL server's restart"
. "$top_srcdir/tests/e2e/push/lib-push.sh"
. "$(dirname "$0")/fixtures.sh"

command -v node >/dev/null || { echo "# node not installed: skipped"; exit 77; }
make_fixtures
push_npm
# Polling once a minute: what wakes the worker and pushd after the
# restart is the relay, listening again.
setup "poll_interval_ms = 60000;" "log_file = \"$T/archived.log\";"
start_lighttpd
start_pushd
start_worker
STREAM1=$(index_case h264_aac_ts)
login bob 'correct horse battery'
client "$T/c" --token "$LOGIN_TOKEN" --channel "private-token.$LOGIN_TOKEN_ID" \
	--events 2 --timeout 90
C=$CLIENT_PID
check "subscribed" wait_line "$T/c" '.type == "subscribed"'

export_one() {
	TOKEN=$LOGIN_TOKEN api POST /api/v1/downloads "{\"from\": \"$(local_time "$BASE_US")\",
		\"to\": \"$(local_time $((BASE_US + 4000000)))\",
		\"ids\": [$(sql "SELECT camera_id FROM streams WHERE id=$STREAM1")]}"
	jbody '.[0].id'
}
ID1=$(export_one)
wait_download "$ID1" 30
expect_eq "before the restart: exported" active "$COND"
# The worker (main thread, 2 workers, relay), pushd (its own, relay) and the
# responders: named for pg_stat_activity.
check "the daemons' connections are named archived (at least 5)" test \
	"$(sql "SELECT count(*) FROM pg_stat_activity WHERE application_name='archived'")" -ge 5

pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -s restart \
	-o "-k $PG_DIR -p $PG_PORT -c listen_addresses=127.0.0.1 -c fsync=off" >/dev/null
# Each responder's connection was closed by the old server: it notices
# before its next statement and reconnects, so no request fails.
codes=""
for i in 1 2 3 4; do
	TOKEN=$LOGIN_TOKEN api GET /api/v1/user
	codes="$codes $STATUS"
done
expect_eq "the API answers at once after the restart, every request" " 200 200 200 200" "$codes"
ID2=$(export_one)
expect_eq "a create after the restart" 200 "$STATUS"
wait_download "$ID2" 30
expect_eq "the worker exports it (woken by the relay, not its poll)" active "$COND"
expect_eq "claimed within 5 s of its creation" 1 \
	"$(sql "SELECT CASE WHEN claimed_at - created_at < 5000000 THEN 1 ELSE 0 END FROM downloads WHERE id=$ID2")"
check "pushd delivers its archive_generated" wait_line "$T/c" \
	".type == \"event\" and .data.data.type == \"archive_generated\" and .data.data.data.download.id == $ID2" 15
check "and had delivered the first" grep -q "\"id\":$ID1" "$T/c"
check "the relay said it lost the wake-ups, and came back" grep -q "lost the database's wake-ups" "$T/archived.log"
wait "$C" 2>/dev/null || true
expect_eq "nothing lost: two exports, two events" "2 2" \
	"$(sql "SELECT count(*) FROM downloads WHERE condition='active'") $(sql "SELECT count(*) FROM events WHERE type='archive_generated'")"
finish
