#!/bin/bash
# Run check-package.sh on a machine that already carries an archived install
# (scripts/quickstart.sh's /etc/archived, /var/lib/archived and archived
# user), without touching it: the test runs in a private mount namespace
# whose root is an overlay of the real one, writes going to a tmpfs that
# vanishes at the end. Inside, the existing install is hidden first, so the
# package is tested as on a fresh machine (the quickstart's /usr/local
# programs and units too). For developers; CI runs
# check-package.sh itself. Processes and the network are shared with the
# host, so the test still uses spare ports.
#
#   bash tests/package/in-overlay.sh [check-package.sh options]
#
# (--keep is of no use here: the temp dir goes with the tmpfs.)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "skip - run as root"; exit 77; }
command -v unshare >/dev/null || { echo "skip - no unshare"; exit 77; }
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
	{ echo "skip - no overlayfs"; exit 77; }

S=$(mktemp -d /tmp/archived-overlay.XXXXXX)
trap 'rmdir "$S" 2>/dev/null || true' EXIT
# shellcheck disable=SC2016 # expanded by the inner shell
unshare --mount --propagation private bash -c '
	set -eu
	S=$1 HERE=$2
	shift 2
	mount -t tmpfs -o mode=0755 archived-overlay "$S"
	mkdir "$S/upper" "$S/work" "$S/root"
	mount -t overlay archived-overlay -o "lowerdir=/,upperdir=$S/upper,workdir=$S/work" "$S/root"
	for m in /proc /sys /dev; do
		mount --rbind "$m" "$S/root$m"
	done
	exec chroot "$S/root" /bin/bash -c "
		rm -rf /etc/archived /var/lib/archived /run/archived \
			/usr/local/lib/systemd/system/archived.service \
			/usr/local/lib/systemd/system/archive-pushd.service \
			/usr/local/sbin/archived /usr/local/sbin/archive-pushd /usr/local/sbin/archivectl \
			/usr/local/libexec/archived /usr/local/share/archived
		if getent passwd archived >/dev/null; then userdel archived; fi
		if getent group archived >/dev/null; then groupdel archived; fi
		exec bash \"\$0\" \"\$@\"
	" "$HERE/check-package.sh" "$@"
' in-overlay "$S" "$HERE" "$@"
