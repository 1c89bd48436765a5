#!/bin/bash
# 8 workers over 2 nodes (two archived processes of 4 threads, one
# PostgreSQL) and 2,000 queued tiny jobs, half on each node's camera: every
# job is done exactly once, by its own node: one claim, one archive on that
# node's disk, one archive_generated event.
# It runs in the suite's PostgreSQL pass (ARCHIVED_TEST_DB=postgresql).
. "$(dirname "$0")/lib.sh"
pg_pass_only "several nodes share a PostgreSQL"
. "$(dirname "$0")/fixtures.sh"

JOBS=${JOBS:-2000}
make_fixtures
setup "node = \"a\";" "workers = 4;" "poll_interval_ms = 200;" "max_pending = 100000;"
sed -e "s|^data_dir = .*|data_dir = \"$T/b/data\";|" -e "s|^node = .*|node = \"b\";|" \
	"$CONF" > "$T/b.conf"
"$CTL" --config "$T/b.conf" init 2>/dev/null
ctl node add a --url "http://127.0.0.1:$HTTP_PORT"
ctl node add b --url "http://127.0.0.1:$(free_port)"
STREAM_A=$(node_stream a h264_aac_ts)
STREAM_B=$(node_stream b h264_aac_ts "$T/b/rec")
USER_ID=$(sql "SELECT user_id FROM tokens LIMIT 1")

# The queue, filled before any worker runs: one second of footage each,
# the two nodes' jobs interleaved, queued an hour ago (a site coming back
# from an outage: node a's worker starts first and must not fail b's jobs
# as node_unavailable before it has seen b silent for node_timeout).
sql "INSERT INTO downloads(user_id, stream_id, from_us, to_us, name, created_at,
	updated_at, link_key) SELECT $USER_ID, CASE WHEN i % 2 = 0 THEN $STREAM_A ELSE $STREAM_B END,
	$BASE_US + (i % 6) * 1000000, $BASE_US + (i % 6) * 1000000 + 1000000, 'j' || i || '.mp4',
	$(($(date +%s) - 3600))000000, $(($(date +%s) - 3600))000000, md5(i::text)
	FROM generate_series(1, $JOBS) AS i"
expect_eq "$JOBS jobs queued" "$JOBS" "$(sql "SELECT count(*) FROM downloads WHERE condition='pending'")"

t0=$(date +%s%N)
start_worker
sleep 1
"$top_builddir/daemon/worker/archived" --config "$T/b.conf" 2>>"$T/b.log" &
PIDS="$PIDS $!"
for _ in $(seq 1 2400); do
	[ "$(sql "SELECT count(*) FROM downloads WHERE condition IN ('pending', 'processing')")" = 0 ] && break
	sleep 0.1
done
ms=$((($(date +%s%N) - t0) / 1000000))
echo "# $JOBS jobs in $ms ms: $((JOBS * 1000 / (ms > 0 ? ms : 1))) a second over 2 nodes x 4 workers"

expect_eq "every job is active" "$JOBS" "$(sql "SELECT count(*) FROM downloads WHERE condition='active'")"
expect_eq "each claimed once" "" "$(sql "SELECT id FROM downloads WHERE attempts <> 1 LIMIT 5")"
expect_eq "each made by its camera's node" "" \
	"$(sql "SELECT d.id FROM downloads d JOIN streams s ON s.id=d.stream_id WHERE d.node <> s.node LIMIT 5")"
expect_eq "each has one archive_generated event, ok" "" \
	"$(sql "SELECT d.id FROM downloads d LEFT JOIN events e ON e.download_id=d.id
		AND e.type='archive_generated' GROUP BY d.id HAVING count(e.id) <> 1
		OR min(e.payload) NOT LIKE '%\"status\":\"ok\"%' LIMIT 5")"
for n in a b; do
	dir=$([ $n = a ] && echo "$T/data/downloads" || echo "$T/b/data/downloads")
	sql "SELECT path FROM downloads WHERE node='$n' ORDER BY path" > "$T/rows.$n"
	ls "$dir" | LC_ALL=C sort > "$T/files.$n"
	expect_eq "node $n's disk holds exactly its $((JOBS / 2)) archives" \
		"$((JOBS / 2)) same" "$(wc -l < "$T/files.$n") $(cmp -s "$T/rows.$n" "$T/files.$n" && echo same || echo differ)"
done
check "no worker lost a lease" sh -c "! grep -q 'no longer ours' '$T/archived.log' '$T/b.log'"
finish
