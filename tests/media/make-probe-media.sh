#!/bin/bash
# make-probe-media.sh OUTDIR: files that stress the prober's tail read, for
# tests/unit/test_segprobe (its fixtures and layouts are covered too).
#
#   long_bframes.ts   90 s, 640x360, H.264 with 2 B-frames at 2 Mb/s, AAC:
#                     24 MB, far more than the tail window
#   long.mp4          the same remuxed to MP4, moov at the end
#   long_faststart.mp4  moov first
#   long_frag.mp4     fragmented, a fragment per keyframe
#   long.mpg          MPEG-PS (H.264, MP2 audio: what its muxer takes)
#   wrap_start.ts, wrap_mid.ts, wrap_end.ts   12 s each (3 MB) whose 33-bit
#                     clock wraps 0.3 s, 4.6 s and 11.3 s in
#
# Cached like make-fixtures.sh; exits 77 without ffmpeg or libx264.
set -eu

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
OUTDIR=$1
SCRIPT=${BASH_SOURCE[0]}
. "$(dirname "$SCRIPT")/common.sh"

command -v ffmpeg >/dev/null || { echo "make-probe-media: ffmpeg not found, skipping" >&2; exit 77; }
ffmpeg -hide_banner -encoders 2>/dev/null | grep -q " libx264 " ||
	{ echo "make-probe-media: ffmpeg has no libx264, skipping" >&2; exit 77; }
VERSION="$(media_script_hash "$SCRIPT") $(ffmpeg -version | head -n 1)"
media_reuse_or_lock

SRC=(-f lavfi -i testsrc2=size=640x360:rate=25
     -f lavfi -i sine=frequency=440:beep_factor=4:sample_rate=48000)
X264=(-c:v libx264 -preset ultrafast -g 50 -pix_fmt yuv420p)
WRAP=95443.717	# 2^33 / 90 kHz, in seconds

rm -f "$OUTDIR"/*.ts "$OUTDIR"/*.mp4 "$OUTDIR"/*.mpg "$OUTDIR/manifest.tsv" "$OUTDIR/.version"
ff "${SRC[@]}" -t 90 "${X264[@]}" -bf 2 -b:v 2M -c:a aac -b:a 64k \
	-f mpegts "$OUTDIR/long_bframes.ts"
ff -i "$OUTDIR/long_bframes.ts" -c copy -bsf:a aac_adtstoasc -f mp4 "$OUTDIR/long.mp4"
ff -i "$OUTDIR/long_bframes.ts" -c copy -bsf:a aac_adtstoasc -movflags +faststart -f mp4 "$OUTDIR/long_faststart.mp4"
ff -i "$OUTDIR/long_bframes.ts" -c copy -bsf:a aac_adtstoasc -movflags +frag_keyframe+empty_moov+default_base_moof \
	-f mp4 "$OUTDIR/long_frag.mp4"
ff -i "$OUTDIR/long_bframes.ts" -c:v copy -c:a mp2 -f mpeg "$OUTDIR/long.mpg"
# The muxer's first picture is 1.4 s after the offset.
for w in start:0.3 mid:4.6 end:11.3; do
	off=$(awk -v w="$WRAP" -v at="${w#*:}" 'BEGIN { printf "%.3f", w - 1.4 - at }')
	ff "${SRC[@]}" -t 12 "${X264[@]}" -b:v 2M -c:a aac -b:a 64k -output_ts_offset "$off" \
		-f mpegts "$OUTDIR/wrap_${w%%:*}.ts"
done

{
	printf 'case\tpath\tstart_us\tend_us\tbytes\n'
	for f in "$OUTDIR"/*.ts "$OUTDIR"/*.mp4 "$OUTDIR"/*.mpg; do
		printf 'probe\t%s\t0\t0\t%s\n' "${f##*/}" "$(stat -c %s "$f")"
	done
} >"$OUTDIR/manifest.tsv.tmp"
mv "$OUTDIR/manifest.tsv.tmp" "$OUTDIR/manifest.tsv"
echo "$VERSION" >"$OUTDIR/.version"
