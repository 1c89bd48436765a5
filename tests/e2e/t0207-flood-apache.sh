#!/bin/bash
# Floods through Apache as shipped (tests/e2e/flood-checks.sh): idle
# WebSockets from one address and from many (each holds a thread of
# Apache's), and clients trickling request headers, closed by
# mod_reqtimeout; the API keeps answering.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/e2e/push/lib-push.sh"
. "$top_srcdir/tests/e2e/lib-apache.sh"

command -v node >/dev/null || { echo "# node not installed: skipped"; exit 77; }
setup
pusher_config "max_connections_per_address = 100;"
apache_prepare
push_npm
start_apache
start_pushd

SERVER=Apache TRICKLE_CUT=21
. "$top_srcdir/tests/e2e/flood-checks.sh"

stop_apache
finish
