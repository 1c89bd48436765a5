#!/bin/bash
# Floods through nginx as shipped (tests/e2e/flood-checks.sh): idle
# WebSockets from one address and from many, and clients trickling request
# headers, closed by client_header_timeout; the API keeps answering.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/e2e/push/lib-push.sh"

command -v node >/dev/null || { echo "# node not installed: skipped"; exit 77; }
command -v nginx >/dev/null && command -v spawn-fcgi >/dev/null ||
	{ echo "# nginx or spawn-fcgi not installed: skipped"; exit 77; }
setup
pusher_config "max_connections_per_address = 100;"
push_npm
start_nginx
start_pushd

SERVER=nginx TRICKLE_CUT=12
. "$top_srcdir/tests/e2e/flood-checks.sh"

finish
