#!/bin/bash
# The database's WAL file deleted under the running service (an operator's
# "cleanup", a failing disk): the responder must notice and refuse with a
# 503 and a clear log line, never answer 200 to writes that go to the
# unlinked file and are lost (and whose ids would be used again).
# SQLite's alone: on PostgreSQL the files are the server's.
if [ "${ARCHIVED_TEST_DB:-sqlite}" = postgresql ]; then
	echo "# SKIP: a SQLite file's WAL; PostgreSQL keeps its own files"
	exit 77
fi
. "$(dirname "$0")/lib.sh"

setup "log_file = \"$T/archived.log\";"
start_lighttpd
P=/api/admin/v1/downloads
BODY="{\"stream_id\": $STREAM, \"from\": \"2019-09-20 16:00:00\", \"to\": \"2019-09-20 16:10:00\"}"
api POST $P "$BODY"
expect_eq "a download is created" 200 "$STATUS"
check "the WAL file exists" test -e "$T/data/archived.db-wal"

rm -f "$T/data/archived.db-wal"
BEFORE=$(ls "$T/data")
for i in 1 2 3; do
	api POST $P "$BODY"
	expect_eq "write $i after the WAL was deleted: 503" 503 "$STATUS"
done
api GET "$P"
expect_eq "reads too: the connection is not trusted any more" 503 "$STATUS"
check "the answer names no path or SQL" sh -c "! grep -Eq 'wal|/|SELECT' '$T/body'"
check "the log says what happened" grep -q "was deleted or replaced while in use" "$T/archived.log"
# lighttpd runs two responder processes, each with its connection.
check "said once per connection, not per request" \
	test "$(grep -c 'was deleted or replaced while in use' "$T/archived.log")" -le 2

finish
