#!/bin/bash
# Two recording servers (nodes a and b) on one machine, sharing one
# PostgreSQL: each with its own data directory, recordings, worker,
# archive-pushd and lighttpd; the API asked through a's. Exports of each
# node's camera are made by that node and their links point at it; a
# pusher-js client on either pushd receives both; kill -9 of b's worker
# mid-export completes on b after its restart; b down for longer than
# node_timeout fails its jobs with node_unavailable while a keeps serving.
# The workers and pushds poll once a minute here: the wake-ups between the
# nodes are PostgreSQL's NOTIFY.
# It runs in the suite's PostgreSQL pass (ARCHIVED_TEST_DB=postgresql).
. "$(dirname "$0")/lib.sh"
pg_pass_only "several nodes share a PostgreSQL"
. "$top_srcdir/tests/e2e/push/lib-push.sh"
. "$(dirname "$0")/fixtures.sh"

command -v node >/dev/null || { echo "# node not installed: skipped"; exit 77; }
make_fixtures
push_npm
NODE_OPTS=("poll_interval_ms = 60000;" "node_timeout = 12;" "lease_seconds = 4;")
setup "node = \"a\";" "log_file = \"$T/a.log\";" "${NODE_OPTS[@]}"
CONF_A=$CONF
BASE_A="http://127.0.0.1:$HTTP_PORT"
PORT_B=$(free_port)
PUSHD_B=$(free_port)
BASE_B="http://127.0.0.1:$PORT_B"

# Node b: the same database, its own everything else.
mkdir -p "$T/b"
CONF_B="$T/b/archived.conf"
sed -e "s|^data_dir = .*|data_dir = \"$T/b/data\";|" \
	-e "s|^public_url = .*|public_url = \"$BASE_B\";|" \
	-e "s|^node = .*|node = \"b\";|" \
	-e "s|^log_file = .*|log_file = \"$T/b.log\";|" \
	-e "s|listen = \"127.0.0.1:$PUSHD_PORT\"|listen = \"127.0.0.1:$PUSHD_B\"|" \
	"$CONF_A" > "$CONF_B"
ctlb() { "$CTL" --config "$CONF_B" "$@"; }
ctlb init 2>/dev/null
DL_A="$T/data/downloads"
DL_B="$T/b/data/downloads"

ctl node add a --url "$BASE_A/"
ctl node add b --url "$BASE_B"
expect_eq "node list: both, their URLs, no stream yet" \
	"a $BASE_A 0|b $BASE_B 0" \
	"$(ctl --json node list | jq -r 'map("\(.name) \(.url) \(.streams)") | join("|")')"
ctl_bad "stream update --node names an unknown node" "no node 'c'" stream update "$STREAM" --node c
ctl_bad "node add refuses a bad name" "NAME" node add 'b/c' --url "$BASE_B"

# A camera on each node; b's recordings are copied to b's disk.
STREAM_A=$(node_stream a h264_aac_ts)
STREAM_B=$(node_stream b h264_aac_ts "$T/b/rec")
expect_eq "node list counts the streams" "1 1" \
	"$(ctl --json node list | jq -r 'map(.streams) | join(" ")')"
ctl_bad "a node that holds streams is not removed" "move them first" node remove b
ctl_bad "node a does not index node b's stream" "is on node 'b' and this is node 'a'" \
	segments import --stream "$STREAM_B" "$T/b/rec/h264_aac_ts"
out=$(ctlb segments import --stream "$STREAM_B" "$T/b/rec/h264_aac_ts" 2>&1) && rc=0 || rc=$?
expect_eq "node b indexes it (nothing new)" 0 "$rc"

# lighttpd, archive-pushd and the worker of each node.
start_lighttpd
start_pushd
start_worker
start_node_b() {
	mkdir -p "$T/b/docroot"
	ARCHIVED_HTTP_BIND=127.0.0.1 ARCHIVED_HTTP_PORT=$PORT_B \
	ARCHIVED_STATE_DIR=$T/b ARCHIVED_DOCROOT=$T/b/docroot ARCHIVED_FCGI=$FCGI \
	ARCHIVED_CONFIG=$CONF_B ARCHIVED_DOWNLOADS_DIR=$DL_B \
	ARCHIVED_PUSHD_PORT=$PUSHD_B \
		lighttpd -D -f "$top_srcdir/conf/lighttpd/archived.conf" &
	PIDS="$PIDS $!"
	"$PUSHD" --config "$CONF_B" --debug >>"$T/b/pushd.log" 2>&1 &
	PUSHD_B_PID=$!
	PIDS="$PIDS $PUSHD_B_PID"
	for _ in $(seq 1 100); do
		curl -s -o /dev/null "$BASE_B/" && curl -s -o /dev/null "http://127.0.0.1:$PUSHD_B/" &&
			return 0
		sleep 0.05
	done
	echo "# node b did not start"
	return 1
}
start_worker_b() {
	"$top_builddir/daemon/worker/archived" --config "$CONF_B" 2>>"$T/b/archived.log" &
	WORKER_B=$!
	PIDS="$PIDS $WORKER_B"
}
start_node_b
start_worker_b

# One user, one token; a push client through each node's web server.
login bob 'correct horse battery'
ADMIN=$(ctl token create --user alice --admin)
BASE=$BASE_A client "$T/ca" --token "$LOGIN_TOKEN" --channel "private-token.$LOGIN_TOKEN_ID" \
	--events 100 --timeout 120
CA=$CLIENT_PID
BASE=$BASE_B client "$T/cb" --token "$LOGIN_TOKEN" --channel "private-token.$LOGIN_TOKEN_ID" \
	--events 100 --timeout 120
CB=$CLIENT_PID
check "a client subscribed through node a" wait_line "$T/ca" '.type == "subscribed"'
check "a client subscribed through node b" wait_line "$T/cb" '.type == "subscribed"'

# export STREAM: POST through node a's API as bob; prints the id.
export_of() {
	TOKEN=$LOGIN_TOKEN api POST /api/v1/downloads "{\"from\": \"$(local_time "$BASE_US")\",
		\"to\": \"$(local_time $((BASE_US + 12000000)))\",
		\"ids\": [$(sql "SELECT camera_id FROM streams WHERE id=$1")]}"
	jbody '.[0].id'
}
ID_A=$(export_of "$STREAM_A")
ID_B=$(export_of "$STREAM_B")
wait_download "$ID_A" 30
expect_eq "a's export is active" active "$COND"
wait_download "$ID_B" 30
expect_eq "b's export is active" active "$COND"
expect_eq "each export made by its camera's node" "a b" \
	"$(sql "SELECT node FROM downloads WHERE id=$ID_A") $(sql "SELECT node FROM downloads WHERE id=$ID_B")"
check "a's file is on a's disk alone" sh -c "ls '$DL_A' | grep -q '^$ID_A-' && ! ls '$DL_B' | grep -q '^$ID_A-'"
check "b's file is on b's disk alone" sh -c "ls '$DL_B' | grep -q '^$ID_B-' && ! ls '$DL_A' | grep -q '^$ID_B-'"
# Woken by NOTIFY: b's worker polls once a minute, and its kick socket is
# not the API's.
expect_eq "b's worker took its job at once (NOTIFY), not at its next poll" 1 \
	"$(sql "SELECT CASE WHEN claimed_at - created_at < 3000000 THEN 1 ELSE 0 END FROM downloads WHERE id=$ID_B")"

for who in a b; do
	for c in ca cb; do
		id=$([ $who = a ] && echo "$ID_A" || echo "$ID_B")
		check "node $who's archive_generated reaches the client on pushd ${c#c}" wait_line "$T/$c" \
			".type == \"event\" and .data.data.type == \"archive_generated\" and .data.data.data.download.id == $id" 15
	done
done
URL_A=$(jq -r "select(.type == \"event\" and .data.data.data.download.id == $ID_A) | .data.data.data.url" "$T/cb" | head -1)
URL_B=$(jq -r "select(.type == \"event\" and .data.data.data.download.id == $ID_B) | .data.data.data.url" "$T/ca" | head -1)
check "a's link points at node a" grep -q "^$BASE_A/" <<<"$URL_A"
check "b's link points at node b" grep -q "^$BASE_B/" <<<"$URL_B"
TOKEN=$LOGIN_TOKEN api GET "/api/v1/downloads"
expect_eq "the API on node a gives b's link too" "$BASE_B" \
	"$(jbody ".data[] | select(.id == $ID_B) | .url" | sed 's|^\(http://[^/]*\).*|\1|')"
for who in A B; do
	eval "url=\$URL_$who; id=\$ID_$who; dl=\$DL_$who"
	code=$(curl -s -o "$T/got$who.mp4" -w '%{http_code}' "$url")
	expect_eq "node $who serves its archive" 200 "$code"
	expect_eq "the bytes of its disk" "$(sha256sum < "$dl/$(sql "SELECT path FROM downloads WHERE id=$id")")" \
		"$(sha256sum < "$T/got$who.mp4")"
done
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE_A${URL_B#$BASE_B}")
expect_eq "b's link does not open on node a" 403 "$code"

# A DELETE through a's API of b's archive: the row says so at once; the
# file is b's to remove (a's responder cannot reach b's disk), and b's
# cleanup does.
FILE_B=$(sql "SELECT path FROM downloads WHERE id=$ID_B")
TOKEN=$ADMIN api DELETE "/api/admin/v1/downloads/$ID_B"
expect_eq "DELETE through a: 204" 204 "$STATUS"
expect_eq "the row is cancelled, its file still recorded as b's" "cancelled 1" \
	"$(sql "SELECT condition || ' ' || is_file_exists FROM downloads WHERE id=$ID_B")"
check "the file is still on b's disk" test -f "$DL_B/$FILE_B"
ctlb cleanup >/dev/null
check "b's cleanup removed it" test ! -e "$DL_B/$FILE_B"
expect_eq "and recorded it gone" "0" "$(sql "SELECT is_file_exists FROM downloads WHERE id=$ID_B")"

# kill -9 of b's worker mid-export: taken over on b once it is back.
kill -9 "$WORKER_B"
wait "$WORKER_B" 2>/dev/null || true
cc -shared -fPIC $(pkg-config --cflags libpq) -o "$T/faultpoint.so" \
	"$top_srcdir/tests/e2e/faultpoint.c" -ldl
LD_PRELOAD="$T/faultpoint.so" FAULT_KILL=write start_worker_b
ID_K=$(export_of "$STREAM_B")
for _ in $(seq 1 100); do kill -0 "$WORKER_B" 2>/dev/null || break; sleep 0.1; done
check "b's worker died mid-export" sh -c "! kill -0 $WORKER_B 2>/dev/null"
expect_eq "the job is still b's, processing" "processing" "$(sql "SELECT condition FROM downloads WHERE id=$ID_K")"
start_worker_b
wait_download "$ID_K" 30
expect_eq "after the restart b finished it" "active b 2" \
	"$(sql "SELECT condition || ' ' || node || ' ' || attempts FROM downloads WHERE id=$ID_K")"
check "its file is on b's disk" sh -c "ls '$DL_B' | grep -q '^$ID_K-'"

# Node b down (worker, pushd, web server): its jobs fail after node_timeout;
# a keeps serving.
kill "$WORKER_B" "$PUSHD_B_PID"
wait "$WORKER_B" "$PUSHD_B_PID" 2>/dev/null || true
ID_D=$(export_of "$STREAM_B")
ID_A2=$(export_of "$STREAM_A")
wait_download "$ID_A2" 30
expect_eq "a serves while b is down" active "$COND"
expect_eq "b's job waits meanwhile" pending "$(sql "SELECT condition FROM downloads WHERE id=$ID_D")"
wait_download "$ID_D" 40
expect_eq "after node_timeout it fails: node_unavailable" "failed node_unavailable" \
	"$(sql "SELECT condition || ' ' || error_code FROM downloads WHERE id=$ID_D")"
check "the message names the node" grep -q "(b) has not been reachable for 12 s" \
	<<<"$(sql "SELECT error_message FROM downloads WHERE id=$ID_D")"
check "the client on a is told" wait_line "$T/ca" \
	".type == \"event\" and .data.data.type == \"archive_generated\" and .data.data.status == \"error\" and .data.data.data.download.id == $ID_D" 10
check "a's worker said why" grep -q "download=$ID_D: failed: its node has been unreachable" "$T/a.log"

kill "$CA" "$CB" 2>/dev/null || true
wait "$CA" "$CB" 2>/dev/null || true
finish
