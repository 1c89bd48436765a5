#!/bin/bash
# The whole flow, as the product's apps see it: log in, ask wsurl, connect
# pusher-js through lighttpd, subscribe to the token's and the user's
# channel, POST a download; the real worker remuxes real footage and the
# client receives archive_generated once, on the token's channel, with a url that
# downloads the MP4 without a token. Also the progress events.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/e2e/push/lib-push.sh"
. "$(dirname "$0")/fixtures.sh"

command -v node >/dev/null || { echo "# node not installed: skipped"; exit 77; }
make_fixtures
setup "poll_interval_ms = 200;"
push_npm
start_lighttpd
start_pushd
start_worker
STREAM1=$(index_case h264_aac_ts)

login bob 'correct horse battery'
TOKEN= api GET /api/v1/wsurl
expect_eq "wsurl answers" 200 "$STATUS"
expect_eq "the apps connect under /ws" /ws "$(jbody .path)"

client "$T/c" --token "$LOGIN_TOKEN" --channel "private-token.$LOGIN_TOKEN_ID" \
	--channel "private-user.$LOGIN_USER_ID" --events 100 --timeout 40
C=$CLIENT_PID
check "subscribed to the user's channel" \
	wait_line "$T/c" '.type == "subscribed" and .channel == "private-user.'"$LOGIN_USER_ID"'"'
check "subscribed to the token's channel" \
	wait_line "$T/c" '.type == "subscribed" and .channel == "private-token.'"$LOGIN_TOKEN_ID"'"'

# The client API, as the apps call it.
TOKEN=$LOGIN_TOKEN api POST /api/v1/downloads "{\"from\": \"$(local_time "$BASE_US")\",
	\"to\": \"$(local_time $((BASE_US + 12000000)))\", \"ids\": [$(sql "SELECT camera_id FROM streams WHERE id=$STREAM1")]}"
expect_eq "export requested" 200 "$STATUS"
ID=$(jbody '.[0].id')
expect_eq "it starts pending" pending "$(jbody '.[0].condition')"

check "archive_generated arrives on the token's channel" wait_line "$T/c" \
	'.type == "event" and .event == "App\\Events\\TokenPush" and .data.data.type == "archive_generated"' 30
sleep 1
kill "$C" 2>/dev/null; wait "$C" 2>/dev/null || true
expect_eq "exactly once: not again on the user's channel" 1 \
	"$(lines "$T/c" '.type == "event" and .data.data.type == "archive_generated"')"
EV=$(jq -c 'select(.type == "event" and .event == "App\\Events\\TokenPush" and .data.data.type == "archive_generated")' "$T/c" | head -1)
expect_eq "status ok" ok "$(jq -r .data.data.status <<<"$EV")"
expect_eq "the download in the push is this one, active" "$ID active" \
	"$(jq -r '.data.data.data.download | "\(.id) \(.condition)"' <<<"$EV")"
URL=$(jq -r .data.data.data.url <<<"$EV")
code=$(curl -s -o "$T/got.mp4" -w '%{http_code}' "$URL")
expect_eq "the pushed url downloads without a token" 200 "$code"
check "what it downloads is the archive, and it plays" \
	test -z "$(ffmpeg -nostdin -v error -i "$T/got.mp4" -f null - 2>&1)"
expect_eq "the same bytes as the file on disk" \
	"$(sha256sum < "$DL_DIR/$(sql "SELECT path FROM downloads WHERE id=$ID")")" "$(sha256sum < "$T/got.mp4")"
check "progress events carry the same envelope" test "$(sql \
	"SELECT count(*) FROM events WHERE download_id=$ID AND type IN ('archive_progress','archive_generated')")" -ge 1

# A download that finds no footage: the error push, with url null.
client "$T/e" --token "$LOGIN_TOKEN" --channel "private-token.$LOGIN_TOKEN_ID" \
	--events 100 --timeout 40
E=$CLIENT_PID
wait_line "$T/e" '.type == "subscribed"' || true
TOKEN=$LOGIN_TOKEN api POST /api/admin/v1/downloads "{\"stream_id\": $STREAM1,
	\"from\": \"2020-01-01 00:00:00\", \"to\": \"2020-01-01 00:01:00\"}"
check "an error push arrives" wait_line "$T/e" \
	'.type == "event" and .data.data.type == "archive_generated" and .data.data.status == "error"' 30
kill "$E" 2>/dev/null; wait "$E" 2>/dev/null || true
expect_eq "its url is null, as the SDK expects" null \
	"$(jq -c 'select(.type == "event") | .data.data.data.url' "$T/e" | head -1)"
expect_eq "its download says why" no_footage \
	"$(jq -r 'select(.type == "event") | .data.data.data.download.error.code' "$T/e" | head -1)"
expect_eq "and its download's url is null too" null \
	"$(jq -c 'select(.type == "event") | .data.data.data.download.url' "$T/e" | head -1)"

finish
