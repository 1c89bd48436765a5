# The checks every web server in front of downloads.fcgi must pass, sourced
# by t0005-nginx.sh and t0006-apache.sh after they start their server:
# the API through FastCGI, /file sent by the server (Range, HEAD, signed
# links) without its internal header, and WebSocket upgrades to pushd.
# Set SERVER (a name for messages), HIDDEN (the header that hands the file
# over) and HIDDEN_PATH (what of the internal path must not show).

P=/api/admin/v1/downloads
api POST $P "{\"stream_id\": $STREAM, \"from\": \"2019-09-20 16:13:20\", \"to\": \"2019-09-20 16:22:27\"}"
expect_eq "create (JSON) answers 200" 200 "$STATUS"
expect_eq "create: condition pending" pending "$(jbody .condition)"
ID=$(jbody .id)
# Every request header reaches the responder as HTTP_*, Authorization too
# (Apache hides it unless FcgidPassHeader names it: then this is 401).
api GET /api/admin/v1/user
expect_eq "the Bearer token reaches the responder" alice "$(jbody .login)"
api POST $P "" --data-urlencode "camera_id=$CAMERA" \
	--data-urlencode "from=2019-09-20T14:00:00Z" --data-urlencode "to=2019-09-20T14:05:00Z"
expect_eq "create (form body) answers 200" 200 "$STATUS"
expect_eq "form body: condition pending" pending "$(jbody .condition)"
TOKEN="" api GET $P
expect_eq "no token: 401" 401 "$STATUS"
expect_eq "401 is the API's JSON" "Unauthenticated." "$(jbody .message)"

# The server must pass a 70 KiB body on (nginx client_max_body_size,
# FcgidMaxRequestLen) for the API to refuse it with its own JSON, not the
# server's HTML page.
head -c 71680 /dev/zero | tr '\0' 'x' > "$T/big"
api POST $P "" -H 'Content-Type: application/json' --data-binary @"$T/big"
expect_eq "70 KiB body: 413" 413 "$STATUS"
check "413 body is the API's JSON" json_message
check "413 Content-Type is JSON" grep -qi '^Content-Type: application/json' "$T/headers"

# /metrics reaches the responder (off by default: its JSON 404, not the
# server's page); /api/health needs no token.
TOKEN="" api GET /metrics
expect_eq "/metrics reaches the responder, off by default: 404" "404 Not found." \
	"$STATUS $(jbody .message)"
TOKEN="" api GET /api/health
check "/api/health answers without a token, as JSON" jq -e .status "$T/body"

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

# --- /file: the responder checks access, the web server sends the bytes
printf 'not really an mp4, but bytes\n' > "$DL_DIR/a.mp4"
sql "UPDATE downloads SET condition='active', is_file_exists=1, path='a.mp4', size=29,
	expires_at=$(( ($(date +%s) + 3600) * 1000000 )) WHERE id=$ID"
API_OUT="$T/got" api GET "$P/$ID/file"
expect_eq "file with the token: 200" 200 "$STATUS"
check "file with the token: the file's bytes" cmp -s "$T/got" "$DL_DIR/a.mp4"
check "no $HIDDEN reaches the client" lacks "$HIDDEN" "$(cat "$T/headers")"
check "the internal location is not shown" lacks "$HIDDEN_PATH" "$(cat "$T/headers")"
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
check "HEAD of the file: no $HIDDEN" lacks "$HIDDEN" "$(cat "$T/headers")"

api GET "$P/$ID"
URL=$(jbody .url)
check "the signed url is on this server" test "${URL#"$BASE"/}" != "$URL"
code=$(curl -s -o "$T/got" -D "$T/headers" -w '%{http_code}' "$URL")
expect_eq "signed url without a token: 200" 200 "$code"
check "signed url: the file's bytes" cmp -s "$T/got" "$DL_DIR/a.mp4"
check "signed url: no $HIDDEN header" lacks "$HIDDEN" "$(cat "$T/headers")"
code=$(curl -s -o "$T/got" -D "$T/headers" -w '%{http_code}' -r 4-9 "$URL")
expect_eq "signed url Range: 206 from $SERVER" 206 "$code"
expect_eq "signed url Range: the bytes" really "$(cat "$T/got")"
if [ "$HIDDEN" = X-Accel-Redirect ]; then
	code=$(curl -s -o "$T/got" -w '%{http_code}' "$BASE/internal-downloads/a.mp4")
	expect_eq "the internal location is closed to clients" 404 "$code"
fi
code=$(curl -s -o "$T/body" -w '%{http_code}' "${URL/signature=/signature=0}")
expect_eq "a bad signature is the responder's 403" 403 "$code"

# --- WebSocket upgrades reach archive-pushd through /app/ and /ws/app/
if [ -x "$top_builddir/daemon/pushd/archive-pushd" ]; then
	"$top_builddir/daemon/pushd/archive-pushd" --config "$CONF" >>"$T/pushd.log" 2>&1 &
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
		check "$prefix: 101 Switching Protocols through $SERVER" \
			grep -aq '^HTTP/1.1 101 Switching Protocols' "$T/ws"
		check "$prefix: the handshake's accept key is pushd's" \
			grep -aqi '^Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=' "$T/ws"
		check "$prefix: first frame is pusher:connection_established" \
			grep -aq 'pusher:connection_established' "$T/ws"
	done
else
	echo "# daemon/pushd/archive-pushd not built: WebSocket proxy not checked"
fi

