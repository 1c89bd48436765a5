#!/bin/bash
# make-layouts.sh FIXTURES OUTDIR: recordings laid out as recorders write them,
# for "archivectl segments import".
#
# Built from the segments of make-fixtures.sh (made in FIXTURES first if
# needed): copied where the recorder writes the same container, remuxed
# with the ffmpeg CLI where it writes another, and named as each recorder
# names its files. Writes OUTDIR/<case>/... and OUTDIR/manifest.tsv, the
# rows an import must produce (format in README.md). Like make-fixtures.sh
# it returns at once when OUTDIR is complete, and exits 77 without ffmpeg.
set -eu

BASE=1768471200		# 2026-01-15 10:00:00 UTC, as in make-fixtures.sh
ZONE=Europe/Berlin	# the recorder hosts' zone: names in local time are UTC+1

die() {
	echo "make-layouts: $*" >&2
	exit 1
}

[ $# -eq 2 ] || { echo "usage: $0 FIXTURES OUTDIR" >&2; exit 2; }
FIX=$1
OUTDIR=$2
SCRIPT=${BASH_SOURCE[0]}
. "$(dirname "$SCRIPT")/common.sh"
HERE=$(dirname "$SCRIPT")

command -v ffmpeg >/dev/null || { echo "make-layouts: ffmpeg not found, skipping" >&2; exit 77; }
rc=0
bash "$HERE/make-fixtures.sh" "$FIX" >/dev/null || rc=$?
[ "$rc" -eq 0 ] || exit "$rc"

VERSION="$(media_script_hash "$SCRIPT") $(cat "$FIX/.version") $ZONE"


media_reuse_or_lock

# local_name FORMAT US: strftime of UTC microseconds in the recorders' zone.
local_name() {
	TZ=$ZONE date -d "@$(($2 / 1000000))" "+$1"
}

# utc_name FORMAT US: the same in UTC (Frigate).
utc_name() {
	TZ=UTC date -d "@$(($2 / 1000000))" "+$1"
}

# fixture CASE FILE: the fixture manifest's row of CASE/FILE, tab-separated:
# start_us end_us bytes codec width height has_audio.
fixture() {
	awk -F'\t' -v p="$1/$2" '$2 == p { print $3 "\t" $4 "\t" $5 "\t" $6 "\t" $7 "\t" $8 "\t" $9; f = 1 }
		END { exit !f }' "$FIX/manifest.tsv" || die "no fixture $1/$2"
}

# probe FILE: "codec width height has_audio duration_us" of a remuxed file:
# from its first picture (lowest video pts) to the end of the last packet of
# any stream, as README.md defines a segment's length.
probe() {
	ffprobe -v error -show_entries stream=index,codec_type,codec_name,width,height:packet=stream_index,pts_time,duration_time \
		-of compact=nokey=0 "$1" |
	awk -F'|' '
	function field(name,   i, n) {
		for (i = 2; i <= NF; i++) {
			n = index($i, "=")
			if (n && substr($i, 1, n - 1) == name)
				return substr($i, n + 1)
		}
		return ""
	}
	$1 == "stream" {
		i = field("index"); type[i] = field("codec_type")
		if (type[i] == "video" && codec == "") {
			codec = field("codec_name"); w = field("width"); h = field("height"); v = i
		} else if (type[i] == "audio")
			audio = 1
	}
	# ffprobe prints the packets before the streams: keep them for END.
	$1 == "packet" {
		n++; ps[n] = field("stream_index"); pp[n] = field("pts_time")
		pd[n] = field("duration_time")
	}
	END {
		for (k = 1; k <= n; k++) {
			s = ps[k]; p = pp[k]; d = pd[k]
			if (p == "N/A" || (s != v && type[s] != "audio"))
				continue
			e = p + (d == "N/A" ? 0 : d)
			if (hi == "" || e > hi) hi = e
			if (s == v && (lo == "" || p < lo)) lo = p
		}
		if (codec == "" || lo == "") exit 1
		printf "%s\t%s\t%s\t%d\t%.0f\n", codec, w, h, audio + 0, (hi - lo) * 1000000
	}'
}

ROWS=()

# row CASE PATH START END BYTES CODEC W H AUDIO NOTE
row() {
	local IFS=$'\t'
	ROWS+=("$*")
}

# copy_as CASE FIXTURE_CASE FILE SHIFT_US NAME [NOTE]: a fixture segment
# copied to CASE/NAME; the row says where it really starts (its fixture
# time plus SHIFT_US), whatever NAME says.
copy_as() {
	local case=$1 src=$2 file=$3 shift_us=$4 name=$5 note=${6:-} start end bytes rest
	mkdir -p "$(dirname "$OUTDIR/$case/$name")"
	cp "$FIX/$src/$file" "$OUTDIR/$case/$name"
	IFS=$'\t' read -r start end bytes rest <<<"$(fixture "$src" "$file")"
	row "$case" "$case/$name" $((start + shift_us)) $((end + shift_us)) "$bytes" $rest "$note"
}

# remux_as CASE FIXTURE_CASE FILE START_US NAME ARGS...: the segment remuxed
# by the ffmpeg CLI (which starts its output at 0) with ARGS; the row
# starts at START_US and lasts what the new file lasts.
remux_as() {
	local case=$1 src=$2 file=$3 start=$4 name=$5 out p codec w h audio dur
	shift 5
	out=$OUTDIR/$case/$name
	mkdir -p "$(dirname "$out")"
	ff -i "$FIX/$src/$file" -c copy -map 0 -fflags +bitexact -flags +bitexact \
		-map_metadata -1 "$@" "$out"
	p=$(probe "$out") || die "$case/$name: no video after remuxing"
	IFS=$'\t' read -r codec w h audio dur <<<"$p"
	row "$case" "$case/$name" "$start" $((start + dur)) "$(stat -c %s "$out")" \
		"$codec" "$w" "$h" "$audio" ""
}

# start FIXTURE_CASE FILE: its fixture start_us.
start() {
	fixture "$1" "$2" | cut -f1
}

rm -f "$OUTDIR/manifest.tsv" "$OUTDIR/.version"
for c in ffmpeg_ts ffmpeg_renamed ffmpeg_mp4 mediamtx mediamtx_ts frigate creation_time; do
	rm -rf "${OUTDIR:?}/$c"
done

# ffmpeg -f segment -segment_format mpegts -strftime 1 'cam1-%Y-%m-%d_%H-%M-%S.ts':
# gap_ts (6 s lost after the second segment, the timeline jumps with the
# clock), and a file that is no recording at all.
for i in 0 1 2 3; do
	f=seg00$i.ts
	copy_as ffmpeg_ts gap_ts "$f" 0 "cam1-$(local_name %Y-%m-%d_%H-%M-%S "$(start gap_ts "$f")").ts"
done
bad=ffmpeg_ts/cam1-$(local_name %Y-%m-%d_%H-%M-%S $(((BASE + 22) * 1000000))).ts
for _ in $(seq 1 200); do echo "this file was damaged and holds no recording"; done >"$OUTDIR/$bad"
row ffmpeg_ts "$bad" 0 0 "$(stat -c %s "$OUTDIR/$bad")" "" 0 0 0 corrupt

# '%Y%m%d-%H%M%S.ts' with B-frames; the middle file was renamed an hour
# later (a wrong zone): its timestamps still continue the first file.
for i in 0 1 2; do
	f=seg00$i.ts
	s=$(start h264_bframes_ts "$f")
	if [ "$i" = 1 ]; then
		copy_as ffmpeg_renamed h264_bframes_ts "$f" 0 "$(local_name %Y%m%d-%H%M%S $((s + 3600000000))).ts" renamed
	else
		copy_as ffmpeg_renamed h264_bframes_ts "$f" 0 "$(local_name %Y%m%d-%H%M%S "$s").ts"
	fi
done

# '-segment_format mp4 cam1_%Y%m%dT%H%M%S.mp4': plain MP4, moov at the end;
# the recorder died writing the third file, which has no moov.
for i in 0 1; do
	f=seg00$i.mp4
	copy_as ffmpeg_mp4 h264_mp4 "$f" 0 "cam1_$(local_name %Y%m%dT%H%M%S "$(start h264_mp4 "$f")").mp4"
done
bad=ffmpeg_mp4/cam1_$(local_name %Y%m%dT%H%M%S "$(start h264_mp4 seg002.mp4)").mp4
head -c $(($(stat -c %s "$FIX/h264_mp4/seg002.mp4") / 2)) "$FIX/h264_mp4/seg002.mp4" >"$OUTDIR/$bad"
row ffmpeg_mp4 "$bad" 0 0 "$(stat -c %s "$OUTDIR/$bad")" "" 0 0 0 corrupt

# MediaMTX, recordFormat fmp4: %path/%Y-%m-%d_%H-%M-%S-%f.mp4 in local time,
# each file's timestamps starting at 0 (its parts' base time is relative to
# the segment), a fragment per keyframe. Its clock is 0.25 s off the
# fixtures' whole seconds, so %f matters.
for i in 0 1 2; do
	f=seg00$i.ts
	s=$(($(start h264_aac_ts "$f") + 250000))
	remux_as mediamtx h264_aac_ts "$f" "$s" \
		"cam1/$(local_name %Y-%m-%d_%H-%M-%S "$s")-$(printf %06d $((s % 1000000))).mp4" \
		-bsf:a aac_adtstoasc -f mp4 -movflags +frag_keyframe+empty_moov+default_base_moof
done

# MediaMTX, recordFormat mpegts: one TS writer across the files, so the
# timestamps run on (H.265 here), 0.5 s off whole seconds.
for i in 0 1 2; do
	f=seg00$i.ts
	s=$(($(start h265_ts "$f") + 500000))
	copy_as mediamtx_ts h265_ts "$f" 500000 \
		"cam1/$(local_name %Y-%m-%d_%H-%M-%S "$s")-$(printf %06d $((s % 1000000))).ts"
done

# Frigate: YYYY-MM-DD/HH/<camera>/MM.SS.mp4 in UTC, each file a -c copy
# remux with +faststart of a segment that started at 0 (-reset_timestamps 1),
# audio dropped (its default record preset). The recording starts 8 s
# before 10:00 UTC, so it spans two hour directories; a second camera
# shares the tree.
for i in 0 1 2; do
	f=seg00$i.ts
	s=$(($(start silent_ts "$f") - 8000000))
	remux_as frigate silent_ts "$f" "$s" "$(utc_name %Y-%m-%d/%H/front_door/%M.%S "$s").mp4" \
		-an -movflags +faststart
done
s=$(start silent_ts seg000.ts)
remux_as frigate silent_ts seg000.ts "$s" "$(utc_name %Y-%m-%d/%H/back_yard/%M.%S "$s").mp4" \
	-an -movflags +faststart
ROWS[${#ROWS[@]} - 1]="${ROWS[${#ROWS[@]} - 1]}other_camera"

# MP4 with a creation_time tag (cameras' own recordings): the media's wall
# clock. One file's name is half an hour off, another's has no time.
s=$(start h264_aac_ts seg001.ts)
remux_as creation_time h264_aac_ts seg001.ts "$s" "cam1-$(local_name %Y-%m-%d_%H-%M-%S $((s + 1800000000))).mp4" \
	-metadata creation_time="$(utc_name %Y-%m-%dT%H:%M:%SZ "$s")"
s=$(start h264_aac_ts seg002.ts)
remux_as creation_time h264_aac_ts seg002.ts "$s" clip.mp4 \
	-metadata creation_time="$(utc_name %Y-%m-%dT%H:%M:%SZ "$s")"

echo "$VERSION" >"$OUTDIR/.version"
{
	printf 'case\tpath\tstart_us\tend_us\tbytes\tcodec\twidth\theight\thas_audio\tnote\n'
	printf '%s\n' "${ROWS[@]}"
} >"$OUTDIR/manifest.tsv.tmp"
mv "$OUTDIR/manifest.tsv.tmp" "$OUTDIR/manifest.tsv"
media_complete || die "manifest does not match the files written"
