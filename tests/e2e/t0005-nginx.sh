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
