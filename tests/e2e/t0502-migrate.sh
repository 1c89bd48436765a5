#!/bin/bash
# From one box to several: a populated SQLite install (users, tokens,
# cameras, streams, segments, downloads, events) copied into PostgreSQL by
# archivectl migrate. Every table's count and every download object are
# the same after; the old tokens authenticate, links stay valid, an app
# that missed events gets them replayed, new rows get new ids.
# It runs in the suite's PostgreSQL pass (ARCHIVED_TEST_DB=postgresql).
if [ "${ARCHIVED_TEST_DB:-sqlite}" != postgresql ]; then
	echo "# SKIP: needs PostgreSQL; run with ARCHIVED_TEST_DB=postgresql"
	exit 77
fi
ARCHIVED_TEST_DB=sqlite		# the install starts on SQLite
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/e2e/push/lib-push.sh"
. "$(dirname "$0")/fixtures.sh"
. "$top_srcdir/tests/e2e/lib-pg.sh"

command -v node >/dev/null || { echo "# node not installed: skipped"; exit 77; }
make_fixtures
push_npm
setup "poll_interval_ms = 200;" "log_file = \"$T/archived.log\";"
start_lighttpd
start_pushd
start_worker
STREAM1=$(index_case h264_aac_ts)
ctl node add a --url "http://127.0.0.1:$HTTP_PORT"
login bob 'correct horse battery'
TOKEN=$(ctl token create --user alice --admin)

export_of() {
	TOKEN=$LOGIN_TOKEN api POST /api/v1/downloads "{\"from\": \"$(local_time $((BASE_US + $1 * 1000000)))\",
		\"to\": \"$(local_time $((BASE_US + $2 * 1000000)))\",
		\"ids\": [$(sql "SELECT camera_id FROM streams WHERE id=$STREAM1")]}"
	jbody '.[0].id'
}
ID1=$(export_of 0 8)
ID2=$(export_of 4 12)
ID3=$(export_of 2 6)
for id in $ID1 $ID2 $ID3; do wait_download "$id" 30; done
api DELETE "/api/admin/v1/downloads/$ID3"
expect_eq "the install has two exports and a deleted one" "active active cancelled" \
	"$(sql "SELECT condition FROM downloads ORDER BY id" | tr '\n' ' ' | sed 's/ $//')"
FIRST_EV=$(sql "SELECT min(id) FROM events")

TABLES="settings users tokens camera_groups cameras nodes streams segments downloads events push_grants"
counts() { for t in $TABLES; do printf '%s=%s ' "$t" "$(sql "SELECT count(*) FROM $t")"; done; }
BEFORE_COUNTS=$(counts)
API_OUT="$T/before-admin.json" api GET "/api/admin/v1/downloads?per_page=100"
expect_eq "the admin list holds the three" 3 "$(jq '.data | length' "$T/before-admin.json")"
TOKEN=$LOGIN_TOKEN API_OUT="$T/before-app.json" api GET "/api/v1/downloads?per_page=100"
ctl --json camera list > "$T/before-cameras.json"
URL1=$(jq -r ".data[] | select(.id == $ID1) | .url" "$T/before-admin.json")
stop_servers

# The move.
pg_start
URL=$(pg_url archived)
out=$(ctl migrate --to "$URL" 2>&1) && rc=0 || rc=$?
expect_eq "migrate: exit 0" 0 "$rc"
check "migrate says where, without the query" grep -q "copied into 'postgresql:///archived'" <<<"$out"
out=$(ctl migrate --to "$URL" 2>&1) && rc=0 || rc=$?
check "a second migrate into the same database is refused" test "$rc" -ne 0
check "and says why" grep -q "already holds" <<<"$out"
ctl_bad "migrate wants a PostgreSQL URL" "--to" migrate --to "$T/other.db"

echo "database = \"$URL\";" >> "$CONF"
DB_URL=$URL
expect_eq "every table's count is the same" "$BEFORE_COUNTS" "$(counts)"

start_lighttpd
start_pushd
start_worker
API_OUT="$T/after-admin.json" api GET "/api/admin/v1/downloads?per_page=100"
expect_eq "the admin token still authenticates" 200 "$STATUS"
expect_eq "every download object is the same, field by field" \
	"$(jq -S . "$T/before-admin.json")" "$(jq -S . "$T/after-admin.json")"
TOKEN=$LOGIN_TOKEN API_OUT="$T/after-app.json" api GET "/api/v1/downloads?per_page=100"
expect_eq "bob's logged-in token still authenticates" 200 "$STATUS"
expect_eq "and his app's list is the same" \
	"$(jq -S . "$T/before-app.json")" "$(jq -S . "$T/after-app.json")"
expect_eq "the cameras and streams are the same" \
	"$(jq -S . "$T/before-cameras.json")" "$(ctl --json camera list | jq -S .)"
code=$(curl -s -o "$T/got.mp4" -w '%{http_code}' "$URL1")
expect_eq "a link made before still downloads" 200 "$code"

# An app that was away since the first event: replayed from PostgreSQL.
client "$T/c" --token "$LOGIN_TOKEN" --channel "private-token.$LOGIN_TOKEN_ID" \
	--events 3 --timeout 20 --last-event-id "$((FIRST_EV - 1))"
C=$CLIENT_PID
wait "$C" || true
expect_eq "replay after the move: each export's archive_generated" \
	"$ID1 $ID2 $ID3" "$(jq -r 'select(.type == "event" and .data.data.type == "archive_generated"
		and .data.data.status == "ok") | .data.data.data.download.id' "$T/c" | sort -n | tr '\n' ' ' | sed 's/ $//')"

# New rows after the move: ids past the old ones.
MAX=$(sql "SELECT max(id) FROM downloads")
ID4=$(export_of 0 4)
check "a new download gets a new id ($ID4 > $MAX)" test "$ID4" -gt "$MAX"
wait_download "$ID4" 30
expect_eq "and is exported, on PostgreSQL" active "$COND"
check "a new event id follows the old ones" test \
	"$(sql "SELECT max(id) FROM events WHERE download_id=$ID4")" -gt \
	"$(sql "SELECT max(id) FROM events WHERE download_id<>$ID4")"
NEWTOK=$(ctl token create --user carol)
check "a new token gets a new id" test "${NEWTOK%%|*}" -gt "$(sql "SELECT max(id) FROM tokens WHERE id<>${NEWTOK%%|*}")"

stop_servers
pg_stop
finish
