#!/bin/bash
# make-bench-media.sh OUTDIR [MINUTES]: the benchmark recording.
#
# MINUTES (default 60) one-minute MPEG-TS segments, H.264 1280x720 25 fps at
# about 4 Mbit/s with a 2 s GOP, AAC 48 kHz mono: OUTDIR/bench/segNNN.ts
# and OUTDIR/manifest.tsv in the format of make-fixtures.sh (case "bench").
# Only the first minute is encoded; the others are stream copies of it with
# their timestamps moved on, so the media timeline runs on like a
# recorder's. A second run with the same script, MINUTES and ffmpeg
# returns at once. Exit status 77 when ffmpeg or an encoder is missing.
set -eu

BASE=1768471200		# 2026-01-15 10:00:00 UTC, the first segment's wall clock
SEG=60			# segment length, seconds
FPS=25
GOP=$((2 * FPS))
AUDIO_FRAMES=$((SEG * 48000 / 1024))	# whole AAC frames in a segment

die() {
	echo "make-bench-media: $*" >&2
	exit 1
}

skip() {
	echo "make-bench-media: $*, skipping" >&2
	exit 77
}

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 OUTDIR [MINUTES]" >&2
	exit 2
fi
OUTDIR=$1
MINUTES=${2:-60}
case $MINUTES in
'' | *[!0-9]* | 0) die "MINUTES must be a positive integer, not '$MINUTES'" ;;
esac
SCRIPT=${BASH_SOURCE[0]}
. "$(dirname "$SCRIPT")/common.sh"

command -v ffmpeg >/dev/null || skip "ffmpeg not found"
command -v ffprobe >/dev/null || skip "ffprobe not found"
ENCODERS=$(ffmpeg -hide_banner -encoders 2>/dev/null)
for enc in libx264 aac; do
	grep -q " $enc " <<<"$ENCODERS" || skip "ffmpeg has no $enc encoder"
done

VERSION="$(media_script_hash "$SCRIPT") $MINUTES $(ffmpeg -version | head -n 1)"


media_reuse_or_lock

rm -f "$OUTDIR/manifest.tsv" "$OUTDIR/manifest.tsv.tmp" "$OUTDIR/.version"
rm -rf "${OUTDIR:?}/bench"
mkdir -p "$OUTDIR/bench"
seg() { printf '%s/bench/seg%03d.ts' "$OUTDIR" "$1"; }

# The first minute. Temporal noise over testsrc2 (fixed seed) keeps x264
# from coasting below the target on a mostly static picture; no B-frames,
# as most cameras send. Audio: skipping the first 1024 source samples
# cancels the AAC priming so both streams start together, and a whole
# number of AAC frames (59.989 s) leaves a 10.7 ms hole at each joint
# rather than two packets with the same timestamps. One x264 thread: with
# VBV its threaded rate control makes different bytes on every run.
ff -f lavfi -i "testsrc2=size=1280x720:rate=$FPS:duration=$SEG" \
	-f lavfi -i "sine=frequency=440:beep_factor=4:sample_rate=48000:duration=$SEG" \
	-map 0:v -map 1:a \
	-vf "noise=alls=12:allf=t+u:all_seed=1" \
	-c:v libx264 -preset veryfast -bf 0 -pix_fmt yuv420p -threads 1 \
	-g "$GOP" -keyint_min "$GOP" -sc_threshold 0 \
	-b:v 4M -maxrate 4M -bufsize 8M \
	-af "atrim=start_sample=1024" -c:a aac -ar 48000 -ac 1 -b:a 64k \
	-frames:a "$AUDIO_FRAMES" \
	-fflags +bitexact -flags +bitexact -map_metadata -1 \
	-f mpegts "$(seg 0)"

# Probe the first minute packet by packet: keyframes every 2 s from the
# first picture, and the duration from the first picture to the end of the
# last packet (ffprobe's own TS duration is estimated, see make-fixtures.sh).
# The copies have the same packets, so they only need their start checked.
read -r codec width height audio start duration keys_ok < <(
	ffprobe -v error \
		-show_entries stream=index,codec_type,codec_name,width,height,time_base:packet=stream_index,pts,duration,flags \
		-of compact "$(seg 0)" |
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
		ok = 1; keys = 0; first = ""
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
			if (first == "" && pf[k] !~ /K/) ok = 0
			first = 0
			if (pf[k] ~ /K/) {
				if (keys && (b - lastkey < gop - 0.001 || b - lastkey > gop + 0.001))
					ok = 0
				lastkey = b; keys++
			}
		}
		if (keys * gop != 60)
			ok = 0
		printf "%s %s %s %d %.6f %.6f %d\n", codec, w, h, audio + 0,
			vstart, hi - vstart, ok
	}')
[ "$codec $width $height $audio" = "h264 1280 720 1" ] ||
	die "seg000.ts: got codec/size/audio '$codec $width $height $audio'"
[ "$keys_ok" = 1 ] || die "seg000.ts: keyframes not every $((GOP / FPS)) s from the start"
awk -v d="$duration" -v s="$SEG" 'BEGIN { exit !(d >= s - 0.001 && d <= s + 0.001) }' ||
	die "seg000.ts: lasts $duration s, want $SEG s"
duration_us=$(awk -v d="$duration" 'BEGIN { printf "%.0f", d * 1000000 }')

# Segment i is segment 0 with every timestamp $SEG * i s later. Copying TS
# to TS re-muxes without touching a payload byte.
for i in $(seq 1 $((MINUTES - 1))); do
	ff -i "$(seg 0)" -map 0 -c copy -output_ts_offset $((SEG * i)) \
		-fflags +bitexact -flags +bitexact -map_metadata -1 \
		-f mpegts "$(seg "$i")"
done

{
	printf 'case\tpath\tstart_us\tend_us\tbytes\tcodec\twidth\theight\thas_audio\tnote\n'
	for i in $(seq 0 $((MINUTES - 1))); do
		f=$(seg "$i")
		# Each file must start exactly where its minute says, all streams.
		# (ffprobe lists TS streams twice, under the program and alone.)
		got=$(ffprobe -v error -show_entries stream=codec_name,start_time -of csv=p=0 "$f" |
			awk 'NF && !seen[$0]++' | tr '\n' ' ')
		want=$(awk -v s="$start" -v o="$((SEG * i))" \
			'BEGIN { printf "h264,%.6f aac,%.6f ", s + o, s + o }')
		[ "$got" = "$want" ] || die "$(basename "$f"): streams '$got', want '$want'"
		start_us=$(((BASE + SEG * i) * 1000000))
		printf 'bench\tbench/%s\t%s\t%s\t%s\th264\t1280\t720\t1\t\n' \
			"$(basename "$f")" "$start_us" "$((start_us + duration_us))" \
			"$(stat -c %s "$f")"
	done
} >"$OUTDIR/manifest.tsv.tmp"
echo "$VERSION" >"$OUTDIR/.version"
mv "$OUTDIR/manifest.tsv.tmp" "$OUTDIR/manifest.tsv"
media_complete || die "manifest does not match the files written"
