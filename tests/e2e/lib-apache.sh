# Apache as the tests start it, sourced after tests/e2e/lib.sh and setup:
# conf/apache/ as shipped, the responder under mod_fcgid as www-data when
# run as root, sanitizer reports collected into $T.
#   apache_prepare   skips (77) without Apache or its modules; copies the
#                    responder where www-data can run it
#   start_apache     starts it in the foreground, in the background
#   stop_apache      stops it and moves the sanitizer reports into $T

apache_prepare() {
	APACHE=$(command -v apache2 || true)
	[ -n "$APACHE" ] || { echo "# apache2 not installed: skipped"; exit 77; }
	for mod in fcgid xsendfile proxy_wstunnel; do
		[ -e "/usr/lib/apache2/modules/mod_$mod.so" ] ||
			{ echo "# mod_$mod not installed: skipped"; exit 77; }
	done

	# Apache will not serve as root: as root its children, and so mod_fcgid's
	# responder, run as www-data, which must reach $T, write the database (and
	# its WAL files, which SQLite run as root hands to the database's owner)
	# and read downloads_dir. Not as root, everything runs as the caller.
	if [ "$(id -u)" = 0 ]; then
		WWW_USER=www-data WWW_GROUP=www-data
		chmod 711 "$T"
		chown -R "$WWW_USER:$WWW_GROUP" "$T/data"
	else
		WWW_USER=$(id -un) WWW_GROUP=$(id -gn)
	fi
	chmod 644 "$CONF"
	# The build tree may sit where www-data cannot go (under /root, say): the
	# responder runs from a copy in $T, the same binary.
	FCGI_RUN="$T/apache/downloads.fcgi"
	mkdir -p "$T/apache"
	cp "$FCGI" "$FCGI_RUN"
	if [ "$(id -u)" = 0 ] && ! runuser -u "$WWW_USER" -- test -x "$FCGI_RUN"; then
		echo "# $WWW_USER cannot reach $T (TMPDIR): skipped"
		exit 77
	fi
	# mod_fcgid gives the responder no environment but FcgidInitialEnv: the
	# sanitizers' options are added on the command line (-c), with reports in
	# a directory the responder may write; finish looks for them in $T.
	mkdir -p "$T/san"
	chown "$WWW_USER:$WWW_GROUP" "$T/san"
	FCGI_ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:log_path=$T/san/asan"
	FCGI_UBSAN_OPTIONS="print_stacktrace=1:log_path=$T/san/ubsan"
}

# stop_apache: SIGTERM to the foreground parent, which ends its children
# and mod_fcgid's responders; then the responders' sanitizer reports are
# moved where lib.sh's check_sanitizers reads them.
stop_apache() {
	stop_servers
	local f
	for f in "$T"/san/*; do
		[ -e "$f" ] && mv "$f" "$T/"
	done
	return 0
}

start_apache() {
	mkdir -p "$T/docroot"
	# In the foreground, in the background: its pid goes to PIDS.
	ARCHIVED_HTTP_USER=$WWW_USER ARCHIVED_HTTP_GROUP=$WWW_GROUP \
	ARCHIVED_HTTP_BIND=127.0.0.1 ARCHIVED_HTTP_PORT=$HTTP_PORT \
	ARCHIVED_STATE_DIR=$T/apache ARCHIVED_DOCROOT=$T/docroot ARCHIVED_FCGI=$FCGI_RUN \
	ARCHIVED_CONFIG=$CONF ARCHIVED_DOWNLOADS_DIR=$DL_DIR \
	ARCHIVED_PUSHD_PORT=$PUSHD_PORT \
		"$APACHE" -d "$top_srcdir/conf/apache" -f archived.conf -DFOREGROUND \
		-c "FcgidInitialEnv ASAN_OPTIONS $FCGI_ASAN_OPTIONS" \
		-c "FcgidInitialEnv UBSAN_OPTIONS $FCGI_UBSAN_OPTIONS" \
		>>"$T/apache-stderr.log" 2>&1 &
	PIDS="$PIDS $!"
	BASE="http://127.0.0.1:$HTTP_PORT"
	for _ in $(seq 1 50); do
		curl -s -o /dev/null "$BASE/" && return 0
		sleep 0.1
	done
	echo "# apache2 did not start"
	cat "$T/apache-stderr.log" "$T/apache/apache2-error.log" 2>/dev/null | sed 's/^/#   /'
	return 1
}

