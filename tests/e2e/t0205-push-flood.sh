#!/bin/bash
# Floods through lighttpd as shipped (tests/e2e/flood-checks.sh): idle
# WebSockets from one address and from many, and clients trickling request
# headers; the API keeps answering. lighttpd has no header timeout, so the
# trickling clients are held, and its connection limit is the defence
# (before it was sized, 2,400 of them left every API call waiting).
# Then archive-pushd alone: it closes slow handshakes, and at its
# descriptor limit it stops accepting rather than spinning on failed
# accepts.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/e2e/push/lib-push.sh"

command -v node >/dev/null || { echo "# node not installed: skipped"; exit 77; }
setup
pusher_config "max_connections_per_address = 100;"
push_npm
start_lighttpd
start_pushd

SERVER=lighttpd TRICKLE_CUT=
. "$top_srcdir/tests/e2e/flood-checks.sh"

# pushd itself, reached without the server: a client that never finishes
# its handshake is closed by libwebsockets' 10-s timeout.
node "$top_srcdir/tests/e2e/trickle.js" 127.0.0.1 "$PUSHD_PORT" 200 14 4 > "$T/trickle-pushd"
check "pushd closed each of 200 clients trickling their handshake within 12 s" \
	jq -e '.connected == 200 and .closed == 200 and .closed_max_s <= 12' \
	"$T/trickle-pushd" >/dev/null

# pushd with 1,024 descriptors and 1,300 clients knocking: it holds what
# fits, and the rest wait in the listen queue (or are closed) instead of
# failing accept() in a loop at full CPU.
stop_pushd
sed -i 's/max_connections_per_address = 100;/max_connections_per_address = 5000;/' "$CONF"
PUSHD_NOFILE=1024 start_pushd
node "$top_srcdir/tests/e2e/push/flood.js" \
	"ws://127.0.0.1:$PUSHD_PORT/app/$KEY?protocol=7" 1300 8 100 > "$T/flood3" &
FLOOD=$!
sleep 3
hz=$(getconf CLK_TCK)
t0=$(awk '{ print $14 + $15 }' "/proc/$PUSHD_PID/stat")
sleep 3
t1=$(awk '{ print $14 + $15 }' "/proc/$PUSHD_PID/stat")
check "pushd at its descriptor limit: under 20% of a core over 3 s ($((t1 - t0)) ticks of $((3 * hz)))" \
	test $((t1 - t0)) -lt $((3 * hz / 5))
wait "$FLOOD" || true
check "and it held most of the 1,300 ($(jq .open "$T/flood3"))" \
	jq -e '.open >= 900 and .open < 1024' "$T/flood3" >/dev/null
node "$top_srcdir/tests/e2e/push/flood.js" \
	"ws://127.0.0.1:$PUSHD_PORT/app/$KEY?protocol=7" 1 2 1 > "$T/flood4"
expect_eq "a new client gets in once the flood has gone" 1 "$(jq .open "$T/flood4")"

finish
