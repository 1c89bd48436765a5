# Shared by the end-to-end tests: a private data directory, real servers on
# spare ports, curl helpers and assertions. Sourced by tNNNN-*.sh; each test
# ends with `finish`, which prints "N passed, N failed" and sets the status.
set -eu

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir

CTL="$top_builddir/daemon/ctl/archivectl"
FCGI="$top_builddir/cgi-bin/downloads.fcgi"
T=$(mktemp -d "${TMPDIR:-/tmp}/archived-e2e.XXXXXX")
CONF="$T/archived.conf"
PASSED=0
FAILED=0
PIDS=""

# ASan reports leaks at exit; keep going on other findings so logs show all.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:log_path=$T/asan}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:log_path=$T/ubsan}"

# pg_pass_only WHAT: a test of several hosts on PostgreSQL runs in the
# suite's PostgreSQL pass only; elsewhere it is skipped (exit 77).
pg_pass_only() {
	[ "${ARCHIVED_TEST_DB:-sqlite}" = postgresql ] && return 0
	echo "# SKIP: $1; run with ARCHIVED_TEST_DB=postgresql"
	exit 77
}

# The engine under test: SQLite (a file in $T/data) unless
# ARCHIVED_TEST_DB=postgresql, which gives the test a PostgreSQL server of
# its own (lib-pg.sh).
DB_URL=""
if [ "${ARCHIVED_TEST_DB:-sqlite}" = postgresql ]; then
	. "$top_srcdir/tests/e2e/lib-pg.sh"
	pg_start || { echo "# cannot start PostgreSQL"; exit 1; }
	DB_URL=$(pg_url archived)
fi

# Stop every server the test started, politely, so sanitizers write reports.
stop_servers() {
	for pid in $PIDS; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in $PIDS; do
		wait "$pid" 2>/dev/null || true
	done
	PIDS=""
	if [ -f "$T/lighttpd.pid" ]; then
		local lpid
		lpid=$(cat "$T/lighttpd.pid")
		kill "$lpid" 2>/dev/null || true
		for _ in $(seq 1 50); do
			kill -0 "$lpid" 2>/dev/null || break
			sleep 0.1
		done
		rm -f "$T/lighttpd.pid"
	fi
}

cleanup() {
	stop_servers
	if [ "${KEEP:-0}" = 1 ]; then
		echo "# kept $T${PG_DIR:+ and PostgreSQL in $PG_DIR (running)}"
	else
		[ -z "$DB_URL" ] || pg_stop
		rm -rf "$T"
	fi
}
trap cleanup EXIT

ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
not_ok() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }

# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# expect_eq DESCRIPTION EXPECTED ACTUAL
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1: expected '$2', got '$3'"; fi
}

# Sanitizer reports written by any program under test fail the test.
check_sanitizers() {
	local f
	for f in "$T"/asan.* "$T"/ubsan.*; do
		[ -e "$f" ] || continue
		not_ok "sanitizer report $(basename "$f")"
		sed 's/^/#   /' "$f" | head -40
	done
}

finish() {
	stop_servers
	check_sanitizers
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# write_config [LINE...]: the test's archived.conf; extra lines appended.
write_config() {
	HTTP_PORT=${HTTP_PORT:-$(free_port)}
	PUSHD_PORT=${PUSHD_PORT:-$(free_port)}
	{
		echo "data_dir = \"$T/data\";"
		echo "public_url = \"http://127.0.0.1:$HTTP_PORT\";"
		echo "timezone = \"${TEST_TZ:-Europe/Berlin}\";"
		[ -z "$DB_URL" ] || echo "database = \"$DB_URL\";"
		for line in "$@"; do echo "$line"; done
		echo "pusher = { listen = \"127.0.0.1:$PUSHD_PORT\"; };"
	} > "$CONF"
	export ARCHIVED_CONFIG="$CONF"
}

ctl() { "$CTL" --config "$CONF" "$@"; }

# ctl_bad DESCRIPTION EXPECTED ARGS...: archivectl ARGS must fail with one
# line on stderr that contains EXPECTED (the argument it names).
ctl_bad() {
	local what=$1 want=$2
	shift 2
	local out rc
	out=$(ctl "$@" 2>&1 >/dev/null) && rc=0 || rc=$?
	if [ "$rc" -ne 0 ] && grep -q -- "$want" <<<"$out" && [ "$(wc -l <<<"$out")" -eq 1 ]; then
		ok "$what"
	else
		not_ok "$what: status $rc, said: $out"
	fi
}

# A licence file with room for many cameras, so that tests with many
# cameras also run the configured-licence path; use as
# setup "$(big_licence)".
big_licence() {
	printf 'holder = "tests";\nexpires = "2099-12-31";\nfeatures = ["archive_export"];\nmax_cameras = 1000;\n' \
		> "$T/big-licence.conf"
	echo "license_file = \"$T/big-licence.conf\";"
}

# setup [CONFIG LINE...]: config, initialised data directory, one user with
# a token ($TOKEN), a camera ($CAMERA) with a high stream ($STREAM).
setup() {
	write_config "$@"
	ctl init 2>"$T/init.log" || { cat "$T/init.log"; return 1; }
	TOKEN=$(ctl token create --user alice)
	CAMERA=$(ctl camera add --name "Camera 1" --address "City, Street 1")
	STREAM=$(ctl stream add --camera "$CAMERA" --type high \
		--url "rtsp://admin:456redko@10.1.2.3:554/live")
	DL_DIR="$T/data/downloads"
}

start_lighttpd() {
	mkdir -p "$T/docroot"
	ARCHIVED_HTTP_BIND=127.0.0.1 ARCHIVED_HTTP_PORT=$HTTP_PORT \
	ARCHIVED_STATE_DIR=$T ARCHIVED_DOCROOT=$T/docroot ARCHIVED_FCGI=$FCGI \
	ARCHIVED_CONFIG=$CONF ARCHIVED_DOWNLOADS_DIR=$DL_DIR \
	ARCHIVED_PUSHD_PORT=$PUSHD_PORT \
		lighttpd -f "$top_srcdir/conf/lighttpd/archived.conf"
	BASE="http://127.0.0.1:$HTTP_PORT"
	for _ in $(seq 1 50); do
		curl -s -o /dev/null "$BASE/" && return 0
		sleep 0.1
	done
	echo "# lighttpd did not start"; cat "$T/lighttpd-error.log" 2>/dev/null
	return 1
}

# api METHOD PATH [BODY [CURL ARGS...]]: JSON request with $TOKEN (unless
# TOKEN is empty). Sets STATUS; the body is in $T/body (or $API_OUT),
# headers in $T/headers.
api() {
	local method=$1 path=$2 body=${3:-}
	shift 3 2>/dev/null || shift $#
	local args=(-s -o "${API_OUT:-$T/body}" -D "$T/headers" -w '%{http_code}' -X "$method")
	[ -n "${TOKEN:-}" ] && args+=(-H "Authorization: Bearer $TOKEN")
	if [ -n "$body" ]; then
		args+=(-H 'Content-Type: application/json' --data-binary "$body")
	elif [ "$method" = POST ] && [ $# -eq 0 ]; then
		# lighttpd answers 411 to a POST without Content-Length.
		args+=(-H 'Content-Length: 0')
	fi
	STATUS=$(curl "${args[@]}" "$@" "$BASE$path")
}

# jbody FILTER: jq over the last response body.
jbody() { jq -r "$@" < "$T/body"; }

# header NAME: a header of the last response.
header() { grep -i "^$1:" "$T/headers" | head -1 | cut -d: -f2- | sed 's/^ //; s/\r$//'; }

# sql [-separator SEP] [STATEMENTS]: query the test's database (the
# statements from standard input without STATEMENTS), a row a line,
# columns split by | (or SEP). The SQLite CLI waits for the daemons' write
# transactions like they do.
sql() {
	local sep='|'
	if [ "${1:-}" = -separator ]; then sep=$2; shift 2; fi
	if [ -n "$DB_URL" ]; then
		psql -X -q -A -t -F "$sep" -v ON_ERROR_STOP=1 "$DB_URL" ${1+-c "$1"}
	else
		sqlite3 -cmd '.timeout 10000' -separator "$sep" "$T/data/archived.db" ${1+"$1"}
	fi
}

# sql_list SEP STATEMENT: the rows in one line, joined by SEP, as SQLite's
# group_concat (PostgreSQL calls it string_agg).
sql_list() {
	sql "$2" | awk -v s="$1" 'NR > 1 {printf "%s", s} {printf "%s", $0} END {print ""}'
}

# The status in an event's payload, as SQL on both engines (the payload is
# compact JSON).
EV_STATUS="CASE WHEN payload LIKE '%\"status\":\"ok\"%' THEN 'ok' ELSE 'error' END"

# The last response body is JSON with a "message".
json_message() { jq -e .message "$T/body" >/dev/null 2>&1; }

# lacks STRING TEXT: TEXT does not contain STRING.
lacks() { ! grep -qF -- "$1" <<<"$2"; }

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

# start_nginx: nginx with conf/nginx/ as shipped, and the responder under
# spawn-fcgi. Both in the foreground, in the background: their pids go to PIDS, so
# lib.sh's stop_servers ends them (SIGTERM: libfcgi's accept returns and
# the responder exits normally, writing any sanitizer report).
start_nginx() {
	mkdir -p "$T/nginx" "$T/docroot"
	render archived.conf
	render archived-site.conf
	render archived-http.conf
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
