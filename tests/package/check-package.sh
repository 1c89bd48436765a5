#!/bin/bash
# The Debian package end to end (issue 14), as root on a Debian 12 machine
# with the build-dependencies of debian/control, lighttpd, ffmpeg, curl and
# jq (scripts/deps.sh --test installs them all):
#
#   build      copy the tree to a temp dir, dpkg-buildpackage -us -uc -b
#   lintian    on the .changes: any E: or W: line fails
#   install    apt-get install ./archived_*.deb (a policy-rc.d forbids
#              starting services meanwhile), then check files, conffiles,
#              the archived user, /var/lib/archived and its modes, the units
#              (enabled, not started), the cron job
#   run        the programs as their units would (systemd does not run here:
#              User, Group, Environment, ExecStartPre and ExecStart are read
#              from the installed units), lighttpd with the installed
#              configuration on a spare port, an export of ffmpeg-made
#              segments through the API, downloaded and checked by ffprobe
#   reinstall  the database and edits are kept
#   remove     data and configuration kept, the cron job stays quiet
#   purge      nothing left but what Debian keeps (the archived user)
#   upgrade    build the commit before the last schema change with this
#              debian/, install it, add data, upgrade to the new package:
#              the migrations run and the data is kept; purge again
#
# Prints "ok - ..." / "not ok - ..." lines and "N passed, N failed"; exit 1
# on a failure, 77 (skipped) when it cannot run here: not root, a tool
# missing, the archived package installed already, or /etc/archived,
# /var/lib/archived or archived units in /etc/systemd/system or
# /usr/local/lib/systemd/system present (another install, such as
# scripts/quickstart.sh's). --force runs anyway, moving those aside for the
# test and back afterwards (stop what uses them first); on a developer's
# machine tests/package/in-overlay.sh runs it without touching them.
# Whatever the test installed or created (the package, the archived user
# and group if they were not there, a policy-rc.d) is removed on exit; it
# uses spare ports. --keep keeps the temp dir (build log, server logs).
# About 1.5 minutes on 2 idle cores (two package builds).
set -u
export LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive
# Wait for another apt or dpkg run on the machine rather than fail at once.
APT_OPTS=(-o DPkg::Lock::Timeout=300)

usage() { echo "usage: $0 [--force] [--keep]"; }
FORCE=0
KEEP=0
for a in "$@"; do
	case $a in
	--force) FORCE=1 ;;
	--keep) KEEP=1 ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done

SRC=$(cd "$(dirname "$0")/../.." && pwd)
skip() { echo "skip - $*"; exit 77; }

[ "$(id -u)" -eq 0 ] || skip "run as root: it installs and purges a package"
[ -f "$SRC/debian/control" ] || skip "no debian/ in $SRC"
for c in dpkg-buildpackage lintian apt-get lighttpd ffmpeg ffprobe curl jq python3 \
	runuser start-stop-daemon; do
	command -v "$c" >/dev/null || skip "$c is not installed (scripts/deps.sh --test installs what this needs)"
done
if dpkg-query -W -f='${db:Status-Status}' archived 2>/dev/null | grep -qv '^not-installed$'; then
	skip "the archived package is already on this machine ($(dpkg-query -W -f='${db:Status-Status}' archived)); this test installs and purges it, so it will not run here"
fi
# Another install's data and configuration, and its units where systemd
# would prefer them to the package's (make install with the default prefix
# puts them in /usr/local/lib/systemd/system).
EXISTING=()
for d in /etc/archived /var/lib/archived \
	{/etc/systemd/system,/usr/local/lib/systemd/system}/{archived,archive-pushd}.service; do
	[ -e "$d" ] && EXISTING+=("$d")
done
if [ ${#EXISTING[@]} -gt 0 ] && [ $FORCE = 0 ]; then
	skip "${EXISTING[*]} already exist (another install, e.g. scripts/quickstart.sh); run with --force to move them aside during the test (put back afterwards; stop what uses them first), or see tests/package/in-overlay.sh"
fi

T=$(mktemp -d /tmp/archived-package.XXXXXX)
chmod 755 "$T"	# the archived user and apt's _apt read from here
PASSED=0
FAILED=0
ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
not_ok() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }
expect_eq() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1: expected '$2', got '$3'"; fi; }
# show FILE [N]: the last N lines of a log, as comments.
show() { [ -f "$1" ] && tail -n "${2:-20}" "$1" | sed 's/^/#   /'; return 0; }

# --- what the test changes on the machine, undone on exit -------------------
USER_EXISTED=0
getent passwd archived >/dev/null && USER_EXISTED=1
GROUP_EXISTED=0
getent group archived >/dev/null && GROUP_EXISTED=1
MADE_POLICY=0
SAVED=()
PIDFILES=()

stop_pidfile() {
	local pid
	pid=$(cat "$1" 2>/dev/null) || return 0
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	return 1
}
stop_all() {
	local f rc=0
	for f in "${PIDFILES[@]}"; do
		stop_pidfile "$f" || rc=1
		rm -f "$f"
	done
	PIDFILES=()
	return $rc
}
cleanup() {
	stop_all
	if dpkg-query -W -f='${db:Status-Status}' archived 2>/dev/null | grep -qv '^not-installed$'; then
		apt-get "${APT_OPTS[@]}" purge -y -q archived >"$T/cleanup-purge.log" 2>&1 || dpkg --purge archived >/dev/null 2>&1
	fi
	if [ $USER_EXISTED = 0 ] && getent passwd archived >/dev/null; then
		userdel archived 2>/dev/null
	fi
	if [ $GROUP_EXISTED = 0 ] && getent group archived >/dev/null; then
		groupdel archived 2>/dev/null
	fi
	local s
	for s in "${SAVED[@]}"; do
		rm -rf "${s%%=*}"
		mv "${s#*=}" "${s%%=*}"
	done
	[ $MADE_POLICY = 1 ] && rm -f /usr/sbin/policy-rc.d
	if [ $KEEP = 1 ]; then echo "# kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for d in "${EXISTING[@]}"; do
	mv "$d" "$d.pkgtest-saved.$$"
	SAVED+=("$d=$d.pkgtest-saved.$$")
	echo "# --force: moved $d to $d.pkgtest-saved.$$ for the test"
done

finish() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
	exit
}
# stop_here WHAT: a step the rest depends on failed.
stop_here() { not_ok "$1"; echo "# cannot go on without it"; finish; }

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- build -----------------------------------------------------------------
# The working tree as it is: tracked files and new ones not ignored (a new
# folder such as www/ ships as soon as it exists), without build products.
mkdir "$T/src"
if git -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git -C "$SRC" ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$SRC/$f" ] && printf '%s\0' "$f"; done |
		tar -C "$SRC" --null -T - -cf - | tar -C "$T/src" -xf -
else
	tar -C "$SRC" --exclude='./build*' --exclude=./debian/archived --exclude=./debian/.debhelper \
		-cf - . | tar -C "$T/src" -xf -
fi
if (cd "$T/src" && dpkg-buildpackage -us -uc -b -j"$(nproc)") >"$T/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b builds the package"
else
	show "$T/build.log" 40
	stop_here "dpkg-buildpackage -us -uc -b builds the package"
fi
DEB=$(ls "$T"/archived_*.deb 2>/dev/null | head -1)
CHANGES=$(ls "$T"/archived_*.changes 2>/dev/null | head -1)
[ -n "$DEB" ] && [ -n "$CHANGES" ] || stop_here "the build made archived_*.deb and .changes"
VERSION=$(dpkg-deb -f "$DEB" Version)
echo "# built $(basename "$DEB") ($VERSION)"

# --- lintian ---------------------------------------------------------------
# The overrides in debian/ are printed too (O: lines, each with its reason).
lintian --show-overrides "$CHANGES" >"$T/lintian.out" 2>"$T/lintian.err"
echo "# $(lintian --version)"
sed 's/^/# lintian: /' "$T/lintian.out"
bad=$(grep -cE '^[EW]: ' "$T/lintian.out")
if [ "$bad" -eq 0 ] && ! grep -q '^internal error\|^error' "$T/lintian.err"; then
	ok "lintian: no errors, no warnings"
else
	not_ok "lintian: $bad errors or warnings"
	show "$T/lintian.err" 5
fi

# --- what make install installs is what the package ships -------------------
# (A folder another change adds to make install, such as www/, is then in
# the package without touching debian/.) The one planned difference: the
# cron job is /etc/cron.d/archived, not under /usr/share/archived/cron.d.
make -C "$T/src" -s install DESTDIR="$T/ref" >"$T/ref.log" 2>&1 ||
	{ show "$T/ref.log"; not_ok "make install into a DESTDIR"; }
(cd "$T/ref" && find . ! -type d | sed 's|^\./|/|' | grep -v '^/usr/share/archived/cron.d/' | sort) >"$T/ref.list"
dpkg-deb -c "$DEB" | awk '$1 !~ /^d/ { print $6 }' | sed 's|^\./|/|' | sort >"$T/deb.list"
missing=$(comm -23 "$T/ref.list" "$T/deb.list")
if [ -z "$missing" ] && [ -s "$T/ref.list" ]; then
	ok "the package holds every file make install installs ($(wc -l <"$T/ref.list") files)"
else
	not_ok "the package lacks files make install installs:"
	sed 's/^/#   /' <<<"$missing"
fi
if [ -d "$T/ref/usr/share/archived/www" ]; then
	check "the operator page (www/) is in the package" grep -q '^/usr/share/archived/www/' "$T/deb.list"
else
	echo "# make install installs no www/ in this tree yet"
fi

# --- install ---------------------------------------------------------------
# As scripts/deps.sh does: no service starts while packages install.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	MADE_POLICY=1
fi
# Recommends (a web server) are not pulled in: lighttpd is here already.
if apt-get "${APT_OPTS[@]}" install -y -q --no-install-recommends "$DEB" >"$T/install.log" 2>&1; then
	ok "apt-get install ./$(basename "$DEB")"
else
	show "$T/install.log" 30
	stop_here "apt-get install ./$(basename "$DEB")"
fi
expect_eq "dpkg says installed" "install ok installed" "$(dpkg-query -W -f='${Status}' archived)"
# schema_in LOG: the schema version "archivectl init" reported in an apt log
# (apt runs dpkg on a terminal: lines end in CR LF).
schema_in() { tr -d '\r' <"$1" | sed -n 's/.* at schema version \([0-9]*\)$/\1/p' | tail -1; }
NEW_SCHEMA=$(schema_in "$T/install.log")
check "the postinst ran archivectl init (schema version ${NEW_SCHEMA:-none})" test -n "$NEW_SCHEMA"

for p in /usr/sbin/archived /usr/sbin/archive-pushd /usr/sbin/archivectl /usr/libexec/archived/downloads.fcgi; do
	check "$p is installed, executable" test -x "$p"
done
for m in archived archive-pushd archivectl; do
	check "man page $m(8)" test -f "/usr/share/man/man8/$m.8.gz"
done
# dh_installdocs compresses it past 4 KB.
check "README.Debian" sh -c "test -f /usr/share/doc/archived/README.Debian || test -f /usr/share/doc/archived/README.Debian.gz"
check "/etc/archived/archived.conf is conf/archived.conf" cmp -s /etc/archived/archived.conf "$T/src/conf/archived.conf"
for s in lighttpd/archived.conf lighttpd/archived-site.conf nginx/archived.conf \
	nginx/archived-site.conf apache/archived.conf apache/archived-site.conf; do
	check "/usr/share/archived/$s is conf/$s" cmp -s "/usr/share/archived/$s" "$T/src/conf/$s"
done
conffiles=$(dpkg-query -W -f='${Conffiles}\n' archived | awk 'NF { print $1 }' | sort | tr '\n' ' ')
expect_eq "conffiles" "/etc/archived/apache/archived-site.conf /etc/archived/archived.conf /etc/archived/lighttpd/archived-site.conf /etc/archived/nginx/archived-site.conf /etc/cron.d/archived " "$conffiles"
for s in lighttpd nginx apache; do
	check "/etc/archived/$s/archived-site.conf is rendered for the package's paths" \
		sh -c "! grep -v '^[[:space:]]*#' /etc/archived/$s/archived-site.conf | grep -Eq 'env[.]ARCHIVED_|[$][{]ARCHIVED_|var[.]archived_state' &&
			grep -Eq '/usr/libexec/archived/downloads.fcgi|/run/archived/' /etc/archived/$s/archived-site.conf"
done

# The cron job: root's 0644 file, running upstream's command.
expect_eq "/etc/cron.d/archived: root 0644" "root:root 644" "$(stat -c '%U:%G %a' /etc/cron.d/archived)"
cron_cmd() { grep -E '^[*0-9]' "$1" | tail -1; }
CRON_LINE=$(cron_cmd /etc/cron.d/archived)
CRON_PATH=$(sed -n 's/^PATH=//p' /etc/cron.d/archived)
# run_cron_job: the job's command as cron runs it (its user, the file's
# PATH, /bin/sh), printing what it says (cron would mail that).
run_cron_job() {
	(cd / && runuser -u archived -- env -i PATH="${CRON_PATH:-/usr/bin:/bin}" HOME=/var/lib/archived \
		/bin/sh -c "${CRON_LINE#*archived	}" 2>&1)
}
expect_eq "its job is conf/cron.d/archived's" "$(cron_cmd "$T/src/conf/cron.d/archived")" \
	"$CRON_LINE"
check "guarded for a removed package" grep -q 'test -x /usr/sbin/archivectl &&' <<<"$CRON_LINE"

# The units: as conf/systemd has them (hardening included), enabled, not
# started.
for u in archived archive-pushd; do
	check "/lib/systemd/system/$u.service is conf/systemd/$u.service" \
		cmp -s "/lib/systemd/system/$u.service" "$T/src/conf/systemd/$u.service"
	check "$u.service is hardened (NoNewPrivileges, ProtectSystem=strict, ProtectHome, PrivateTmp)" \
		sh -c 'grep -qx NoNewPrivileges=yes "$1" && grep -qx ProtectSystem=strict "$1" &&
			grep -qx ProtectHome=yes "$1" && grep -qx PrivateTmp=yes "$1"' \
		sh "/lib/systemd/system/$u.service"
	expect_eq "$u.service is enabled (multi-user.target.wants)" "/lib/systemd/system/$u.service" \
		"$(readlink "/etc/systemd/system/multi-user.target.wants/$u.service")"
done
# running EXE: a process runs that program.
running() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/exe" 2>/dev/null)" = "$1" ] && return 0
	done
	return 1
}
if running /usr/sbin/archived || running /usr/sbin/archive-pushd; then
	not_ok "the install started no daemon"
else
	ok "the install started no daemon"
fi

# The user and the data directory.
IFS=: read -r _ _ uid gid _ home shell < <(getent passwd archived)
check "the archived user exists" test -n "${uid:-}"
check "it is a system user (uid $uid)" test "${uid:-1000}" -lt 1000
expect_eq "its group is archived" archived "$(getent group "${gid:-x}" | cut -d: -f1)"
expect_eq "its home is /var/lib/archived" /var/lib/archived "${home:-}"
expect_eq "it has no login shell" /usr/sbin/nologin "${shell:-}"
for d in /var/lib/archived /var/lib/archived/downloads /var/lib/archived/run; do
	expect_eq "$d: archived:archived 2770" "archived:archived 2770" "$(stat -c '%U:%G %a' "$d" 2>&1)"
done
check "archivectl init made the database" test -s /var/lib/archived/archived.db
expect_eq "the database belongs to archived" "archived:archived" "$(stat -c '%U:%G' /var/lib/archived/archived.db 2>&1)"

# --- configure it as an operator would: spare ports ---------------------------
HTTP_PORT=$(free_port)
PUSHD_PORT=$(free_port)
BASE="http://127.0.0.1:$HTTP_PORT"
CONF=/etc/archived/archived.conf
sed -i "s|^pusher = {|pusher = {\n  listen = \"127.0.0.1:$PUSHD_PORT\";|" $CONF
printf 'public_url = "%s";\npoll_interval_ms = 200;\n' "$BASE" >>$CONF
as_archived() { (cd / && runuser -u archived -- "$@"); }
CTL() { as_archived /usr/sbin/archivectl --config $CONF "$@"; }
check "the edited configuration checks (archivectl -n)" sh -c "cd / && runuser -u archived -- /usr/sbin/archivectl --config $CONF -n >/dev/null"

# --- start the programs as their units would --------------------------------
# unit_val UNIT KEY: the values of KEY= in the installed unit, one a line.
unit_val() { sed -n "s/^$2=//p" "/lib/systemd/system/$1.service"; }
# exec_line UNIT KEY: a command line, without systemd's prefixes (-@+!:).
exec_line() { unit_val "$1" "$2" | head -1 | sed 's/^[-@+!:]*//'; }
mkdir -p "$T/pids"
start_unit() {
	local u=$1 user group env pre start
	user=$(unit_val "$u" User | tail -1)
	group=$(unit_val "$u" Group | tail -1)
	mapfile -t env < <(unit_val "$u" Environment | tr ' ' '\n' | grep '=')
	pre=$(exec_line "$u" ExecStartPre)
	start=$(exec_line "$u" ExecStart)
	if [ -z "$user" ] || [ -z "$start" ]; then
		not_ok "$u.service names User= and ExecStart="
		return 1
	fi
	if [ -n "$pre" ]; then
		# shellcheck disable=SC2086 # the unit's command line, split as systemd does
		if (cd / && runuser -u "$user" -g "${group:-$user}" -- env "${env[@]}" $pre) >"$T/$u.pre.log" 2>&1; then
			ok "$u.service: ExecStartPre ($pre) as $user passes"
		else
			not_ok "$u.service: ExecStartPre ($pre) as $user passes"
			show "$T/$u.pre.log"
		fi
	fi
	PIDFILES+=("$T/pids/$u.pid")
	# shellcheck disable=SC2086
	start-stop-daemon --start --background --make-pidfile --pidfile "$T/pids/$u.pid" \
		--chuid "$user:${group:-$user}" --chdir / --output "$T/$u.log" \
		--exec /usr/bin/env -- "${env[@]}" $start
	sleep 0.5
	if kill -0 "$(cat "$T/pids/$u.pid")" 2>/dev/null; then
		ok "$u.service: $start runs as $user"
	else
		not_ok "$u.service: $start runs as $user"
		show "$T/$u.log"
	fi
}
start_unit archived
start_unit archive-pushd
check "archive-pushd listens on 127.0.0.1:$PUSHD_PORT" bash -c \
	"for i in \$(seq 1 30); do (exec 3<>/dev/tcp/127.0.0.1/$PUSHD_PORT) 2>/dev/null && exit 0; sleep 0.1; done; exit 1"

# lighttpd with the installed configuration, as quickstart.sh starts it:
# the standalone server and the site part side by side, as the archived user.
L=$T/lighttpd
install -d -o archived -g archived "$L" "$L/state" "$L/docroot"
# The document root is the operator page where the package has one.
DOCROOT=$L/docroot
[ -d /usr/share/archived/www ] && DOCROOT=/usr/share/archived/www
cp /usr/share/archived/lighttpd/* "$L/"
printf 'server.username = "archived"\nserver.groupname = "archived"\n' >>"$L/archived.conf"
ARCHIVED_HTTP_BIND=127.0.0.1 ARCHIVED_HTTP_PORT=$HTTP_PORT ARCHIVED_STATE_DIR=$L/state \
ARCHIVED_DOCROOT=$DOCROOT ARCHIVED_FCGI=/usr/libexec/archived/downloads.fcgi \
ARCHIVED_CONFIG=$CONF ARCHIVED_DOWNLOADS_DIR=/var/lib/archived/downloads \
ARCHIVED_PUSHD_PORT=$PUSHD_PORT \
	lighttpd -f "$L/archived.conf" >"$T/lighttpd.out" 2>&1
PIDFILES+=("$L/state/lighttpd.pid")
code=000
for _ in $(seq 1 50); do
	code=$(curl -s -o "$T/wsurl" -w '%{http_code}' "$BASE/api/v1/wsurl") && [ "$code" = 200 ] && break
	sleep 0.1
done
if [ "$code" = 200 ]; then
	ok "lighttpd with /usr/share/archived/lighttpd/ serves the API on port $HTTP_PORT"
else
	not_ok "lighttpd with /usr/share/archived/lighttpd/ serves the API on port $HTTP_PORT (got $code)"
	show "$T/lighttpd.out"
	show "$L/state/lighttpd-error.log"
fi
if [ "$DOCROOT" = /usr/share/archived/www ]; then
	code=$(curl -s -o "$T/page" -w '%{http_code}' "$BASE/")
	check "GET / serves the operator page from /usr/share/archived/www ($code)" \
		sh -c "test $code = 200 && grep -qi '<html' '$T/page'"
fi
KEY=$(jq -r .app_key "$T/wsurl" 2>/dev/null)
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -H 'Connection: Upgrade' \
	-H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
	-H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' "$BASE/ws/app/$KEY?protocol=7")
expect_eq "a WebSocket handshake through lighttpd reaches archive-pushd" 101 "$code"

# --- an export ---------------------------------------------------------------
# Three 4-second MPEG-TS segments, named as ffmpeg's segment muxer names
# them (times in the configured zone, UTC by default), where a recorder
# would write them.
REC=/var/lib/archived/recordings/pkgtest
install -d -o archived -g archived -m 2770 /var/lib/archived/recordings "$REC"
media_ok=1
for i in 0 1 2; do
	name=$REC/2026-01-15_10-00-0$((i * 4)).ts
	as_archived ffmpeg -nostdin -loglevel error -f lavfi -i testsrc2=size=320x180:rate=25 \
		-f lavfi -i sine=frequency=440:sample_rate=48000 -t 4 \
		-c:v libx264 -preset ultrafast -g 25 -pix_fmt yuv420p -c:a aac -b:a 64k \
		-output_ts_offset $((i * 4)) -f mpegts "$name" 2>>"$T/ffmpeg.log" || media_ok=0
done
check "ffmpeg made 12 s of recordings" test $media_ok = 1
CAMERA=$(CTL camera add --name "Package test" --address "Test rig" 2>"$T/ctl.err")
STREAM=$(CTL stream add --camera "${CAMERA:-0}" --type high --url "rtsp://127.0.0.1:8554/pkgtest" 2>>"$T/ctl.err")
check "archivectl camera add, stream add" sh -c "test -n '$CAMERA' && test -n '$STREAM'"
check "archivectl segments import indexes them" sh -c \
	"cd / && runuser -u archived -- /usr/sbin/archivectl --config $CONF segments import --stream '${STREAM:-0}' --layout ffmpeg '$REC' >>'$T/ctl.err' 2>&1"
expect_eq "one recorded interval of 12 s" "1 12" \
	"$(CTL --json segments list --stream "${STREAM:-0}" 2>>"$T/ctl.err" | jq -r '"\(.intervals | length) \([.intervals[] | (.to_us - .from_us) / 1000000 | round] | add)"' 2>/dev/null)"
TOKEN=$(CTL token create --user pkgtest --admin --name package-test 2>>"$T/ctl.err")
check "archivectl token create" grep -Eq '^[0-9]+\|' <<<"$TOKEN"
grep -qv 'segments import: ' "$T/ctl.err" && show "$T/ctl.err" 5

code=$(curl -s -o "$T/created" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
	-H 'Content-Type: application/json' \
	-d "{\"stream_id\": ${STREAM:-0}, \"from\": \"2026-01-15 10:00:01\", \"to\": \"2026-01-15 10:00:10\"}" \
	"$BASE/api/admin/v1/downloads")
expect_eq "POST /api/admin/v1/downloads: 200, pending" "200 pending" "$code $(jq -r .condition "$T/created" 2>/dev/null)"
ID=$(jq -r .id "$T/created" 2>/dev/null)
cond=none
for _ in $(seq 1 300); do
	curl -s -o "$T/download" -H "Authorization: Bearer $TOKEN" "$BASE/api/admin/v1/downloads/$ID"
	cond=$(jq -r .condition "$T/download" 2>/dev/null)
	case $cond in pending|processing) sleep 0.2 ;; *) break ;; esac
done
expect_eq "the worker made it: condition active" active "$cond"
[ "$cond" = active ] || { show "$T/download" 5; show "$T/archived.log"; }
URL=$(jq -r '.url // empty' "$T/download" 2>/dev/null)
code=$(curl -s -o "$T/got.mp4" -w '%{http_code}' "${URL:-$BASE/none}")
expect_eq "its url downloads through lighttpd" 200 "$code"
d=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$T/got.mp4" 2>/dev/null)
check "ffprobe: 9 s (got ${d:-nothing})" awk -v d="${d:-0}" 'BEGIN { exit !(d > 8.9 && d < 9.1) }'
expect_eq "ffprobe: H.264 video and AAC audio" "aac h264" \
	"$(ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "$T/got.mp4" 2>/dev/null | sort | tr '\n' ' ' | sed 's/ $//')"
check "it is the file in /var/lib/archived/downloads" sh -c \
	"for f in /var/lib/archived/downloads/*.mp4; do cmp -s \"\$f\" '$T/got.mp4' && exit 0; done; exit 1"
out=$(run_cron_job) && rc=0 || rc=$?
expect_eq "the cron job runs as cron would: status 0, no output" "0 " "$rc $out"

# --- stop ---------------------------------------------------------------------
check "the programs and lighttpd stop on SIGTERM" stop_all
if running /usr/sbin/archived || running /usr/sbin/archive-pushd; then
	not_ok "no daemon left running"
else
	ok "no daemon left running"
fi

# --- reinstall (postinst configure with the installed version as $2) --------
if apt-get "${APT_OPTS[@]}" install -y -q --no-install-recommends --reinstall "$DEB" >"$T/reinstall.log" 2>&1; then
	ok "apt-get install --reinstall"
else
	not_ok "apt-get install --reinstall"
	show "$T/reinstall.log"
fi
check "it ran archivectl init again" grep -q 'at schema version' "$T/reinstall.log"
expect_eq "the database is kept: the camera is there" "Package test" \
	"$(CTL --json camera list 2>/dev/null | jq -r '.[0].name // empty' 2>/dev/null)"
check "the archive is kept" sh -c 'ls /var/lib/archived/downloads/*.mp4 >/dev/null 2>&1'
check "the edited configuration is kept" grep -q "^public_url = \"$BASE\";" $CONF

# --- remove: configuration and data stay ----------------------------------------
if apt-get "${APT_OPTS[@]}" remove -y -q archived >"$T/remove.log" 2>&1; then
	ok "apt-get remove archived"
else
	not_ok "apt-get remove archived"
	show "$T/remove.log"
fi
check "the programs are gone" sh -c '! test -e /usr/sbin/archivectl && ! test -e /usr/libexec/archived/downloads.fcgi'
check "the database is kept" test -s /var/lib/archived/archived.db
check "/etc/archived/archived.conf is kept" test -f $CONF
out=$(run_cron_job) || true
expect_eq "the cron job, kept until purge, does nothing and says nothing" "" "$out"

# --- purge: nothing left but the user ---------------------------------------------
if apt-get "${APT_OPTS[@]}" purge -y -q archived >"$T/purge.log" 2>&1; then
	ok "apt-get purge archived"
else
	not_ok "apt-get purge archived"
	show "$T/purge.log"
fi
check "purge says what it deletes" grep -q '^Purging archived: deleting /var/lib/archived' "$T/purge.log"
expect_eq "dpkg knows nothing of it" not-installed "$(dpkg-query -W -f='${db:Status-Status}' archived 2>/dev/null || echo not-installed)"
for p in /var/lib/archived /etc/archived /etc/cron.d/archived /usr/share/archived \
	/usr/libexec/archived /usr/share/doc/archived /lib/systemd/system/archived.service \
	/lib/systemd/system/archive-pushd.service; do
	check "no $p" test ! -e "$p"
done
left=$(find /etc/systemd/system /var/lib/systemd/deb-systemd-helper-enabled \
	/var/lib/systemd/deb-systemd-helper-masked -name 'archive*' 2>/dev/null)
check "no unit symlinks or deb-systemd-helper state${left:+: $left}" test -z "$left"
if [ $USER_EXISTED = 0 ]; then
	left=$(find /etc /var /usr /opt /srv -xdev -user archived 2>/dev/null | grep -v "\.pkgtest-saved\." | head -5)
	check "no file belongs to the archived user${left:+: $left}" test -z "$left"
fi
# Debian keeps system users on purge (files elsewhere may still be theirs);
# this test's cleanup deletes the user and group if it was not here before.
check "the archived system user is kept, as Debian does" sh -c 'getent passwd archived >/dev/null'

# --- upgrade from an older schema ----------------------------------------------
# The commit before the last change of the schema, packaged with this
# debian/ under a lower version: what an installed older release looks like.
OLD_REV=
if git -C "$SRC" rev-parse --verify -q HEAD >/dev/null 2>&1; then
	last=$(git -C "$SRC" log -1 --format=%H -- src/lib/schema.sql.h)
	[ -n "$last" ] && OLD_REV=$(git -C "$SRC" rev-parse -q --verify "$last^" 2>/dev/null)
fi
OLD_DEB=
if [ -z "$OLD_REV" ]; then
	echo "# skipped the upgrade from an older schema: no git history here"
else
	mkdir "$T/old"
	git -C "$SRC" archive "$OLD_REV" | tar -C "$T/old" -xf -
	rm -rf "$T/old/debian"
	cp -a "$T/src/debian" "$T/old/debian"
	sed -i '1s/(\([^)]*\))/(\1~old)/' "$T/old/debian/changelog"
	# Only installed, never linted: built at -O0 without debug packages, faster.
	if (cd "$T/old" && DEB_BUILD_OPTIONS="noopt noddebs" dpkg-buildpackage -us -uc -b -j"$(nproc)") \
		>"$T/old-build.log" 2>&1; then
		OLD_DEB=$(ls "$T"/archived_*~old_*.deb 2>/dev/null | head -1)
	fi
	[ -n "$OLD_DEB" ] ||
		echo "# skipped the upgrade from an older schema: $(git -C "$SRC" log -1 --format='%h %s' "$OLD_REV") does not build with this debian/"
fi
if [ -n "$OLD_DEB" ]; then
	echo "# older release: $(git -C "$SRC" log -1 --format='%h %s' "$OLD_REV" | cut -c1-60)"
	if apt-get "${APT_OPTS[@]}" install -y -q --no-install-recommends "$OLD_DEB" >"$T/old-install.log" 2>&1; then
		ok "apt-get install ./$(basename "$OLD_DEB")"
	else
		not_ok "apt-get install ./$(basename "$OLD_DEB")"
		show "$T/old-install.log"
	fi
	OLD_SCHEMA=$(schema_in "$T/old-install.log")
	CAMERA=$(CTL camera add --name "Before the upgrade" 2>>"$T/ctl.err")
	check "the older release holds a camera (schema version ${OLD_SCHEMA:-none})" test -n "$CAMERA"
	if apt-get "${APT_OPTS[@]}" install -y -q --no-install-recommends "$DEB" >"$T/upgrade.log" 2>&1; then
		ok "apt-get install ./$(basename "$DEB") upgrades it"
	else
		not_ok "apt-get install ./$(basename "$DEB") upgrades it"
		show "$T/upgrade.log"
	fi
	expect_eq "dpkg says $VERSION is installed" "$VERSION" "$(dpkg-query -W -f='${Version}' archived)"
	got=$(schema_in "$T/upgrade.log")
	expect_eq "the postinst migrated the database to schema version $NEW_SCHEMA" "$NEW_SCHEMA" "$got"
	if [ "${OLD_SCHEMA:-0}" != "${NEW_SCHEMA:-0}" ]; then
		check "the migrations ran (schema $OLD_SCHEMA to $NEW_SCHEMA)" grep -q 'database schema upgraded to version' "$T/upgrade.log"
	fi
	expect_eq "the camera made before the upgrade is kept" "Before the upgrade" \
		"$(CTL --json camera list 2>/dev/null | jq -r '.[0].name // empty' 2>/dev/null)"
	for u in archived archive-pushd; do
		check "/usr/sbin/$u -n accepts the upgraded installation" sh -c \
			"cd / && runuser -u archived -- /usr/sbin/$u --config $CONF -n >/dev/null 2>&1"
	done
	apt-get "${APT_OPTS[@]}" purge -y -q archived >"$T/purge2.log" 2>&1
	check "purged again: no /var/lib/archived, no /etc/archived" sh -c '! test -e /var/lib/archived && ! test -e /etc/archived'
fi

finish
