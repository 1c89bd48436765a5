#!/bin/bash
# From nothing to a working archived on this machine, as root on Debian 12:
# packages, build, install, a data directory, a demo camera recording into
# one-minute segments (indexed as they close), lighttpd on port 8080 with
# the operator page at / and the API, the worker and the push daemon.
# Prints the page's address with a login and password, a token, a curl for
# an export and how to watch the push. Running it again reuses what exists.
#
#   bash scripts/quickstart.sh          start (or check) everything
#   bash scripts/quickstart.sh stop     stop what it started
#   ARCHIVED_PORT=9000 bash scripts/quickstart.sh
set -eu
cd "$(dirname "$0")/.."
SRC=$(pwd)

PREFIX=/usr/local
ETC=/etc/archived
CONF=$ETC/archived.conf
DATA=/var/lib/archived
RUN=/run/archived
PORT=${ARCHIVED_PORT:-8080}
HOST=${ARCHIVED_HOST:-localhost}
REC=$DATA/recordings/demo
SBIN=$PREFIX/sbin
SHARE=$PREFIX/share/archived
USER_NAME=archived

say() { printf '==> %s\n' "$*"; }
die() { printf 'quickstart: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (it installs packages and starts services)"

# --- stop -----------------------------------------------------------------
stop_one() {
	local name=$1 pidfile=$RUN/$1.pid pid
	pid=$(cat "$pidfile" 2>/dev/null || true)
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill "$pid"
		for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		say "stopped $name"
	fi
	rm -f "$pidfile"
}
if [ "${1:-}" = stop ]; then
	for p in importer recorder lighttpd archive-pushd archived; do stop_one "$p"; done
	exit 0
fi
[ $# -eq 0 ] || die "usage: quickstart.sh [stop]"

# --- packages, build, install ---------------------------------------------
say "installing packages"
bash scripts/deps.sh
extra=()
for p in python3-websockets fonts-dejavu-core; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || extra+=("$p")
done
[ ${#extra[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${extra[@]}"

say "building and installing into $PREFIX"
[ -x configure ] || autoreconf -fi
mkdir -p build-quickstart
(
	cd build-quickstart
	[ -f Makefile ] || "$SRC/configure" -q --prefix=$PREFIX --sysconfdir=/etc --localstatedir=/var \
		--with-systemdsystemunitdir=$PREFIX/share/archived/systemd
	make -s -j"$(nproc)"
	make -s install
) >/dev/null

# --- user, configuration, data directory ----------------------------------
getent group $USER_NAME >/dev/null || groupadd --system $USER_NAME
id -u $USER_NAME >/dev/null 2>&1 ||
	useradd --system --gid $USER_NAME --home-dir $DATA --no-create-home --shell /usr/sbin/nologin $USER_NAME
install -d -o $USER_NAME -g $USER_NAME -m 2770 $DATA $DATA/recordings $REC
install -d -o $USER_NAME -g $USER_NAME -m 0750 $RUN

tz=UTC
[ -f /etc/timezone ] && tz=$(tr -d ' \n' < /etc/timezone)
[ -f "/usr/share/zoneinfo/$tz" ] || tz=UTC
# Write our settings unless the operator has made the file their own.
if [ -f "$CONF" ] && ! grep -q '^# written by quickstart' "$CONF" &&
	! cmp -s "$CONF" "$SRC/conf/archived.conf"; then
	say "keeping your $CONF"
else
	cat > "$CONF" <<CONFEOF
# written by quickstart.sh; conf/archived.conf in the source documents every key
data_dir = "$DATA";
run_dir = "$RUN";
timezone = "$tz";
public_url = "http://$HOST:$PORT";
pusher = {
  listen = "127.0.0.1:6001";
};
CONFEOF
	chmod 0644 "$CONF"
fi
as_archived() { runuser -u $USER_NAME -- env ARCHIVED_CONFIG="$CONF" "$@"; }
as_archived $SBIN/archivectl init 2>/dev/null

# --- the demo camera: a stream and its recordings --------------------------
STREAM=$(as_archived $SBIN/archivectl --json stream list |
	jq -r '[.[] | select(.url == "rtsp://127.0.0.1:8554/demo")][0].id // empty')
if [ -z "$STREAM" ]; then
	CAMERA=$(as_archived $SBIN/archivectl camera add --name "Demo camera" --address "Demo site, Gate 1")
	STREAM=$(as_archived $SBIN/archivectl stream add --camera "$CAMERA" --type high \
		--url "rtsp://demo:demo-password@127.0.0.1:8554/demo")
	say "demo camera $CAMERA, stream $STREAM"
fi

FONT=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
# Test pattern with a clock: the wall time a frame stands for (history
# made now for the past, from its pts) or the time it is drawn (live).
# Under the picture, the same moment for machines (the page's browser test
# reads it from a <video>): a black bar with 26 blocks of 20x20 px, 24 px
# apart from x=8: white, then bits 0..23 (least significant first, white
# for 1) of the frame's wall time in 25ths of a second since the epoch,
# then white. timecode START: the bar for a picture whose pts 0 is START.
timecode() {
	local f="drawbox=x=0:y=336:w=640:h=24:color=black:t=fill" j
	for j in 0 25; do
		f+=",drawbox=x=$((8 + 24 * j)):y=338:w=20:h=20:color=white:t=fill"
	done
	for j in $(seq 0 23); do
		f+=",drawbox=x=$((32 + 24 * j)):y=338:w=20:h=20:color=white:t=fill"
		f+=":enable='mod(floor((($1+t)*25+0.5)/pow(2,$j)),2)'"
	done
	echo "$f"
}
DRAW="testsrc2=size=640x360:rate=25,drawtext=fontfile=$FONT:fontsize=28:fontcolor=white:box=1:boxcolor=black@0.6:x=10:y=10"
pattern() { echo "$DRAW:text='%{pts\\:localtime\\:$1\\:%Y-%m-%d %H\\\\\\:%M\\\\\\:%S}',$(timecode "$1")"; }
LIVE="$DRAW:text='%{localtime\\:%Y-%m-%d %H\\\\\\:%M\\\\\\:%S}'"
if [ -z "$(ls -A $REC)" ]; then
	# Five of the last six minutes: the fourth minute back is missing, so
	# the timeline has a gap to show, as real recorders have.
	say "recording 5 of the last 6 minutes of the demo camera"
	now=$(date +%s)
	for i in 6 5 3 2 1; do
		start=$(( (now / 60 - i) * 60 ))
		name=$REC/$(date -d "@$start" +%Y-%m-%d_%H-%M-%S).ts
		as_archived ffmpeg -nostdin -loglevel error -f lavfi -i "$(pattern $start)" \
			-f lavfi -i "sine=frequency=440:sample_rate=48000" -t 60 \
			-c:v libx264 -preset ultrafast -g 50 -pix_fmt yuv420p -c:a aac -b:a 64k \
			-output_ts_offset $(( (6 - i) * 60 )) -f mpegts "$name.part"
		mv "$name.part" "$name"
	done
fi
# The segment the camera is writing now may be skipped (it is empty or
# growing); the watching importer below indexes it when it is closed.
as_archived $SBIN/archivectl segments import --stream "$STREAM" --layout ffmpeg "$REC" >/dev/null 2>&1 ||
	say "some segments were not indexed yet (the one being recorded)"

# start_bg NAME COMMAND...: a background process as the archived user.
start_bg() {
	local name=$1
	shift
	if [ -f "$RUN/$name.pid" ] && kill -0 "$(cat "$RUN/$name.pid")" 2>/dev/null; then
		return 0
	fi
	start-stop-daemon --start --background --make-pidfile --pidfile "$RUN/$name.pid" \
		--chuid $USER_NAME --output "$DATA/$name.log" \
		--exec /usr/bin/env -- ARCHIVED_CONFIG="$CONF" "$@"
	say "started $name (log: $DATA/$name.log)"
}

# The camera keeps recording one-minute segments; the importer indexes
# each as the recorder closes it, so exports can reach the present.
start_bg recorder ffmpeg -nostdin -loglevel error -re -f lavfi -i "$LIVE,$(timecode "$(date +%s.%N)")" \
	-f lavfi -i "sine=frequency=440:sample_rate=48000" \
	-c:v libx264 -preset ultrafast -g 50 -pix_fmt yuv420p -c:a aac -b:a 64k \
	-f segment -segment_time 60 -segment_atclocktime 1 -strftime 1 -segment_format mpegts \
	"$REC/%Y-%m-%d_%H-%M-%S.ts"
start_bg importer $SBIN/archivectl segments import --stream "$STREAM" --layout ffmpeg --watch "$REC"
start_bg archived $SBIN/archived
start_bg archive-pushd $SBIN/archive-pushd

if ! { [ -f "$RUN/lighttpd.pid" ] && kill -0 "$(cat "$RUN/lighttpd.pid")" 2>/dev/null; }; then
	install -d -o $USER_NAME -g $USER_NAME $RUN/lighttpd
	# lighttpd resolves includes next to the file it was started with.
	cp "$SHARE/lighttpd/archived.conf" "$SHARE/lighttpd/archived-site.conf" $RUN/lighttpd/
	printf 'server.username = "%s"\nserver.groupname = "%s"\n' $USER_NAME $USER_NAME \
		>> $RUN/lighttpd/archived.conf
	ARCHIVED_HTTP_BIND=0.0.0.0 ARCHIVED_HTTP_PORT=$PORT ARCHIVED_STATE_DIR=$RUN \
	ARCHIVED_DOCROOT=$SHARE/www ARCHIVED_FCGI=$PREFIX/libexec/archived/downloads.fcgi \
	ARCHIVED_CONFIG=$CONF ARCHIVED_DOWNLOADS_DIR=$DATA/downloads ARCHIVED_PUSHD_PORT=6001 \
		lighttpd -f $RUN/lighttpd/archived.conf
	say "started lighttpd on port $PORT (log: $RUN/lighttpd-error.log)"
fi
for _ in $(seq 1 50); do
	curl -s -o /dev/null "http://127.0.0.1:$PORT/api/v1/wsurl" && break
	sleep 0.1
done

TOKEN=$(as_archived $SBIN/archivectl token create --user demo --admin --name quickstart)

# A login for the operator page, with a password made here once. Only
# root can read the file that keeps it; it appears nowhere else but in
# what this script prints.
PAGE_LOGIN=operator
PASSFILE=$ETC/operator-password
if ! as_archived $SBIN/archivectl --json user list |
	jq -e --arg l $PAGE_LOGIN 'any(.[]; .login == $l)' >/dev/null; then
	(umask 077 && head -c 18 /dev/urandom | base64 | tr '+/' 'xy' > "$PASSFILE")
	as_archived $SBIN/archivectl user add --login $PAGE_LOGIN --name Operator --admin \
		--password-stdin < "$PASSFILE" >/dev/null
	say "created the page's user $PAGE_LOGIN"
fi
if [ -s "$PASSFILE" ]; then
	PAGE_PASSWORD="password: $(cat "$PASSFILE")"
else
	PAGE_PASSWORD="password: the one set when $PAGE_LOGIN was made ($PASSFILE is gone)"
fi
# The last minute the camera recorded without a break (a stop and a start
# of the quickstart leave gaps), in the server's zone.
read -r a b < <(as_archived $SBIN/archivectl --json segments list --stream "$STREAM" |
	jq -r '[.intervals[] | select(.duration >= 65)] | last |
		"\((.to_us / 1000000 | floor) - 62) \((.to_us / 1000000 | floor) - 2)"')
FROM=$(TZ=$tz date -d "@$a" '+%Y-%m-%d %H:%M:%S')
TO=$(TZ=$tz date -d "@$b" '+%Y-%m-%d %H:%M:%S')
cat <<MSG

archived is running on http://$HOST:$PORT (stop it with: bash scripts/quickstart.sh stop)

The operator page (cameras, timeline, exports, playback):
  http://$HOST:$PORT/
  login: $PAGE_LOGIN
  $PAGE_PASSWORD

A token for the demo user (admin):
  TOKEN='$TOKEN'

Ask for one minute of the demo camera (stream $STREAM), times in $tz:
  curl -s -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' \\
    -d '{"stream_id": $STREAM, "from": "$FROM", "to": "$TO"}' \\
    http://$HOST:$PORT/api/admin/v1/downloads

Watch the push (archive_generated carries the link) in another terminal first:
  $SHARE/watch-push.py --url http://$HOST:$PORT --token "\$TOKEN"

Then fetch the file from the pushed "url" (no token needed), or:
  curl -s -H "Authorization: Bearer \$TOKEN" http://$HOST:$PORT/api/admin/v1/downloads/ID
MSG
