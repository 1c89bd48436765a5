#!/bin/bash
# Several recording servers on one PostgreSQL, each figure beside its
# one-host baseline in the same invocation:
#  1. jobs a second (claim, a one-second remux, finish) through 2 nodes x 4
#     workers on PostgreSQL, against 1 node x 8 workers on SQLite;
#  2. a create on node a's API -> node b's worker picking the job up, woken
#     by NOTIFY alone (its polling once a minute), p50/p99, against node a's
#     worker woken by the kick on its own host;
#  3. an event's commit on node a -> a pusher-js client of node b's
#     archive-pushd (through b's lighttpd), woken by NOTIFY alone, p50/p99,
#     against the same commit made on b's host (kick).
# PostgreSQL runs with its defaults (fsync on) on this host's disk.
#
#   top_builddir=$PWD/build-rel tests/bench/bench-nodes.sh [JOBS] [SAMPLES]
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
: "${top_builddir:?set top_builddir to a release build tree}"
JOBS=${1:-3000}
SAMPLES=${2:-100}

. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/push/lib-push.sh"
. "$top_srcdir/tests/e2e/fixtures.sh"
. "$top_srcdir/tests/e2e/lib-pg.sh"
make -s -C "$top_builddir" tests/bench/push/pushbench tests/e2e/push/publish >/dev/null
make_fixtures
push_npm
BENCH="$top_builddir/tests/bench/push/pushbench"
SWARM="$top_srcdir/tests/bench/push/swarm.js"

# queue N STREAM...: N pending one-second jobs spread over the streams.
queue() {
	local n=$1 s now
	shift
	now=$(date +%s)000000
	for s in "$@"; do
		sql "WITH RECURSIVE q(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM q
			WHERE i < $((n / $#))) INSERT INTO downloads(user_id, stream_id,
			from_us, to_us, name, created_at, updated_at, link_key)
			SELECT $USER_ID, $s, $BASE_US + (i % 6) * 1000000,
			$BASE_US + (i % 6) * 1000000 + 1000000, 'j' || i || '.mp4', $now,
			$now, 'k' || i FROM q" >/dev/null
	done
}
# drain: ms until nothing is pending or processing.
drain() {
	local t0
	t0=$(date +%s%N)
	while [ "$(sql "SELECT count(*) FROM downloads WHERE condition IN ('pending', 'processing')")" != 0 ]; do
		sleep 0.05
	done
	echo $((($(date +%s%N) - t0) / 1000000))
}
# pct FILE P: the P-th percentile of the numbers in FILE.
pct() { sort -n "$1" | awk -v p="$2" '{ v[NR] = $1 } END { i = int(p / 100 * (NR - 1) + 0.5) + 1; print v[i] }'; }

echo "# 1. $JOBS one-second exports"
setup "workers = 8;" "poll_interval_ms = 200;" "max_pending = 100000;"
USER_ID=$(sql "SELECT user_id FROM tokens LIMIT 1")
S1=$(index_case h264_aac_ts)
queue "$JOBS" "$S1"
start_worker
ms_sqlite=$(drain)
stop_servers

PG_FSYNC=on pg_start
DB_URL=$(pg_url bench)
setup "node = \"a\";" "workers = 4;" "poll_interval_ms = 60000;" "max_pending = 100000;" \
	"log_file = \"$T/a.log\";"
CONF_A=$CONF
sed -e "s|^data_dir = .*|data_dir = \"$T/b/data\";|" -e "s|^node = .*|node = \"b\";|" \
	-e "s|^log_file = .*|log_file = \"$T/b.log\";|" \
	-e "s|listen = \"127.0.0.1:$PUSHD_PORT\"|listen = \"127.0.0.1:$(free_port)\"|" \
	-e "s|^public_url = .*|public_url = \"http://127.0.0.1:$(free_port)\";|" "$CONF_A" > "$T/b.conf"
"$CTL" --config "$T/b.conf" init 2>/dev/null
ctl node add a --url "http://127.0.0.1:$HTTP_PORT"
ctl node add b --url "$(sed -n 's/^public_url = "\(.*\)";/\1/p' "$T/b.conf")"
USER_ID=$(sql "SELECT user_id FROM tokens LIMIT 1")
SA=$(node_stream a h264_aac_ts)
SB=$(node_stream b h264_aac_ts "$T/b/rec")
queue "$JOBS" "$SA" "$SB"
start_worker
"$top_builddir/daemon/worker/archived" --config "$T/b.conf" 2>>"$T/b.err" &
WB=$!
PIDS="$PIDS $WB"
ms_pg=$(drain)
printf '# %-52s %8s\n' "" "jobs/s"
printf '# %-52s %8d\n' "SQLite, 1 node x 8 workers (baseline)" $((JOBS * 1000 / ms_sqlite))
printf '# %-52s %8d  x%s\n' "PostgreSQL, 2 nodes x 4 workers" $((JOBS * 1000 / ms_pg)) \
	"$(echo "scale=2; $ms_sqlite / $ms_pg" | bc)"
expect_eq "every job done once" "$JOBS 0" \
	"$(sql "SELECT count(*) FROM downloads WHERE condition='active'") $(sql "SELECT count(*) FROM downloads WHERE attempts<>1")"

echo "# 2. create on a's API -> the worker's claim ($SAMPLES each, sequential)"
start_lighttpd
pickup() {
	local stream=$1 out=$2 id
	: > "$out"
	for _ in $(seq 1 "$SAMPLES"); do
		api POST /api/admin/v1/downloads "{\"stream_id\": $stream, \"from\": \"$(local_time "$BASE_US")\", \"to\": \"$(local_time $((BASE_US + 1000000)))\"}"
		id=$(jbody .id)
		while [ "$(sql "SELECT count(*) FROM downloads WHERE id=$id AND claimed_at IS NOT NULL")" = 0 ]; do
			sleep 0.01
		done
		sql "SELECT (claimed_at - created_at) / 1000.0 FROM downloads WHERE id=$id" >> "$out"
		wait_download "$id" 30 >/dev/null
	done
}
TOKEN=$(ctl token create --user alice --admin)
pickup "$SA" "$T/kick.ms"
pickup "$SB" "$T/notify.ms"
printf '# %-52s %8s %8s\n' "" "p50 ms" "p99 ms"
printf '# %-52s %8.2f %8.2f\n' "node a's worker, kick on its host (baseline)" "$(pct "$T/kick.ms" 50)" "$(pct "$T/kick.ms" 99)"
printf '# %-52s %8.2f %8.2f\n' "node b's worker, NOTIFY only" "$(pct "$T/notify.ms" 50)" "$(pct "$T/notify.ms" 99)"

echo "# 3. an event's commit -> pusher-js on node b's pushd (200 events, 20 ms apart)"
stop_servers
PORT_B=$(sed -n 's|^public_url = "http://127.0.0.1:\([0-9]*\)";|\1|p' "$T/b.conf")
PUSHD_B=$(sed -n 's|.*listen = "127.0.0.1:\([0-9]*\)".*|\1|p' "$T/b.conf")
mkdir -p "$T/b/docroot"
ARCHIVED_HTTP_BIND=127.0.0.1 ARCHIVED_HTTP_PORT=$PORT_B ARCHIVED_STATE_DIR=$T/b \
ARCHIVED_DOCROOT=$T/b/docroot ARCHIVED_FCGI=$FCGI ARCHIVED_CONFIG=$T/b.conf \
ARCHIVED_DOWNLOADS_DIR=$T/b/data/downloads ARCHIVED_PUSHD_PORT=$PUSHD_B \
	lighttpd -D -f "$top_srcdir/conf/lighttpd/archived.conf" &
PIDS="$PIDS $!"
"$PUSHD" --config "$T/b.conf" >>"$T/b/pushd.log" 2>&1 &
PIDS="$PIDS $!"
BASE=http://127.0.0.1:$PORT_B
for _ in $(seq 1 100); do curl -s -o /dev/null "$BASE/" && break; sleep 0.05; done
sleep 0.5
CONF=$T/b.conf
bench_channel
CONF=$CONF_A
push_latency() {
	local name=$1 label=$2 conf=$3
	node "$SWARM" --key "$KEY" --secret "$SECRET" --channel "$CHANNEL" --host 127.0.0.1 \
		--port "$PORT_B" --path /ws --clients 1 --events 200 --timeout 60 >"$T/$name.recv" &
	local pid=$!
	wait_line "$T/$name.recv" '.type == "ready"' 20
	"$BENCH" --config "$conf" --generated --download "$DL_ID" --count 200 \
		--interval-ms 20 >"$T/$name.sent"
	wait "$pid" || true
	python3 "$top_srcdir/tests/bench/push/latency.py" "$T/$name.sent" "$T/$name.recv" "$label"
}
push_latency kick "committed on b's host, kick (baseline)" "$T/b.conf"
push_latency notify "committed on a's host, NOTIFY only" "$CONF_A"
stop_servers
pg_stop
finish >/dev/null
