# archived: expire finished archives on hosts that run no archive-pushd
# (which does the same on its own timers). Safe to run alongside it.
# "archivectl cleanup" expires archives past their time, finishes removals a
# crash interrupted, deletes orphan files in downloads_dir and events past
# pusher.event_retention. It prints nothing unless something fails.
#
# This is conf/cron.d/archived with one Debian change: the job does nothing
# once the package is removed but not purged (this file is a conffile and
# stays until purge), instead of failing every minute.
SHELL=/bin/sh
PATH=/usr/sbin:/usr/bin:/sbin:/bin

* * * * *	archived	test -x /usr/sbin/archivectl && archivectl --config /etc/archived/archived.conf cleanup
