#!/bin/bash
# downloads.fcgi as plain CGI (one request from the environment), its
# configuration checks, and time zones whatever the host's TZ.
. "$(dirname "$0")/lib.sh"

setup

# cgi METHOD URI [BODY]: run one request; the response is in $T/cgi.
cgi() {
	local body=${3:-}
	printf '%s' "$body" | env REQUEST_METHOD="$1" REQUEST_URI="$2" \
		HTTP_AUTHORIZATION="Bearer $TOKEN" CONTENT_TYPE=application/json \
		CONTENT_LENGTH=${#body} REMOTE_ADDR=127.0.0.1 "$FCGI" > "$T/cgi"
	STATUS=$(sed -n '1s/^Status: \([0-9]*\).*/\1/p' "$T/cgi" | tr -d '\r')
	sed '1,/^\r$/d' "$T/cgi" > "$T/body"
}

cgi GET /api/admin/v1/user
expect_eq "CGI request answered" 200 "$STATUS"
expect_eq "CGI user" alice "$(jbody .login)"
check "CGI response has a JSON content type" grep -q '^Content-Type: application/json' "$T/cgi"

# The same wall-clock request under any host TZ gives the same instant.
for tz in UTC Asia/Tokyo America/Los_Angeles; do
	TZ=$tz cgi POST /api/admin/v1/downloads \
		"{\"stream_id\": $STREAM, \"from\": \"2025-07-01 12:00:00\", \"to\": \"2025-07-01 12:05:00\"}"
	expect_eq "host TZ=$tz: stored instant from the configured zone" 1751364000000000 \
		"$(sql "SELECT from_us FROM downloads WHERE id=$(jbody .id)")"
	expect_eq "host TZ=$tz: shown back in the configured zone" "2025-07-01 12:00:00" "$(jbody .from)"
done

# Daylight saving in Europe/Berlin: 02:30 on 2025-03-30 does not exist (it
# moves forward by the gap, to 03:30 CEST); 02:30 on 2025-10-26 happens
# twice (the earlier, CEST one, is taken).
cgi POST /api/admin/v1/downloads \
	"{\"stream_id\": $STREAM, \"from\": \"2025-03-30 02:30:00\", \"to\": \"2025-03-30 03:45:00\"}"
expect_eq "DST gap resolved forward" 1743298200000000 \
	"$(sql "SELECT from_us FROM downloads WHERE id=$(jbody .id)")"
expect_eq "DST gap shown as the real local time" "2025-03-30 03:30:00" "$(jbody .from)"
cgi POST /api/admin/v1/downloads \
	"{\"stream_id\": $STREAM, \"from\": \"2025-10-26 02:30:00\", \"to\": \"2025-10-26 02:45:00\"}"
expect_eq "DST fold takes the earlier instant" 1761438600000000 \
	"$(sql "SELECT from_us FROM downloads WHERE id=$(jbody .id)")"
cgi POST /api/admin/v1/downloads \
	"{\"stream_id\": $STREAM, \"from\": \"2025-10-26T02:30:00+01:00\", \"to\": \"2025-10-26T02:45:00+01:00\"}"
expect_eq "an explicit offset picks the later one" 1761442200000000 \
	"$(sql "SELECT from_us FROM downloads WHERE id=$(jbody .id)")"

# Configuration errors: one line naming the key and its line, status 2.
printf 'data_dir = "%s";\nworkers = "many";\n' "$T/data" > "$T/bad.conf"
out=$("$FCGI" -n --config "$T/bad.conf" 2>&1) && rc=0 || rc=$?
expect_eq "bad config exits 2" 2 "$rc"
expect_eq "bad config names key and line" \
	"downloads.fcgi: $T/bad.conf:2: config key 'workers': expected an integer" "$out"
printf 'data_dir = "%s";\nworkerz = 3;\n' "$T/data" > "$T/bad.conf"
out=$("$CTL" -n --config "$T/bad.conf" 2>&1) && rc=0 || rc=$?
expect_eq "unknown key exits 2" 2 "$rc"
expect_eq "unknown key named" "archivectl: $T/bad.conf:2: config key 'workerz': unknown key" "$out"
printf 'pusher = {\n  max_frame = 10;\n};\n' > "$T/bad.conf"
out=$("$CTL" -n --config "$T/bad.conf" 2>&1) && rc=0 || rc=$?
expect_eq "out of range names the group key" \
	"archivectl: $T/bad.conf:2: config key 'pusher.max_frame': 10 is out of range 1024..16777216" "$out"
printf 'timezone = "Mars/Olympus";\n' > "$T/bad.conf"
out=$("$CTL" -n --config "$T/bad.conf" 2>&1) && rc=0 || rc=$?
check "unknown time zone refused" grep -q "config key 'timezone'" <<<"$out"
printf 'workers = 3;\nmax_pending = = 2;\n' > "$T/bad.conf"
out=$("$CTL" -n --config "$T/bad.conf" 2>&1) && rc=0 || rc=$?
expect_eq "syntax error exits 2" 2 "$rc"
check "syntax error names the line" grep -q "bad.conf:2:" <<<"$out"
out=$("$CTL" -n --config "$T/missing.conf" 2>&1) && rc=0 || rc=$?
expect_eq "a named missing file is an error" 2 "$rc"
out=$("$CTL" -n --config "$CONF" 2>&1) && rc=0 || rc=$?
expect_eq "a good file checks OK" 0 "$rc"
out=$(env -u ARCHIVED_CONFIG "$FCGI" -n 2>&1) && rc=0 || rc=$?
expect_eq "no file at all: embedded defaults" 0 "$rc"

# No database: 503 with a JSON body, and the reason only in the log.
write_config
sed -i -e "s|^data_dir = .*|data_dir = \"$T/nowhere\";|" \
	-e "s|^database = \"postgresql:///archived?|database = \"postgresql:///nowhere?|" "$CONF"
cgi GET /api/admin/v1/user 2>"$T/err"
expect_eq "missing database: 503" 503 "$STATUS"
check "503 body is JSON without paths" sh -c "jq -e .message '$T/body' >/dev/null && ! grep -q nowhere '$T/body'"
check "the log says why" grep -q "cannot open database" "$T/err"

# A database from a newer version is refused, not used.
write_config
sql "UPDATE schema_version SET version = version + 1"
cgi GET /api/admin/v1/user 2>"$T/err"
expect_eq "newer schema: 503" 503 "$STATUS"
check "newer schema logged" grep -q "newer than this program" "$T/err"
out=$(ctl user list 2>&1) && rc=0 || rc=$?
check "archivectl refuses a newer schema" test "$rc" -ne 0
out=$(ctl init 2>&1) && rc=0 || rc=$?
check "init refuses to downgrade" test "$rc" -ne 0
sql "UPDATE schema_version SET version = version - 1"

finish
