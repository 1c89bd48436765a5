#!/bin/bash
# One unauthenticated client floods the push endpoint (its key is public
# through wsurl) with idle WebSockets through lighttpd as shipped: pushd
# keeps at most pusher.max_connections_per_address of them, and the API
# stays answered meanwhile. With the cap raised, 1,500 idle connections
# are held and the API still answers: the shipped limits are sized for it.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/e2e/push/lib-push.sh"

command -v node >/dev/null || { echo "# node not installed: skipped"; exit 77; }
setup
pusher_config "max_connections_per_address = 100;"
push_npm
start_lighttpd
start_pushd
KEY=$(sql "SELECT value FROM settings WHERE name='pusher_key'")
WS="ws://127.0.0.1:$HTTP_PORT/ws/app/$KEY?protocol=7"

api_ok_during() {
	local ok=0
	for _ in $(seq 1 10); do
		code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' \
			-H "Authorization: Bearer $TOKEN" "$BASE/api/admin/v1/user")
		[ "$code" = 200 ] && ok=$((ok + 1))
		sleep 0.3
	done
	echo "$ok"
}

node "$top_srcdir/tests/e2e/push/flood.js" "$WS" 1500 8 > "$T/flood1" &
FLOOD=$!
sleep 4
expect_eq "API answered every time during a 1,500-socket flood" 10 "$(api_ok_during)"
wait "$FLOOD" || true
expect_eq "pushd kept at most 100 from one address" true \
	"$(jq '.open <= 100' "$T/flood1")"
check "and refused the rest with 4100" jq -e '.codes["4100"] >= 1300' "$T/flood1"

# The cap raised: 1,500 idle connections held through lighttpd.
sed -i 's/max_connections_per_address = 100;/max_connections_per_address = 5000;/' "$CONF"
kill -HUP "$PUSHD_PID"
sleep 0.5
node "$top_srcdir/tests/e2e/push/flood.js" "$WS" 1500 10 > "$T/flood2" &
FLOOD=$!
sleep 6
expect_eq "API answered every time with 1,500 push connections held" 10 "$(api_ok_during)"
wait "$FLOOD" || true
expect_eq "all 1,500 were held" 1500 "$(jq .open "$T/flood2")"

finish
