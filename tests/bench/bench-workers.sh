#!/bin/bash
# The worker with several jobs: two one-hour exports of the benchmark
# recording (two streams over the same files), with workers = 1 and then
# workers = 2, in one invocation: wall time until both are active, and
# the worker's peak RSS (threads share one process).
#
#   top_builddir=BUILD tests/bench/bench-workers.sh MEDIADIR
# BUILD: a release build tree; MEDIADIR: made by tests/media/make-bench-media.sh.
set -eu
top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
: "${top_builddir:?set top_builddir to a release build tree}"
MEDIA=$(realpath "${1:?usage: bench-workers.sh MEDIADIR}")
bash "$top_srcdir/tests/media/make-bench-media.sh" "$MEDIA" 60 >/dev/null

. "$top_srcdir/tests/e2e/lib.sh"

# index STREAM DIR: the hour's segments, through links of their own.
index() {
	mkdir -p "$2"
	awk -F'\t' -v s="$1" -v m="$MEDIA" -v d="$2" 'NR > 1 && $1 == "bench" {
		n = split($2, p, "/")
		system("ln -sf " m "/" $2 " " d "/" p[n])
		printf "INSERT INTO segments(stream_id, path, start_us, end_us, bytes, codec, created_at) VALUES (%s, '\''%s/%s'\'', %s, %s, %s, '\''h264'\'', 0);\n", s, d, p[n], $3, $4, $5
	}' "$MEDIA/manifest.tsv" | sql
}

run() {
	local workers=$1 a b t0 t1 hwm
	rm -rf "$T"/*
	setup "workers = $workers;" "poll_interval_ms = 100;"
	B=$(ctl stream add --camera "$(ctl camera add --name b)" --type high --url rtsp://x/b)
	index "$STREAM" "$T/a"
	index "$B" "$T/b"
	"$top_builddir/daemon/worker/archived" --config "$CONF" 2>>"$T/archived.log" &
	local pid=$!
	sleep 0.5
	t0=$(date +%s%N)
	sql "INSERT INTO downloads(user_id, stream_id, from_us, to_us, name, created_at, updated_at)
	     VALUES (1, $STREAM, 1768471200000000, 1768474800000000, 'a', 0, 0),
	            (1, $B, 1768471200000000, 1768474800000000, 'b', 0, 0)"
	kick() { python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.sendto(b"k", sys.argv[1])' "$T/data/run/archived.sock" 2>/dev/null || true; }
	kick
	while [ "$(sql "SELECT count(*) FROM downloads WHERE condition='active'")" != 2 ]; do sleep 0.02; done
	t1=$(date +%s%N)
	hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")
	kill "$pid"; wait "$pid" || true
	printf '%-12s %8.2f s %8.1f MB\n' "workers=$workers" "$(echo "($t1 - $t0) / 1000000000" | bc -l)" "$(echo "$hwm / 1024" | bc -l)"
}

cat "$MEDIA"/bench/*.ts > /dev/null	# a warm page cache for both runs
t0=$(date +%s%N); cat "$MEDIA"/bench/*.ts "$MEDIA"/bench/*.ts > "$T/cat.out"; t1=$(date +%s%N); rm -f "$T/cat.out"
printf '%-12s %8.2f s\n' "cat x2" "$(echo "($t1 - $t0) / 1000000000" | bc -l)"
run 1
run 2
