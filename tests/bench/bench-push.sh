#!/bin/bash
# Push benchmarks, not part of "make check":
#  1. latency from an event's commit (plus the kick) to a stock pusher-js
#     client through lighttpd, p50/p99 over 200 events, and the same with
#     the kick left out (the poll-only fallback) in the same run;
#  2. CLIENTS (default 10000) idle subscribed pusher-js clients straight on
#     one archive-pushd: its RSS, and the fan-out time of one event to all.
#
#   top_builddir=$PWD/build-rel tests/bench/bench-push.sh [CLIENTS]
#
# Build without --enable-debug for figures: sanitizers inflate both.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/push/lib-push.sh"

CLIENTS=${1:-10000}
EVENTS=200
BENCH="$top_builddir/tests/bench/push/pushbench"
SWARM="$top_srcdir/tests/bench/push/swarm.js"

# One descriptor per client, on both sides.
ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -gt $((CLIENTS + 200)) ] || {
	echo "# ulimit -n is $(ulimit -n): too low for $CLIENTS clients"; exit 1; }
make -s -C "$top_builddir" tests/bench/push/pushbench tests/e2e/push/publish \
	daemon/pushd/archive-pushd >/dev/null

setup
pusher_config "max_connections_per_user = $((CLIENTS * 2));"
push_npm
start_lighttpd
# No --debug: a line per delivery would be part of what is measured.
PUSHD_QUIET=1 start_pushd
bench_channel
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$PUSHD_PID/status"; }
hwm() { awk '/^VmHWM/ { print $2 }' "/proc/$PUSHD_PID/status"; }

swarm() {
	node "$SWARM" --key "$KEY" --secret "$SECRET" --channel "$CHANNEL" "$@"
}

# latency NAME [--no-kick]: one client through lighttpd, EVENTS events.
latency() {
	local name=$1
	shift
	swarm --host 127.0.0.1 --port "$HTTP_PORT" --path /ws --clients 1 \
		--events "$EVENTS" --timeout 60 >"$T/$name.recv" &
	local pid=$!
	wait_line "$T/$name.recv" '.type == "ready"' 20 || { not_ok "$name: client ready"; return; }
	"$BENCH" --config "$CONF" --generated --download "$DL_ID" --count "$EVENTS" \
		--interval-ms 20 "$@" >"$T/$name.sent"
	wait "$pid" || true
	python3 "$top_srcdir/tests/bench/push/latency.py" "$T/$name.sent" "$T/$name.recv" "$name"
}

echo "# 1. commit + kick -> pusher-js through lighttpd ($EVENTS events, 20 ms apart)"
latency kick
latency poll --no-kick
read -r NK P50K P99K <"$T/kick.recv.p"
read -r NP P50P P99P <"$T/poll.recv.p"
expect_eq "every kicked event arrived" "$EVENTS" "$NK"
expect_eq "every polled event arrived" "$EVENTS" "$NP"
echo "# poll-only / kicked: p50 x$(python3 -c "print(round($P50P / $P50K, 1))")," \
	"p99 x$(python3 -c "print(round($P99P / $P99K, 1))")" \
	"(poll_interval_ms 1000)"
check "kicked p99 under 50 ms (target)" python3 -c "import sys; sys.exit(not $P99K < 50)"

echo "# 2. $CLIENTS idle subscribed clients on one archive-pushd"
# Afresh, and with --debug: it logs how long writing a fan-out took.
kill "$PUSHD_PID"
wait "$PUSHD_PID" || true
"$PUSHD" --config "$CONF" --debug >>"$T/pushd-fan.log" 2>&1 &
PUSHD_PID=$!
PIDS="$PIDS $PUSHD_PID"
sleep 1
RSS0=$(rss)
HALF=$((CLIENTS / 2))
swarm --host 127.0.0.1 --port "$PUSHD_PORT" --clients "$HALF" --events 5 \
	--timeout 300 >"$T/swarm1" &
S1=$!
swarm --host 127.0.0.1 --port "$PUSHD_PORT" --clients "$((CLIENTS - HALF))" \
	--events 5 --timeout 300 >"$T/swarm2" &
S2=$!
wait_line "$T/swarm1" '.type == "ready"' 240 && wait_line "$T/swarm2" '.type == "ready"' 240 ||
	not_ok "swarms ready"
echo "# connected and subscribed: $(jq -r 'select(.type == "ready") |
	"\(.clients) clients in \(.ms | floor) ms, \(.failed) failed"' "$T/swarm1" "$T/swarm2" | xargs)"
sleep 2
RSS1=$(rss)
echo "# pushd RSS: $((RSS0 / 1024)) MB idle, $((RSS1 / 1024)) MB with $CLIENTS clients" \
	"($(( (RSS1 - RSS0) * 1024 / CLIENTS )) bytes per client)"
check "RSS with $CLIENTS clients under 200 MB (target)" test "$RSS1" -lt $((200 * 1024))
"$BENCH" --config "$CONF" --generated --download "$DL_ID" --count 5 --interval-ms 1500 >"$T/fan.sent"
wait "$S1" "$S2" || true
python3 - "$T/fan.sent" "$T/swarm1" "$T/swarm2" "$CLIENTS" <<'EOF'
import json, sys
sent = dict(map(int, l.split()) for l in open(sys.argv[1]))
ev = {}
for f in sys.argv[2:4]:
    for r in map(json.loads, open(f)):
        if r.get("type") != "event":
            continue
        e = ev.setdefault(r["event_id"], [0, None, None])
        e[0] += r["n"]
        first, last = int(r["first_ns"]), int(r["last_ns"])
        e[1] = first if e[1] is None else min(e[1], first)
        e[2] = last if e[2] is None else max(e[2], last)
for i, (n, first, last) in sorted(ev.items()):
    print(f"# event {i}: {n}/{sys.argv[4]} clients, first after"
          f" {(first - sent[i]) / 1e6:.1f} ms, all after {(last - sent[i]) / 1e6:.1f} ms")
EOF
sed -n 's/^archive-pushd: \(one message written.*\)/# pushd: \1/p' "$T/pushd-fan.log"
echo "# pushd peak RSS $(( $(hwm) / 1024 )) MB"
finish
