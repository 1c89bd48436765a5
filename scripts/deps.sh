#!/bin/bash
# Install what archived needs on Debian 12, as root: build tools and
# libraries, the web server, and (with --test) what the tests use, PostgreSQL included (they start their own server).
set -eu

PKGS=(
	autoconf automake libtool pkg-config gcc make
	libfcgi-dev libfcgi-bin libjansson-dev libsqlite3-dev sqlite3 libpq-dev
	libavformat-dev libavcodec-dev libavutil-dev libwebsockets-dev
	libconfig-dev libssl-dev lighttpd tzdata curl ca-certificates
	ffmpeg jq python3 openssl
)
# The tests run the API behind all three web servers, the operator page in
# Debian's Chromium, build the Debian package and check it with lintian,
# parse /metrics with promtool (Debian's prometheus), fuzz the parsers
# with libFuzzer (clang and its runtime), and count the frames GStreamer
# decodes from each export (qtdemux, avdec_h264/h265).
TEST_PKGS=(check nginx spawn-fcgi apache2 libapache2-mod-fcgid libapache2-mod-xsendfile
	chromium fonts-dejavu-core debhelper dpkg-dev devscripts lintian fakeroot prometheus
	clang libclang-rt-14-dev postgresql
	gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-libav)

want_test=0
[ "${1:-}" = --test ] && want_test=1

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: run as root (it installs Debian packages)" >&2
	exit 1
fi
pkgs=("${PKGS[@]}")
[ $want_test = 1 ] && pkgs+=("${TEST_PKGS[@]}")
# Node.js runs the pusher-js test client; keep a Node that is already there.
if [ $want_test = 1 ] && ! command -v node >/dev/null; then
	pkgs+=(nodejs npm)
fi
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	# lighttpd, nginx and Apache would each start a server on port 80 as
	# they install, and all but the first fail to (which fails the install).
	# archived starts the servers it needs itself: none starts here.
	policy=/usr/sbin/policy-rc.d
	made_policy=0
	if [ ! -e $policy ]; then
		printf '#!/bin/sh\nexit 101\n' > $policy
		chmod 755 $policy
		made_policy=1
	fi
	trap '[ $made_policy = 1 ] && rm -f $policy' EXIT
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
