#!/bin/bash
# downloads.fcgi unchanged behind a real Apache 2.4, with conf/apache/ as
# shipped: the API under mod_fcgid (the Authorization header passed on, a
# body over 64 KiB let through to the API's own 413), archives sent by
# mod_xsendfile (Range included, the file's path never shown to the
# client), and WebSocket upgrades proxied to archive-pushd by
# mod_proxy_wstunnel.
. "$(dirname "$0")/lib.sh"

APACHE=$(command -v apache2 || true)
[ -n "$APACHE" ] || { echo "# apache2 not installed: skipped"; exit 77; }
for mod in fcgid xsendfile proxy_wstunnel; do
	[ -e "/usr/lib/apache2/modules/mod_$mod.so" ] ||
		{ echo "# mod_$mod not installed: skipped"; exit 77; }
done

setup

# Apache will not serve as root: as root its children, and so mod_fcgid's
# responder, run as www-data, which must reach $T, write the database (and
# its WAL files, which SQLite run as root hands to the database's owner)
# and read downloads_dir. Not as root, everything runs as the caller.
if [ "$(id -u)" = 0 ]; then
	WWW_USER=www-data WWW_GROUP=www-data
	chmod 711 "$T"
	chown -R "$WWW_USER:$WWW_GROUP" "$T/data"
else
	WWW_USER=$(id -un) WWW_GROUP=$(id -gn)
fi
chmod 644 "$CONF"
# The build tree may sit where www-data cannot go (under /root, say): the
# responder runs from a copy in $T, the same binary.
FCGI_RUN="$T/apache/downloads.fcgi"
mkdir -p "$T/apache"
cp "$FCGI" "$FCGI_RUN"
if [ "$(id -u)" = 0 ] && ! runuser -u "$WWW_USER" -- test -x "$FCGI_RUN"; then
	echo "# $WWW_USER cannot reach $T (TMPDIR): skipped"
	exit 77
fi
# mod_fcgid gives the responder no environment but FcgidInitialEnv: the
# sanitizers' options are added on the command line (-c), with reports in
# a directory the responder may write; finish looks for them in $T.
mkdir -p "$T/san"
chown "$WWW_USER:$WWW_GROUP" "$T/san"
FCGI_ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:log_path=$T/san/asan"
FCGI_UBSAN_OPTIONS="print_stacktrace=1:log_path=$T/san/ubsan"

# stop_apache: SIGTERM to the foreground parent, which ends its children
# and mod_fcgid's responders; then the responders' sanitizer reports are
# moved where lib.sh's check_sanitizers reads them.
stop_apache() {
	stop_servers
	local f
	for f in "$T"/san/*; do
		[ -e "$f" ] && mv "$f" "$T/"
	done
	return 0
}

start_apache() {
	mkdir -p "$T/docroot"
	# In the foreground, in the background: its pid goes to PIDS.
	ARCHIVED_HTTP_USER=$WWW_USER ARCHIVED_HTTP_GROUP=$WWW_GROUP \
	ARCHIVED_HTTP_BIND=127.0.0.1 ARCHIVED_HTTP_PORT=$HTTP_PORT \
	ARCHIVED_STATE_DIR=$T/apache ARCHIVED_DOCROOT=$T/docroot ARCHIVED_FCGI=$FCGI_RUN \
	ARCHIVED_CONFIG=$CONF ARCHIVED_DOWNLOADS_DIR=$DL_DIR \
	ARCHIVED_PUSHD_PORT=$PUSHD_PORT \
		"$APACHE" -d "$top_srcdir/conf/apache" -f archived.conf -DFOREGROUND \
		-c "FcgidInitialEnv ASAN_OPTIONS $FCGI_ASAN_OPTIONS" \
		-c "FcgidInitialEnv UBSAN_OPTIONS $FCGI_UBSAN_OPTIONS" \
		>>"$T/apache-stderr.log" 2>&1 &
	PIDS="$PIDS $!"
	BASE="http://127.0.0.1:$HTTP_PORT"
	for _ in $(seq 1 50); do
		curl -s -o /dev/null "$BASE/" && return 0
		sleep 0.1
	done
	echo "# apache2 did not start"
	cat "$T/apache-stderr.log" "$T/apache/apache2-error.log" 2>/dev/null | sed 's/^/#   /'
	return 1
}

start_apache

# --- the API through mod_fcgid
P=/api/admin/v1/downloads
api POST $P "{\"stream_id\": $STREAM, \"from\": \"2019-09-20 16:13:20\", \"to\": \"2019-09-20 16:22:27\"}"
expect_eq "create (JSON) answers 200" 200 "$STATUS"
expect_eq "create: condition pending" pending "$(jbody .condition)"
ID=$(jbody .id)
# Apache hides Authorization from FastCGI programs unless
# FcgidPassHeader names it: without it this is 401.
api GET /api/admin/v1/user
expect_eq "the Bearer token reaches the responder" alice "$(jbody .login)"
api POST $P "" --data-urlencode "camera_id=$CAMERA" \
	--data-urlencode "from=2019-09-20T14:00:00Z" --data-urlencode "to=2019-09-20T14:05:00Z"
expect_eq "create (form body) answers 200" 200 "$STATUS"
expect_eq "form body: condition pending" pending "$(jbody .condition)"
TOKEN="" api GET $P
expect_eq "no token: 401" 401 "$STATUS"
expect_eq "401 is the API's JSON" "Unauthenticated." "$(jbody .message)"

# mod_fcgid must pass a 70 KiB body on (FcgidMaxRequestLen) for the API to
# refuse it with its own JSON, not Apache's HTML page.
head -c 71680 /dev/zero | tr '\0' 'x' > "$T/big"
api POST $P "" -H 'Content-Type: application/json' --data-binary @"$T/big"
expect_eq "70 KiB body: 413" 413 "$STATUS"
check "413 body is the API's JSON" json_message
check "413 Content-Type is JSON" grep -qi '^Content-Type: application/json' "$T/headers"

api PUT $P
expect_eq "wrong method: 405" 405 "$STATUS"
expect_eq "405 names the allowed methods" "GET, POST, HEAD" "$(header Allow)"

# Routing on REQUEST_URI: the path routes and the query string is seen.
api GET "$P?per_page=1&condition=pending"
expect_eq "list with a query string answers 200" 200 "$STATUS"
expect_eq "per_page from the query string" 1 "$(jbody .meta.per_page)"
expect_eq "both downloads counted" 2 "$(jbody .meta.total)"
expect_eq "list newest first" "$((ID + 1))" "$(jbody '.data[0].id')"
api GET "$P/$ID"
expect_eq "a download by id" "$ID" "$(jbody .id)"

# --- /file: the responder checks access, mod_xsendfile sends the bytes
printf 'not really an mp4, but bytes\n' > "$DL_DIR/a.mp4"
sql "UPDATE downloads SET condition='active', is_file_exists=1, path='a.mp4', size=29,
	expires_at=(CAST(strftime('%s','now') AS INTEGER) + 3600) * 1000000 WHERE id=$ID"
API_OUT="$T/got" api GET "$P/$ID/file"
expect_eq "file with the token: 200" 200 "$STATUS"
check "file with the token: the file's bytes" cmp -s "$T/got" "$DL_DIR/a.mp4"
check "no X-Sendfile reaches the client" lacks "X-Sendfile" "$(cat "$T/headers")"
check "the file's path is not shown" lacks "$DL_DIR" "$(cat "$T/headers")"
expect_eq "served as video/mp4" video/mp4 "$(header Content-Type)"
check "the responder's Content-Disposition is kept" \
	grep -qi '^Content-Disposition: attachment; filename=' "$T/headers"
API_OUT="$T/got" api GET "$P/$ID/file" "" -r 4-9
expect_eq "Range with the token: 206" 206 "$STATUS"
expect_eq "Range with the token: the bytes" really "$(cat "$T/got")"
expect_eq "Content-Range" "bytes 4-9/29" "$(header Content-Range)"
# Download managers ask with HEAD first: the size, and no body.
API_OUT="$T/got" api HEAD "$P/$ID/file" "" -I
expect_eq "HEAD of the file: 200" 200 "$STATUS"
expect_eq "HEAD of the file: its size" 29 "$(header Content-Length)"
check "HEAD of the file: no X-Sendfile" lacks "X-Sendfile" "$(cat "$T/headers")"

api GET "$P/$ID"
URL=$(jbody .url)
check "the signed url is on this server" test "${URL#"$BASE"/}" != "$URL"
code=$(curl -s -o "$T/got" -D "$T/headers" -w '%{http_code}' "$URL")
expect_eq "signed url without a token: 200" 200 "$code"
check "signed url: the file's bytes" cmp -s "$T/got" "$DL_DIR/a.mp4"
check "signed url: no X-Sendfile header" lacks "X-Sendfile" "$(cat "$T/headers")"
code=$(curl -s -o "$T/got" -D "$T/headers" -w '%{http_code}' -r 4-9 "$URL")
expect_eq "signed url Range: 206 from Apache" 206 "$code"
expect_eq "signed url Range: the bytes" really "$(cat "$T/got")"
code=$(curl -s -o "$T/body" -w '%{http_code}' "${URL/signature=/signature=0}")
expect_eq "a bad signature is the responder's 403" 403 "$code"

# --- WebSocket upgrades reach archive-pushd through /app/ and /ws/app/
if [ -x "$top_builddir/daemon/archive-pushd" ]; then
	"$top_builddir/daemon/archive-pushd" --config "$CONF" >>"$T/pushd.log" 2>&1 &
	PIDS="$PIDS $!"
	for _ in $(seq 1 100); do
		curl -s -o /dev/null "http://127.0.0.1:$PUSHD_PORT/" && break
		sleep 0.05
	done
	KEY=$(sql "SELECT value FROM settings WHERE name='pusher_key'")
	for prefix in /app /ws/app; do
		# curl speaks no WebSocket: it prints the 101 and then the raw first
		# frame, until --max-time ends it (status 28, expected).
		curl -s -i -N --http1.1 -H 'Connection: Upgrade' -H 'Upgrade: websocket' \
			-H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
			--max-time 2 "$BASE$prefix/$KEY?protocol=7&client=js&version=8.6.0" \
			> "$T/ws" 2>/dev/null || true
		check "$prefix: 101 Switching Protocols through Apache" \
			grep -aq '^HTTP/1.1 101 Switching Protocols' "$T/ws"
		check "$prefix: the handshake's accept key is pushd's" \
			grep -aqi '^Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=' "$T/ws"
		check "$prefix: first frame is pusher:connection_established" \
			grep -aq 'pusher:connection_established' "$T/ws"
	done
else
	echo "# daemon/archive-pushd not built: WebSocket proxy not checked"
fi

stop_apache
check "no token in Apache's logs" \
	sh -c "! grep -qF -- '${TOKEN#*|}' '$T/apache/apache2-error.log' '$T/apache/apache2-access.log'"
# A report written to stderr (where mod_fcgid's programs write) would land
# in the error log rather than in $T/san.
check "no sanitizer report in Apache's error log" \
	sh -c "! grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' '$T/apache/apache2-error.log'"

finish
