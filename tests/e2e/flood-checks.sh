# The flood checks, sourced by each web server's flood test once the
# server (at $BASE, port $HTTP_PORT) and archive-pushd (started with
# pusher.max_connections_per_address = 100) run:
#  - one address opens 1,500 idle WebSockets (their key is public through
#    wsurl): pushd keeps 100, refuses the rest with 4100, and the API
#    answers throughout;
#  - 1,500 idle WebSockets from 15 addresses are all held, the API still
#    answered: the server is sized for them;
#  - 2,400 clients from 12 addresses trickle request headers a byte every
#    2 s: the API still answers; where the server has a header timeout
#    (TRICKLE_CUT seconds, empty for none), every one of them is closed
#    within it.
# SERVER names the server in the check lines.

KEY=$(sql "SELECT value FROM settings WHERE name='pusher_key'")
WS="ws://127.0.0.1:$HTTP_PORT/ws/app/$KEY?protocol=7"

# api_ok_during: how many of 10 API calls, 0.3 s apart, got 200 within 5 s.
api_ok_during() {
	local ok=0 code
	for _ in $(seq 1 10); do
		code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' \
			-H "Authorization: Bearer $TOKEN" "$BASE/api/admin/v1/user" || true)
		[ "$code" = 200 ] && ok=$((ok + 1))
		sleep 0.3
	done
	echo "$ok"
}

node "$top_srcdir/tests/e2e/push/flood.js" "$WS" 1500 8 100 1 > "$T/flood1" &
FLOOD=$!
sleep 4
expect_eq "$SERVER: API answered every time while one address opens 1,500 WebSockets" \
	10 "$(api_ok_during)"
wait "$FLOOD" || true
expect_eq "$SERVER: pushd kept 100 from that address" 100 "$(jq .open "$T/flood1")"
check "$SERVER: and refused the other 1,400 with 4100" \
	jq -e '.codes["4100"] == 1400' "$T/flood1" >/dev/null

node "$top_srcdir/tests/e2e/push/flood.js" "$WS" 1500 10 100 15 > "$T/flood2" &
FLOOD=$!
sleep 5
expect_eq "$SERVER: API answered every time with 1,500 WebSockets from 15 addresses" \
	10 "$(api_ok_during)"
wait "$FLOOD" || true
expect_eq "$SERVER: all 1,500 were held" 1500 "$(jq .open "$T/flood2")"

node "$top_srcdir/tests/e2e/trickle.js" 127.0.0.1 "$HTTP_PORT" 2400 \
	"$(( ${TRICKLE_CUT:-10} + 5 ))" 12 > "$T/trickle" &
FLOOD=$!
sleep 4
expect_eq "$SERVER: API answered every time with 2,400 clients trickling headers" \
	10 "$(api_ok_during)"
wait "$FLOOD" || true
expect_eq "$SERVER: all 2,400 trickling clients were accepted" 2400 \
	"$(jq .connected "$T/trickle")"
if [ -n "${TRICKLE_CUT:-}" ]; then
	check "$SERVER: and each was closed within $TRICKLE_CUT s" \
		jq -e ".closed == 2400 and .closed_max_s <= $TRICKLE_CUT" "$T/trickle" >/dev/null
fi
