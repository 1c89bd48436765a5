# A PostgreSQL server of the test's own: initdb and pg_ctl from Debian's
# postgresql package, into a temporary directory, on a unix socket there
# and a spare loopback port, as the unprivileged user postgres when the
# tests run as root (initdb refuses root). Sourced by lib.sh when
# ARCHIVED_TEST_DB=postgresql; also usable alone (pg_start, pg_url NAME,
# pg_stop).

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
PG_DIR=""
PG_PORT=""

pg_as() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# pg_start: initdb and start; sets PG_DIR and PG_PORT.
pg_start() {
	if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
		echo "# PostgreSQL's initdb not found: install the Debian package postgresql" >&2
		return 1
	fi
	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/archived-pg.XXXXXX")
	# The socket's directory is open to every local user (the responder
	# may run as www-data); the data directory is postgres's alone.
	chmod 755 "$PG_DIR"
	[ "$(id -u)" = 0 ] && chown postgres: "$PG_DIR"
	PG_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U archived --auth=trust \
		-E UTF8 --no-locale --no-sync >"$PG_DIR/initdb.log" 2>&1 ||
		{ cat "$PG_DIR/initdb.log" >&2; return 1; }
	# fsync off: the tests kill archived's processes, never the server's
	# (the benchmarks set PG_FSYNC=on, the server's default).
	pg_server start || { cat "$PG_DIR/server.log" >&2; return 1; }
}

# pg_server start|stop|restart: the test's server, with its options.
pg_server() {
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -m fast -w -s \
		-o "-k $PG_DIR -p $PG_PORT -c listen_addresses=127.0.0.1 -c fsync=${PG_FSYNC:-off} -c max_connections=${PG_MAX_CONNECTIONS:-200}" \
		"$1"
}

# pg_url NAME: create database NAME; print its URL.
pg_url() {
	psql -X -q "postgresql:///postgres?host=$PG_DIR&port=$PG_PORT&user=archived" \
		-c "CREATE DATABASE \"$1\"" >&2 || return 1
	echo "postgresql:///$1?host=$PG_DIR&port=$PG_PORT&user=archived"
}

pg_stop() {
	[ -n "$PG_DIR" ] || return 0
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -s stop >/dev/null 2>&1 || true
	rm -rf "$PG_DIR"
	PG_DIR=""
}
