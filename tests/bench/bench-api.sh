#!/bin/bash
# Requests per second of the API through lighttpd (two FastCGI processes),
# on SQLite and then on PostgreSQL, against a hello-world FastCGI responder
# run the same way in the same invocation: the ratio is what this
# machine's noise does not move much.
#
#   top_builddir=BUILD tests/bench/bench-api.sh [SECONDS] [CONNECTIONS]
# BUILD: a build tree configured without --enable-debug.
set -eu
top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
: "${top_builddir:?set top_builddir to a release build tree}"
SECS=${1:-10}
CONNS=${2:-32}
command -v wrk >/dev/null || { echo "bench-api: install wrk (apt-get install wrk)" >&2; exit 1; }

. "$top_srcdir/tests/e2e/lib.sh"
setup "$(big_licence)" "max_pending = 100000;"
cc -O2 -o "$T/hello.fcgi" "$top_srcdir/tests/bench/hello-fcgi.c" -lfcgi

# run NAME FCGI METHOD PATH [BODY]: wrk against lighttpd serving FCGI.
run() {
	local name=$1 fcgi=$2 method=$3 path=$4 body=${5:-}
	FCGI=$fcgi start_lighttpd >/dev/null
	cat > "$T/wrk.lua" <<LUA
wrk.method = "$method"
wrk.headers["Authorization"] = "Bearer $TOKEN"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[$body]]
LUA
	wrk -t2 -c"$CONNS" -d"${SECS}s" -s "$T/wrk.lua" "$BASE$path" > "$T/wrk.out"
	local rps codes
	rps=$(awk '/Requests\/sec/ { print int($2) }' "$T/wrk.out")
	codes=$(grep -c 'Non-2xx' "$T/wrk.out" || true)
	stop_servers
	echo "$rps"
	[ "$codes" = 0 ] || echo "# $name: some answers were not 2xx" >&2
}

# measure ENGINE: the three requests on the database setup() made.
measure() {
	api POST /api/admin/v1/downloads "{\"stream_id\": $STREAM, \"from\": \"2026-01-15 10:00:00\", \"to\": \"2026-01-15 10:01:00\"}" 2>/dev/null || true
	start_lighttpd >/dev/null
	api POST /api/admin/v1/downloads "{\"stream_id\": $STREAM, \"from\": \"2026-01-15 10:00:00\", \"to\": \"2026-01-15 10:01:00\"}"
	ID=$(jbody .id)
	stop_servers
	user=$(run user "$FCGI" GET /api/admin/v1/user)
	show=$(run show "$FCGI" GET "/api/admin/v1/downloads/$ID")
	# Stand in for the worker: pending downloads finish, so that the count
	# of a user's unfinished ones stays as small as in real use.
	( while :; do sql "UPDATE downloads SET condition='active' WHERE condition='pending'" >/dev/null 2>&1; sleep 0.2; done ) &
	DRAIN=$!
	create=$(run create "$FCGI" POST /api/admin/v1/downloads \
		"{\"stream_id\": $STREAM, \"from\": \"2026-01-15 10:00:00\", \"to\": \"2026-01-15 10:01:00\"}")
	kill $DRAIN
	wait $DRAIN 2>/dev/null || true
	for row in "GET /user (token check)|$user" "GET /downloads/{id} (token, licence, JSON)|$show" \
		"POST /downloads (validation, INSERT, kick)|$create"; do
		printf '%-12s %-44s %8d %8.2f\n' "$1" "${row%|*}" "${row#*|}" \
			"$(echo "${row#*|} / $hello" | bc -l)"
	done
}

hello=$(run hello "$T/hello.fcgi" GET /api/admin/v1/user)
printf '%-12s %-44s %8s %8s\n' engine "through lighttpd, $CONNS connections, ${SECS}s" "req/s" "ratio"
printf '%-12s %-44s %8d %8s\n' - "hello-world FastCGI (baseline)" "$hello" "1.00"
measure SQLite
# The same on a PostgreSQL server of its own, on this host's disk, with
# its default durability (fsync on, synchronous commit).
. "$top_srcdir/tests/e2e/lib-pg.sh"
PG_FSYNC=on pg_start
DB_URL=$(pg_url bench)
setup "$(big_licence)" "max_pending = 100000;"
measure PostgreSQL
pg_stop
finish >/dev/null
