#!/bin/bash
# CLIENTS (default 10000) idle subscribed pusher-js clients through a web
# server as shipped (SERVER: nginx, lighttpd or apache), against the same
# clients straight on archive-pushd in the same invocation: time to connect
# and subscribe them all, one event's fan-out to all, the RSS of pushd and
# of the server's processes, and the API's latency while they are held.
# Not part of "make check".
#
#   top_builddir=$PWD/build-rel tests/bench/bench-push-via.sh SERVER [CLIENTS]
#
# One machine is one client address: the per-address caps (pushd's
# pusher.max_connections_per_address, nginx's limit_conn) are raised here.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/push/lib-push.sh"

SERVER=${1:?usage: bench-push-via.sh nginx|lighttpd|apache [CLIENTS]}
CLIENTS=${2:-10000}
BENCH="$top_builddir/tests/bench/push/pushbench"
SWARM="$top_srcdir/tests/bench/push/swarm.js"
ulimit -n "$(ulimit -Hn)"
make -s -C "$top_builddir" tests/bench/push/pushbench daemon/pushd/archive-pushd >/dev/null

setup
pusher_config "max_connections_per_user = $((CLIENTS * 2)); max_connections_per_address = $((CLIENTS * 2));"
push_npm
case $SERVER in
nginx)
	start_nginx
	sed -i "s/limit_conn archived_addr [0-9]*;/limit_conn archived_addr $((CLIENTS * 2));/" \
		"$T/nginx/archived.conf"
	nginx -p "$T/nginx/" -c "$T/nginx/archived.conf" -s reload
	sleep 1
	server_pids() { local m; m=$(cat "$T/nginx.pid"); echo "$m" $(pgrep -P "$m"); }
	;;
lighttpd)
	start_lighttpd
	server_pids() { cat "$T/lighttpd.pid"; }
	;;
apache)
	. "$top_srcdir/tests/e2e/lib-apache.sh"
	apache_prepare
	start_apache
	server_pids() { pgrep -f "apache2 -d $top_srcdir/conf/apache" | xargs; }
	;;
*)
	echo "unknown server: $SERVER"; exit 2 ;;
esac
start_pushd
bench_channel

rss_mb() {	# total VmRSS of the pids given, in MB
	local kb=0 p
	for p in "$@"; do
		kb=$((kb + $(awk '/^VmRSS/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0)))
	done
	echo $((kb / 1024))
}

# api_p50: median ms of 20 calls to GET /user.
api_p50() {
	for _ in $(seq 1 20); do
		curl -s -o /dev/null -w '%{time_total}\n' -m 10 \
			-H "Authorization: Bearer $TOKEN" "$BASE/api/admin/v1/user" || echo 10
	done | sort -n | awk '{ a[NR] = $1 } END { printf "%.2f", a[int((NR + 1) / 2)] * 1000 }'
}

# run NAME PORT PATH: CLIENTS clients in two Node processes, one event.
run() {
	local name=$1 port=$2 path=$3 half=$((CLIENTS / 2)) s1 s2
	node "$SWARM" --key "$KEY" --secret "$SECRET" --channel "$CHANNEL" \
		--host 127.0.0.1 --port "$port" --path "$path" --clients "$half" \
		--events 1 --timeout 400 >"$T/$name.1" &
	s1=$!
	node "$SWARM" --key "$KEY" --secret "$SECRET" --channel "$CHANNEL" \
		--host 127.0.0.1 --port "$port" --path "$path" --clients "$((CLIENTS - half))" \
		--events 1 --timeout 400 >"$T/$name.2" &
	s2=$!
	wait_line "$T/$name.1" '.type == "ready"' 300 && wait_line "$T/$name.2" '.type == "ready"' 300 ||
		not_ok "$name: swarms ready"
	sleep 2
	local ready failed
	ready=$(jq -s '[.[] | select(.type == "ready") | .ms] | max | floor' "$T/$name.1" "$T/$name.2")
	failed=$(jq -s '[.[] | select(.type == "ready") | .failed] | add' "$T/$name.1" "$T/$name.2")
	local p50 prss srss
	p50=$(api_p50)
	prss=$(rss_mb "$PUSHD_PID")
	srss=$(rss_mb $(server_pids))
	"$BENCH" --config "$CONF" --generated --download "$DL_ID" --count 1 --interval-ms 10 >"$T/$name.sent"
	wait "$s1" "$s2" || true
	local fan
	fan=$(python3 - "$T/$name.sent" "$T/$name.1" "$T/$name.2" <<'EOF'
import json, sys
sent = dict(map(int, l.split()) for l in open(sys.argv[1]))
n, last = 0, 0
for f in sys.argv[2:]:
    for r in map(json.loads, open(f)):
        if r.get("type") == "event" and r["event_id"] in sent:
            n += r["n"]
            last = max(last, (int(r["last_ns"]) - sent[r["event_id"]]) / 1e6)
print(n, round(last))
EOF
)
	echo "$name $ready $failed $p50 $prss $srss $fan" >>"$T/results"
	echo "# $name: $CLIENTS clients subscribed in $ready ms ($failed failed);" \
		"API p50 $p50 ms meanwhile; pushd RSS $prss MB, $SERVER RSS $srss MB;" \
		"one event reached $(cut -d' ' -f1 <<<"$fan") clients, the last after $(cut -d' ' -f2 <<<"$fan") ms"
	sleep 3	# the clients' sockets close
}

IDLE_P50=$(api_p50)
IDLE_SRSS=$(rss_mb $(server_pids))
echo "# API p50 with no push clients: $IDLE_P50 ms; $SERVER RSS $IDLE_SRSS MB"
run direct "$PUSHD_PORT" ""
run "via-$SERVER" "$HTTP_PORT" /ws
read -r _ d_ready _ _ _ _ d_n d_last < <(grep '^direct ' "$T/results")
read -r _ v_ready v_failed v_p50 _ v_srss v_n v_last < <(grep '^via-' "$T/results")
echo "# through $SERVER / direct: subscribe x$(python3 -c "print(round($v_ready / max($d_ready, 1), 2))")," \
	"fan-out x$(python3 -c "print(round($v_last / max($d_last, 1), 2))");" \
	"API p50 x$(python3 -c "print(round($v_p50 / max($IDLE_P50, 0.01), 2))") of idle;" \
	"$SERVER RSS +$((v_srss - IDLE_SRSS)) MB"
expect_eq "direct: every client got the event" "$CLIENTS" "$d_n"
expect_eq "through $SERVER: every client subscribed" 0 "$v_failed"
expect_eq "through $SERVER: every client got the event" "$CLIENTS" "$v_n"
finish
