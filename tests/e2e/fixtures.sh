# Recorded media for the worker's tests, made once per build tree by
# tests/media/make-fixtures.sh, and indexed into a test's database.
# Sourced after lib.sh.

FIXTURES="$top_builddir/tests/media/fixtures"
BASE_US=1768471200000000	# 2026-01-15 10:00:00 UTC, the fixtures' first segment

make_fixtures() {
	# The script caches, and serialises concurrent runs itself.
	bash "$top_srcdir/tests/media/make-fixtures.sh" "$FIXTURES" >/dev/null
}

# index_case CASE [DIR]: a camera and high stream holding the case's
# segments (missing files included, as a recorder's index would), in
# DIR/CASE when given (a copy); prints the stream id.
index_case() {
	local case=$1 dir=${2:-$FIXTURES} cam stream
	cam=$(ctl camera add --name "cam $case" --address "Site, $case")
	stream=$(ctl stream add --camera "$cam" --type high --url "rtsp://u:p@cam-$case/live")
	awk -F'\t' -v c="$case" -v dir="$dir" -v s="$stream" 'NR > 1 && $1 == c {
		printf "INSERT INTO segments(stream_id, path, start_us, end_us, bytes, codec, width, height, has_audio, created_at) VALUES (%s, '\''%s/%s'\'', %s, %s, %s, '\''%s'\'', %s, %s, %s, 0);\n", s, dir, $2, $3, $4, $5, $6, $7, $8, $9
	}' "$FIXTURES/manifest.tsv" | sql
	echo "$stream"
}

# node_stream NODE CASE [DIR]: index_case's stream, held by node NODE; with
# DIR, the case's segments are copied there first (that node's own disk).
node_stream() {
	local node=$1 case=$2 dir=${3:-} stream
	if [ -n "$dir" ]; then
		mkdir -p "$dir"
		cp -r "$FIXTURES/$case" "$dir/"
	fi
	stream=$(index_case "$case" ${dir:+"$dir"})
	ctl stream update "$stream" --node "$node"
	echo "$stream"
}

# utc_local US: the configured zone's "YYYY-MM-DD HH:MM:SS" of UTC microseconds.
local_time() {
	TZ=${TEST_TZ:-Europe/Berlin} date -d "@$(($1 / 1000000))" '+%Y-%m-%d %H:%M:%S'
}

# wait_download ID [SECONDS]: until the download leaves pending/processing.
# Sets COND.
wait_download() {
	local id=$1 limit=${2:-60} i
	for i in $(seq 1 $((limit * 10))); do
		COND=$(sql "SELECT condition FROM downloads WHERE id=$id")
		case $COND in
		pending|processing) sleep 0.1 ;;
		*) return 0 ;;
		esac
	done
	echo "# download $id still $COND after ${limit}s"
	return 1
}

# count_frames MP4: the video frames FFmpeg and GStreamer (qtdemux and
# avdec_h264/avdec_h265 to raw I420, counted by size) decode from an
# export. Sets FF_FRAMES, GST_FRAMES (empty without GStreamer) and
# FRAME_RATE (ffprobe's r_frame_rate).
count_frames() {
	local codec w h dec
	IFS=, read -r codec w h FRAME_RATE FF_FRAMES < <(ffprobe -v error -count_frames \
		-select_streams v:0 -of csv=p=0 \
		-show_entries stream=codec_name,width,height,r_frame_rate,nb_read_frames "$1")
	GST_FRAMES=
	command -v gst-launch-1.0 >/dev/null || return 0
	dec=avdec_h264
	[ "$codec" = hevc ] && dec=avdec_h265
	gst-launch-1.0 -q filesrc location="$1" ! qtdemux name=d d.video_0 ! "$dec" ! \
		videoconvert ! video/x-raw,format=I420 ! filesink location="$T/frames.yuv" \
		>"$T/frames.gst" 2>&1 || true
	GST_FRAMES=$(( $(stat -c %s "$T/frames.yuv" 2>/dev/null || echo 0) / (w * h * 3 / 2) ))
	rm -f "$T/frames.yuv"
}

start_worker() {
	"$top_builddir/daemon/worker/archived" --config "$CONF" 2>>"$T/archived.log" &
	WORKER_PID=$!
	PIDS="$PIDS $WORKER_PID"
}

# slow_stream [DISK]: a stream of h264_aac_ts whose middle segment is on
# the slow disk (or DISK: killdisk); sets SLOW_STREAM.
slow_stream() {
	local cam n=$((${N:-0} + 1)) dir disk=${1:-slowdisk}
	N=$n
	dir="$T/rec$n"
	mkdir -p "$dir/$disk"
	cp "$FIXTURES/h264_aac_ts/seg000.ts" "$FIXTURES/h264_aac_ts/seg002.ts" "$dir/"
	cp "$FIXTURES/h264_aac_ts/seg001.ts" "$dir/$disk/"
	cam=$(ctl camera add --name "slow $n")
	SLOW_STREAM=$(ctl stream add --camera "$cam" --type high --url rtsp://cam/slow)
	awk -F'\t' -v s="$SLOW_STREAM" -v dir="$dir" -v disk="$disk" 'NR > 1 && $1 == "h264_aac_ts" {
		f = substr($2, index($2, "/") + 1)
		path = (f == "seg001.ts") ? dir "/" disk "/" f : dir "/" f
		printf "INSERT INTO segments(stream_id, path, start_us, end_us, bytes, codec, created_at) VALUES (%s, '\''%s'\'', %s, %s, %s, '\''%s'\'', 0);\n", s, path, $3, $4, $5, $6
	}' "$FIXTURES/manifest.tsv" | sql
}
