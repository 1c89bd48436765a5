#!/bin/bash
# The operator page (www/) at / from the shipped configurations of all
# three web servers, next to the API: lighttpd (with the responder, so the
# API still answers beside the page), nginx and Apache (each skipped when
# not installed). One request per file kind each; the browser test
# (check-page.js) runs against the quickstart's stack.
. "$(dirname "$0")/../e2e/lib.sh"

setup
# The page as installed: the files of www/, readable by the servers' users.
mkdir -p "$T/docroot"
cp -R "$top_srcdir/www/." "$T/docroot/"
rm -f "$T/docroot/www.am"
chmod -R a+rX "$T/docroot"

# page_checks NAME: /, a script and the shipped pusher-js, as the page
# needs them (bytes, type, revalidation), from $BASE.
page_checks() {
	local name=$1 code
	code=$(curl -s -o "$T/got" -D "$T/headers" -w '%{http_code}' "$BASE/")
	expect_eq "$name: / answers 200" 200 "$code"
	check "$name: / is the page's index.html" cmp -s "$T/got" "$top_srcdir/www/index.html"
	check "$name: / is text/html" grep -qi '^Content-Type: text/html' "$T/headers"
	check "$name: the page is revalidated (Cache-Control: no-cache)" \
		grep -qi '^Cache-Control: no-cache' "$T/headers"
	code=$(curl -s -o "$T/got" -D "$T/headers" -w '%{http_code}' "$BASE/app.js")
	expect_eq "$name: /app.js answers 200" 200 "$code"
	check "$name: /app.js is text/javascript" grep -qi '^Content-Type: text/javascript' "$T/headers"
	check "$name: /app.js is not sniffed" grep -qi '^X-Content-Type-Options: nosniff' "$T/headers"
	code=$(curl -s -o "$T/got" -D "$T/headers" -w '%{http_code}' "$BASE/vendor/pusher.min.js")
	check "$name: the shipped pusher-js ($code)" cmp -s "$T/got" "$top_srcdir/www/vendor/pusher.min.js"
	code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/no-such-file.html")
	expect_eq "$name: a missing file is 404" 404 "$code"
}

# --- lighttpd, with the responder: the API still answers beside the page
start_lighttpd
page_checks lighttpd
code=$(curl -s -o "$T/got" -w '%{http_code}' "$BASE/api/v1/wsurl")
check "lighttpd: /api/ still reaches the API ($code)" jq -e .app_key "$T/got" >/dev/null
stop_servers

# --- nginx (the page needs no responder)
if command -v nginx >/dev/null; then
	HTTP_PORT=$(free_port)
	mkdir -p "$T/nginx"
	render archived.conf
	render archived-site.conf
	render archived-http.conf
	nginx -p "$T/nginx/" -c "$T/nginx/archived.conf" -g 'daemon off;' >>"$T/nginx-stderr.log" 2>&1 &
	PIDS="$PIDS $!"
	BASE="http://127.0.0.1:$HTTP_PORT"
	for _ in $(seq 1 50); do curl -s -o /dev/null "$BASE/" && break; sleep 0.1; done
	page_checks nginx
	stop_servers
else
	echo "# nginx not installed: its part skipped"
fi

# --- Apache (as root its children run as www-data, which must reach $T)
APACHE=$(command -v apache2 || true)
if [ -n "$APACHE" ] && [ -e /usr/lib/apache2/modules/mod_fcgid.so ] &&
	[ -e /usr/lib/apache2/modules/mod_xsendfile.so ]; then
	if [ "$(id -u)" = 0 ]; then
		WWW_USER=www-data WWW_GROUP=www-data
		chmod 711 "$T"
	else
		WWW_USER=$(id -un) WWW_GROUP=$(id -gn)
	fi
	HTTP_PORT=$(free_port)
	mkdir -p "$T/apache"
	ARCHIVED_HTTP_USER=$WWW_USER ARCHIVED_HTTP_GROUP=$WWW_GROUP \
	ARCHIVED_HTTP_BIND=127.0.0.1 ARCHIVED_HTTP_PORT=$HTTP_PORT \
	ARCHIVED_STATE_DIR=$T/apache ARCHIVED_DOCROOT=$T/docroot ARCHIVED_FCGI=$FCGI \
	ARCHIVED_CONFIG=$CONF ARCHIVED_DOWNLOADS_DIR=$DL_DIR ARCHIVED_PUSHD_PORT=$PUSHD_PORT \
		"$APACHE" -d "$top_srcdir/conf/apache" -f archived.conf -DFOREGROUND \
		>>"$T/apache-stderr.log" 2>&1 &
	PIDS="$PIDS $!"
	BASE="http://127.0.0.1:$HTTP_PORT"
	for _ in $(seq 1 50); do curl -s -o /dev/null "$BASE/" && break; sleep 0.1; done
	page_checks Apache
	stop_servers
	if [ "$FAILED" -gt 0 ]; then
		sed 's/^/#   /' "$T/apache-stderr.log" "$T/apache/apache2-error.log" 2>/dev/null | tail -20
	fi
else
	echo "# apache2 with mod_fcgid and mod_xsendfile not installed: its part skipped"
fi

finish
