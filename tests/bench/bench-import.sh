#!/bin/bash
# bench-import.sh PROBEBENCH MEDIADIR OUTDIR: what indexing costs per file.
#
# Import probes each file by its head and tail (probebench fast); the
# baselines, in the same run: reading every packet (probebench deep, what
# import did before and check --deep does) and cat of the file (the floor
# of anything that reads it whole). Page cache warm, so the figures are
# CPU, not the disk.
#
#   small: 10,000 four-second segments (the media fixtures' MPEG-TS, MP4
#          and fragmented MP4, hard-linked under 10,000 names)
#   large: one 2 GB recording, 64 one-minute 4 Mbit/s segments of
#          tests/media/make-bench-media.sh joined, as MPEG-TS, as MP4
#          (moov at the end) and as fragmented MP4 (a fragment per 2-s GOP)
#
# Prints one line per case and mode: ms per file (mean, p50, max; a large
# file's fast probe is run 10 times), bytes
# read per file, peak RSS; then the fast/deep and fast/cat ratios. Not part
# of "make check". MEDIADIR keeps the made media between runs (about 8 GB).
set -eu

[ $# -eq 3 ] || { echo "usage: $0 PROBEBENCH MEDIADIR OUTDIR" >&2; exit 2; }
PB=$(realpath "$1")
MEDIA=$2
OUT=$3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SMALL=${SMALL:-10000}

mkdir -p "$MEDIA" "$OUT"
bash "$HERE/../media/make-fixtures.sh" "$MEDIA/fixtures" >/dev/null
bash "$HERE/../media/make-bench-media.sh" "$MEDIA/bench" 64 >/dev/null

# The large files, made once.
BIG=$MEDIA/large
mkdir -p "$BIG"
if [ ! -s "$BIG/.done" ]; then
	mapfile -t SEGS < <(awk -F'\t' -v d="$MEDIA/bench" '$1 == "bench" { print d "/" $2 }' \
		"$MEDIA/bench/manifest.tsv")
	cat "${SEGS[@]}" >"$BIG/large.ts"
	ffmpeg -nostdin -loglevel error -y -i "$BIG/large.ts" -c copy -bsf:a aac_adtstoasc \
		-f mp4 "$BIG/large.mp4"
	ffmpeg -nostdin -loglevel error -y -i "$BIG/large.ts" -c copy -bsf:a aac_adtstoasc \
		-movflags +frag_keyframe+empty_moov+default_base_moof -f mp4 "$BIG/large-frag.mp4"
	echo done >"$BIG/.done"
fi

# The small files: the fixtures' complete segments, round robin.
mapfile -t FIX < <(find "$MEDIA/fixtures/h264_aac_ts" "$MEDIA/fixtures/h264_mp4" \
	"$MEDIA/fixtures/h264_fmp4" "$MEDIA/fixtures/h265_ts" -name 'seg*' | sort)
rm -rf "$OUT/small"
mkdir -p "$OUT/small"
for i in $(seq 0 $((SMALL - 1))); do
	f=${FIX[$((i % ${#FIX[@]}))]}
	ln "$f" "$OUT/small/$(printf '%05d' "$i").${f##*.}"
done
find "$OUT/small" -type f | sort >"$OUT/small.list"

# cat_ms LIST: ms per file for cat of each file to /dev/null.
cat_ms() {
	local n t0 t1
	n=$(wc -l <"$1")
	t0=$(date +%s%N)
	xargs -d '\n' -n 1 cat <"$1" >/dev/null
	t1=$(date +%s%N)
	awk -v n="$n" -v d=$((t1 - t0)) 'BEGIN { printf "%.3f", d / 1e6 / n }'
}

# row CASE LIST [FASTLIST]: the three measurements of one case; the fast
# probe over FASTLIST if given (a large file listed 10 times: a median).
row() {
	local name=$1 list=$2 fast deep c
	xargs -d '\n' cat <"$list" >/dev/null	# warm
	fast=$("$PB" fast <"${3:-$list}")
	deep=$("$PB" deep <"$list")
	c=$(cat_ms "$list")
	printf '%-18s fast: %s\n' "$name" "$fast"
	printf '%-18s deep: %s\n' "$name" "$deep"
	printf '%-18s cat:  ms_per_file %s\n' "$name" "$c"
	awk -v f="$fast" -v d="$deep" -v c="$c" -v n="$name" 'BEGIN {
		split(f, a, " "); split(d, b, " ")
		printf "%-18s fast/deep %.3f  fast/cat %.3f\n", n, a[6] / b[6], a[6] / c
	}'
}

{
	echo "# bench-import: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(ffmpeg -version | head -n 1)"
	row "small x$SMALL" "$OUT/small.list"
	for f in large.ts large.mp4 large-frag.mp4; do
		echo "$BIG/$f" >"$OUT/$f.list"
		for _ in $(seq 10); do echo "$BIG/$f"; done >"$OUT/$f.x10"
		printf '# %s: %s bytes\n' "$f" "$(stat -c %s "$BIG/$f")"
		row "$f" "$OUT/$f.list" "$OUT/$f.x10"
	done
} | tee "$OUT/bench-import.txt"
