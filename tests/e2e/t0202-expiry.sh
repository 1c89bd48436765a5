#!/bin/bash
# Archive expiry: archive-pushd's timer takes an archive out of service at
# its expires_at (file gone, row expired, /file answers 410, archive_expired
# pushed); a crash between the steps is repaired by pushd's next sweep and
# by "archivectl cleanup", which also removes orphan files; both running at
# once expire each archive exactly once.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/e2e/push/lib-push.sh"

command -v node >/dev/null || { echo "# node not installed: skipped"; exit 77; }
setup 'download_ttl = 3;'
push_npm
start_lighttpd
start_pushd
make_mp4 "$T/clip.mp4"
login bob 'correct horse battery'
BOB=$LOGIN_TOKEN BOB_UID=$LOGIN_USER_ID BOB_TID=$LOGIN_TOKEN_ID

rand_name() { echo "$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n').mp4"; }
row() { sql "SELECT condition, is_actual, is_file_exists, coalesce(path, 'NULL') FROM downloads WHERE id=$1"; }

# --- the timer, with a pusher-js client watching
client "$T/c1" --token "$BOB" --channel "private-user.$BOB_UID" \
	--channel "private-token.$BOB_TID" --events 2 --timeout 20
C1=$CLIENT_PID
wait_line "$T/c1" '.type == "subscribed"' || true
TOKEN=$BOB new_download
ID=$DL_ID
F1=$(rand_name)
ready_file "$F1"
publish "$ID" active "$F1" >/dev/null
TOKEN=$BOB api GET "/api/admin/v1/downloads/$ID"
URL=$(jbody .url)
expect_eq "active first" active "$(jbody .condition)"
wait "$C1" || true
expect_eq "archive_generated, then archive_expired" "archive_generated archive_expired" \
	"$(jq -r 'select(.type == "event") | .data.data.type' "$T/c1" | xargs)"
EXP=$(jq -c 'select(.type == "event" and .data.data.type == "archive_expired")' "$T/c1")
expect_eq "expired push: status ok, url null" "ok null" \
	"$(jq -r '.data.data | "\(.status) \(.data.url)"' <<<"$EXP")"
expect_eq "expired push carries the expired download" "$ID expired false" \
	"$(jq -r '.data.data.data.download | "\(.id) \(.condition) \(.is_actual)"' <<<"$EXP")"
check "the file is gone" test ! -e "$DL_DIR/$F1"
expect_eq "the row: expired, not actual, no file" "expired|0|0|NULL" "$(row "$ID")"
LATE=$(sql "SELECT e.created_at - d.expires_at FROM events e JOIN downloads d
	ON d.id = e.download_id WHERE e.type='archive_expired' AND d.id=$ID")
check "expired on time (within 1.5 s: $LATE us)" test "$LATE" -ge 0 -a "$LATE" -lt 1500000
TOKEN=$BOB api GET "/api/admin/v1/downloads/$ID/file"
expect_eq "GET .../file answers 410" 410 "$STATUS"
expect_eq "the signed link answers 410" 410 "$(curl -s -o /dev/null -w '%{http_code}' "$URL")"
TOKEN=$BOB api GET "/api/admin/v1/downloads/$ID"
expect_eq "the object says so" "expired false false " \
	"$(jbody '"\(.condition) \(.is_actual) \(.is_file_exists) \(.url)"')"

# --- a crash between step 1 and the unlink: pushd's first sweep repairs it
stop_pushd
TOKEN=$BOB new_download
ID2=$DL_ID
F2=$(rand_name)
ready_file "$F2"
publish --no-kick --expires-in 3600 "$ID2" active "$F2" >/dev/null
sql "UPDATE downloads SET condition='expired', is_actual=0 WHERE id=$ID2"
start_pushd
for _ in $(seq 1 60); do [ -e "$DL_DIR/$F2" ] || break; sleep 0.05; done
check "pushd's sweep removes the file left behind" test ! -e "$DL_DIR/$F2"
sleep 0.2
expect_eq "and finishes the row" "expired|0|0|NULL" "$(row "$ID2")"
check "and says so in its log" grep -q "download=$ID2: finished removing" "$T/pushd.log"

# --- the same, an expiry due, and orphans, by archivectl cleanup alone
stop_pushd
TOKEN=$BOB new_download
ID3=$DL_ID
F3=$(rand_name)
ready_file "$F3"
publish --no-kick --expires-in 3600 "$ID3" active "$F3" >/dev/null
sql "UPDATE downloads SET condition='cancelled', is_actual=0 WHERE id=$ID3"
TOKEN=$BOB new_download
ID4=$DL_ID
F4=$(rand_name)
ready_file "$F4"
publish --no-kick --expires-in 0 "$ID4" active "$F4" >/dev/null
# A file a crash left between rename and commit: its row exists and does
# not own it.
ready_file "$ID3-orphan.mp4"
touch -d '2 hours ago' "$DL_DIR/$ID3-orphan.mp4"
ready_file .tmp-99-dead
touch -d '2 hours ago' "$DL_DIR/.tmp-99-dead"
ready_file fresh.mp4
ready_file .tmp-100-live
OUT=$(ctl cleanup 2>"$T/cleanup.err") && RC=0 || RC=$?
expect_eq "archivectl cleanup exits 0" 0 "$RC"
expect_eq "and prints nothing (cron mails output)" "" "$OUT$(cat "$T/cleanup.err")"
check "it finishes the interrupted removal" test ! -e "$DL_DIR/$F3"
expect_eq "cancelled row finished" "cancelled|0|0|NULL" "$(row "$ID3")"
check "it expires what is due" test ! -e "$DL_DIR/$F4"
expect_eq "expired row" "expired|0|0|NULL" "$(row "$ID4")"
expect_eq "with its archive_expired event" 1 \
	"$(sql "SELECT count(*) FROM events WHERE type='archive_expired' AND download_id=$ID4")"
check "an old orphan file is removed" test ! -e "$DL_DIR/$ID3-orphan.mp4"
check "a dead worker's old temp file is removed" test ! -e "$DL_DIR/.tmp-99-dead"
check "a fresh unowned file is kept (may be about to be committed)" test -e "$DL_DIR/fresh.mp4"
# An archive whose row vanished with no recorded transition (a restored
# database, a lost WAL) is evidence: kept, and said so.
ready_file 99999-vanished.mp4
touch -d '2 hours ago' "$DL_DIR/99999-vanished.mp4"
OUT=$(ctl cleanup 2>&1) && RC=0 || RC=$?
expect_eq "cleanup with a vanished row's file exits 0" 0 "$RC"
check "that file is kept" test -e "$DL_DIR/99999-vanished.mp4"
check "and cleanup says why" grep -q "kept .*99999-vanished.mp4.*does not know" <<<"$OUT"
rm -f "$DL_DIR/99999-vanished.mp4"
check "a live worker's temp file is kept" test -e "$DL_DIR/.tmp-100-live"
expect_eq "--json: nothing left to do" \
	'{"expired":0,"repaired":0,"orphans":0,"events":0,"errors":0}' "$(ctl --json cleanup)"

# --- pushd and cron at once: each archive expires exactly once
start_pushd
IDS=""
for _ in $(seq 1 8); do
	TOKEN=$BOB new_download
	F=$(rand_name)
	ready_file "$F"
	publish --expires-in 2 "$DL_ID" active "$F" >/dev/null
	IDS="$IDS${IDS:+,}$DL_ID"
done
# All due at one instant, and two cron runs racing pushd's timer for them.
sql "UPDATE downloads SET expires_at=(SELECT max(expires_at) FROM downloads
	WHERE id IN ($IDS)) + 1000000 WHERE id IN ($IDS)"
cron_loop() {
	local end=$(( $(date +%s%N) + 4500000000 ))
	while [ "$(date +%s%N)" -lt "$end" ]; do
		ctl --json cleanup >>"$T/cron$1.out" 2>>"$T/cleanup.err" ||
		    echo fail >>"$T/cron$1.fail"
	done
}
cron_loop 1 &
L1=$!
cron_loop 2 &
L2=$!
wait "$L1" "$L2"
sleep 0.3
CRON_FAILS=$(cat "$T"/cron*.fail 2>/dev/null | wc -l)
BY_CRON=$(cat "$T"/cron*.out | jq -s 'map(.expired) | add')
echo "# of 8 expiries, archivectl cleanup did $BY_CRON, archive-pushd the rest"
expect_eq "cleanup never failed alongside pushd" 0 "$CRON_FAILS"
expect_eq "all expired" 8 "$(sql "SELECT count(*) FROM downloads WHERE id IN ($IDS)
	AND condition='expired' AND is_file_exists=0 AND path IS NULL")"
expect_eq "one archive_expired event each" 8 \
	"$(sql "SELECT count(DISTINCT download_id) || '/' || count(*) FROM events
	WHERE type='archive_expired' AND download_id IN ($IDS)" | sed 's|8/8|8|')"
expect_eq "no archive left behind" "fresh.mp4" "$(ls "$DL_DIR" | xargs)"

stop_pushd
expect_eq "archive-pushd exits 0 on SIGTERM" 0 "$PUSHD_STATUS"
finish
