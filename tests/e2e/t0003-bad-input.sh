#!/bin/bash
# The bad-input table: every rejected request answers 4xx with a JSON body
# naming the problem, in the order 401 -> 402 -> 422 -> 404, and writes
# nothing.
. "$(dirname "$0")/lib.sh"

setup "max_range = 3600;" "max_pending = 3;"
start_lighttpd

GOOD_FROM="2019-09-20 16:00:00"
count_rows() { sql "SELECT (SELECT count(*) FROM downloads) || '/' || (SELECT count(*) FROM events)"; }
BEFORE=$(count_rows)

# bad METHOD PATH BODY STATUS FIELD DESCRIPTION: expect STATUS, a JSON body,
# and (for 422) an errors entry for FIELD.
bad() {
	local method=$1 path=$2 body=$3 want=$4 field=$5 what=$6
	api "$method" "$path" "$body"
	expect_eq "$what: status" "$want" "$STATUS"
	if ! jq -e .message "$T/body" >/dev/null 2>&1; then
		not_ok "$what: body is not JSON with a message"
	elif [ -n "$field" ] && ! jq -e --arg f "$field" '.errors[$f] | length > 0' "$T/body" >/dev/null; then
		not_ok "$what: no error for field '$field' in $(cat "$T/body")"
	else
		ok "$what: JSON names the problem"
	fi
}

P=/api/admin/v1/downloads
bad POST $P '{"stream_id": 1, "from": ' 422 body "malformed JSON"
bad POST $P '[1, 2]' 422 body "JSON that is not an object"
bad POST $P '{"stream_id": 1, "stream_id": 2, "from": "a", "to": "b"}' 422 body "duplicate keys"
bad POST $P "{\"stream_id\": \"one\", \"from\": \"$GOOD_FROM\", \"to\": \"2019-09-20 16:10:00\"}" 422 stream_id "stream_id a string"
bad POST $P "{\"stream_id\": 1.5, \"from\": \"$GOOD_FROM\", \"to\": \"2019-09-20 16:10:00\"}" 422 stream_id "stream_id a fraction"
bad POST $P "{\"stream_id\": true, \"from\": \"$GOOD_FROM\", \"to\": \"2019-09-20 16:10:00\"}" 422 stream_id "stream_id a boolean"
bad POST $P "{\"stream_id\": $STREAM, \"from\": 20190920, \"to\": \"2019-09-20 16:10:00\"}" 422 from "from a number"
bad POST $P "{\"stream_id\": $STREAM, \"from\": [\"$GOOD_FROM\"], \"to\": \"2019-09-20 16:10:00\"}" 422 from "from an array"
bad POST $P "{\"stream_id\": $STREAM, \"from\": \"2019-02-30 10:00:00\", \"to\": \"2019-03-01 10:10:00\"}" 422 from "2019-02-30"
bad POST $P "{\"stream_id\": $STREAM, \"from\": \"20.09.2019 16:00\", \"to\": \"2019-09-20 16:10:00\"}" 422 from "from in another format"
bad POST $P "{\"stream_id\": $STREAM, \"from\": \"2019-09-20 16:10:00\", \"to\": \"$GOOD_FROM\"}" 422 to "to before from"
bad POST $P "{\"stream_id\": $STREAM, \"from\": \"$GOOD_FROM\", \"to\": \"$GOOD_FROM\"}" 422 to "to equal to from"
bad POST $P "{\"stream_id\": $STREAM, \"from\": \"$GOOD_FROM\", \"to\": \"2019-09-20 17:00:01\"}" 422 to "range over max_range"
# A range may end in the future (the download waits for its footage), but
# not further ahead than max_range.
in_tz() { TZ=${TEST_TZ:-Europe/Berlin} date -d "$1" '+%Y-%m-%d %H:%M:%S'; }
bad POST $P "{\"stream_id\": $STREAM, \"from\": \"$(in_tz '+110 minutes')\", \"to\": \"$(in_tz '+2 hours')\"}" 422 to "to more than max_range ahead"
bad POST $P "{\"stream_id\": 999, \"from\": \"$GOOD_FROM\", \"to\": \"2019-09-20 16:10:00\"}" 422 stream_id "unknown stream"
bad POST $P "{\"camera_id\": 999, \"from\": \"$GOOD_FROM\", \"to\": \"2019-09-20 16:10:00\"}" 422 camera_id "unknown camera"
bad POST $P "{\"from\": \"$GOOD_FROM\", \"to\": \"2019-09-20 16:10:00\"}" 422 stream_id "no stream or camera"
bad POST $P '{}' 422 from "empty object"
expect_eq "every reason listed" "3" "$(jbody '.errors | length')"
check "message counts the other errors" grep -q 'and 2 more errors' "$T/body"
bad POST /api/v1/downloads "{\"from\": \"$GOOD_FROM\", \"to\": \"2019-09-20 16:10:00\", \"ids\": [1, 999]}" 422 ids.1 "client API: unknown camera in ids"
bad POST /api/v1/downloads "{\"from\": \"$GOOD_FROM\", \"to\": \"2019-09-20 16:10:00\", \"ids\": 1}" 422 ids "client API: ids not an array"
# As Laravel does: a bad page or per_page falls back to the default.
api GET "$P?per_page=1000"
expect_eq "per_page over 100: the default" "200 25" "$STATUS $(jbody .meta.per_page)"
api GET "$P?page=0&per_page=x"
expect_eq "page 0: the first page" "200 1 25" "$STATUS $(jbody .meta.current_page) $(jbody .meta.per_page)"
bad GET "$P?condition=done" "" 422 condition "unknown condition filter"
bad GET "$P?condition=failed&x=%zz" "" 422 query "a malformed query string is refused, not ignored"

# 70 KiB body: 413, and nothing read into the database.
head -c 71680 /dev/zero | tr '\0' 'x' > "$T/big"
api POST $P "" -H 'Content-Type: application/json' --data-binary @"$T/big"
expect_eq "70 KiB body: 413" 413 "$STATUS"
check "413 body is JSON" json_message
api POST $P "" -H 'Content-Type: text/plain' --data-binary 'from=x'
expect_eq "text/plain body: 415" 415 "$STATUS"
check "415 body is JSON" json_message

# Authentication: missing, garbage, wrong secret, revoked, expired.
GOOD=$TOKEN
TOKEN="" bad GET $P "" 401 "" "missing token"
TOKEN="garbage" bad GET $P "" 401 "" "garbage token"
TOKEN="${GOOD%%|*}|$(printf 'x%.0s' $(seq 40))" bad GET $P "" 401 "" "wrong secret"
TOKEN="${GOOD}x" bad GET $P "" 401 "" "secret too long"
REVOKED=$(ctl token create --user alice)
ctl token revoke "${REVOKED%%|*}"
TOKEN=$REVOKED bad GET $P "" 401 "" "revoked token"
OLD=$(ctl token create --user alice --expires-in 1)
sleep 1.1
TOKEN=$OLD bad GET $P "" 401 "" "expired token"
expect_eq "401 says Unauthenticated." "Unauthenticated." "$(jbody .message)"
TOKEN="" bad POST $P '{"from": 1}' 401 "" "401 comes before 422"
TOKEN=$GOOD

# Logins: wrong password is 422 on login; the sixth failure in a minute is 429.
printf 's3cret pass\n' | ctl user add --login carol --password-stdin >/dev/null
for i in 1 2 3 4 5; do
	TOKEN="" bad POST /api/v1/token '{"login": "carol", "password": "wrong"}' 422 login "wrong password $i"
done
TOKEN="" bad POST /api/v1/token '{"login": "carol", "password": "s3cret pass"}' 429 "" "locked after 5 failures"
check "429 says when to retry" test -n "$(header Retry-After)"
TOKEN="" bad POST /api/v1/token '{"login": "nobody", "password": "x"}' 422 login "unknown login"
TOKEN="" bad POST /api/v1/token '{"login": "carol"}' 422 password "no password"
check "no password in the login answer" sh -c "! grep -q 's3cret' '$T/body'"

# Another user's download: 404, never 403 (its existence is not revealed).
api POST $P "{\"stream_id\": $STREAM, \"from\": \"$GOOD_FROM\", \"to\": \"2019-09-20 16:10:00\"}"
expect_eq "a good request still works" 200 "$STATUS"
MINE=$(jbody .id)
BEFORE=$(count_rows)
OTHER=$(ctl token create --user dave)
TOKEN=$OTHER bad GET "$P/$MINE" "" 404 "" "another user's download id"
TOKEN=$OTHER bad DELETE "$P/$MINE" "" 404 "" "deleting another user's download"
TOKEN=$OTHER bad GET "$P/999999" "" 404 "" "no such download"
TOKEN=$OTHER bad GET "/api/admin/v1/streams/999999/archive?from=yesterday" "" 422 from \
	"422 comes before 404"
# Unknown fields are ignored, as Laravel does (the apps send extras), and
# never stored.
api POST $P "{\"stream_id\": $STREAM, \"from\": \"$GOOD_FROM\", \"to\": \"2019-09-20 16:10:00\", \"camera\": 1, \"name\": \"evil\", \"user_id\": 1}"
expect_eq "unknown fields ignored" 200 "$STATUS"
check "an unknown name is not used" sh -c "! grep -q evil '$T/body'"
api DELETE "$P/$(jbody .id)"

# max_pending: the fourth unfinished download is 429.
api POST $P "{\"stream_id\": $STREAM, \"from\": \"$GOOD_FROM\", \"to\": \"2019-09-20 16:10:00\"}"
api POST $P "{\"stream_id\": $STREAM, \"from\": \"$GOOD_FROM\", \"to\": \"2019-09-20 16:10:00\"}"
expect_eq "third pending download accepted" 200 "$STATUS"
BEFORE=$(count_rows)
bad POST $P "{\"stream_id\": $STREAM, \"from\": \"$GOOD_FROM\", \"to\": \"2019-09-20 16:10:00\"}" 429 "" "over max_pending"
bad POST /api/v1/downloads "{\"from\": \"$GOOD_FROM\", \"to\": \"2019-09-20 16:10:00\", \"ids\": [$CAMERA]}" 429 "" "client API over max_pending"

# Signed URLs: make one download active with a real file, then tamper.
printf 'not really an mp4, but bytes\n' > "$DL_DIR/a.mp4"
sql "UPDATE downloads SET condition='active', is_file_exists=1, path='a.mp4', size=29,
	expires_at=$(( ($(date +%s) + 3600) * 1000000 )) WHERE id=$MINE"
api GET "$P/$MINE"
URL=$(jbody .url)
check "active download has a signed url" test -n "$URL"
code=$(curl -s -o "$T/got" -w '%{http_code}' "$URL")
expect_eq "signed URL downloads without a token" 200 "$code"
check "the bytes are the file's" cmp -s "$T/got" "$DL_DIR/a.mp4"
code=$(curl -s -o "$T/got" -w '%{http_code}' -r 4-9 "$URL")
expect_eq "Range request answered by the web server" 206 "$code"
expect_eq "Range bytes" "really" "$(cat "$T/got")"
code=$(curl -s -o "$T/body" -w '%{http_code}' "${URL%?}0")
[ "${URL: -1}" = 0 ] && code=$(curl -s -o "$T/body" -w '%{http_code}' "${URL%?}1")
expect_eq "tampered signature: 403" 403 "$code"
check "tampered signature body is JSON" json_message
EXP=$(echo "$URL" | sed -E 's/.*expires=([0-9]+).*/\1/')
code=$(curl -s -o "$T/body" -w '%{http_code}' "${URL/expires=$EXP/expires=$((EXP + 100))}")
expect_eq "tampered expires: 403" 403 "$code"
code=$(curl -s -o "$T/body" -w '%{http_code}' "${URL/downloads\/$MINE\//downloads\/$((MINE + 1))\/}")
expect_eq "signature of another download: 403" 403 "$code"
# A symbolic link in the downloads directory (an operator's mistake, or
# an attacker with a foothold) must never be served: it could point at the
# database and its signing keys. A directory neither.
ln -s "$T/data/archived.db" "$DL_DIR/link.mp4"
mkdir "$DL_DIR/dir.mp4"
for f in link.mp4 dir.mp4; do
	sql "UPDATE downloads SET path='$f' WHERE id=$MINE"
	code=$(curl -s -o "$T/got" -w '%{http_code}' "$URL")
	expect_eq "$f in the downloads directory: 410" 410 "$code"
	check "$f: no database bytes served" sh -c "! grep -q 'SQLite format' '$T/got'"
done
sql "UPDATE downloads SET path='a.mp4' WHERE id=$MINE"
rm -rf "$DL_DIR/link.mp4" "$DL_DIR/dir.mp4"
sql "UPDATE downloads SET expires_at=$(( ($(date +%s) - 10) * 1000000 )) WHERE id=$MINE"
api GET "$P/$MINE"
code=$(curl -s -o "$T/body" -w '%{http_code}' "$(jbody .url)")
expect_eq "expired signed URL: 410" 410 "$code"
check "expired link body is JSON" json_message

# An id used again (a database restored from a backup, say): the link made
# for the old archive must not open the new one, another user's.
api POST $P "{\"stream_id\": $STREAM, \"from\": \"$GOOD_FROM\", \"to\": \"2019-09-20 16:10:00\"}"
OLD=$(jbody .id)
printf 'alice archive\n' > "$DL_DIR/old.mp4"
sql "UPDATE downloads SET condition='active', is_file_exists=1, path='old.mp4', size=14,
	expires_at=$(( ($(date +%s) + 3600) * 1000000 )) WHERE id=$OLD"
api GET "$P/$OLD"
OLD_URL=$(jbody .url)
check "the old link opens the old archive" sh -c "curl -s '$OLD_URL' | grep -q 'alice archive'"
sql "DELETE FROM events WHERE download_id=$OLD; DELETE FROM downloads WHERE id=$OLD"
# SQLite gives the highest id again by itself; PostgreSQL's sequence is set
# back, as a restored dump would.
[ -z "$DB_URL" ] || sql "SELECT setval(pg_get_serial_sequence('downloads', 'id'), $OLD - 1)" >/dev/null
TOKEN=$OTHER api POST $P "{\"stream_id\": $STREAM, \"from\": \"$GOOD_FROM\", \"to\": \"2019-09-20 16:10:00\"}"
expect_eq "the id is used again, by another user" "$OLD" "$(jbody .id)"
printf 'dave archive\n' > "$DL_DIR/new.mp4"
sql "UPDATE downloads SET condition='active', is_file_exists=1, path='new.mp4', size=13,
	expires_at=$(( ($(date +%s) + 3600) * 1000000 )) WHERE id=$OLD"
code=$(curl -s -o "$T/got" -w '%{http_code}' "$OLD_URL")
expect_eq "the old link does not open the new archive: 404" 404 "$code"
check "not a byte of it" sh -c "! grep -q 'dave archive' '$T/got'"
TOKEN=$OTHER api GET "$P/$OLD"
code=$(curl -s -o "$T/got" -w '%{http_code}' "$(jbody .url)")
expect_eq "the new archive's own link works" 200 "$code"
sql "DELETE FROM events WHERE download_id=$OLD; DELETE FROM downloads WHERE id=$OLD"

# Licences: expired, lacking the feature, too many cameras, unreadable.
lic() { printf '%s\n' "$@" > "$T/licence.conf"; }
write_config "license_file = \"$T/licence.conf\";"
lic 'holder = "ACME";' 'expires = "2020-01-01";' 'features = ["archive_export"];' 'max_cameras = 10;'
bad GET $P "" 402 "" "expired licence"
expect_eq "402 gives the reason" "License error: licence expired on 2020-01-01" "$(jbody .message)"
TOKEN="" bad GET $P "" 401 "" "401 comes before 402"
bad POST $P '{"from": 1}' 402 "" "402 comes before 422"
lic 'holder = "ACME";' 'expires = "2099-01-01";' 'features = ["live"];' 'max_cameras = 10;'
bad GET $P "" 402 "" "licence without archive_export"
lic 'holder = "ACME";' 'expires = "2099-01-01";' 'features = ["archive_export"];' 'max_cameras = 0;'
bad GET $P "" 402 "" "more cameras than licensed"
lic 'holder = "ACME"' 'this is not libconfig'
bad GET $P "" 402 "" "malformed licence"
rm -f "$T/licence.conf"
bad GET $P "" 402 "" "unreadable licence"
lic 'holder = "ACME";' 'expires = "2099-01-01";' 'features = ["archive_export"];' 'max_cameras = 10;'
api GET $P
expect_eq "a valid licence file allows exports" 200 "$STATUS"
# No licence file configured: no licence check, whatever the camera count
# (a self-hosted install is never limited by surprise).
for i in $(seq 1 10); do ctl camera add --name "extra $i" >/dev/null; done
bad GET $P "" 402 "" "the licence file's limit holds with more cameras"
write_config
api GET $P
expect_eq "no licence file: no limit on cameras" 200 "$STATUS"

# Nothing was written by any rejected request.
expect_eq "no row added by rejected requests" "$BEFORE" "$(count_rows)"
check "no token or password in the web server's log" \
	sh -c "! grep -Eq 's3cret|456redko|${GOOD#*|}' '$T/lighttpd-error.log'"

finish
