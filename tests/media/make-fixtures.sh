#!/bin/bash
# make-fixtures.sh OUTDIR: small, deterministic CCTV recordings for the tests.
#
# Writes OUTDIR/<case>/segNNN.{ts,mp4} and OUTDIR/manifest.tsv (format in
# README.md). Every segment is probed and checked here, so a test can trust
# the manifest instead of probing again. A second run with the same script
# and the same ffmpeg returns at once, so tests may call it freely.
# Exit status 77 (automake's SKIP) when ffmpeg or an encoder is missing.
set -eu

BASE=1768471200		# 2026-01-15 10:00:00 UTC, wall clock of every case's first segment
SEG=4			# nominal segment length, seconds
FPS=25
GOP=$((2 * FPS))	# a keyframe every 2 s, so every 4 s cut lands on one

# Encoder settings shared by all cases. bitexact and no metadata keep the
# bytes independent of the time and host they are made on.
BITEXACT=(-fflags +bitexact -flags +bitexact -map_metadata -1)
H264=(-c:v libx264 -preset ultrafast -pix_fmt yuv420p
	-g "$GOP" -keyint_min "$GOP" -sc_threshold 0)
# Closed GOPs and headers on every IDR, as cameras send them: each segment
# must decode on its own.
H265=(-c:v libx265 -preset ultrafast -pix_fmt yuv420p -g "$GOP"
	-x265-params "log-level=error:keyint=$GOP:min-keyint=$GOP:scenecut=0:open-gop=0:bframes=0:repeat-headers=1")
AAC=(-c:a aac -ar 48000 -ac 1 -b:a 64k)
# delay_moov+frag_discont is what makes ffmpeg 5.1 keep the running
# timestamps in each file's tfdt; with empty_moov alone every segment's
# fragments restart at 0.
FMP4=(-segment_format_options
	movflags=+frag_keyframe+empty_moov+default_base_moof+delay_moov+frag_discont)

die() {
	echo "make-fixtures: $*" >&2
	exit 1
}

skip() {
	echo "make-fixtures: $*, skipping" >&2
	exit 77
}

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
OUTDIR=$1
SCRIPT=${BASH_SOURCE[0]}
. "$(dirname "$SCRIPT")/common.sh"

command -v ffmpeg >/dev/null || skip "ffmpeg not found"
command -v ffprobe >/dev/null || skip "ffprobe not found"
ENCODERS=$(ffmpeg -hide_banner -encoders 2>/dev/null)
for enc in libx264 libx265 aac; do
	grep -q " $enc " <<<"$ENCODERS" || skip "ffmpeg has no $enc encoder"
done

# The cache key: this script and the ffmpeg that ran it (another x264 makes
# other bytes).
VERSION="$(media_script_hash "$SCRIPT") $(ffmpeg -version | head -n 1)"


media_reuse_or_lock

# record CASE SIZE FROM TO FIRST CUTS FORMAT AUDIO ENCODER-ARGS...:
# encodes the source seconds [FROM, TO) as one continuous stream and cuts it
# at the absolute times CUTS (comma separated) into CASE/segNNN, numbered
# from FIRST. trim keeps the source timestamps, so a piece that starts at
# FROM continues the timeline (and testsrc2's on-screen clock) of the last.
record() {
	local case=$1 size=$2 from=$3 to=$4 first=$5 cuts=$6 format=$7 audio=$8
	shift 8
	local ext=ts
	[ "$format" = mpegts ] || ext=mp4
	local -a args=(-f lavfi -i "testsrc2=size=$size:rate=$FPS:duration=$to")
	if [ "$audio" = 1 ]; then
		# The AAC encoder's first packet is 1024 samples of priming
		# before its input, so it would start 21 ms before the first
		# picture and the muxer would shift both. Skipping the first
		# 1024 source samples (their timestamps kept) makes audio and
		# video start together and keeps the beeps in sync.
		args+=(-f lavfi -i "sine=frequency=440:beep_factor=4:sample_rate=48000:duration=$to"
			-map 0:v -map 1:a
			-af "atrim=start_sample=$((from * 48000 + 1024))" "${AAC[@]}")
	else
		args+=(-map 0:v)
	fi
	mkdir -p "$OUTDIR/$case"
	ff "${args[@]}" -vf "trim=start=$from" "$@" "${BITEXACT[@]}" \
		-f segment -segment_format "$format" -segment_times "$cuts" \
		-segment_start_number "$first" -reset_timestamps 0 \
		"$OUTDIR/$case/seg%03d.$ext"
}

# probe FILE: one line "codec:width:height:has_audio video_start duration
# keys first_is_key gop_ok". duration runs from the first picture to the end
# of the last packet of any stream. Audio packets that come before the first
# picture (with B-frames, those between its dts and pts) do not move the
# start: the picture is what the segment's wall-clock start names. Measured
# from the packets because ffprobe's durations are wrong for these files: TS
# audio is estimated from PES headers; MP4 and fMP4 not starting at 0 give
# the end time, not the length.
probe() {
	ffprobe -v error \
		-show_entries stream=index,codec_type,codec_name,width,height,time_base:packet=stream_index,pts,duration,flags \
		-of compact "$1" |
	awk -F'|' -v gop="$((GOP / FPS))" '
	function field(name,   i, n) {
		for (i = 2; i <= NF; i++) {
			n = index($i, "=")
			if (n && substr($i, 1, n - 1) == name)
				return substr($i, n + 1)
		}
		return ""
	}
	$1 == "packet" {
		np++
		ps[np] = field("stream_index"); pp[np] = field("pts")
		pd[np] = field("duration"); pf[np] = field("flags")
	}
	$1 == "stream" {
		i = field("index"); type[i] = field("codec_type")
		split(field("time_base"), t, "/"); tb[i] = t[1] / t[2]
		if (type[i] == "video") {
			codec = field("codec_name"); w = field("width"); h = field("height")
		} else if (type[i] == "audio")
			audio = 1
	}
	END {
		first = ""; keys = 0; gop_ok = 1; vstart = ""
		for (k = 1; k <= np; k++) {
			s = ps[k]
			if (pp[k] == "N/A")
				continue
			b = pp[k] * tb[s]
			e = b + (pd[k] == "N/A" ? 0 : pd[k] * tb[s])
			if (hi == "" || e > hi) hi = e
			if (type[s] != "video")
				continue
			if (vstart == "" || b < vstart) vstart = b
			if (first == "")
				first = (pf[k] ~ /K/) ? 1 : 0
			if (pf[k] ~ /K/) {
				if (keys && (b - lastkey < gop - 0.001 || b - lastkey > gop + 0.001))
					gop_ok = 0
				lastkey = b; keys++
			}
		}
		if (codec == "" || vstart == "")
			exit 1
		printf "%s:%s:%s:%d %.6f %.6f %d %d %d\n", codec, w, h, audio + 0,
			vstart, hi - vstart, keys, first, gop_ok
	}'
}

# Rows of the manifest, and the first segment's video start of the case
# being checked (media time that maps to BASE).
ROWS=()
T0=

# check CASE FILE OFFSET CODEC WIDTH HEIGHT AUDIO: probes a freshly written
# segment that should start OFFSET s after the case's first one, fails
# loudly on any difference, and adds its manifest row (note empty).
check() {
	local case=$1 file=$2 offset=$3 codec=$4 width=$5 height=$6 audio=$7
	local path p got vstart dur keys first gop_ok
	path=$case/$(basename "$file")
	[ -s "$file" ] || die "$path: not written"
	p=$(probe "$file") || die "$path: ffprobe finds no video"
	read -r got vstart dur keys first gop_ok <<<"$p"
	[ "$got" = "$codec:$width:$height:$audio" ] ||
		die "$path: codec:width:height:audio is $got, want $codec:$width:$height:$audio"
	[ "$first" = 1 ] || die "$path: does not start with a keyframe"
	[ "$gop_ok" = 1 ] || die "$path: keyframes not $((GOP / FPS)) s apart"
	[ "$keys" = $((SEG * FPS / GOP)) ] || die "$path: $keys keyframes, want $((SEG * FPS / GOP))"
	# A segment is its 4 s of video plus at most one AAC frame that ends
	# after the last picture.
	awk -v d="$dur" -v s="$SEG" 'BEGIN { exit !(d >= s - 0.001 && d <= s + 0.05) }' ||
		die "$path: lasts $dur s, want $SEG s"
	[ "$offset" != 0 ] || T0=$vstart
	awk -v v="$vstart" -v t0="$T0" -v o="$offset" 'BEGIN { exit !(v - t0 > o - 0.001 && v - t0 < o + 0.001) }' ||
		die "$path: video starts at $vstart s, want $T0 + $offset s (timestamps not continuous)"
	local start_us=$(((BASE + offset) * 1000000)) end_us
	# %.0f, not %d: mawk's %d stops at 2^31.
	end_us=$((start_us + $(awk -v d="$dur" 'BEGIN { printf "%.0f", d * 1000000 }')))
	ROWS+=("$case"$'\t'"$path"$'\t'"$start_us"$'\t'"$end_us"$'\t'"$(stat -c %s "$file")"$'\t'"$codec"$'\t'"$width"$'\t'"$height"$'\t'"$audio"$'\t')
}

# Start from nothing: a failed run leaves no manifest, so it is redone.
rm -f "$OUTDIR/manifest.tsv" "$OUTDIR/manifest.tsv.tmp" "$OUTDIR/.version"
CASES="h264_aac_ts h264_bframes_ts h264_fmp4 h264_mp4 h265_ts silent_ts gap_ts reschange_ts truncated_ts missing_ts"
for c in $CASES; do
	rm -rf "${OUTDIR:?}/$c"
done

# Three contiguous 4 s segments, of each container and codec.
record h264_aac_ts 320x240 0 12 0 4,8 mpegts 1 "${H264[@]}" -bf 0
record h264_bframes_ts 320x240 0 12 0 4,8 mpegts 1 "${H264[@]}" -profile:v main -bf 2
record h264_fmp4 320x240 0 12 0 4,8 mp4 1 "${H264[@]}" -bf 0 "${FMP4[@]}"
record h264_mp4 320x240 0 12 0 4,8 mp4 1 "${H264[@]}" -bf 0
record h265_ts 320x240 0 12 0 4,8 mpegts 1 "${H265[@]}"
record silent_ts 320x240 0 12 0 4,8 mpegts 0 "${H264[@]}" -bf 0
for c in h264_aac_ts:ts:h264:1 h264_bframes_ts:ts:h264:1 h264_fmp4:mp4:h264:1 \
	h264_mp4:mp4:h264:1 h265_ts:ts:hevc:1 silent_ts:ts:h264:0; do
	IFS=: read -r case ext codec audio <<<"$c"
	for i in 0 1 2; do
		check "$case" "$OUTDIR/$case/seg00$i.$ext" $((SEG * i)) "$codec" 320 240 "$audio"
	done
done

# gap_ts: the recorder lost 6 s between the second and third segment; media
# time jumps by the same 6 s. Cut at 8 and 14 too, then drop that piece.
record gap_ts 320x240 0 22 0 4,8,14,18 mpegts 1 "${H264[@]}" -bf 0
rm "$OUTDIR/gap_ts/seg002.ts"
mv "$OUTDIR/gap_ts/seg003.ts" "$OUTDIR/gap_ts/seg002.ts"
mv "$OUTDIR/gap_ts/seg004.ts" "$OUTDIR/gap_ts/seg003.ts"
i=0
for offset in 0 4 14 18; do
	check gap_ts "$OUTDIR/gap_ts/seg00$i.ts" "$offset" h264 320 240 1
	i=$((i + 1))
done

# reschange_ts: the camera switches from 320x240 to 640x480 at 8 s; the
# second encoder continues the first one's timeline.
record reschange_ts 320x240 0 8 0 4 mpegts 1 "${H264[@]}" -bf 0
record reschange_ts 640x480 8 16 2 12 mpegts 1 "${H264[@]}" -bf 0
check reschange_ts "$OUTDIR/reschange_ts/seg000.ts" 0 h264 320 240 1
check reschange_ts "$OUTDIR/reschange_ts/seg001.ts" 4 h264 320 240 1
check reschange_ts "$OUTDIR/reschange_ts/seg002.ts" 8 h264 640 480 1
check reschange_ts "$OUTDIR/reschange_ts/seg003.ts" 12 h264 640 480 1

# truncated_ts and missing_ts: a crash cut the middle segment short, or it
# was deleted behind the index's back. Their rows keep the nominal times.
for c in truncated_ts missing_ts; do
	record "$c" 320x240 0 12 0 4,8 mpegts 1 "${H264[@]}" -bf 0
	for i in 0 1 2; do
		check "$c" "$OUTDIR/$c/seg00$i.ts" $((SEG * i)) h264 320 240 1
	done
done
f="$OUTDIR/truncated_ts/seg001.ts"
full=$(stat -c %s "$f")
truncate -s $((full / 2)) "$f"
half=$(stat -c %s "$f")
p=$(probe "$f") || die "truncated_ts/seg001.ts: unreadable after truncation"
dur=$(cut -d' ' -f3 <<<"$p")
awk -v d="$dur" -v s="$SEG" 'BEGIN { exit !(d > 0.5 && d < s - 0.5) }' ||
	die "truncated_ts/seg001.ts: lasts $dur s after truncation"
rm "$OUTDIR/missing_ts/seg001.ts"
for k in "${!ROWS[@]}"; do
	IFS=$'\t' read -r case path start end bytes codec w h audio note <<<"${ROWS[$k]}"
	case $path in
	truncated_ts/seg001.ts) bytes=$half note=truncated ;;
	missing_ts/seg001.ts) bytes=0 note=missing ;;
	*) continue ;;
	esac
	ROWS[k]="$case"$'\t'"$path"$'\t'"$start"$'\t'"$end"$'\t'"$bytes"$'\t'"$codec"$'\t'"$w"$'\t'"$h"$'\t'"$audio"$'\t'"$note"
done

# The version first, the manifest last and by rename: a manifest that
# exists is complete.
echo "$VERSION" >"$OUTDIR/.version"
{
	printf 'case\tpath\tstart_us\tend_us\tbytes\tcodec\twidth\theight\thas_audio\tnote\n'
	printf '%s\n' "${ROWS[@]}"
} >"$OUTDIR/manifest.tsv.tmp"
mv "$OUTDIR/manifest.tsv.tmp" "$OUTDIR/manifest.tsv"
media_complete || die "manifest does not match the files written"
