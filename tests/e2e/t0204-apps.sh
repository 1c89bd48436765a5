#!/bin/bash
# The product's own apps, emulated on the wire (tests/e2e/apps/, README
# there): the Android SDK (the stock Pusher Java client as it drives it)
# and the iOS SDK (its PusherSwift fork) each log in through
# POST /api/v1/token with the extras they send, ask for their user and the
# push address, connect and subscribe exactly as the SDK does, ask for
# archive/link, receive archive_generated once and download it, get the
# error push for a range with no footage, and log out, which closes the
# push connection. Real worker, pushd and SQLite; through lighttpd, then
# through nginx (skipped when nginx or spawn-fcgi is missing).
#
# APPS_IDLE=0 skips the idle wait that lets each SDK's own ping timer fire
# (25 s Android, 30 s iOS; the two apps run side by side).
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/e2e/push/lib-push.sh"
. "$(dirname "$0")/fixtures.sh"

command -v node >/dev/null || { echo "# node not installed: skipped"; exit 77; }
APPS="$top_srcdir/tests/e2e/apps"
make_fixtures
setup "poll_interval_ms = 200;"
push_npm
start_pushd
start_worker
STREAM1=$(index_case h264_aac_ts)
CAMERA1=$(sql "SELECT camera_id FROM streams WHERE id=$STREAM1")
# The first 12 s of the footage, and a range long before any of it.
FROM_US=$BASE_US
TO_US=$((BASE_US + 12000000))
EMPTY_FROM_US=1577836800000000	# 2020-01-01 00:00:00 UTC
EMPTY_TO_US=$((EMPTY_FROM_US + 60000000))
if [ "${APPS_IDLE:-1}" = 0 ]; then
	IDLE_android=0 IDLE_ios=0
else
	IDLE_android=27 IDLE_ios=32
fi

for app in android ios; do
	printf '%s\n' "pass-$app-1" | ctl user add --login "$app" --name "$app user" --password-stdin >/dev/null
done

# run_apps SERVER: both apps side by side against $BASE; their checks
# become this test's, named "SERVER/APP: ...".
run_apps() {
	local server=$1 app pid status line id sum got
	local -A pids
	for app in android ios; do
		local idle_var=IDLE_$app
		node "$APPS/$app.js" --base "$BASE" --login "$app" --password "pass-$app-1" \
			--camera "$CAMERA1" --from-us "$FROM_US" --to-us "$TO_US" \
			--empty-from-us "$EMPTY_FROM_US" --empty-to-us "$EMPTY_TO_US" \
			--idle "${!idle_var}" --timeout 60 --dup-wait 3 --save "$T/$server-$app" \
			>"$T/$server-$app.out" 2>"$T/$server-$app.err" &
		pids[$app]=$!
	done
	for app in android ios; do
		status=0
		wait "${pids[$app]}" || status=$?
		echo "# --- $server/$app (exit $status)"
		while IFS= read -r line; do
			case $line in
			"ok "*) ok "$server/$app: ${line#ok * - }" ;;
			"not ok "*) not_ok "$server/$app: ${line#not ok * - }" ;;
			"# download "*)
				# "# download ID sha256 HEX bytes N": the bytes on disk.
				echo "$line"
				read -r _ _ id _ sum _ <<<"$line"
				got=$(sha256sum < "$DL_DIR/$(sql "SELECT path FROM downloads WHERE id=$id")" | cut -d' ' -f1)
				expect_eq "$server/$app: the pushed url gave the bytes of download $id on disk" "$got" "$sum"
				;;
			"#"*) echo "$line" ;;
			esac
		done < "$T/$server-$app.out"
		if [ -s "$T/$server-$app.err" ]; then
			sed 's/^/#   stderr: /' "$T/$server-$app.err" | head -20
		fi
		# 1 is "a check failed", already counted; anything else is a crash.
		case $status in
		0|1) ;;
		*) not_ok "$server/$app: the emulated app ran to its end (exit status $status)" ;;
		esac
	done
}

# --- through lighttpd (X-Sendfile)
start_lighttpd
run_apps lighttpd
# Only lighttpd stops here (lib.sh's stop_servers would end pushd and the
# worker too); nginx then takes the same port, which public_url names.
lpid=$(cat "$T/lighttpd.pid")
kill "$lpid"
for _ in $(seq 1 50); do
	kill -0 "$lpid" 2>/dev/null || break
	sleep 0.1
done
rm -f "$T/lighttpd.pid"

# --- through nginx (X-Accel-Redirect), started as t0005-nginx.sh does
if ! command -v nginx >/dev/null || ! command -v spawn-fcgi >/dev/null; then
	echo "# skip nginx half: nginx or spawn-fcgi not installed"
	finish
	exit
fi
printf '%s\n' 'sendfile = "x-accel-redirect";' 'sendfile_prefix = "/internal-downloads/";' >> "$CONF"

if start_nginx; then
	run_apps nginx
else
	not_ok "nginx started"
fi

finish
