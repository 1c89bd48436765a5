#!/bin/bash
# shared_storage = true: every node sees every recording, so any node's
# worker takes any job. Node a's camera, only node b's worker running: b
# exports a's jobs, on its own disk, its links under b's URL. The same
# worker without shared_storage leaves them waiting for node a.
# It runs in the suite's PostgreSQL pass (ARCHIVED_TEST_DB=postgresql).
. "$(dirname "$0")/lib.sh"
pg_pass_only "several nodes share a PostgreSQL"
. "$(dirname "$0")/fixtures.sh"

make_fixtures
setup "node = \"a\";" "shared_storage = true;" "poll_interval_ms = 200;" "max_pending = 1000;"
B_URL="http://127.0.0.1:$(free_port)"
sed -e "s|^data_dir = .*|data_dir = \"$T/b/data\";|" -e "s|^node = .*|node = \"b\";|" \
	-e "s|^public_url = .*|public_url = \"$B_URL\";|" "$CONF" > "$T/b.conf"
"$CTL" --config "$T/b.conf" init 2>/dev/null
ctl node add a --url "http://127.0.0.1:$HTTP_PORT"
ctl node add b --url "$B_URL"
STREAM_A=$(node_stream a h264_aac_ts)
start_lighttpd
start_b() {
	"$top_builddir/daemon/worker/archived" --config "$1" 2>>"$T/b.log" &
	WB=$!
	PIDS="$PIDS $WB"
}
ids=""
for i in $(seq 1 20); do
	api POST /api/admin/v1/downloads "{\"stream_id\": $STREAM_A, \"from\": \"$(local_time $((BASE_US + (i % 6) * 1000000)))\", \"to\": \"$(local_time $((BASE_US + (i % 6) * 1000000 + 1000000)))\"}"
	ids="$ids $(jbody .id)"
done
start_b "$T/b.conf"
for id in $ids; do wait_download "$id" 30; done
expect_eq "node b's worker exported node a's 20 jobs" "20 b" \
	"$(sql "SELECT count(*) || ' ' || min(node) FROM downloads WHERE condition='active' AND node='b'")"
expect_eq "on b's disk" 20 "$(ls "$T/b/data/downloads" | grep -c '\.mp4$')"
api GET "/api/admin/v1/downloads/${ids##* }"
check "their links are b's" grep -q "^$B_URL/" <<<"$(jbody .url)"

# Without shared storage, b's worker leaves a's jobs to a.
kill "$WB"
wait "$WB" 2>/dev/null || true
sed -i 's/^shared_storage = true;/shared_storage = false;/' "$T/b.conf"
start_b "$T/b.conf"
api POST /api/admin/v1/downloads "{\"stream_id\": $STREAM_A, \"from\": \"$(local_time "$BASE_US")\", \"to\": \"$(local_time $((BASE_US + 1000000)))\"}"
ID=$(jbody .id)
sleep 2
expect_eq "not shared: node a's job waits for node a" pending "$(sql "SELECT condition FROM downloads WHERE id=$ID")"
start_worker
wait_download "$ID" 30
expect_eq "node a's worker takes it" "active a" "$(sql "SELECT condition || ' ' || node FROM downloads WHERE id=$ID")"
finish
