# Helpers for the push tests, sourced after tests/e2e/lib.sh: archive-pushd,
# the pusher-js client, and the worker's last step (publish).

PUSHD="$top_builddir/daemon/pushd/archive-pushd"
PUBLISH="$top_builddir/tests/e2e/push/publish"
PUSH_SRC="$top_srcdir/tests/e2e/push"
# node_modules lives in the build tree, so that a read-only source tree
# (distcheck) and several build directories each work.
PUSH_MODULES="$top_builddir/tests/e2e/push"
PUSHD_PID=""

# pusher_config "key = value;"...: more keys in the config's pusher group.
pusher_config() {
	sed -i "s|^pusher = { \(.*\) };\$|pusher = { \1 $* };|" "$CONF"
}

# npm ci of the pinned pusher-js, skipped when node_modules already holds
# exactly this lock (so that the tests run offline once installed).
push_npm() {
	local stamp="$PUSH_MODULES/node_modules/.archived-lock"
	export NODE_PATH="$PUSH_MODULES/node_modules"
	if [ -d "$PUSH_MODULES/node_modules/pusher-js" ] &&
	    cmp -s "$PUSH_SRC/package-lock.json" "$stamp"; then
		return 0
	fi
	mkdir -p "$PUSH_MODULES"
	if [ "$PUSH_MODULES" != "$PUSH_SRC" ]; then
		cp "$PUSH_SRC/package.json" "$PUSH_SRC/package-lock.json" "$PUSH_MODULES/"
	fi
	if ! npm ci --prefix "$PUSH_MODULES" --no-audit --no-fund >"$T/npm.log" 2>&1; then
		echo "# npm ci failed (offline?); skipping"; sed 's/^/#   /' "$T/npm.log" | tail -5
		exit 77
	fi
	cp "$PUSH_SRC/package-lock.json" "$stamp"
}

# start_pushd: archive-pushd in the background, --debug unless PUSHD_QUIET
# is set (a line per delivery would weigh on a load test); with
# PUSHD_NOFILE set, under that descriptor limit.
start_pushd() {
	local args=(--config "$CONF")
	[ -n "${PUSHD_QUIET:-}" ] || args+=(--debug)
	( [ -z "${PUSHD_NOFILE:-}" ] || ulimit -n "$PUSHD_NOFILE"
	  exec "$PUSHD" "${args[@]}" ) >>"$T/pushd.log" 2>&1 &
	PUSHD_PID=$!
	PIDS="$PIDS $PUSHD_PID"
	for _ in $(seq 1 100); do
		curl -s -o /dev/null "http://127.0.0.1:$PUSHD_PORT/" && return 0
		sleep 0.05
	done
	echo "# archive-pushd did not start"; sed 's/^/#   /' "$T/pushd.log"
	return 1
}

# stop_pushd: SIGTERM, then its exit status in PUSHD_STATUS.
stop_pushd() {
	PUSHD_STATUS=0
	kill -TERM "$PUSHD_PID"
	wait "$PUSHD_PID" || PUSHD_STATUS=$?
}

# client OUT ARGS...: the pusher-js client in the background, output in OUT.
client() {
	local outf=$1
	shift
	node "$PUSH_SRC/client.js" --base "$BASE" "$@" >"$outf" 2>"$outf.err" &
	CLIENT_PID=$!
}

# raw OUT URL ARGS...: a bare WebSocket client in the background.
raw() {
	local outf=$1
	shift
	node "$PUSH_SRC/raw.js" "$@" >"$outf" 2>"$outf.err" &
	RAW_PID=$!
}

# wait_line FILE JQ-FILTER [SECONDS]: until a line of FILE matches.
wait_line() {
	local f=$1 filter=$2 n=$(( ${3:-10} * 20 ))
	for _ in $(seq 1 "$n"); do
		jq -c "select($filter)" "$f" 2>/dev/null | grep -q . && return 0
		sleep 0.05
	done
	return 1
}

# lines FILE JQ-FILTER: how many lines match.
lines() { jq -c "select($2)" "$1" 2>/dev/null | wc -l; }

publish() { "$PUBLISH" --config "$CONF" "$@"; }

# A small real MP4 (two seconds of test pattern).
make_mp4() {
	ffmpeg -loglevel error -f lavfi -i testsrc=duration=2:size=160x120:rate=10 \
		-c:v libx264 -pix_fmt yuv420p -movflags +faststart -y "$1"
}

# new_download: a download of $STREAM as $TOKEN; its id in DL_ID.
new_download() {
	api POST /api/admin/v1/downloads \
		"{\"stream_id\": $STREAM, \"from\": \"2024-03-01 10:00:00\", \"to\": \"2024-03-01 10:00:02\"}"
	DL_ID=$(jbody .id)
}

# bench_channel: for the benchmarks' swarms, a download (DL_ID) and the
# channel its archive_generated events go to (CHANNEL), with the app's KEY
# and SECRET. The swarms sign their subscriptions with the secret: a
# token's channel needs only a live token (a user's, a grant made by the
# API's broadcasting/auth). pushbench --generated writes those events.
bench_channel() {
	new_download
	CHANNEL="private-token.${TOKEN%%|*}"
	KEY=$(sql "SELECT value FROM settings WHERE name='pusher_key'")
	SECRET=$(sql "SELECT value FROM settings WHERE name='pusher_secret'")
}

# ready_file NAME: the clip copied into downloads_dir as NAME.
ready_file() { cp "$T/clip.mp4" "$DL_DIR/$1"; }

# login LOGIN PASSWORD: a user with a password, logged in through the
# client API; sets LOGIN_TOKEN, LOGIN_TOKEN_ID and LOGIN_USER_ID.
login() {
	printf '%s\n' "$2" | ctl user add --login "$1" --password-stdin >/dev/null
	local saved=${TOKEN:-}
	TOKEN=
	api POST /api/v1/token "{\"login\": \"$1\", \"password\": \"$2\"}"
	LOGIN_TOKEN=$(jbody .access_token)
	TOKEN=$LOGIN_TOKEN
	api GET /api/v1/user
	LOGIN_USER_ID=$(jbody .id)
	LOGIN_TOKEN_ID=$(jbody .access_token_id)
	TOKEN=$saved
}
