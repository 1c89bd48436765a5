#!/bin/bash
# archive-pushd through a real lighttpd, driven by the stock pusher-js as
# the product's apps use it: wsurl, channel authorisation, an
# archive_generated event on the token's and the user's channel, refusals,
# the protocol's error codes, limits, replay after a reconnect, SIGHUP and
# SIGTERM.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/e2e/push/lib-push.sh"

command -v node >/dev/null || { echo "# node not installed: skipped"; exit 77; }
setup
pusher_config 'activity_timeout = 5; max_connections_per_user = 3;' \
	'max_frame = 2048; allowed_origins = [ "http://good.example" ];'
push_npm
start_lighttpd
start_pushd
make_mp4 "$T/clip.mp4"

login bob 'correct horse battery'
BOB=$LOGIN_TOKEN BOB_UID=$LOGIN_USER_ID BOB_TID=$LOGIN_TOKEN_ID
login eve 'another staple'
EVE=$LOGIN_TOKEN EVE_UID=$LOGIN_USER_ID

# --- where to connect: the web server, under /ws
TOKEN= api GET /api/v1/wsurl
expect_eq "wsurl answers without a token" 200 "$STATUS"
expect_eq "wsurl path" /ws "$(jbody .path)"
expect_eq "wsurl port is the web server's" "$HTTP_PORT" "$(jbody .port)"
expect_eq "wsurl app_key is pushd's" \
	"$(sql "SELECT value FROM settings WHERE name='pusher_key'")" "$(jbody .app_key)"

# --- bob subscribes to his token's and his user's channel, then a download
# of his becomes ready: archive_generated comes once, on the token's
# channel, as the product sends it; progress on the user's channel.
client "$T/c1" --token "$BOB" --channel "private-token.$BOB_TID" \
	--channel "private-user.$BOB_UID" --events 2 --timeout 20
C1=$CLIENT_PID
check "pusher-js subscribed to both channels through lighttpd (/ws/app/)" \
	wait_line "$T/c1" '.type == "subscribed" and .channel == "private-user.'"$BOB_UID"'"'
wait_line "$T/c1" '.type == "subscribed" and .channel == "private-token.'"$BOB_TID"'"' || true
check "socket_id has Pusher's form" \
	wait_line "$T/c1" '.type == "connected" and (.socket_id | test("^[0-9]+\\.[0-9]+$"))'

TOKEN=$BOB new_download
expect_eq "bob's download created" 200 "$STATUS"
FILE="$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n').mp4"
ready_file "$FILE"
publish "$DL_ID" progress 40 >/dev/null
EV=$(publish "$DL_ID" active "$FILE")
wait "$C1" || true
expect_eq "two events arrived" 2 "$(lines "$T/c1" '.type == "event"')"
TP=$(jq -c 'select(.type == "event" and .event == "App\\Events\\TokenPush")' "$T/c1")
UP=$(jq -c 'select(.type == "event" and .event == "App\\Events\\UserPush")' "$T/c1")
expect_eq "TokenPush on the token's channel" "private-token.$BOB_TID" "$(jq -r .channel <<<"$TP")"
expect_eq "UserPush on the user's channel" "private-user.$BOB_UID" "$(jq -r .channel <<<"$UP")"
expect_eq "archive_generated on the token's channel only" "private-token.$BOB_TID" \
	"$(jq -r 'select(.type == "event" and .data.data.type == "archive_generated") | .channel' "$T/c1" | xargs)"
expect_eq "archive_progress on the user's channel only" "archive_progress" \
	"$(jq -r .data.data.type <<<"$UP")"
expect_eq "type archive_generated" archive_generated "$(jq -r .data.data.type <<<"$TP")"
expect_eq "status ok" ok "$(jq -r .data.data.status <<<"$TP")"
expect_eq "event_id is the row's" "$EV" "$(jq -r .data.data.event_id <<<"$TP")"
expect_eq "the envelope's subject and message" "null null" \
	"$(jq -r '"\(.data.subject) \(.data.message)"' <<<"$TP")"
expect_eq "the download object rides along" "$DL_ID active true" \
	"$(jq -r '.data.data.data.download | "\(.id) \(.condition) \(.is_file_exists)"' <<<"$TP")"
URL=$(jq -r .data.data.data.url <<<"$TP")
expect_eq "url is the download object's url" "$URL" \
	"$(jq -r .data.data.data.download.url <<<"$TP")"
check "url is a signed link to the file" grep -Eq \
	"^$BASE/api/admin/v1/downloads/$DL_ID/file\\?k=[0-9a-f]{24}&expires=[0-9]+&signature=[0-9a-f]{64}\$" <<<"$URL"
STATUS=$(curl -s -o "$T/got.mp4" -w '%{http_code}' "$URL")
expect_eq "the pushed url downloads without a token" 200 "$STATUS"
check "the bytes are the archive's" cmp -s "$T/got.mp4" "$T/clip.mp4"

# --- another user's channel
TOKEN=$BOB api POST /api/v1/broadcasting/auth "" \
	--data-urlencode "socket_id=1234.5678" --data-urlencode "channel_name=private-user.$EVE_UID"
expect_eq "auth for another user's channel: 403" 403 "$STATUS"
client "$T/c2" --token "$BOB" --channel "private-user.$EVE_UID" --events 1 --timeout 15 \
	--until subscription_error
wait "$CLIENT_PID" || true
check "pusher-js reports the refusal" \
	wait_line "$T/c2" '.type == "subscription_error" and .status == 403' 1
client "$T/c3" --token "$BOB" --forge --channel "private-user.$EVE_UID" --events 1 --timeout 15 \
	--until subscription_error --until error
wait "$CLIENT_PID" || true
check "a forged signature gets pusher:error 4009" \
	wait_line "$T/c3" '.type == "error" and .code == 4009' 1
check "and a subscription_error on the channel" \
	wait_line "$T/c3" '.type == "subscription_error"' 1
expect_eq "and never a subscription" 0 "$(lines "$T/c3" '.type == "subscribed"')"

# --- protocol errors, with bare WebSockets for the close codes
WS="ws://127.0.0.1:$HTTP_PORT"
KEY=$(sql "SELECT value FROM settings WHERE name='pusher_key'")
raw "$T/r1" "$WS/app/nosuchkey?protocol=7&client=js&version=8.6.0" --timeout 5
wait "$RAW_PID" || true
check "unknown app key: pusher:error 4001" \
	wait_line "$T/r1" '.event == "pusher:error" and .data.code == 4001' 1
check "then close 4001" wait_line "$T/r1" '.type == "close" and .code == 4001' 1
client "$T/c4" --key nosuchkey --token "$BOB" --channel "private-user.$BOB_UID" --timeout 15 \
	--until error
wait "$CLIENT_PID" || true
check "pusher-js sees 4001 too" wait_line "$T/c4" '.type == "error" and .code == 4001' 1
# The closing handshake: after its Close the server waits for the client's
# before it closes TCP. Closing at once let lighttpd put a Content-Length
# on the 101, and pusher-js then read the refusal as a body: 1006, retried.
node "$PUSH_SRC/closing.js" 127.0.0.1 "$PUSHD_PORT" "/app/nosuchkey?protocol=7" \
	--answer-after 500 >"$T/h1" 2>&1
check "refusal: the server's Close is 4001" wait_line "$T/h1" '.type == "close" and .code == 4001' 1
check "the connection stays open for the client's Close (answered 500 ms later)" \
	wait_line "$T/h1" '.type == "answered" and .open' 1
check "and is closed once the client's Close arrives" \
	wait_line "$T/h1" '.type == "end" and .ms >= 500 and .ms < 2500' 1
node "$PUSH_SRC/closing.js" 127.0.0.1 "$PUSHD_PORT" "/app/nosuchkey?protocol=7" \
	--silent >"$T/h2" 2>&1
check "a client that never answers is dropped after a few seconds" \
	wait_line "$T/h2" '.type == "end" and .ms >= 1000 and .ms < 6000' 1
n=0
for _ in $(seq 1 10); do
	node "$PUSH_SRC/closing.js" 127.0.0.1 "$HTTP_PORT" "/ws/app/nosuchkey?protocol=7" \
		--answer-after 0 >"$T/h3" 2>&1
	jq -se 'any(.[]; .type == "upgrade" and .status == 101 and .content_length == null)
	    and any(.[]; .type == "close" and .code == 4001)' "$T/h3" >/dev/null &&
		n=$((n + 1))
done
expect_eq "through lighttpd: 10 refusals of 10 with a 101 without Content-Length, then 4001" 10 "$n"
raw "$T/r2" "$WS/ws/app/$KEY?protocol=4" --timeout 5
wait "$RAW_PID" || true
check "protocol 4: pusher:error 4007 and close 4007" \
	wait_line "$T/r2" '.type == "close" and .code == 4007' 1
# The product's Android app: the stock Java client says protocol 5.
raw "$T/r2j" "$WS/ws/app/$KEY?client=java-client&protocol=5&version=2.2.8" --timeout 3
wait "$RAW_PID" || true
check "protocol 5 (Java client): connection_established" \
	wait_line "$T/r2j" '.event == "pusher:connection_established"' 1
expect_eq "protocol 5: not closed with 4007" 0 \
	"$(lines "$T/r2j" '.type == "close" and .code == 4007')"
# The product's iOS app: PusherSwift asks for a subprotocol.
raw "$T/r2s" "$WS/ws/app/$KEY?client=pusher-websocket-swift&protocol=7&version=10.1.5" \
	--subprotocol pusher-channels-protocol-7 --timeout 3
wait "$RAW_PID" || true
check "subprotocol asked: the handshake answers it" \
	wait_line "$T/r2s" '.type == "open" and .protocol == "pusher-channels-protocol-7"' 1
check "subprotocol asked: connection_established" \
	wait_line "$T/r2s" '.event == "pusher:connection_established"' 1
raw "$T/r2n" "$WS/ws/app/$KEY?protocol=7" --timeout 3
wait "$RAW_PID" || true
check "no subprotocol asked: none answered" \
	wait_line "$T/r2n" '.type == "open" and .protocol == ""' 1
raw "$T/r3" "$WS/ws/app/$KEY?protocol=7" --big 4000 --timeout 5
wait "$RAW_PID" || true
check "a frame over max_frame: close 1009" wait_line "$T/r3" '.type == "close" and .code == 1009' 1
raw "$T/r4" "$WS/app/$KEY?protocol=7" --send '{"event":"pusher:ping","data":{}}' \
	--send '{"event":' --timeout 3
wait "$RAW_PID" || true
check "pusher:ping answered with pusher:pong" wait_line "$T/r4" '.event == "pusher:pong"' 1
check "bad JSON answered with pusher:error" \
	wait_line "$T/r4" '.event == "pusher:error" and .data.code == null' 1

# --- Origin allow-list at the handshake (through lighttpd)
upgrade() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 2 -H 'Connection: Upgrade' \
		-H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
		-H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' "$@" \
		"$BASE/ws/app/$KEY?protocol=7" || true
}
expect_eq "Origin not allowed: 403" 403 "$(upgrade -H 'Origin: http://evil.example')"
expect_eq "Origin allowed: 101" 101 "$(upgrade -H 'Origin: http://good.example')"
expect_eq "no Origin (Node, mobile): 101" 101 "$(upgrade)"

# --- per-user connection cap (3): the fourth of bob's sessions is refused
for i in 1 2 3; do
	client "$T/cap$i" --token "$BOB" --channel "private-user.$BOB_UID" --timeout 30
	eval "CAP$i=\$CLIENT_PID"
	wait_line "$T/cap$i" '.type == "subscribed"' || true
done
client "$T/cap4" --token "$BOB" --channel "private-token.$BOB_TID" --timeout 15 --until error
wait "$CLIENT_PID" || true
check "the fourth connection of a user: pusher:error 4100" \
	wait_line "$T/cap4" '.type == "error" and .code == 4100' 1
client "$T/cap5" --token "$EVE" --channel "private-user.$EVE_UID" --events 1 --timeout 5
check "another user is not affected" wait_line "$T/cap5" '.type == "subscribed"'
kill "$CAP1" "$CAP2" "$CAP3" "$CLIENT_PID" 2>/dev/null || true
wait "$CAP1" "$CAP2" "$CAP3" "$CLIENT_PID" 2>/dev/null || true

# --- a silent client is pinged, then dropped (activity_timeout 5)
raw "$T/r5" "$WS/app/$KEY?protocol=7" --timeout 20
SILENT=$RAW_PID
check "connection_established says activity_timeout 5" wait_line "$T/r5" \
	'.event == "pusher:connection_established" and (.data | fromjson | .activity_timeout) == 5'
check "a silent client is pinged" wait_line "$T/r5" '.event == "pusher:ping"' 8
check "then closed with 4201" wait_line "$T/r5" '.type == "close" and .code == 4201' 8
wait "$SILENT" || true

# --- last_event_id: pushd restarts while bob's client is away; the event
# written meanwhile is replayed when pusher-js reconnects and resubscribes.
client "$T/c5" --token "$BOB" --channel "private-user.$BOB_UID" --resume --states \
	--events 2 --timeout 30 --last-event-id "$EV"
C5=$CLIENT_PID
wait_line "$T/c5" '.type == "subscribed"' || true
raw "$T/r6" "$WS/app/$KEY?protocol=7" --timeout 30
wait_line "$T/r6" '.event == "pusher:connection_established"' || true
E1=$(publish "$DL_ID" progress 40)
check "a live event arrives" wait_line "$T/c5" ".type == \"event\" and .event_id == $E1"
stop_pushd
expect_eq "SIGTERM: archive-pushd exits 0" 0 "$PUSHD_STATUS"
check "SIGTERM: clients get a going-away close (1001)" \
	wait_line "$T/r6" '.type == "close" and .code == 1001' 2
E2=$(publish --no-kick "$DL_ID" progress 60)
start_pushd
wait "$C5" || true
check "the event written while pushd was down is replayed" \
	wait_line "$T/c5" ".type == \"event\" and .event_id == $E2" 1
expect_eq "each event once" 2 "$(lines "$T/c5" '.type == "event"')"
check "the client did reconnect" wait_line "$T/c5" '.type == "state" and .current == "connecting"' 1

# --- SIGHUP: a new allow-list takes effect; a broken file is refused
sed -i 's|"http://good.example"|"http://good.example", "http://new.example"|' "$CONF"
kill -HUP "$PUSHD_PID"
sleep 0.3
expect_eq "SIGHUP reloads the allow-list" 101 "$(upgrade -H 'Origin: http://new.example')"
cp "$CONF" "$T/good.conf"
echo 'pusher_typo = 1;' >> "$CONF"
kill -HUP "$PUSHD_PID"
sleep 0.3
check "a bad file is logged with its line" grep -q "not reloaded.*pusher_typo" "$T/pushd.log"
expect_eq "and the old configuration stays" 101 "$(upgrade -H 'Origin: http://new.example')"
cp "$T/good.conf" "$CONF"

# --- logging out ends the session's push: its connection closes with 4009
login carol 'carol password 12'
client "$T/c7" --token "$LOGIN_TOKEN" --channel "private-token.$LOGIN_TOKEN_ID" \
	--channel "private-user.$LOGIN_USER_ID" --states --events 1 --timeout 10
C7=$CLIENT_PID
wait_line "$T/c7" '.type == "subscribed" and .channel == "private-user.'"$LOGIN_USER_ID"'"' || true
TOKEN=$LOGIN_TOKEN api DELETE /api/admin/v1/auth/token
expect_eq "logout answers 204" 204 "$STATUS"
check "the logged-out session is closed with 4009 within 3 s" \
	wait_line "$T/c7" '.type == "error" and .code == 4009' 3
check "pusher-js does not reconnect it" \
	wait_line "$T/c7" '.type == "state" and .current == "disconnected"' 2
kill "$C7" 2>/dev/null; wait "$C7" 2>/dev/null || true
# A session subscribed to its user's channel alone ends at logout too: the
# subscription is tied to the token that authorised it.
login dave 'dave password 12'
client "$T/c8" --token "$LOGIN_TOKEN" --channel "private-user.$LOGIN_USER_ID" \
	--states --events 1 --timeout 10
C8=$CLIENT_PID
wait_line "$T/c8" '.type == "subscribed"' || true
TOKEN=$LOGIN_TOKEN api DELETE /api/admin/v1/auth/token
check "a user-channel-only session is closed with 4009 at logout" \
	wait_line "$T/c8" '.type == "error" and .code == 4009' 3
kill "$C8" 2>/dev/null; wait "$C8" 2>/dev/null || true

# --- no secret, token or signature in the log
SECRET=$(sql "SELECT value FROM settings WHERE name='pusher_secret'")
check "the log holds no secret" sh -c "! grep -qF '$SECRET' '$T/pushd.log'"
check "the log holds no token" sh -c "! grep -qF '${BOB#*|}' '$T/pushd.log'"
check "the log holds no signature" sh -c "! grep -Eq '[0-9a-f]{64}' '$T/pushd.log'"

stop_pushd
expect_eq "archive-pushd stops cleanly" 0 "$PUSHD_STATUS"
finish
