#!/bin/bash
# A full disk: deleting an archive is what frees space, so DELETE must work
# then (it answered 503: the row could not be marked before the file went).
# The data directory is a small tmpfs filled to the last byte.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ] || ! mkdir -p "$T/data" ||
	! mount -t tmpfs -o size=8m archived-test "$T/data" 2>/dev/null; then
	echo "# needs root and tmpfs mounts: skipped"
	exit 77
fi
trap 'stop_servers; umount "$T/data" 2>/dev/null; cleanup' EXIT

setup
start_lighttpd
P=/api/admin/v1/downloads
api POST $P "{\"stream_id\": $STREAM, \"from\": \"2019-09-20 16:00:00\", \"to\": \"2019-09-20 16:10:00\"}"
ID=$(jbody .id)
head -c 2000000 /dev/urandom > "$DL_DIR/$ID-x.mp4"
sql "UPDATE downloads SET condition='active', is_file_exists=1, path='$ID-x.mp4',
	size=2000000, expires_at=$(( ($(date +%s) + 3600) * 1000000 ))
	WHERE id=$ID"
api GET "$P/$ID"
expect_eq "the archive is active" active "$(jbody .condition)"

# Fill the disk: what is left, then a little more of every kind.
dd if=/dev/zero of="$T/data/filler" bs=64k 2>/dev/null || true
dd if=/dev/zero of="$T/data/filler2" bs=1 2>/dev/null || true
check "the disk is full" sh -c "! echo x > '$T/data/probe'"
api POST $P "{\"stream_id\": $STREAM, \"from\": \"2019-09-20 16:00:00\", \"to\": \"2019-09-20 16:10:00\"}"
if [ -z "$DB_URL" ]; then
	expect_eq "a new download cannot be written: 503" 503 "$STATUS"
else	# the database is the PostgreSQL server's, on its own disk
	expect_eq "a new download is written to PostgreSQL: 200" 200 "$STATUS"
fi

api DELETE "$P/$ID"
expect_eq "deleting on a full disk still works" 204 "$STATUS"
check "its file is gone" test ! -e "$DL_DIR/$ID-x.mp4"
api GET "$P/$ID"
expect_eq "and the download says cancelled" cancelled "$(jbody .condition)"

finish
