#!/bin/bash
# MPEG-PS recordings (what some NVRs write, often named .mpg, .ps or even
# .mp4): three 4-s segments of H.264 with MP2 sound, as ffmpeg's segment
# muxer names them. Import finds them and their length from head and tail
# (check --deep agrees); an export of [1, 9) is active, whole and
# frame-exact in FFmpeg and GStreamer. MP4 exports carry AAC sound only,
# so the MP2 sound is left out and the export says so (sound_left_out), as
# it does in MPEG-TS for MP2 and for Opus and AC-3 in private streams.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures.sh"

setup
start_lighttpd
start_worker
REC="$T/ps"
mkdir -p "$REC"
# 12 s from 2026-01-15 11:00:00 Berlin (the fixtures' base), cut at 4 and
# 8 s into MPEG-TS, each piece remuxed to MPEG-PS with its timestamps
# (ffmpeg's segment muxer cannot cut PS itself: the pieces after the first
# lose their video).
ffmpeg -nostdin -loglevel error -f lavfi -i testsrc2=size=320x240:rate=25:duration=12 \
	-f lavfi -i sine=frequency=440:beep_factor=4:sample_rate=48000:duration=12 \
	-c:v libx264 -preset ultrafast -g 50 -pix_fmt yuv420p -c:a aac \
	-f segment -segment_format mpegts -segment_times 4,8 -reset_timestamps 0 \
	"$T/seg%d.ts"
for i in 0 1 2; do
	ffmpeg -nostdin -loglevel quiet -copyts -i "$T/seg$i.ts" -map 0 -c:v copy \
		-c:a mp2 -b:a 64k -f mpeg "$REC/cam1-2026-01-15_11-00-0$((4 * i)).mpg"
done

RC=0
ctl --json segments import --stream "$STREAM" --layout ffmpeg "$REC" >"$T/import.json" 2>"$T/import.err" || RC=$?
expect_eq "import: exit 0" 0 "$RC"
expect_eq "import: three new segments" 3 "$(jq .new "$T/import.json")"
expect_eq "indexed back to back, 4 s each, with sound" \
	"$BASE_US $((BASE_US + 4000000)) h264 320 240 1|$((BASE_US + 4000000)) $((BASE_US + 8000000)) h264 320 240 1|$((BASE_US + 8000000)) $((BASE_US + 12000000)) h264 320 240 1" \
	"$(sql "SELECT start_us || ' ' || (start_us + (end_us - start_us) / 1000000 * 1000000) || ' ' || codec || ' ' || width || ' ' || height || ' ' || has_audio FROM segments WHERE stream_id=$STREAM ORDER BY start_us" | paste -sd'|')"
RC=0
ctl check --deep >/dev/null 2>&1 || RC=$?
expect_eq "check --deep: the lengths are what reading every packet gives" 0 "$RC"

from=$(local_time $((BASE_US + 1000000)))
to=$(local_time $((BASE_US + 9000000)))
api POST /api/admin/v1/downloads "{\"stream_id\": $STREAM, \"from\": \"$from\", \"to\": \"$to\"}"
ID=$(jbody .id)
check "exported" wait_download "$ID" 60
expect_eq "active" active "$COND"
api GET "/api/admin/v1/downloads/$ID"
expect_eq "whole: its coverage is the range asked" "$from $to" \
	"$(jbody '[.coverage[] | .from, .to] | join(" ")')"
FILE=$(ls "$DL_DIR/$ID"-*.mp4)
expect_eq "one track, H.264" "h264" \
	"$(ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "$FILE" | paste -sd' ')"
expect_eq "ffprobe: 8 s" "8.000000" \
	"$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$FILE")"
count_frames "$FILE"
expect_eq "FFmpeg decodes the 200 frames of [1, 9)" 200 "$FF_FRAMES"
[ -z "$GST_FRAMES" ] || expect_eq "GStreamer decodes the 200 frames of [1, 9)" 200 "$GST_FRAMES"
expect_eq "the MP2 sound is said to be left out, the download still active" \
	"sound_left_out|the recording's sound is mp2, which an MP4 export does not carry (AAC only): the archive has no sound" \
	"$(jbody '.error.code + "|" + .error.message')"

# Sound MP4 does not carry in MPEG-TS, read by the engine's own TS reader:
# MP2 (stream_type 0x03), and two codecs in a private stream (0x06), as DVB
# muxes carry them, named from the stream's descriptors (a registration
# 'Opus'; DVB's AC-3 descriptor) rather than left unsaid.
ENCODERS=$(ffmpeg -hide_banner -encoders 2>/dev/null)
for snd in "mp2|mp2|-b:a 64k|MPEG audio (MP2/MP3)" \
    "opus|libopus|-b:a 32k -ar 48000|Opus" \
    "ac3|ac3|-b:a 64k -mpegts_flags system_b|AC-3"; do
	IFS='|' read -r name enc opts said <<<"$snd"
	grep -q " $enc " <<<"$ENCODERS" || { echo "# ffmpeg has no $enc: case skipped"; continue; }
	REC_N="$T/ts-$name"
	mkdir -p "$REC_N"
	for i in 0 1 2; do
		# shellcheck disable=SC2086 # the encoder's options, split on purpose
		ffmpeg -nostdin -loglevel quiet -copyts -i "$T/seg$i.ts" -map 0 -c:v copy \
			-c:a "$enc" $opts -f mpegts "$REC_N/cam1-2026-01-15_11-00-0$((4 * i)).ts"
	done
	S=$(ctl stream add --camera "$(ctl camera add --name "$name")" --type high --url "rtsp://cam/$name")
	ctl segments import --stream "$S" --layout ffmpeg "$REC_N" 2>/dev/null
	api POST /api/admin/v1/downloads "{\"stream_id\": $S, \"from\": \"$from\", \"to\": \"$to\"}"
	ID=$(jbody .id)
	check "TS with $name sound: exported" wait_download "$ID" 60
	api GET "/api/admin/v1/downloads/$ID"
	expect_eq "TS with $name sound: active, the sound named as left out" \
		"active|sound_left_out|the recording's sound is $said, which an MP4 export does not carry (AAC only): the archive has no sound" \
		"$COND|$(jbody '.error.code + "|" + .error.message')"
done

finish
