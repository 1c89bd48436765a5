#!/bin/bash
# archivectl export against the real worker: segments imported from each
# recorder layout, the same range asked through the API (the worker
# remuxes it) and exported in the terminal must give the same file, byte
# for byte. Then export's own behaviour: no_footage, progress on a TTY and
# off it, nothing left under FILE or beside it on failure, bad input.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures.sh"

LAYOUTS="$top_builddir/tests/media/layouts"
rc=0
bash "$top_srcdir/tests/media/make-layouts.sh" "$FIXTURES" "$LAYOUTS" >/dev/null || rc=$?
[ "$rc" -eq 77 ] && { echo "# no ffmpeg with the fixtures' encoders: skipped"; exit 77; }
[ "$rc" -eq 0 ] || { echo "# make-layouts.sh failed ($rc)"; exit 1; }
setup "$(big_licence)" "workers = 2;" "poll_interval_ms = 200;"
start_lighttpd
start_worker

# stream_of CASE [IMPORT ARGS...]: a stream holding the case's recordings.
stream_of() {
	local case=$1 cam s
	shift
	cam=$(ctl camera add --name "$case")
	s=$(ctl stream add --camera "$cam" --type high --url "rtsp://u:p@$case/live")
	ctl segments import --stream "$s" "$@" "$LAYOUTS/$case" 2>/dev/null || true
	echo "$s"
}

# request STREAM FROM TO: a download through the API; prints its id.
request() {
	api POST /api/admin/v1/downloads "{\"stream_id\": $1, \"from\": \"$2\", \"to\": \"$3\"}"
	[ "$STATUS" = 200 ] || { echo "# POST answered $STATUS: $(cat "$T/body")" >&2; return 1; }
	jbody .id
}

# streams FILE: what ffprobe sees: each stream's codec and the duration.
streams() {
	ffprobe -v error -show_entries stream=codec_name,width,height:format=duration \
		-of compact "$1" | sort
}

declare -A SID FROM TO ID
add() { SID[$1]=$2; FROM[$1]=$3; TO[$1]=$4; }
add ffmpeg_ts "$(stream_of ffmpeg_ts --layout ffmpeg)" "2026-01-15 11:00:02" "2026-01-15 11:00:20"
add ffmpeg_renamed "$(stream_of ffmpeg_renamed)" "2026-01-15 11:00:01" "2026-01-15 11:00:11"
add mediamtx "$(stream_of mediamtx)" "2026-01-15 11:00:01" "2026-01-15 11:00:10"
add mediamtx_ts "$(stream_of mediamtx_ts)" "2026-01-15 11:00:01" "2026-01-15 11:00:09"
add frigate "$(stream_of frigate --source front_door)" "2026-01-15 10:59:53" "2026-01-15 11:00:03"
for c in "${!SID[@]}"; do
	ID[$c]=$(request "${SID[$c]}" "${FROM[$c]}" "${TO[$c]}")
done
for c in "${!ID[@]}"; do
	wait_download "${ID[$c]}" 60 || true
done

mkdir -p "$T/out"
for c in ffmpeg_ts ffmpeg_renamed mediamtx mediamtx_ts frigate; do
	expect_eq "$c: the worker's download is active" active \
		"$(sql "SELECT condition FROM downloads WHERE id=${ID[$c]}")"
	worker_file="$DL_DIR/$(sql "SELECT path FROM downloads WHERE id=${ID[$c]}")"
	rc=0
	ctl export --stream "${SID[$c]}" --from "${FROM[$c]}" --to "${TO[$c]}" \
		-o "$T/out/$c.mp4" 2>"$T/export.err" || rc=$?
	expect_eq "$c: export exits 0" 0 "$rc"
	check "$c: export says what it wrote" grep -q "wrote '$T/out/$c.mp4'" "$T/export.err"
	expect_eq "$c: the same streams and duration as the worker's" \
		"$(streams "$worker_file")" "$(streams "$T/out/$c.mp4")"
	check "$c: the same bytes as the worker's" cmp -s "$worker_file" "$T/out/$c.mp4"
done
expect_eq "ffmpeg_ts: the gap is skipped (12 s of 18)" 12.000 \
	"$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$T/out/ffmpeg_ts.mp4" | cut -c1-6)"

# --json: the result for scripts; progress as plain lines off a TTY.
out=$(ctl --json export --stream "${SID[ffmpeg_ts]}" --from "${FROM[ffmpeg_ts]}" \
	--to "${TO[ffmpeg_ts]}" -o "$T/out/again.mp4" 2>"$T/export.err")
expect_eq "--json: size, duration and two coverage pieces" \
	"$(stat -c %s "$T/out/again.mp4") 12 2" \
	"$(jq -r '"\(.size) \(.duration | round) \(.coverage | length)"' <<<"$out")"
check "off a TTY: progress as whole lines" grep -q "^archivectl: export: 100% (" "$T/export.err"
check "off a TTY: no carriage returns" test -z "$(tr -cd '\r' <"$T/export.err")"
if command -v script >/dev/null; then
	script -qec "$CTL --config $CONF export --stream ${SID[ffmpeg_ts]} --from '${FROM[ffmpeg_ts]}' --to '${TO[ffmpeg_ts]}' -o $T/out/tty.mp4" \
		/dev/null >"$T/tty.out" 2>&1 || true
	check "on a TTY: a progress bar redrawn in place" grep -q $'\r\\[#' "$T/tty.out"
	check "on a TTY: the file is the same" cmp -s "$T/out/tty.mp4" "$T/out/ffmpeg_ts.mp4"
else
	echo "# no script(1) for a TTY: progress bar not checked"
fi

# Overwriting: FILE is replaced whole.
ctl export --stream "${SID[mediamtx]}" --from "${FROM[mediamtx]}" --to "${TO[mediamtx]}" \
	-o "$T/out/again.mp4" 2>/dev/null
check "an existing FILE is replaced" cmp -s "$T/out/again.mp4" "$T/out/mediamtx.mp4"

# no_footage: one line, non-zero, nothing under FILE or beside it.
rc=0
out=$(ctl export --stream "${SID[ffmpeg_ts]}" --from "2026-01-15 09:00:00" \
	--to "2026-01-15 09:10:00" -o "$T/out/none.mp4" 2>&1) || rc=$?
expect_eq "no_footage: exit 1" 1 "$rc"
expect_eq "no_footage: one line" 1 "$(wc -l <<<"$out")"
check "no_footage: says so, with the stream and range" \
	grep -q "export: no_footage: stream ${SID[ffmpeg_ts]} has no readable recording between 2026-01-15 09:00:00 and 2026-01-15 09:10:00" <<<"$out"
check "no_footage: no FILE" test ! -e "$T/out/none.mp4"
expect_eq "no temp file left beside FILE" "" "$(ls -A "$T/out" | grep '^\.' || true)"

S=${SID[ffmpeg_ts]}
F="2026-01-15 11:00:02"
U="2026-01-15 11:00:20"
ctl_bad "export: unknown stream" "--stream: no stream 999" export --stream 999 --from "$F" --to "$U" -o "$T/x.mp4"
ctl_bad "export: bad --from" "--from: '11:00' does not match" export --stream "$S" --from 11:00 --to "$U" -o "$T/x.mp4"
ctl_bad "export: bad --to" "--to: '2026-02-30 10:00:00' is not a valid date" export --stream "$S" --from "$F" --to "2026-02-30 10:00:00" -o "$T/x.mp4"
ctl_bad "export: --to before --from" "--to must be after --from" export --stream "$S" --from "$U" --to "$F" -o "$T/x.mp4"
ctl_bad "export: no --from" "--from and --to are required" export --stream "$S" --to "$U" -o "$T/x.mp4"
ctl_bad "export: no -o" "-o FILE is required" export --stream "$S" --from "$F" --to "$U"
ctl_bad "export: -o in a missing directory" "-o: cannot create a file beside '$T/nowhere/x.mp4'" \
	export --stream "$S" --from "$F" --to "$U" -o "$T/nowhere/x.mp4"
ctl_bad "export: -o a directory" "-o: '$T/out' is not a file name" export --stream "$S" --from "$F" --to "$U" -o "$T/out"
check "bad input wrote no file" test ! -e "$T/x.mp4"

finish
