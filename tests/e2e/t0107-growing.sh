#!/bin/bash
# The segment a recorder is still writing: ffmpeg records a test pattern
# live into one long file (a GOP a second), and segments import --watch
# indexes it while it grows.
#  - MPEG-TS: indexed within seconds of the first GOP, its end moving on
#    as it grows (every 10 s; every second while a download waits for
#    it); an export whose "to" is 2 s ago is made from the open file,
#    whole and frame-exact in FFmpeg and GStreamer; one whose "to" is 4 s
#    ahead waits, then is whole too; check leaves the open file alone; once the recorder stops, the
#    row gets the file's whole length (check --deep agrees); a range that
#    runs past the end of the recording is exported after footage_wait with
#    what exists.
#  - fragmented MP4: the same, by whole fragments.
#  - plain MP4: cannot be read before it is closed; the importer says so,
#    then indexes it on close.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures.sh"

setup "footage_wait = 6;"
start_lighttpd
start_worker
FPS=25

# record DIR EXT [FFMPEG-OPTION...]: ffmpeg writing live into DIR, one file
# named by its start (ffmpeg's segment muxer, an hour a segment); sets REC_PID.
record() {
	local dir=$1 ext=$2
	shift 2
	mkdir -p "$dir"
	TZ=Europe/Berlin ffmpeg -nostdin -loglevel error -re \
		-f lavfi -i testsrc2=size=320x240:rate=$FPS \
		-c:v libx264 -preset ultrafast -g $FPS -pix_fmt yuv420p \
		-f segment -segment_time 3600 -strftime 1 "$@" \
		"$dir/%Y-%m-%d_%H-%M-%S.$ext" 2>>"$T/recorder.log" &
	REC_PID=$!
	PIDS="$PIDS $REC_PID"
}

# watch DIR STREAM: segments import --watch; sets WATCH_PID.
watch() {
	"$CTL" --config "$CONF" segments import --stream "$2" --layout ffmpeg \
		--watch "$1" 2>"$T/watch-${1##*/}.err" &
	WATCH_PID=$!
	PIDS="$PIDS $WATCH_PID"
}

seg_end() { sql "SELECT coalesce(max(end_us), 0) FROM segments WHERE stream_id=$1"; }
local_s() { TZ=Europe/Berlin date -d "@$1" '+%Y-%m-%d %H:%M:%S'; }

# wait_end STREAM US [SECONDS]: until the stream's index reaches US.
wait_end() {
	for _ in $(seq 1 $((${3:-15} * 10))); do
		[ "$(seg_end "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# export_check NAME STREAM FROM TO: a download of [FROM, TO) (Unix
# seconds) made whole: coverage, and its frames in FFmpeg and GStreamer.
export_check() {
	local name=$1 stream=$2 from to id file
	from=$(local_s "$3")
	to=$(local_s "$4")
	api POST /api/admin/v1/downloads "{\"stream_id\": $stream, \"from\": \"$from\", \"to\": \"$to\"}"
	id=$(jbody .id)
	check "$name: exported" wait_download "$id" 40
	expect_eq "$name: active" active "$COND"
	api GET "/api/admin/v1/downloads/$id"
	expect_eq "$name: whole: its coverage is the range asked" "$from $to" \
		"$(jbody '[.coverage[] | .from, .to] | join(" ")')"
	file=$(ls "$DL_DIR/$id"-*.mp4 2>/dev/null | head -n 1)
	count_frames "$file"
	expect_eq "$name: FFmpeg decodes every frame" $((($4 - $3) * FPS)) "$FF_FRAMES"
	[ -z "$GST_FRAMES" ] ||
		expect_eq "$name: GStreamer decodes the same" "$FF_FRAMES" "$GST_FRAMES"
}

# --- MPEG-TS
S_TS=$STREAM
T0=$(date +%s)
record "$T/ts" ts -segment_format mpegts
watch "$T/ts" "$S_TS"
check "TS: indexed while being written" wait_end "$S_TS" 1 10
FILE_TS=$(ls "$T/ts"/*.ts)
E1=$(seg_end "$S_TS")
# Nobody waits for it: probed every 10 s, not every second (a probe costs
# ~5 ms; a thousand cameras' importers would not keep up once a second).
sleep 4
expect_eq "TS: while nobody waits for it, not probed again at once" "$E1" "$(seg_end "$S_TS")"
check "TS: its end moves on as it grows, every 10 s while nobody waits" \
	wait_end "$S_TS" $((E1 + 1000000)) 13
check "TS: one row for the one file" test "$(sql "SELECT count(*) FROM segments WHERE stream_id=$S_TS")" -eq 1
check "TS: the importer said it indexed it" grep -q "indexed '.*\.ts': .* so far (being written)" "$T/watch-ts.err"
# Let a few seconds be recorded, then the 2 s before "2 s ago".
sleep 3
NOW=$(date +%s)
export_check "TS, to 2 s ago" "$S_TS" $((NOW - 4)) $((NOW - 2))
check "TS: the recorder was still writing" kill -0 "$REC_PID"
RC=0
"$CTL" --config "$CONF" check --stream "$S_TS" >/dev/null 2>"$T/check.err" || RC=$?
expect_eq "TS: check leaves the file being written alone (exit 0)" 0 "$RC"
NOW=$(date +%s)
export_check "TS, to 4 s ahead" "$S_TS" $((NOW - 1)) $((NOW + 4))
# Past the end of the recording: footage_wait (6 s) after "to", what exists.
NOW=$(date +%s)
from=$(local_s $((NOW - 2)))
to=$(local_s $((NOW + 3)))
api POST /api/admin/v1/downloads "{\"stream_id\": $S_TS, \"from\": \"$from\", \"to\": \"$to\"}"
PART=$(jbody .id)
sleep 1
kill -INT "$REC_PID"
wait "$REC_PID" 2>/dev/null || true
check "TS, past the end: exported after footage_wait" wait_download "$PART" 30
expect_eq "TS, past the end: active" active "$COND"
api GET "/api/admin/v1/downloads/$PART"
check "TS, past the end: its coverage ends where the recording did" \
	test "$(jbody '.coverage[-1].to')" "<" "$to"
# Closed: indexed whole, as reading every packet says.
indexed_whole() {
	[ "$(sql "SELECT bytes FROM segments WHERE stream_id=$S_TS")" = "$(stat -c %s "$FILE_TS")" ]
}
for _ in $(seq 1 100); do
	indexed_whole && break
	sleep 0.1
done
check "TS: closed, the row has the file's size" indexed_whole
RC=0
"$CTL" --config "$CONF" check --deep --stream "$S_TS" >/dev/null 2>"$T/deep.err" || RC=$?
expect_eq "TS: closed, the row has the file's whole length (check --deep)" 0 "$RC"
kill "$WATCH_PID"
wait "$WATCH_PID" 2>/dev/null || true

# --- fragmented MP4
S_FRAG=$(ctl stream add --camera "$(ctl camera add --name frag)" --type high --url rtsp://cam/frag)
record "$T/frag" mp4 -segment_format mp4 \
	-segment_format_options movflags=+frag_keyframe+empty_moov+default_base_moof
watch "$T/frag" "$S_FRAG"
check "fMP4: indexed while being written" wait_end "$S_FRAG" 1 10
E1=$(seg_end "$S_FRAG")
check "fMP4: its end moves on by whole fragments" wait_end "$S_FRAG" $((E1 + 1000000)) 13
NOW=$(date +%s)
export_check "fMP4, to 2 s ago" "$S_FRAG" $((NOW - 4)) $((NOW - 2))
check "fMP4: the recorder was still writing" kill -0 "$REC_PID"
kill -INT "$REC_PID"
wait "$REC_PID" 2>/dev/null || true
kill "$WATCH_PID"
wait "$WATCH_PID" 2>/dev/null || true

# --- plain MP4: nothing to read until it is closed
S_MP4=$(ctl stream add --camera "$(ctl camera add --name mp4)" --type high --url rtsp://cam/mp4)
record "$T/mp4" mp4 -segment_format mp4
watch "$T/mp4" "$S_MP4"
sleep 4
expect_eq "plain MP4: not indexed while being written" 0 \
	"$(sql "SELECT count(*) FROM segments WHERE stream_id=$S_MP4")"
check "plain MP4: the importer says why" \
	grep -q "waiting for '.*\.mp4': an MP4 being written cannot be read yet: a plain MP4's index (moov) is written when it is closed" \
	"$T/watch-mp4.err"
kill -INT "$REC_PID"
wait "$REC_PID" 2>/dev/null || true
check "plain MP4: indexed once closed" wait_end "$S_MP4" 1 10
kill "$WATCH_PID"
wait "$WATCH_PID" 2>/dev/null || true

finish
