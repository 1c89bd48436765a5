#!/bin/bash
# archivectl check finds segment files that are gone or changed and active
# archives whose file is gone (--deep: segments whose length read whole is
# not the index's); --repair deletes or re-probes the segment
# rows and expires the archive (archive_expired event, no file). segments
# prune deletes old footage, rows and files, but keeps a segment a pending
# or processing download of the same stream overlaps.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures.sh"

LAYOUTS="$top_builddir/tests/media/layouts"
rc=0
bash "$top_srcdir/tests/media/make-layouts.sh" "$FIXTURES" "$LAYOUTS" >/dev/null || rc=$?
[ "$rc" -eq 77 ] && { echo "# no ffmpeg with the fixtures' encoders: skipped"; exit 77; }
[ "$rc" -eq 0 ] || { echo "# make-layouts.sh failed ($rc)"; exit 1; }
setup
# A copy: this test deletes and truncates recordings.
REC="$T/rec"
mkdir -p "$REC"
cp "$LAYOUTS"/ffmpeg_ts/cam1-2026-01-15_11-00-0*.ts "$LAYOUTS"/ffmpeg_ts/cam1-2026-01-15_11-00-1*.ts "$REC/"
ctl segments import --stream "$STREAM" "$REC" 2>/dev/null
expect_eq "four segments indexed" 4 "$(sql "SELECT count(*) FROM segments")"
seg() { sql "SELECT id FROM segments WHERE path LIKE '%$1'"; }
S0=$(seg 11-00-00.ts) S1=$(seg 11-00-04.ts) S2=$(seg 11-00-14.ts) S3=$(seg 11-00-18.ts)
USER_ID=$(sql "SELECT id FROM users WHERE login='alice'")

# archive ID_VAR NAME SIZE: an active download whose file is NAME in the
# downloads directory, SIZE bytes recorded.
archive() {
	local id
	id=$(sql "INSERT INTO downloads(user_id, stream_id, from_us, to_us, name, path, condition,
		is_file_exists, size, created_at, updated_at, expires_at) VALUES ($USER_ID, $STREAM,
		$BASE_US, $BASE_US + 8000000, 'x', '$2', 'active', 1, $3, 0, 0,
		$(( ($(date +%s) + 3600) * 1000000 ))) RETURNING id")
	eval "$1=$id"
}
head -c 5000 /dev/urandom >"$DL_DIR/kept.mp4"
archive A1 kept.mp4 5000

run_check() {
	RC=0
	OUT=$(ctl "$@" 2>&1 >"$T/check.json") || RC=$?
}
run_check check
expect_eq "all in order: exit 0" 0 "$RC"
check "all in order: says what it checked" grep -q "4 segments and 1 active archives checked; 0 segments and 0 archives" <<<"$OUT"

# --deep: every segment read whole lasts what import (head and tail only)
# recorded; a wrong length is found and --repair sets it from the whole read.
run_check check --deep
expect_eq "--deep, all in order: exit 0" 0 "$RC"
END1=$(sql "SELECT end_us FROM segments WHERE id=$S1")
sql "UPDATE segments SET end_us=end_us-40000 WHERE id=$S1"
run_check check
expect_eq "a wrong length: check without --deep does not see it" 0 "$RC"
run_check --json check --deep
expect_eq "--deep: a wrong length is exit 1" 1 "$RC"
check "--deep: named, with both lengths" \
	grep -q "segment $S1 of stream $STREAM: '.*11-00-04.ts' lasts 4.000000 s read whole, the index says 3.960000 s" <<<"$OUT"
expect_eq "--deep --json lists it" "$S1" "$(jq -r '.segments.length_mismatch[0].id' "$T/check.json")"
run_check check --deep --repair
expect_eq "--deep --repair: exit 0" 0 "$RC"
expect_eq "--deep --repair: the length is the whole read's" "$END1" \
	"$(sql "SELECT end_us FROM segments WHERE id=$S1")"

# A segment deleted, another cut short, an archive gone.
rm "$REC/cam1-2026-01-15_11-00-00.ts"
SIZE3=$(stat -c %s "$REC/cam1-2026-01-15_11-00-18.ts")
truncate -s $((SIZE3 / 2)) "$REC/cam1-2026-01-15_11-00-18.ts"
archive A2 gone.mp4 7000
run_check --json check
expect_eq "problems: exit 1" 1 "$RC"
check "the deleted segment is named" grep -q "segment $S0 of stream $STREAM: '$REC/cam1-2026-01-15_11-00-00.ts' is missing" <<<"$OUT"
check "the changed one too, with both sizes" \
	grep -q "segment $S3 of stream $STREAM: '.*11-00-18.ts' has $((SIZE3 / 2)) bytes, the index says $SIZE3" <<<"$OUT"
check "the missing archive" grep -q "archive of download $A2 of stream $STREAM: '$DL_DIR/gone.mp4' is missing" <<<"$OUT"
expect_eq "--json lists them" "$S0 $S3 $A2 false" \
	"$(jq -r '"\(.segments.missing[0].id) \(.segments.size_mismatch[0].id) \(.archives.missing[0].id) \(.ok)"' "$T/check.json")"
expect_eq "check alone changes nothing" "4 active" \
	"$(sql "SELECT (SELECT count(*) FROM segments) || ' ' || condition FROM downloads WHERE id=$A2")"

END3=$(sql "SELECT end_us FROM segments WHERE id=$S3")
run_check check --repair
expect_eq "--repair: exit 0" 0 "$RC"
check "--repair: says what it did" grep -q "repaired: 1 segment rows deleted, 1 updated, 1 archives expired" <<<"$OUT"
expect_eq "--repair: the missing segment's row is gone" 0 "$(sql "SELECT count(*) FROM segments WHERE id=$S0")"
expect_eq "--repair: the cut one has its new size" "$((SIZE3 / 2))" "$(sql "SELECT bytes FROM segments WHERE id=$S3")"
check "--repair: ...and its shorter length" test "$(sql "SELECT end_us FROM segments WHERE id=$S3")" -lt "$END3"
expect_eq "--repair: the archive is expired, no file" "expired|0|0|NULL" \
	"$(sql "SELECT condition, is_actual, is_file_exists, coalesce(path, 'NULL') FROM downloads WHERE id=$A2")"
expect_eq "--repair: with its archive_expired event" 1 \
	"$(sql "SELECT count(*) FROM events WHERE download_id=$A2 AND type='archive_expired'")"
expect_eq "--repair: the good archive is untouched" "active|1" \
	"$(sql "SELECT condition, is_file_exists FROM downloads WHERE id=$A1")"
run_check check
expect_eq "after --repair: exit 0" 0 "$RC"

# --- prune: a pending download over the 11:00:14 segment pins it.
sql "INSERT INTO downloads(user_id, stream_id, from_us, to_us, name, condition, created_at, updated_at)
	VALUES ($USER_ID, $STREAM, $BASE_US + 15000000, $BASE_US + 16000000, 'p', 'pending', 0, 0)"
OTHER=$(ctl stream add --camera "$CAMERA" --type low --url rtsp://x/low)
sql "INSERT INTO downloads(user_id, stream_id, from_us, to_us, name, condition, created_at, updated_at)
	VALUES ($USER_ID, $OTHER, $BASE_US, $BASE_US + 60000000, 'q', 'processing', 0, 0)"
out=$(ctl segments prune --older-than "2026-01-15 12:00:00" --dry-run 2>&1)
check "--dry-run: says what it would delete" grep -q "would delete 2 segments" <<<"$out"
expect_eq "--dry-run: deletes nothing" 3 "$(sql "SELECT count(*) FROM segments")"
out=$(ctl --json segments prune --older-than "2026-01-15 12:00:00" 2>/dev/null)
expect_eq "prune: two deleted, one kept for the pending download" "2 1 0" \
	"$(jq -r '"\(.deleted) \(.pinned) \(.errors)"' <<<"$out")"
expect_eq "prune: the pinned segment is what is left" "$S2" "$(sql_list , "SELECT id FROM segments")"
check "prune: its file is still there" test -e "$REC/cam1-2026-01-15_11-00-14.ts"
check "prune: the others' files are gone" test ! -e "$REC/cam1-2026-01-15_11-00-04.ts" -a ! -e "$REC/cam1-2026-01-15_11-00-18.ts"
sql "UPDATE downloads SET condition='failed' WHERE condition='pending'"
ctl segments prune --older-than 30d 2>/dev/null
expect_eq "prune: once the download is done, it goes too" 0 "$(sql "SELECT count(*) FROM segments")"
check "prune: and its file" test ! -e "$REC/cam1-2026-01-15_11-00-14.ts"

out=$(ctl check --stream 999 2>&1) && rc=0 || rc=$?
check "check: unknown stream, one line" test "$rc" -ne 0 -a "$(wc -l <<<"$out")" -eq 1
check "check: ...naming --stream" grep -q -- "--stream: no stream 999" <<<"$out"

finish
