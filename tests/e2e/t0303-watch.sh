#!/bin/bash
# archivectl segments import --watch: indexes what DIR holds, then each
# segment a recorder finishes: written under a temporary name and renamed
# (MediaMTX-style), or written and closed in place (ffmpeg), also in a
# directory made after the watch began (Frigate makes one an hour). A file
# whose name lies is placed by its timestamps against the indexed segment
# it continues. SIGTERM stops it with status 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures.sh"

make_fixtures || { echo "# no fixtures: skipped"; exit 77; }
setup
REC="$T/rec"
mkdir -p "$REC"
SRC="$FIXTURES/h264_aac_ts"

# name_at SECONDS: the recorder's name for a segment that starts SECONDS
# after the fixtures' base, in the configured zone.
name_at() {
	echo "cam1-$(TZ=Europe/Berlin date -d "@$((BASE_US / 1000000 + $1))" +%Y-%m-%d_%H-%M-%S).ts"
}
cp "$SRC/seg000.ts" "$REC/$(name_at 0)"

"$CTL" --config "$CONF" segments import --stream "$STREAM" --watch "$REC" 2>"$T/watch.err" &
WATCH=$!
PIDS="$PIDS $WATCH"

# wait_for COUNT: until the stream has COUNT segments (10 s at most).
wait_for() {
	for _ in $(seq 1 100); do
		[ "$(sql "SELECT count(*) FROM segments WHERE stream_id=$STREAM")" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
wait_line() {
	for _ in $(seq 1 100); do
		grep -q -- "$1" "$T/watch.err" && return 0
		sleep 0.1
	done
	return 1
}
starts() { sql_list ' ' "SELECT start_us - $BASE_US FROM segments WHERE stream_id=$STREAM ORDER BY start_us"; }

check "the first pass indexes what is there, then watches" wait_line "watching '$REC'"
expect_eq "one segment so far" 0 "$(starts)"

# A recorder writes under a temporary (hidden) name and renames when done.
cp "$SRC/seg001.ts" "$REC/.$(name_at 4).tmp"
sleep 0.5
expect_eq "the temporary file is not indexed" 1 "$(sql 'SELECT count(*) FROM segments')"
mv "$REC/.$(name_at 4).tmp" "$REC/$(name_at 4)"
check "renamed into place: indexed" wait_for 2
expect_eq "at its time" "0 4000000" "$(starts)"
check "and said so" wait_line "indexed '$REC/$(name_at 4)'"

# Written and closed in place, under a name an hour off: its timestamps
# continue the indexed segment, so it goes after it, with a warning.
cat "$SRC/seg002.ts" >"$REC/$(name_at 3608)"
check "written in place: indexed" wait_for 3
expect_eq "placed by its media, not its name" "0 4000000 8000000" "$(starts)"
check "with a warning naming it and the segment it continues" \
	wait_line "warning '$REC/$(name_at 3608)': its name says .* but its timestamps continue '.*$(name_at 4)'"

# A directory made after the watch began, and a file in it.
mkdir "$REC/later"
cp "$FIXTURES/gap_ts/seg002.ts" "$REC/later/$(name_at 14)"
check "a file in a new directory: indexed" wait_for 4
expect_eq "at its time" "0 4000000 8000000 14000000" "$(starts)"
check "the stream can reach the present: to is the last segment's end" \
	test "$(sql "SELECT max(end_us) - $BASE_US FROM segments WHERE stream_id=$STREAM")" -ge 18000000

kill -TERM "$WATCH"
rc=0
wait "$WATCH" || rc=$?
PIDS=""
expect_eq "SIGTERM: exit 0" 0 "$rc"
check "SIGTERM: says it stopped" grep -q "stopped watching" "$T/watch.err"
expect_eq "no file indexed twice" 4 "$(sql "SELECT count(DISTINCT path) FROM segments")"

finish
