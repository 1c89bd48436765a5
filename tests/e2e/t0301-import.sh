#!/bin/bash
# archivectl segments import and list on recordings laid out exactly as
# ffmpeg's segment muxer, MediaMTX and Frigate write them
# (tests/media/make-layouts.sh): times from the names in the configured
# zone (Frigate in UTC), checked against the media; a gap; a damaged file
# skipped and reported (exit 3, the rest imported); a renamed file placed
# by its timestamps with a warning; a second import adds nothing; and the
# bad-input lines of the recording commands.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures.sh"

LAYOUTS="$top_builddir/tests/media/layouts"
rc=0
bash "$top_srcdir/tests/media/make-layouts.sh" "$FIXTURES" "$LAYOUTS" >/dev/null || rc=$?
[ "$rc" -eq 77 ] && { echo "# no ffmpeg with the fixtures' encoders: skipped"; exit 77; }
[ "$rc" -eq 0 ] || { echo "# make-layouts.sh failed ($rc)"; exit 1; }
REAL=$(realpath "$LAYOUTS")
setup "$(big_licence)"

# new_stream NAME: a camera with a high stream; prints the stream id.
new_stream() {
	local cam
	cam=$(ctl camera add --name "$1")
	ctl stream add --camera "$cam" --type high --url "rtsp://u:p@$1/live"
}

# import STREAM ARGS...: runs the import; sets RC, OUT (stderr) and JSON
# (stdout).
import() {
	local stream=$1
	shift
	RC=0
	JSON=$(ctl --json segments import --stream "$stream" "$@" 2>"$T/import.err") || RC=$?
	OUT=$(cat "$T/import.err")
}

# same_rows STREAM CASE [NOTE...]: the stream's rows are the manifest's
# rows of CASE (other than those with the NOTEs), times within 1 ms.
same_rows() {
	local stream=$1 case=$2
	shift 2
	sql -separator $'\t' "SELECT path, start_us, end_us, bytes, codec, width, height, has_audio
		FROM segments WHERE stream_id=$stream" |
	awk -F'\t' -v real="$REAL/" -v case="$case" -v skip=" $* " '
	NR == FNR {
		if (FNR > 1 && $1 == case && ($10 == "" || index(skip, " " $10 " ") == 0)) {
			want[$2] = $3 "\t" $4 "\t" $5 "\t" $6 "\t" $7 "\t" $8 "\t" $9; n++
		}
		next
	}
	{
		p = substr($1, length(real) + 1); got++
		if (!(p in want)) { print "# unexpected row " $1; bad = 1; next }
		split(want[p], w, "\t")
		d1 = $2 - w[1]; d2 = $3 - w[2]
		if (d1 < -1000 || d1 > 1000 || d2 < -1000 || d2 > 1000 || $4 != w[3] ||
		    $5 != w[4] || $6 != w[5] || $7 != w[6] || $8 != w[7]) {
			print "# " p ": got " $2 " " $3 " " $4 " " $5 " " $6 "x" $7 " " $8
			print "# " p ": want " want[p]
			bad = 1
		}
	}
	END { if (got != n) { print "# " got " rows, want " n; bad = 1 } exit bad }
	' "$LAYOUTS/manifest.tsv" -
}

count() { sql "SELECT count(*) FROM segments WHERE stream_id=$1"; }

# --- ffmpeg -f segment -strftime 1, MPEG-TS: a gap and a damaged file
S1=$(new_stream ffmpeg_ts)
import "$S1" --layout ffmpeg "$LAYOUTS/ffmpeg_ts"
expect_eq "ffmpeg_ts: exit 3 when a file was skipped" 3 "$RC"
check "ffmpeg_ts: the damaged file is reported by name" \
	grep -q "skipped '.*cam1-2026-01-15_11-00-22.ts': cannot open it as media" <<<"$OUT"
check "ffmpeg_ts: the rest is imported" same_rows "$S1" ffmpeg_ts corrupt
check "ffmpeg_ts: summary says 4 new, 1 skipped" grep -q "4 new, 0 already indexed, 0 updated, 1 skipped" <<<"$OUT"
expect_eq "ffmpeg_ts: --json counts" "4 1 1" "$(jq -r '"\(.new) \(.skipped) \(.problems | length)"' <<<"$JSON")"
out=$(ctl segments list --stream "$S1")
expect_eq "segments list: two recorded intervals around the gap" \
	"recorded 2026-01-15 11:00:00.000 2026-01-15 11:00:08.000 2 segments
gap 2026-01-15 11:00:08.000 2026-01-15 11:00:14.000 -
recorded 2026-01-15 11:00:14.000 2026-01-15 11:00:22.016 2 segments" \
	"$(awk -F'\t' '{ print $1, $2, $3, ($5 == "" ? "-" : $5) }' <<<"$out")"
out=$(ctl --json segments list --stream "$S1" --from "2026-01-15 10:59:00" --to "2026-01-15 11:01:00")
expect_eq "segments list --json: gaps at the edges of the range too" \
	"2026-01-15 10:59:00.000-2026-01-15 11:00:00.000 2026-01-15 11:00:08.000-2026-01-15 11:00:14.000 2026-01-15 11:00:22.016-2026-01-15 11:01:00.000" \
	"$(jq -r '[.gaps[] | "\(.from)-\(.to)"] | join(" ")' <<<"$out")"
expect_eq "segments list --json: 16 s recorded" 16.016 "$(jq -r '.recorded * 1000 | round / 1000' <<<"$out")"
out=$(ctl --json segments list --stream "$S1" --segments)
expect_eq "segments list --segments: every file" 4 "$(jq '.segments | length' <<<"$out")"

# The same directory again: nothing new, nothing doubled.
import "$S1" --layout ffmpeg "$LAYOUTS/ffmpeg_ts"
check "second import: 0 new" grep -q "0 new, 4 already indexed" <<<"$OUT"
expect_eq "second import: still 4 rows" 4 "$(count "$S1")"
expect_eq "second import: the damaged file is still reported (exit 3)" 3 "$RC"

# Another stream may not take the same files.
S1B=$(new_stream ffmpeg_ts_again)
import "$S1B" "$LAYOUTS/ffmpeg_ts"
check "a file indexed for another stream is skipped, naming it" \
	grep -q "already indexed for stream $S1" <<<"$OUT"
expect_eq "and nothing is added to the other stream" 0 "$(count "$S1B")"

# --utc: the recorder host ran in UTC, so the same names are an hour later.
mkdir -p "$T/utc"
cp "$LAYOUTS"/ffmpeg_ts/cam1-2026-01-15_11-00-0*.ts "$T/utc/"
S1U=$(new_stream utc)
import "$S1U" --utc "$T/utc"
expect_eq "--utc: names read as UTC" "$((BASE_US + 3600000000)) $((BASE_US + 3604000000))" \
	"$(sql_list ' ' "SELECT start_us FROM segments WHERE stream_id=$S1U ORDER BY start_us")"

# --- a renamed file: its timestamps continue the first file; media wins
S2=$(new_stream renamed)
import "$S2" --layout ffmpeg "$LAYOUTS/ffmpeg_renamed"
expect_eq "renamed: exit 0" 0 "$RC"
check "renamed: placed where its media says" same_rows "$S2" ffmpeg_renamed
check "renamed: a warning names the file and the one it continues" \
	grep -q "warning '.*20260115-120004.ts': its name says 2026-01-15 12:00:04 but its timestamps continue '.*20260115-110000.ts'; indexed at 2026-01-15 11:00:04 (the media wins)" <<<"$OUT"
expect_eq "renamed: one interval, no gap" 1 "$(ctl segments list --stream "$S2" | grep -c ^recorded)"

# --- ffmpeg, plain MP4 (moov last), auto layout; the recorder died in the third
S3=$(new_stream ffmpeg_mp4)
import "$S3" "$LAYOUTS/ffmpeg_mp4"
expect_eq "ffmpeg_mp4: exit 3" 3 "$RC"
check "ffmpeg_mp4: the file without moov is reported" grep -q "skipped '.*cam1_20260115T110008.mp4'" <<<"$OUT"
check "ffmpeg_mp4: the others imported" same_rows "$S3" ffmpeg_mp4 corrupt

# --- MediaMTX: fMP4 (each file's clock from 0) and MPEG-TS (H.265), %f kept
S4=$(new_stream mediamtx)
import "$S4" --layout mediamtx "$LAYOUTS/mediamtx"
expect_eq "mediamtx fMP4: exit 0" 0 "$RC"
check "mediamtx fMP4: times to the microsecond, from local names" same_rows "$S4" mediamtx
S5=$(new_stream mediamtx_ts)
import "$S5" "$LAYOUTS/mediamtx_ts"
expect_eq "mediamtx TS (auto): exit 0" 0 "$RC"
check "mediamtx TS: H.265 rows" same_rows "$S5" mediamtx_ts
expect_eq "mediamtx TS: codec hevc" hevc "$(sql "SELECT DISTINCT codec FROM segments WHERE stream_id=$S5")"

# --- Frigate: one tree for every camera, UTC whatever the zone
S6=$(new_stream frigate)
import "$S6" --layout frigate "$LAYOUTS/frigate"
expect_eq "frigate: several cameras and no --source: exit 2" 2 "$RC"
expect_eq "frigate: one line naming the cameras and --source" 1 "$(wc -l <<<"$OUT")"
check "frigate: ...which it does" grep -q "several cameras (back_yard, front_door); choose one with --source" <<<"$OUT"
expect_eq "frigate: nothing imported" 0 "$(count "$S6")"
import "$S6" --layout frigate --source front_door "$LAYOUTS/frigate"
expect_eq "frigate --source front_door: exit 0" 0 "$RC"
check "frigate: UTC times across two hour directories, no audio" same_rows "$S6" frigate other_camera
expect_eq "frigate: one interval" 1 "$(ctl segments list --stream "$S6" | grep -c ^recorded)"

# --- creation_time: the media's own wall clock beats the name
S7=$(new_stream creation_time)
import "$S7" "$LAYOUTS/creation_time"
expect_eq "creation_time: exit 0" 0 "$RC"
check "creation_time: placed by the tag" same_rows "$S7" creation_time
check "creation_time: a warning where the name disagrees" \
	grep -q "warning '.*cam1-2026-01-15_11-30-04.mp4': its name says 2026-01-15 11:30:04 but its creation_time says 2026-01-15 11:00:04" <<<"$OUT"
expect_eq "creation_time: one warning only (clip.mp4's name has no time)" 1 "$(grep -c warning <<<"$OUT")"

# --- no time in a name: placed by the timeline of a named file it
# continues, else skipped
mkdir -p "$T/unnamed"
cp "$LAYOUTS/ffmpeg_ts/cam1-2026-01-15_11-00-00.ts" "$T/unnamed/"
cp "$FIXTURES/gap_ts/seg001.ts" "$T/unnamed/next.ts"
cp "$FIXTURES/gap_ts/seg003.ts" "$T/unnamed/lost.ts"
S8=$(new_stream unnamed)
import "$S8" --layout ffmpeg "$T/unnamed"
expect_eq "unnamed: exit 3 (one file could not be placed)" 3 "$RC"
expect_eq "unnamed: the continuing file follows the named one" "0 4000000" \
	"$(sql_list ' ' "SELECT start_us - $BASE_US FROM segments WHERE stream_id=$S8 ORDER BY start_us")"
check "unnamed: the other is skipped, saying why" \
	grep -q "skipped '.*lost.ts': no time in its name (layout ffmpeg) and none in its media" <<<"$OUT"

# --- a file and a link to it are one segment
mkdir -p "$T/links"
cp "$LAYOUTS/ffmpeg_ts/cam1-2026-01-15_11-00-00.ts" "$T/links/"
ln -s cam1-2026-01-15_11-00-00.ts "$T/links/latest.ts"
S9=$(new_stream links)
import "$S9" "$T/links"
expect_eq "a link and its target: exit 0" 0 "$RC"
expect_eq "a link and its target: one row" 1 "$(count "$S9")"

# --- camera update (by id)
CAM=$(sql "SELECT camera_id FROM streams WHERE id=$S6")
ctl camera update "$CAM" --name "Front door" --group "Outside" --address "Street 5"
expect_eq "camera update: name, group and address" "Front door|Street 5|Outside" \
	"$(sql "SELECT c.name, c.address, g.name FROM cameras c JOIN camera_groups g ON g.id = c.group_id WHERE c.id=$CAM")"
ctl camera update "$CAM" --group ''
expect_eq "camera update --group '': out of its group" "Front door|" \
	"$(sql "SELECT name, group_id FROM cameras WHERE id=$CAM")"

# --- bad input: one line naming the argument, non-zero, nothing written
ROWS=$(sql "SELECT count(*) FROM segments")
D="$LAYOUTS/ffmpeg_ts"
ctl_bad "import: unknown stream" "--stream: no stream 999" segments import --stream 999 "$D"
ctl_bad "import: bad stream id" "--stream: 'x'" segments import --stream x "$D"
ctl_bad "import: no --stream" "--stream is required" segments import "$D"
ctl_bad "import: no DIR" "DIR is required" segments import --stream "$S1"
ctl_bad "import: two DIRs" "one DIR only" segments import --stream "$S1" "$D" "$D"
ctl_bad "import: missing DIR" "DIR: cannot read '$T/nowhere'" segments import --stream "$S1" "$T/nowhere"
ctl_bad "import: DIR is a file" "is not a directory" segments import --stream "$S1" "$CONF"
ctl_bad "import: bad --layout" "--layout: 'zoneminder' is not one of auto|ffmpeg|mediamtx|frigate" \
	segments import --stream "$S1" --layout zoneminder "$D"
ctl_bad "import: --source without frigate" "--source" segments import --stream "$S1" --layout ffmpeg --source x "$D"
ctl_bad "import: unknown option" "unknown option '--stram'" segments import --stram 1 "$D"
ctl_bad "list: bad --from" "--from: 'yesterday'" segments list --stream "$S1" --from yesterday
ctl_bad "list: --to before --from" "--to must be after --from" segments list --stream "$S1" \
	--from "2026-01-15 12:00:00" --to "2026-01-15 11:00:00"
ctl_bad "list: unknown stream" "--stream: no stream 999" segments list --stream 999
ctl_bad "list: no --stream" "--stream is required" segments list
ctl_bad "prune: no --older-than" "--older-than is required" segments prune
ctl_bad "prune: bad --older-than" "--older-than: 'ages'" segments prune --older-than ages
ctl_bad "prune: unknown stream" "--stream: no stream 999" segments prune --older-than 1d --stream 999
ctl_bad "camera update: unknown camera" "no camera 999" camera update 999 --name x
ctl_bad "camera update: nothing to change" "nothing to change" camera update "$CAM"
ctl_bad "camera update: bad id" "camera update: ID: 'x'" camera update x --name y
expect_eq "bad input wrote nothing" "$ROWS" "$(sql "SELECT count(*) FROM segments")"
out=$(ctl segments import --help)
check "--help shows the usage" grep -q -- "--layout auto|ffmpeg|mediamtx|frigate" <<<"$out"

# Import read each file's head and tail only; every length it stored is
# what reading every packet gives.
RC=0
out=$(ctl check --deep 2>&1 >/dev/null) || RC=$?
expect_eq "check --deep over every imported layout: exit 0" 0 "$RC"
check "check --deep: every segment read" grep -q "$ROWS segments and 0 active archives checked; 0 segments" <<<"$out"

finish
