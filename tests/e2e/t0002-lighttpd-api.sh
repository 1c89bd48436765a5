#!/bin/bash
# The downloads API through a real lighttpd with mod_fastcgi: every route
# answers with the contract's shapes and status codes.
. "$(dirname "$0")/lib.sh"

setup
start_lighttpd

# Idle WebSocket clients ping only after 120 s; lighttpd must not cut them at 60.
check "WebSocket routes keep idle connections for 600 s" grep -q 'server.max-read-idle *= 600' \
	<(ARCHIVED_HTTP_BIND=127.0.0.1 ARCHIVED_HTTP_PORT=1 ARCHIVED_STATE_DIR=$T ARCHIVED_DOCROOT=$T \
	  ARCHIVED_FCGI=$FCGI ARCHIVED_CONFIG=$CONF ARCHIVED_DOWNLOADS_DIR=$T ARCHIVED_PUSHD_PORT=1 \
	  lighttpd -p -f "$top_srcdir/conf/lighttpd/archived.conf")

# --- create: the seed's object shape, condition pending
api POST /api/admin/v1/downloads \
	"{\"stream_id\": $STREAM, \"from\": \"2019-09-20 16:13:20\", \"to\": \"2019-09-20 16:22:27\"}"
expect_eq "create answers 200" 200 "$STATUS"
expect_eq "condition pending" pending "$(jbody .condition)"
expect_eq "name as the product names files" \
	"City, Street 1, file.20190920-161320-162227.mp4" "$(jbody .name)"
expect_eq "type mp4" mp4 "$(jbody .type)"
expect_eq "url empty until the file exists" "" "$(jbody .url)"
expect_eq "from in the server zone" "2019-09-20 16:13:20" "$(jbody .from)"
expect_eq "to in the server zone" "2019-09-20 16:22:27" "$(jbody .to)"
check "created_at in UTC microsecond form" \
	grep -Eq '"created_at":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z"' "$T/body"
expect_eq "is_file_exists false" false "$(jbody .is_file_exists)"
expect_eq "is_actual true" true "$(jbody .is_actual)"
expect_eq "stopped_at empty" "" "$(jbody .stopped_at)"
expect_eq "progress 0" 0 "$(jbody .progress)"
expect_eq "error null" null "$(jbody .error)"
expect_eq "expires_at null" null "$(jbody .expires_at)"
expect_eq "stream nested" "$STREAM" "$(jbody .stream.id)"
expect_eq "stream.url without credentials" "rtsp://10.1.2.3:554/live" "$(jbody .stream.url)"
check "no password anywhere in the answer" sh -c "! grep -q 456redko '$T/body'"
expect_eq "camera nested in stream" "Camera 1" "$(jbody .stream.camera.name)"
expect_eq "camera status as the seed" initial "$(jbody .stream.camera.status)"
expect_eq "camera is_sensitive is an integer" 0 "$(jbody .stream.camera.is_sensitive)"
expect_eq "every field of the download object" \
	"condition coverage created_at duration error expires_at from id is_actual is_file_exists name progress size stopped_at stream to type updated_at url" \
	"$(jbody '[keys[]] | join(" ")')"
ID=$(jbody .id)

# Times stored as UTC microseconds: 16:13:20 Berlin summer time is 14:13:20 UTC.
expect_eq "from stored as UTC microseconds" 1568988800000000 \
	"$(sql "SELECT from_us FROM downloads WHERE id=$ID")"

# --- the same through a form body, and with camera_id instead of stream_id
api POST /api/admin/v1/downloads "" \
	--data-urlencode "camera_id=$CAMERA" --data-urlencode "from=2019-09-20T14:00:00Z" \
	--data-urlencode "to=2019-09-20T14:05:00Z"
expect_eq "form body accepted" 200 "$STATUS"
expect_eq "camera_id picks the high stream" "$STREAM" "$(jbody .stream.id)"
expect_eq "ISO time shown in server zone" "2019-09-20 16:00:00" "$(jbody .from)"

# --- show, list with pagination and filters
api GET "/api/admin/v1/downloads/$ID"
expect_eq "show answers 200" 200 "$STATUS"
expect_eq "show returns the download" "$ID" "$(jbody .id)"

api GET "/api/admin/v1/downloads?per_page=1"
expect_eq "list answers 200" 200 "$STATUS"
expect_eq "list newest first" "$((ID + 1))" "$(jbody '.data[0].id')"
expect_eq "meta.total" 2 "$(jbody .meta.total)"
expect_eq "meta.last_page" 2 "$(jbody .meta.last_page)"
expect_eq "meta.per_page" 1 "$(jbody .meta.per_page)"
expect_eq "links.next" "$BASE/api/admin/v1/downloads?page=2&per_page=1" "$(jbody .links.next)"
expect_eq "links.prev null on page 1" null "$(jbody .links.prev)"
expect_eq "meta.path" "$BASE/api/admin/v1/downloads" "$(jbody .meta.path)"

api GET "/api/admin/v1/downloads?page=2&per_page=1"
expect_eq "page 2 holds the older one" "$ID" "$(jbody '.data[0].id')"
expect_eq "meta.from on page 2" 2 "$(jbody .meta.from)"

api GET "/api/admin/v1/downloads?condition=active"
expect_eq "condition filter" 0 "$(jbody '.data | length')"
api GET "/api/admin/v1/downloads?stream_id=$STREAM&condition=pending"
expect_eq "stream filter" 2 "$(jbody '.data | length')"
api GET "/api/admin/v1/downloads?camera_id=999"
expect_eq "camera filter" 0 "$(jbody '.data | length')"

# --- cameras and the stream's recorded intervals
sql "INSERT INTO segments(stream_id, path, start_us, end_us, bytes, codec, created_at) VALUES
	($STREAM, '/r/a.ts', 1568988000000000, 1568988060000000, 1, 'h264', 0),
	($STREAM, '/r/b.ts', 1568988060000000, 1568988120000000, 1, 'h264', 0),
	($STREAM, '/r/c.ts', 1568988300000000, 1568988360000000, 1, 'h264', 0);"
api GET /api/admin/v1/cameras
expect_eq "cameras answers 200" 200 "$STATUS"
expect_eq "camera with its streams" "$STREAM" "$(jbody '.data[0].streams[0].id')"
expect_eq "cameras paginated" 1 "$(jbody .meta.total)"
api GET "/api/admin/v1/streams/$STREAM/archive?from=2019-09-20%2016:00:00&to=2019-09-20%2017:00:00"
expect_eq "archive answers 200" 200 "$STATUS"
expect_eq "adjacent segments merge, gaps split" \
	'[{"from":"2019-09-20 16:00:00","to":"2019-09-20 16:02:00"},{"from":"2019-09-20 16:05:00","to":"2019-09-20 16:06:00"}]' \
	"$(jbody -c .data)"
api GET "/api/admin/v1/streams/999/archive"
expect_eq "unknown stream 404" 404 "$STATUS"

# --- the caller
api GET /api/admin/v1/user
expect_eq "user answers 200" 200 "$STATUS"
expect_eq "user login" alice "$(jbody .login)"
expect_eq "access_token_id is the token's id" "${TOKEN%%|*}" "$(jbody .access_token_id)"

# --- repeat and delete
api POST "/api/admin/v1/downloads/$ID/repeat"
expect_eq "repeat of a pending download answers 200" 200 "$STATUS"
expect_eq "repeat keeps the id" "$ID" "$(jbody .id)"
api DELETE "/api/admin/v1/downloads/$ID"
expect_eq "delete answers 204" 204 "$STATUS"
api GET "/api/admin/v1/downloads/$ID"
expect_eq "deleted download is cancelled" cancelled "$(jbody .condition)"
expect_eq "cancelled is not actual" false "$(jbody .is_actual)"
check "cancelled download has stopped_at" test -n "$(jbody .stopped_at)"
api POST "/api/admin/v1/downloads/$ID/repeat"
expect_eq "repeat of a cancelled download queues it again" pending "$(jbody .condition)"
expect_eq "repeat clears stopped_at" "" "$(jbody .stopped_at)"

# --- the file route before the file exists
api GET "/api/admin/v1/downloads/$ID/file"
expect_eq "file before it exists: 404" 404 "$STATUS"

# --- client API
api POST /api/v1/downloads \
	"{\"from\": \"2019-09-20 16:00:00\", \"to\": \"2019-09-20 16:10:00\", \"ids\": [$CAMERA]}"
expect_eq "client create answers 200" 200 "$STATUS"
expect_eq "client create answers an array" array "$(jbody type)"
expect_eq "one download per camera" 1 "$(jbody length)"
expect_eq "client item has user_id" "$(sql "SELECT id FROM users WHERE login='alice'")" \
	"$(jbody '.[0].user_id')"
CID=$(jbody '.[0].id')
api GET /api/v1/downloads
expect_eq "client list answers 200" 200 "$STATUS"
expect_eq "client list paginated" 3 "$(jbody .meta.total)"
expect_eq "client list newest first" "$CID" "$(jbody '.data[0].id')"
expect_eq "client item: user_id, user, attributes, status" "true true true true" \
	"$(jbody '.data[0] | [has("user_id"), (.user.login == "alice"), (.attributes == []), (.status == .condition)] | map(tostring) | join(" ")')"
expect_eq "client item: the short stream" \
	"camera_id has_sound height id is_archive_from_server is_preview_from_server status type width" \
	"$(jbody '.data[0].stream | keys | join(" ")')"
api GET "/api/v1/cameras/$CAMERA/archive/link?from=2019-09-20%2016:00:00&to=2019-09-20%2016:01:00"
expect_eq "archive link answers 200" 200 "$STATUS"
expect_eq "archive link status ok (the Android app reads it)" ok "$(jbody .status)"
check "link is a signed URL of /file" \
	grep -Eq "\"link\":\"$BASE/api/admin/v1/downloads/[0-9]+/file\?k=[0-9a-f]{24}&expires=[0-9]+&signature=[0-9a-f]{64}\"" "$T/body"
api DELETE "/api/v1/users/downloads/$CID"
expect_eq "client delete answers 200" 200 "$STATUS"
expect_eq "client delete says ok" ok "$(jbody .status)"
api DELETE "/api/v1/users/downloads/$CID"
expect_eq "client delete again: 404" 404 "$STATUS"
api GET /api/v1/downloads
expect_eq "deleted item left the client history" 0 "$(jbody "[.data[] | select(.id == $CID)] | length")"
api GET "/api/admin/v1/downloads/$CID"
expect_eq "the admin side still sees it, cancelled" cancelled "$(jbody .condition)"
# The iOS app sends Content-Type: application/json on every call, with no body.
api GET /api/v1/downloads "" -H 'Content-Type: application/json'
expect_eq "GET with Content-Type json and no body" 200 "$STATUS"
api DELETE "/api/v1/users/downloads/$CID" "" -H 'Content-Type: application/json'
expect_eq "DELETE with Content-Type json and no body: as without" 404 "$STATUS"
api GET /api/v1/user
expect_eq "client user" alice "$(jbody .login)"

# --- wsurl needs no token and describes the push endpoint
TOKEN="" api GET /api/v1/wsurl
expect_eq "wsurl answers 200 without a token" 200 "$STATUS"
expect_eq "wsurl path" /ws "$(jbody .path)"
expect_eq "wsurl port" "$HTTP_PORT" "$(jbody .port)"
expect_eq "wsurl host" 127.0.0.1 "$(jbody .host)"
expect_eq "wsurl is_encrypted" false "$(jbody .is_encrypted)"
expect_eq "wsurl ws_url" "ws://127.0.0.1:$HTTP_PORT/ws" "$(jbody .ws_url)"
check "wsurl app_key set" test -n "$(jbody .app_key)"

# --- logins, token expiry form, logout
printf 'correct horse\n' | ctl user add --login bob --name "Bob B" --password-stdin >/dev/null
# The apps' login, with the extras they send.
TOKEN="" api POST /api/v1/token '{"login": "bob", "password": "correct horse",
	"session_id": null, "captcha": null, "key": null, "rememberMe": false}'
expect_eq "client login answers 200" 200 "$STATUS"
BOB=$(jbody .access_token)
expect_eq "login user object" "Bob B" "$(jbody .user.name)"
expect_eq "access_token_id is a string (the iOS app decodes one)" string \
	"$(jbody '.user.access_token_id | type')"
expect_eq "access_token_id is the token's id" "${BOB%%|*}" "$(jbody .user.access_token_id)"
expect_eq "client user fields" \
	"access_token_id analytic_license can_update_password created_at id login name parent_id permissions updated_at" \
	"$(jbody '.user | keys | join(" ")')"
expect_eq "client login answers user and access_token only" "access_token user" \
	"$(jbody 'keys | join(" ")')"
TOKEN=$BOB api GET /api/v1/users/self
expect_eq "users/self answers 200" 200 "$STATUS"
expect_eq "users/self is the client user" "bob ${BOB%%|*}" "$(jbody '"\(.login) \(.access_token_id)"')"
TOKEN="" api POST /api/admin/v1/auth/token '{"login": "bob", "password": "correct horse"}'
expect_eq "admin login answers 200" 200 "$STATUS"
expect_eq "admin login token type" Bearer "$(jbody .token_type)"
check "admin login expires_at in local form" grep -Eq '"expires_at":"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}"' "$T/body"
BOB2=$(jbody .access_token)
TOKEN=$BOB2 api DELETE /api/admin/v1/auth/token
expect_eq "logout answers 204" 204 "$STATUS"
TOKEN=$BOB2 api GET /api/admin/v1/user
expect_eq "a revoked token is refused" 401 "$STATUS"
TOKEN=$BOB api GET /api/admin/v1/user
expect_eq "the other token still works" 200 "$STATUS"

# --- broadcasting auth signs only the caller's own channels
TOKEN=$BOB api POST /api/v1/broadcasting/auth "" \
	--data-urlencode "socket_id=123.456" --data-urlencode "channel_name=private-token.${BOB%%|*}"
expect_eq "own token channel signed" 200 "$STATUS"
KEY=$(sql "SELECT value FROM settings WHERE name='pusher_key'")
SECRET=$(sql "SELECT value FROM settings WHERE name='pusher_secret'")
WANT="$KEY:$(printf '%s' "123.456:private-token.${BOB%%|*}" | openssl dgst -sha256 -hmac "$SECRET" -r | cut -d' ' -f1)"
expect_eq "auth is key:HMAC-SHA256(secret, socket_id:channel)" "$WANT" "$(jbody .auth)"
BOB_ID=$(sql "SELECT id FROM users WHERE login='bob'")
TOKEN=$BOB api POST /api/admin/v1/broadcasting/auth \
	"{\"socket_id\": \"1.2\", \"channel_name\": \"private-user.$BOB_ID\"}"
expect_eq "own user channel signed (admin path, JSON)" 200 "$STATUS"
TOKEN=$BOB api POST /api/v1/broadcasting/auth \
	'{"socket_id": "1.2", "channel_name": "private-user.1"}'
expect_eq "another user's channel refused" 403 "$STATUS"
TOKEN=$BOB api POST /api/v1/broadcasting/auth \
	'{"socket_id": "1.2", "channel_name": "private-token.1"}'
expect_eq "another token's channel refused" 403 "$STATUS"

# --- a user sees only its own downloads; another user's id is 404 everywhere
for route in "GET /api/admin/v1/downloads/$ID" "DELETE /api/admin/v1/downloads/$ID" \
	"POST /api/admin/v1/downloads/$ID/repeat" "GET /api/admin/v1/downloads/$ID/file" \
	"DELETE /api/v1/users/downloads/$ID"; do
	TOKEN=$BOB api ${route% *} ${route#* }
	expect_eq "other user's download: $route is 404" 404 "$STATUS"
done
TOKEN=$BOB api GET /api/admin/v1/downloads
expect_eq "other user's list is empty" 0 "$(jbody .meta.total)"
expect_eq "alice's download untouched" pending "$(sql "SELECT condition FROM downloads WHERE id=$ID")"
ADMIN=$(ctl token create --user root --admin)
TOKEN=$ADMIN api GET "/api/admin/v1/downloads/$ID"
expect_eq "an admin sees every download" 200 "$STATUS"

# --- methods
api PUT /api/admin/v1/downloads
expect_eq "wrong method 405" 405 "$STATUS"
expect_eq "405 names the allowed methods" "GET, POST, HEAD" "$(header Allow)"
expect_eq "405 body is JSON" "The method is not supported for this route." "$(jbody .message)"
api HEAD /api/admin/v1/downloads "" -I
expect_eq "HEAD answers where GET does" 200 "$STATUS"
api GET /api/admin/v1/down%6Coads
expect_eq "a path with an encoded letter routes" 200 "$STATUS"
api GET /api/admin/v1/nothing-here
expect_eq "unknown route 404 JSON" "Not found." "$(jbody .message)"

finish
