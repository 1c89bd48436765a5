#!/bin/bash
# downloads.fcgi unchanged behind a real nginx, with conf/nginx/ as shipped:
# the API over FastCGI (spawn-fcgi's socket on fd 0), archives sent by nginx
# through X-Accel-Redirect (Range included, the internal path never shown
# to the client), and WebSocket upgrades proxied to archive-pushd.
. "$(dirname "$0")/lib.sh"

for prog in nginx spawn-fcgi; do
	command -v "$prog" >/dev/null || { echo "# $prog not installed: skipped"; exit 77; }
done

setup 'sendfile = "x-accel-redirect";' 'sendfile_prefix = "/internal-downloads/";'

# render FILE: conf/nginx/FILE with its placeholders filled in, into
# $T/nginx/ (nginx reads no environment; this is what envsubst would do).
render() {
	sed -e "s|\${ARCHIVED_HTTP_USER}|root|g" \
		-e "s|\${ARCHIVED_HTTP_BIND}|127.0.0.1|g" \
		-e "s|\${ARCHIVED_HTTP_PORT}|$HTTP_PORT|g" \
		-e "s|\${ARCHIVED_STATE_DIR}|$T|g" \
		-e "s|\${ARCHIVED_DOCROOT}|$T/docroot|g" \
		-e "s|\${ARCHIVED_DOWNLOADS_DIR}|$DL_DIR|g" \
		-e "s|\${ARCHIVED_PUSHD_PORT}|$PUSHD_PORT|g" \
		"$top_srcdir/conf/nginx/$1" > "$T/nginx/$1"
}

# Both in the foreground, in the background: their pids go to PIDS, so
# lib.sh's stop_servers ends them (SIGTERM: libfcgi's accept returns and
# the responder exits normally, writing any sanitizer report).
start_nginx() {
	mkdir -p "$T/nginx" "$T/docroot"
	render archived.conf
	render archived-site.conf
	# -n: spawn-fcgi binds the socket, puts it on fd 0 and execs the
	# responder in its own process (ARCHIVED_CONFIG comes from write_config).
	spawn-fcgi -n -s "$T/downloads.fcgi.sock" -- "$FCGI" >>"$T/spawn-fcgi.log" 2>&1 &
	PIDS="$PIDS $!"
	nginx -p "$T/nginx/" -c "$T/nginx/archived.conf" -g 'daemon off;' \
		>>"$T/nginx-stderr.log" 2>&1 &
	PIDS="$PIDS $!"
	BASE="http://127.0.0.1:$HTTP_PORT"
	for _ in $(seq 1 50); do
		[ -S "$T/downloads.fcgi.sock" ] && curl -s -o /dev/null "$BASE/" && return 0
		sleep 0.1
	done
	echo "# nginx did not start"
	cat "$T/nginx-stderr.log" "$T/nginx-error.log" "$T/spawn-fcgi.log" 2>/dev/null | sed 's/^/#   /'
	return 1
}

start_nginx
# (nginx itself would refuse a leftover ${...} as an unknown variable.)
check "the rendered configuration has no placeholder left" \
	lacks '${ARCHIVED_' "$(grep -hv '^[[:space:]]*#' "$T/nginx/archived.conf" "$T/nginx/archived-site.conf")"

# --- the API through FastCGI
SERVER=nginx HIDDEN=X-Accel-Redirect HIDDEN_PATH=internal-downloads
. "$top_srcdir/tests/e2e/webserver-checks.sh"

check "no token in nginx's logs" \
	sh -c "! grep -qF -- '${TOKEN#*|}' '$T/nginx-error.log' '$T/nginx-access.log'"

finish
