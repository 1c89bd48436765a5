#!/bin/bash
# What just happened, from a recorder writing live: ffmpeg records a test
# pattern into 2-s MPEG-TS segments (its segment muxer, names from
# strftime), archivectl segments import --watch indexes each as it closes,
# and a download asked for the second before now to 5 s from now waits
# for the footage, then comes out whole: every frame of its 6 s, in FFmpeg
# and in GStreamer.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures.sh"

setup
start_lighttpd
REC="$T/rec"
mkdir -p "$REC"
TZ=Europe/Berlin ffmpeg -nostdin -loglevel error -re \
	-f lavfi -i testsrc2=size=320x240:rate=25 \
	-c:v libx264 -preset ultrafast -g 25 -pix_fmt yuv420p \
	-f segment -segment_time 2 -strftime 1 -segment_format mpegts \
	"$REC/%Y-%m-%d_%H-%M-%S.ts" 2>"$T/recorder.log" &
PIDS="$PIDS $!"
"$CTL" --config "$CONF" segments import --stream "$STREAM" --layout ffmpeg \
	--watch "$REC" 2>"$T/watch.err" &
PIDS="$PIDS $!"
"$top_builddir/daemon/worker/archived" --config "$CONF" 2>>"$T/archived.log" &
PIDS="$PIDS $!"

indexed() { sql "SELECT count(*) FROM segments WHERE stream_id=$STREAM"; }
for _ in $(seq 1 200); do
	[ "$(indexed)" -ge 2 ] && break
	sleep 0.1
done
check "the recorder's first segments are indexed as they close" test "$(indexed)" -ge 2

now=$(date +%s)
from=$(TZ=Europe/Berlin date -d "@$((now - 1))" '+%Y-%m-%d %H:%M:%S')
to=$(TZ=Europe/Berlin date -d "@$((now + 5))" '+%Y-%m-%d %H:%M:%S')
api POST /api/admin/v1/downloads "{\"stream_id\": $STREAM, \"from\": \"$from\", \"to\": \"$to\"}"
ID=$(jbody .id)
expect_eq "asked for the last second and the next five: answered at once" 200 "$STATUS"
sleep 2
expect_eq "it waits for the footage" pending "$(sql "SELECT condition FROM downloads WHERE id=$ID")"
cond=
for _ in $(seq 1 300); do
	cond=$(sql "SELECT condition FROM downloads WHERE id=$ID")
	case $cond in pending|processing) sleep 0.1 ;; *) break ;; esac
done
expect_eq "and is exported once the recorder has written it" active "$cond"
api GET "/api/admin/v1/downloads/$ID"
expect_eq "whole: its coverage is the range asked" "$from $to" \
	"$(jbody '[.coverage[] | .from, .to] | join(" ")')"
FILE=$(ls "$DL_DIR/$ID"-*.mp4)
count_frames "$FILE"
expect_eq "FFmpeg decodes its 6 s: 150 frames" 150 "$FF_FRAMES"
if [ -n "$GST_FRAMES" ]; then
	expect_eq "GStreamer decodes the same 150" 150 "$GST_FRAMES"
else
	echo "# GStreamer not installed: its frame count skipped"
fi

finish
