#!/bin/bash
# bench-remux.sh REMUX_CLI MEDIADIR OUTDIR [MINUTES]: the export benchmark.
#
# On MINUTES (default 60) one-minute 4 Mbit/s TS segments made by
# tests/media/make-bench-media.sh, runs in one go, page cache warm:
#   cat of the files into one file          (the floor)
#   ffmpeg -f concat -c copy +faststart     (the obvious alternative)
#   remux-cli, our engine                   (targets: <= 1.3x cat, <= 0.5x ffmpeg)
# each ROUNDS times (default 3; the median counts), with wall time and peak
# RSS from /usr/bin/time. Then, unless DAY=0, a 24 h export made of the same
# files listed 24 times with shifted times, written to /dev/null (43 GB of
# output would not fit most disks), beside cat of the same list to
# /dev/null: this run measures memory (target < 32 MB) and CPU, not the
# disk. Not part of "make check": run it on an otherwise idle machine.
#
# Then the same on MP4 input: the hour remuxed (ffmpeg -c copy, timestamps
# kept) into one plain MP4 per minute, as ffmpeg's segment muxer writes
# them, made once under MEDIADIR/mp4, against cat of those files (no 24 h
# run). INPUT=ts or INPUT=mp4 runs one of the two.
set -eu

if [ -z "${INPUT:-}" ]; then
	INPUT=ts bash "$0" "$@"
	echo
	INPUT=mp4 DAY=0 exec bash "$0" "$@"
fi

[ $# -ge 3 ] && [ $# -le 4 ] || {
	echo "usage: $0 REMUX_CLI MEDIADIR OUTDIR [MINUTES]" >&2
	exit 2
}
CLI=$(realpath "$1")
MEDIA=$2
OUT=$3
MINUTES=${4:-60}
ROUNDS=${ROUNDS:-3}
DAY=${DAY:-1}
HERE=$(dirname "${BASH_SOURCE[0]}")

"$HERE/../media/make-bench-media.sh" "$MEDIA" "$MINUTES"
mkdir -p "$OUT"
MANIFEST=$MEDIA/manifest.tsv
if [ "$INPUT" = mp4 ]; then
	mkdir -p "$MEDIA/mp4/bench"
	awk -F'\t' '$1 == "bench" { print $2 }' "$MANIFEST" | while read -r p; do
		m="$MEDIA/mp4/${p%.ts}.mp4"
		if [ ! -s "$m" ]; then
			ffmpeg -nostdin -v error -copyts -i "$MEDIA/$p" -c copy \
				-bsf:a aac_adtstoasc -f mp4 "$m.tmp"
			mv "$m.tmp" "$m"
		fi
	done
	awk -F'\t' -v d="$MEDIA/mp4" 'BEGIN { OFS = "\t" }
		NR == 1 { print; next }
		$1 == "bench" { sub(/\.ts$/, ".mp4", $2); c = "stat -c %s " d "/" $2
			c | getline $5; close(c); print }' "$MANIFEST" >"$MEDIA/mp4/manifest.tsv"
	MEDIA=$MEDIA/mp4
	MANIFEST=$MEDIA/manifest.tsv
fi
mapfile -t FILES < <(awk -F'\t' -v d="$MEDIA" '$1 == "bench" { print d "/" $2 }' "$MANIFEST")
BYTES=$(cat "${FILES[@]}" | wc -c)
LIST=$OUT/concat.txt
for f in "${FILES[@]}"; do
	printf "file '%s'\n" "$(realpath "$f")"
done >"$LIST"

# measure NAME CMD...: one run; appends "wall_s rss_kb" to $OUT/NAME.runs.
measure() {
	local name=$1
	shift
	sync
	/usr/bin/time -f '%e %M' -o "$OUT/$name.time" "$@" >"$OUT/$name.stdout" 2>"$OUT/$name.stderr" ||
		{ echo "bench-remux: $name failed:" >&2; cat "$OUT/$name.stderr" >&2; exit 1; }
	cat "$OUT/$name.time" >>"$OUT/$name.runs"
}

# median NAME: "wall_s rss_kb" of the median run by wall time.
median() {
	sort -n "$OUT/$1.runs" | awk '{ l[NR] = $0 } END { print l[int((NR + 1) / 2)] }'
}

cat_files() {
	cat "$@" >"$OUT/cat.out"
}

rm -f "$OUT"/*.runs
cat "${FILES[@]}" >/dev/null	# warm the page cache: every run reads from memory
for r in $(seq "$ROUNDS"); do
	measure cat bash -c 'cat "$@" >"$0"' "$OUT/cat.out" "${FILES[@]}"
	rm -f "$OUT/cat.out"
	measure remux "$CLI" -q -T "$OUT" "$MANIFEST" bench - - "$OUT/remux.mp4"
	[ "$r" = "$ROUNDS" ] || rm -f "$OUT/remux.mp4"
	measure ffmpeg ffmpeg -nostdin -v error -y -f concat -safe 0 -i "$LIST" \
		-map 0 -c copy -movflags +faststart "$OUT/ffmpeg.mp4"
	rm -f "$OUT/ffmpeg.mp4"
done
# The kept output must decode cleanly (checked after timing, not timed):
# its start, a stretch in the middle and its end. The unit tests decode
# whole files; a full decode of an hour of 720p takes minutes.
HALF=$((MINUTES * 30))
ERR=$({ ffmpeg -nostdin -v error -i "$OUT/remux.mp4" -t 10 -f null -
	ffmpeg -nostdin -v error -ss "$HALF" -i "$OUT/remux.mp4" -t 10 -f null -
	ffmpeg -nostdin -v error -sseof -10 -i "$OUT/remux.mp4" -f null -; } 2>&1 | head -n 3)
rm -f "$OUT/remux.mp4"

read -r cat_s cat_kb < <(median cat)
read -r rx_s rx_kb < <(median remux)
read -r ff_s ff_kb < <(median ffmpeg)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

printf 'input: %s, %d segments, %.2f GB, %s round(s), medians\n' "$INPUT" "${#FILES[@]}" \
	"$(awk -v b="$BYTES" 'BEGIN { print b / 1e9 }')" "$ROUNDS"
printf '%-28s %8.2f s  RSS %7s MB\n' "cat" "$cat_s" "$(mb "$cat_kb")"
printf '%-28s %8.2f s  RSS %7s MB  %sx cat\n' "ffmpeg concat +faststart" \
	"$ff_s" "$(mb "$ff_kb")" "$(ratio "$ff_s" "$cat_s")"
printf '%-28s %8.2f s  RSS %7s MB  %sx cat (target <= 1.30), %sx ffmpeg (target <= 0.50)\n' \
	"remux" "$rx_s" "$(mb "$rx_kb")" "$(ratio "$rx_s" "$cat_s")" "$(ratio "$rx_s" "$ff_s")"
[ -z "$ERR" ] || printf 'remux output does not decode cleanly: %s\n' "$ERR"

if [ "$DAY" != 0 ]; then
	DAYLIST=()
	for i in $(seq 24); do
		DAYLIST+=("${FILES[@]}")
	done
	rm -f "$OUT"/day-*.runs
	measure day-cat bash -c 'cat "$@" >/dev/null' x "${DAYLIST[@]}"
	measure day-remux "$CLI" -q -r 24 -T "$OUT" "$MANIFEST" bench - - /dev/null
	read -r dc_s dc_kb < <(median day-cat)
	read -r dr_s dr_kb < <(median day-remux)
	printf '24 h (the hour x24, output to /dev/null):\n'
	printf '%-28s %8.2f s  RSS %7s MB\n' "cat" "$dc_s" "$(mb "$dc_kb")"
	printf '%-28s %8.2f s  RSS %7s MB  %sx cat (target RSS < 32 MB)\n' "remux" \
		"$dr_s" "$(mb "$dr_kb")" "$(ratio "$dr_s" "$dc_s")"
	grep -E '^(rc|duration_us)' "$OUT/day-remux.stdout" | sed 's/^/  /'
fi
