#!/bin/bash
# The PostgreSQL server restarts (an upgrade, a failover to the same
# address) under running daemons: each connection the old server closed is
# noticed before its next statement and opened again. The API answers at
# once, the worker claims and finishes new jobs, archive-pushd delivers
# their events (its wake-up relay listens again), and nothing is lost.
# Then an outage of 8 s: the API answers 503, the daemons and the push
# connection stay up, and all works again once the server is back.
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

CAM1=$(sql "SELECT camera_id FROM streams WHERE id=$STREAM1")
# export_one: POST a 4-s export; STATUS, and its id in EXPORTED.
export_one() {
	TOKEN=$LOGIN_TOKEN api POST /api/v1/downloads "{\"from\": \"$(local_time "$BASE_US")\",
		\"to\": \"$(local_time $((BASE_US + 4000000)))\", \"ids\": [$CAM1]}"
	EXPORTED=$(jbody '.[0].id' 2>/dev/null || true)
}
# four_requests: the statuses of four GET /user in a row, in CODES.
four_requests() {
	CODES=""
	for _ in 1 2 3 4; do
		TOKEN=$LOGIN_TOKEN api GET /api/v1/user
		CODES="$CODES $STATUS"
	done
}

export_one
ID1=$EXPORTED
wait_download "$ID1" 30
expect_eq "before the restart: exported" active "$COND"
# The worker (main thread, 2 workers, relay), pushd (its own, relay) and the
# responders: named for pg_stat_activity.
check "the daemons' connections are named archived (at least 5)" test \
	"$(sql "SELECT count(*) FROM pg_stat_activity WHERE application_name='archived'")" -ge 5

pg_server restart >/dev/null
# Each responder's connection was closed by the old server: it notices
# before its next statement and reconnects, so no request fails.
four_requests
expect_eq "the API answers at once after the restart, every request" \
	" 200 200 200 200" "$CODES"
export_one
ID2=$EXPORTED
expect_eq "a create after the restart" 200 "$STATUS"
wait_download "$ID2" 30
expect_eq "the worker exports it (woken at once, not by its once-a-minute poll)" active "$COND"
expect_eq "claimed within 5 s of its creation" 1 \
	"$(sql "SELECT CASE WHEN claimed_at - created_at < 5000000 THEN 1 ELSE 0 END FROM downloads WHERE id=$ID2")"
check "pushd delivers its archive_generated" wait_line "$T/c" \
	".type == \"event\" and .data.data.type == \"archive_generated\" and .data.data.data.download.id == $ID2" 15
check "and had delivered the first" grep -q "\"id\":$ID1" "$T/c"
check "the relays said they lost the wake-ups" grep -q "lost the database's wake-ups" "$T/archived.log"
wait "$C" 2>/dev/null || true

# --- an outage: the server stays away for 8 s. The API says so, the
# daemons and the push connection stay up, and once the server is back
# everything works again at once; the wake-up relays, which retry with a
# back-off (1, 2, 4, 8 s), listen again.
client "$T/c2" --token "$LOGIN_TOKEN" --channel "private-token.$LOGIN_TOKEN_ID" \
	--events 1 --timeout 90 --states
C2=$CLIENT_PID
check "a second client subscribed" wait_line "$T/c2" '.type == "subscribed"'
pg_server stop >/dev/null
TOKEN=$LOGIN_TOKEN api GET /api/v1/user
expect_eq "server down: the API answers 503" 503 "$STATUS"
check "with a JSON message" json_message
export_one
expect_eq "a create while it is down: 503" 503 "$STATUS"
sleep 8
check "the worker is still running" kill -0 "$WORKER_PID"
check "archive-pushd is still running" kill -0 "$PUSHD_PID"
expect_eq "the push connection stayed up" 0 \
	"$(lines "$T/c2" '.type == "state" and .current != "connected" and .previous == "connected"')"
pg_server start >/dev/null
four_requests
expect_eq "the server back: the API answers at once" " 200 200 200 200" "$CODES"
export_one
ID3=$EXPORTED
expect_eq "a create after the outage" 200 "$STATUS"
wait_download "$ID3" 30
expect_eq "the worker exports it" active "$COND"
check "the client that stayed connected gets its archive_generated" wait_line "$T/c2" \
	".type == \"event\" and .data.data.type == \"archive_generated\" and .data.data.data.download.id == $ID3" 15
listening() {
	test "$(sql "SELECT count(*) FROM pg_stat_activity WHERE application_name='archived'
		AND query LIKE 'LISTEN %'")" -ge 2
}
for _ in $(seq 1 40); do listening && break; sleep 0.5; done
check "both relays (worker, pushd) listen again within their back-off" listening
wait "$C2" 2>/dev/null || true
expect_eq "nothing lost, nothing half-made: three downloads, three exports, three events" "3 3 3" \
	"$(sql "SELECT count(*) FROM downloads") $(sql "SELECT count(*) FROM downloads WHERE condition='active'") $(sql "SELECT count(*) FROM events WHERE type='archive_generated'")"
finish
