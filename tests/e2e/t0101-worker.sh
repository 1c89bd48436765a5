#!/bin/bash
# The worker end to end: POST through lighttpd, archived remuxes real
# recorded segments (every fixture case), the file is fetched with curl
# and checked with ffprobe and a box reader.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures.sh"

make_fixtures
setup "$(big_licence)" "workers = 2;" "poll_interval_ms = 200;"
start_lighttpd
start_worker

# at SECONDS: the fixtures' base time plus SECONDS, in the server's zone.
at() { local_time $((BASE_US + $1 * 1000000)); }

# request CASE FROM TO: POST a download of the case's stream; prints its id.
declare -A STREAMS
request() {
	local stream=${STREAMS[$1]:-}
	[ -n "$stream" ] || stream=$(index_case "$1")
	api POST /api/admin/v1/downloads \
		"{\"stream_id\": $stream, \"from\": \"$(at "$2")\", \"to\": \"$(at "$3")\"}"
	[ "$STATUS" = 200 ] || { echo "# POST for $1 answered $STATUS: $(cat "$T/body")" >&2; return 1; }
	jbody .id
}

declare -A ID
for c in $(cut -f1 "$FIXTURES/manifest.tsv" | sed 1d | sort -u); do
	STREAMS[$c]=$(index_case "$c")
done
ID[h264_aac_ts]=$(request h264_aac_ts 1 9)
ID[h264_bframes_ts]=$(request h264_bframes_ts 3 11)
ID[h264_fmp4]=$(request h264_fmp4 2 10)
ID[h264_mp4]=$(request h264_mp4 1 11)
ID[h265_ts]=$(request h265_ts 1 9)
ID[silent_ts]=$(request silent_ts 0 12)
ID[gap_ts]=$(request gap_ts 2 20)
ID[reschange_ts]=$(request reschange_ts 2 14)
ID[truncated_ts]=$(request truncated_ts 0 12)
ID[missing_ts]=$(request missing_ts 0 12)
ID[nothing]=$(request h264_aac_ts -100 -50)

for c in "${!ID[@]}"; do
	wait_download "${ID[$c]}" 60 || true
done

# fetch CASE: GET /file with the token into $T/CASE.mp4; sets STATUS.
fetch() {
	API_OUT="$T/$1.mp4" api GET "/api/admin/v1/downloads/${ID[$1]}/file"
}

# near WANT GOT TOLERANCE: |WANT - GOT| <= TOLERANCE (floats).
near() { awk -v w="$1" -v g="$2" -v t="$3" 'BEGIN { d = w - g; if (d < 0) d = -d; exit !(d <= t) }'; }

# mp4 CASE JQ: a field of the file's structure.
mp4() { python3 "$top_srcdir/tests/e2e/mp4info.py" "$T/$1.mp4" | jq -r "$2"; }

# The presentation duration of the video track: its edit list, in seconds.
video_duration() { mp4 "$1" '[.movie_timescale as $m | .tracks[] | select(.handler == "vide") | .elst[].segment_duration / $m] | add'; }
# The lead-in before "from": the edit list's media time less the first
# frame's composition offset (B-frames), in seconds.
lead_in() { mp4 "$1" '.tracks[] | select(.handler == "vide") | (.elst[0].media_time - (.first_cts_offset // 0)) / .timescale'; }

FRAME=0.041	# one frame at 25 fps, and rounding

# good CASE SECONDS CODEC_ENTRY AUDIO LEAD_IN: an active archive of SECONDS
# of video that plays cleanly.
good() {
	local c=$1 secs=$2 entry=$3 audio=$4 lead=$5 id=${ID[$1]} d
	expect_eq "$c: active" active "$(sql "SELECT condition FROM downloads WHERE id=$id")"
	fetch "$c"
	expect_eq "$c: /file answers 200" 200 "$STATUS"
	expect_eq "$c: served as video/mp4" video/mp4 "$(header Content-Type)"
	expect_eq "$c: the served bytes are the size recorded" \
		"$(sql "SELECT size FROM downloads WHERE id=$id")" "$(stat -c %s "$T/$c.mp4")"
	expect_eq "$c: moov before mdat" ftyp,moov "$(mp4 "$c" '.boxes[0:2] | join(",")')"
	expect_eq "$c: video sample entry" "$entry" "$(mp4 "$c" '.tracks[] | select(.handler == "vide") | .sample_entry')"
	d=$(video_duration "$c")
	check "$c: video lasts ${secs}s within a frame (got $d)" near "$secs" "$d" $FRAME
	check "$c: duration stored in the row" near "$secs" \
		"$(sql "SELECT duration_us / 1e6 FROM downloads WHERE id=$id")" 0.1
	check "$c: edit list starts at from (lead-in $(lead_in "$c"), want $lead)" \
		near "$lead" "$(lead_in "$c")" $FRAME
	expect_eq "$c: the first sample is a keyframe" 1 "$(mp4 "$c" '.tracks[] | select(.handler == "vide") | .first_sync')"
	expect_eq "$c: audio track present when recorded" "$audio" \
		"$(mp4 "$c" '[.tracks[] | select(.handler == "soun")] | length')"
	check "$c: decodes without an error" \
		test -z "$(ffmpeg -nostdin -v error -i "$T/$c.mp4" -f null - 2>&1)"
	check "$c: DTS strictly increasing per stream" monotonic "$T/$c.mp4"
	frames "$c" "$secs"
}

# frames CASE SECONDS: FFmpeg decodes the frames of [from, to)
# (where nothing is missing), and GStreamer's qtdemux the same number. It
# ends a track at the first sync sample at or past the movie's duration in
# media time, so the frames after the lead-in's length from the end were
# lost in it until stss stopped listing those sync samples.
frames() {
	local c=$1 secs=$2 want
	count_frames "$T/$c.mp4"
	want=$(python3 -c "from fractions import Fraction as F; print(round($secs * F('$FRAME_RATE')))")
	case $c in
	gap_*|missing_*) ;;
	*) expect_eq "$c: FFmpeg decodes the frames of [from, to)" "$want" "$FF_FRAMES" ;;
	esac
	if [ -z "$GST_FRAMES" ]; then
		echo "# $c: GStreamer (gst-launch-1.0, good plugins, libav) not installed"
		return
	fi
	expect_eq "$c: GStreamer decodes as many frames as FFmpeg" "$FF_FRAMES" "$GST_FRAMES"
}

monotonic() {
	ffprobe -v error -show_entries packet=stream_index,dts -of csv=p=0 "$1" |
		awk -F, '$2 != "N/A" { if (($1 in last) && $2 <= last[$1]) bad = 1; last[$1] = $2 } END { exit bad }'
}

good h264_aac_ts 8 avc1 1 1
good h264_bframes_ts 8 avc1 1 1
good h264_fmp4 8 avc1 1 0
good h264_mp4 10 avc1 1 1
good h265_ts 8 hvc1 1 1
good silent_ts 12 avc1 0 0
good gap_ts 12 avc1 1 0
expect_eq "gap_ts: coverage lists the two recorded pieces" \
	"$(at 2) $(at 8) $(at 14) $(at 20)" \
	"$(api GET "/api/admin/v1/downloads/${ID[gap_ts]}" && jbody '[.coverage[] | .from, .to] | join(" ")')"
good missing_ts 8 avc1 1 0
expect_eq "missing_ts: coverage skips the missing file" 2 \
	"$(api GET "/api/admin/v1/downloads/${ID[missing_ts]}" && jbody '.coverage | length')"

# A resolution change: the part before it, and stream_changed reported.
good reschange_ts 6 avc1 1 0
api GET "/api/admin/v1/downloads/${ID[reschange_ts]}"
expect_eq "reschange_ts: error.code stream_changed" stream_changed "$(jbody .error.code)"
check "reschange_ts: the message says what changed" test -n "$(jbody .error.message)"

# A truncated segment: what is readable goes in, the download still ends active.
expect_eq "truncated_ts: active" active "$(sql "SELECT condition FROM downloads WHERE id=${ID[truncated_ts]}")"
fetch truncated_ts
check "truncated_ts: decodes without an error" \
	test -z "$(ffmpeg -nostdin -v error -i "$T/truncated_ts.mp4" -f null - 2>&1)"
d=$(video_duration truncated_ts)
check "truncated_ts: holds more than the intact segments ($d s)" \
	awk -v d="$d" 'BEGIN { exit !(d > 8 - 0.05 && d < 12) }'

# Nothing recorded in the range: failed / no_footage, with its event.
api GET "/api/admin/v1/downloads/${ID[nothing]}"
expect_eq "empty range: failed" failed "$(jbody .condition)"
expect_eq "empty range: no_footage" no_footage "$(jbody .error.code)"
check "empty range: stopped_at set" test -n "$(jbody .stopped_at)"
expect_eq "empty range: an error event" \
	'{"type":"archive_generated","status":"error","url":null}' \
	"$(sql "SELECT payload FROM events WHERE download_id=${ID[nothing]} AND type='archive_generated'" |
		jq -c '{type, status, url: .data.url}')"

# The active download's object, event and links.
id=${ID[h264_aac_ts]}
api GET "/api/admin/v1/downloads/$id"
expect_eq "active: progress 100" 100 "$(jbody .progress)"
expect_eq "active: is_file_exists" true "$(jbody .is_file_exists)"
check "active: expires_at three hours after it became active" awk -v c="$(sql "SELECT (expires_at - updated_at) / 1000000 FROM downloads WHERE id=$id")" 'BEGIN { exit !(c == 10800) }'
URL=$(jbody .url)
check "active: url is a signed link" grep -Eq "\?k=[0-9a-f]{24}&expires=[0-9]+&signature=[0-9a-f]{64}$" <<<"$URL"
expect_eq "active: archive_generated event with the url" "ok $URL" \
	"$(sql "SELECT payload FROM events WHERE download_id=$id AND type='archive_generated'" | jq -r '.status + " " + .data.url')"
code=$(curl -s -o "$T/signed.mp4" -w '%{http_code}' "$URL")
expect_eq "the signed link downloads without a token" 200 "$code"
check "the same bytes" cmp -s "$T/signed.mp4" "$T/h264_aac_ts.mp4"
code=$(curl -s -o "$T/part" -w '%{http_code}' -r 100-199 "$URL")
expect_eq "Range request: 206" 206 "$code"
expect_eq "Range request: 100 bytes" 100 "$(stat -c %s "$T/part")"
check "Range request: the right bytes" cmp -s "$T/part" <(tail -c +101 "$T/h264_aac_ts.mp4" | head -c 100)
API_OUT=/dev/null api GET "/api/admin/v1/downloads/$id/file"
check "Content-Disposition names the file as the product does" \
	grep -q 'filename="Site, h264_aac_ts, file.20260115-110001-110009.mp4"' <<<"$(header Content-Disposition)"

# Files: mode 0640, no temp files left, nothing but the active archives.
for f in "$DL_DIR"/*.mp4; do
	expect_eq "$(basename "$f"): mode 0640" 640 "$(stat -c %a "$f")"
done
expect_eq "no temp file left" "" "$(ls -A "$DL_DIR" | grep '^\.tmp' || true)"
expect_eq "one file per active download" \
	"$(sql "SELECT count(*) FROM downloads WHERE condition='active'")" "$(ls "$DL_DIR" | wc -l)"
check "no camera password in the worker's log" lacks "u:p@" "$(cat "$T/archived.log")"

finish
